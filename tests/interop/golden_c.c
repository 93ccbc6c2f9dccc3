// SPDX-License-Identifier: Apache-2.0
/*
 * The C half of the golden-vector test. Reads the vectors etcd's own Go
 * code wrote (tests/interop/golden), decodes each with our decoders,
 * re-encodes what it decoded with our encoders (for ConfChange,
 * ConfChangeV2 and member JSON, the public helpers of rafthttp.h), and
 * 1. requires our bytes to equal etcd's, and
 * 2. writes our bytes to a file in the same format, which the Go program
 *    then decodes with etcd's decoders ("golden verify").
 *
 * usage: golden_c GO_VECTORS C_VECTORS_OUT
 * Ends with "golden-c: N passed, M failed"; exits 1 if M > 0.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftpb/raftpb.h"
#include "snapshot/snapshot.h"
#include "stream/stream.h"
#include "testlib.h"

/* Decoders here take whole vectors; the largest is a few MiB. */
#define LIMIT (64u * 1024 * 1024)

struct vector {
    char *kind;
    char *name;
    char *param;
    uint8_t *bytes;
    size_t len;
};

/* --------------------------------------------------- raftpb objects */

static int reencode_message(const struct vector *v, struct rh_buf *out)
{
    struct rh_msg *msg;
    int rv = rh_raftpb_message_decode(NULL, v->bytes, v->len, &msg);
    if (rv == 0) {
        rv = rh_raftpb_message_append(NULL, &msg->m, out);
        if (rv == 0 && rh_raftpb_message_size(&msg->m) != out->len) {
            rv = RAFTHTTP_EINVAL; /* size function disagrees with packing */
        }
        rh_msg_free(msg);
    }
    return rv;
}

static int reencode_entry(const struct vector *v, struct rh_buf *out)
{
    struct rh_msg *msg = rh_msg_new(NULL);
    if (msg == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    int rv = rh_msg_add_entry(msg, v->bytes, v->len);
    if (rv == 0) {
        rv = rh_raftpb_entry_append(&msg->entries[0], out);
    }
    if (rv == 0 && rh_raftpb_entry_size(&msg->entries[0]) != out->len) {
        rv = RAFTHTTP_EINVAL;
    }
    rh_msg_free(msg);
    return rv;
}

/* The other raftpb types go through protobuf-c and the gogoproto rules. */
static int reencode_generic(const ProtobufCMessageDescriptor *d,
                            const struct vector *v, struct rh_buf *out)
{
    ProtobufCMessage *pm = protobuf_c_message_unpack(d, NULL, v->len, v->bytes);
    if (pm == NULL) {
        return RAFTHTTP_EPROTO;
    }
    int rv = rh_raftpb_fill_nonnullable(NULL, pm);
    if (rv == 0) {
        rv = rh_buf_reserve(out, protobuf_c_message_get_packed_size(pm));
    }
    if (rv == 0) {
        out->len = protobuf_c_message_pack(pm, out->data);
    }
    protobuf_c_message_free_unpacked(pm, NULL);
    return rv;
}

/* ------------------------------------------- the public membership API */

/* Encodes through the output convention: ask the size, then write. */
#define ENCODE_INTO(out, call, ...)                                            \
    do {                                                                       \
        size_t need_ = 0;                                                      \
        int rv_ = call(__VA_ARGS__, NULL, 0, &need_);                          \
        if (rv_ != RAFTHTTP_ETOOBIG && rv_ != 0) {                             \
            return rv_;                                                        \
        }                                                                      \
        rv_ = rh_buf_reserve((out), need_ + 1);                                \
        if (rv_ == 0) {                                                        \
            rv_ = call(__VA_ARGS__, (void *)(out)->data, need_ + 1, &need_);   \
        }                                                                      \
        (out)->len = rv_ == 0 ? need_ : 0;                                     \
        return rv_;                                                            \
    } while (0)

static int reencode_conf_change(const struct vector *v, struct rh_buf *out)
{
    struct rafthttp_conf_change cc;
    int rv = rafthttp_conf_change_decode(v->bytes, v->len, &cc);
    if (rv != 0) {
        return rv;
    }
    ENCODE_INTO(out, rafthttp_conf_change_encode, &cc);
}

static int reencode_conf_change_v2(const struct vector *v, struct rh_buf *out)
{
    struct rafthttp_conf_change_single changes[16];
    struct rafthttp_conf_change_v2 cc;
    int rv = rafthttp_conf_change_v2_decode(v->bytes, v->len, &cc, changes, 16);
    if (rv != 0) {
        return rv;
    }
    ENCODE_INTO(out, rafthttp_conf_change_v2_encode, &cc);
}

static char scratch[1 << 16];

static int reencode_member(const struct vector *v, struct rh_buf *out)
{
    struct rafthttp_member m;
    bool promote = false;
    int rv = rafthttp_member_parse((const char *)v->bytes, v->len, &m, &promote,
                                   scratch, sizeof(scratch));
    if (rv == 0 && promote != (strcmp(v->param, "promote") == 0)) {
        rv = RAFTHTTP_EPROTO;
    }
    if (rv != 0) {
        return rv;
    }
    ENCODE_INTO(out, rafthttp_member_json, &m, promote);
}

static int reencode_members(const struct vector *v, struct rh_buf *out)
{
    struct rafthttp_member ms[16];
    size_t n = 0;
    int rv = rafthttp_members_parse((const char *)v->bytes, v->len, ms, 16, &n,
                                    scratch, sizeof(scratch));
    if (rv != 0) {
        return rv;
    }
    ENCODE_INTO(out, rafthttp_members_json, ms, n);
}

/* ----------------------------------------------------------- streams */

/* Splits that cut frames in awkward places; cycled by tl_decode_all. */
static const size_t splits[] = {1, 7, 4096, 3, 65536, 2};

static int reencode_msgstream(const struct vector *v, struct rh_buf *out)
{
    struct rh_msg_decoder d;
    rh_msg_decoder_init(&d, NULL, LIMIT);
    struct tl_decoded got;
    int rv = tl_decode_all(TL_MSG_STREAM, &d, v->bytes, v->len, splits,
                           sizeof(splits) / sizeof(splits[0]), &got);
    if (rv == 0 && !rh_msg_decoder_idle(&d)) {
        rv = RAFTHTTP_EPROTO; /* ended inside a frame */
    }
    for (size_t i = 0; rv == 0 && i < got.n; i++) {
        rv = rh_msg_frame_encode(NULL, &got.msgs[i]->m, out);
    }
    tl_decoded_free(&got);
    rh_msg_decoder_close(&d);
    return rv;
}

static int parse_ids(const char *param, uint64_t *local, uint64_t *remote)
{
    char buf[64];
    const char *colon = strchr(param, ':');
    if (colon == NULL || (size_t)(colon - param) >= sizeof(buf)) {
        return RAFTHTTP_EINVAL;
    }
    memcpy(buf, param, (size_t)(colon - param));
    buf[colon - param] = '\0';
    if (rafthttp_id_parse(buf, local) != 0 ||
        rafthttp_id_parse(colon + 1, remote) != 0) {
        return RAFTHTTP_EINVAL;
    }
    return 0;
}

static int reencode_msgappv2(const struct vector *v, struct rh_buf *out)
{
    uint64_t local, remote;
    if (parse_ids(v->param, &local, &remote) != 0) {
        return RAFTHTTP_EINVAL;
    }
    struct rh_msgappv2_decoder d;
    rh_msgappv2_decoder_init(&d, NULL, local, remote, LIMIT);
    struct tl_decoded got;
    int rv = tl_decode_all(TL_MSGAPPV2, &d, v->bytes, v->len, splits,
                           sizeof(splits) / sizeof(splits[0]), &got);
    if (rv == 0 && !rh_msgappv2_decoder_idle(&d)) {
        rv = RAFTHTTP_EPROTO;
    }
    struct rh_msgappv2_encoder e;
    rh_msgappv2_encoder_init(&e);
    for (size_t i = 0; rv == 0 && i < got.n; i++) {
        rv = rh_msgappv2_encode(&e, NULL, &got.msgs[i]->m, out);
    }
    tl_decoded_free(&got);
    rh_msgappv2_decoder_close(&d);
    return rv;
}

static int reencode_snapbody(const struct vector *v, struct rh_buf *out)
{
    struct rh_snap_head_decoder d;
    rh_snap_head_decoder_init(&d, NULL, LIMIT);
    size_t used;
    struct rh_msg *msg;
    int rv = rh_snap_head_decoder_feed(&d, v->bytes, v->len, &used, &msg);
    if (rv == 0 && msg == NULL) {
        rv = RAFTHTTP_EPROTO; /* body ended inside the head */
    }
    if (rv == 0) {
        rv = rh_snap_head_encode(NULL, &msg->m, out);
        rh_msg_free(msg);
    }
    size_t db_len = v->len - used;
    if (rv == 0 && strtoull(v->param, NULL, 10) != db_len) {
        rv = RAFTHTTP_EPROTO;
    }
    if (rv == 0) {
        rv = rh_buf_append(out, v->bytes + used, db_len);
    }
    rh_snap_head_decoder_close(&d);
    return rv;
}

/* ---------------------------------------------------------- dispatch */

static int reencode(const struct vector *v, struct rh_buf *out)
{
    static const struct {
        const char *kind;
        const ProtobufCMessageDescriptor *desc;
    } generic[] = {
        {"snapshot", &raftpb__snapshot__descriptor},
        {"confstate", &raftpb__conf_state__descriptor},
        {"hardstate", &raftpb__hard_state__descriptor},
    };
    if (strcmp(v->kind, "message") == 0) {
        return reencode_message(v, out);
    }
    if (strcmp(v->kind, "entry") == 0) {
        return reencode_entry(v, out);
    }
    if (strcmp(v->kind, "msgstream") == 0) {
        return reencode_msgstream(v, out);
    }
    if (strcmp(v->kind, "msgappv2") == 0) {
        return reencode_msgappv2(v, out);
    }
    if (strcmp(v->kind, "snapbody") == 0) {
        return reencode_snapbody(v, out);
    }
    static const struct {
        const char *kind;
        int (*reencode)(const struct vector *v, struct rh_buf *out);
    } public_api[] = {
        {"confchange", reencode_conf_change},
        {"confchangev2", reencode_conf_change_v2},
        {"memberjson", reencode_member},
        {"membersjson", reencode_members},
    };
    for (size_t i = 0; i < sizeof(public_api) / sizeof(public_api[0]); i++) {
        if (strcmp(v->kind, public_api[i].kind) == 0) {
            return public_api[i].reencode(v, out);
        }
    }
    for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++) {
        if (strcmp(v->kind, generic[i].kind) == 0) {
            return reencode_generic(generic[i].desc, v, out);
        }
    }
    return RAFTHTTP_EINVAL;
}

/* Splits "KIND NAME PARAM HEX" in place. Returns 0 or -1. */
static int parse_line(char *line, struct vector *v)
{
    char *fields[4];
    char *save = line;
    for (int i = 0; i < 4; i++) {
        fields[i] = save;
        char *sp = strchr(save, i < 3 ? ' ' : '\n');
        if (sp == NULL && i < 3) {
            return -1;
        }
        if (sp != NULL) {
            *sp = '\0';
            save = sp + 1;
        }
    }
    v->kind = fields[0];
    v->name = fields[1];
    v->param = fields[2];
    v->len = 0;
    v->bytes =
        strcmp(fields[3], "-") == 0 ? malloc(1) : tl_unhex(fields[3], &v->len);
    return v->bytes == NULL ? -1 : 0;
}

static void write_vector(FILE *f, const struct vector *v,
                         const struct rh_buf *out)
{
    char *hex = out->len > 0 ? tl_hex(out->data, out->len) : NULL;
    fprintf(f, "%s %s %s %s\n", v->kind, v->name, v->param,
            hex != NULL ? hex : "-");
    free(hex);
}

/* Handles one vector; returns 1 if it passed. */
static int run_vector(FILE *out_file, const struct vector *v)
{
    struct rh_buf out;
    rh_buf_init(&out, NULL, LIMIT);
    int rv = reencode(v, &out);
    int ok = 0;
    if (rv != 0) {
        printf("FAIL %s %s: %s\n", v->kind, v->name, rafthttp_strerror(rv));
    } else if (out.len != v->len ||
               (v->len > 0 && memcmp(out.data, v->bytes, v->len) != 0)) {
        size_t at = 0;
        while (at < out.len && at < v->len && out.data[at] == v->bytes[at]) {
            at++;
        }
        printf("FAIL %s %s: bytes differ from etcd's at offset %zu "
               "(lengths c %zu, go %zu)\n",
               v->kind, v->name, at, out.len, v->len);
    } else {
        ok = 1;
    }
    if (rv == 0) {
        write_vector(out_file, v, &out);
    }
    rh_buf_close(&out);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s GO_VECTORS C_VECTORS_OUT\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    FILE *out = fopen(argv[2], "w");
    if (in == NULL || out == NULL) {
        perror("golden_c: open");
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned passed = 0, failed = 0;
    while (getline(&line, &cap, in) > 0) {
        struct vector v;
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        if (parse_line(line, &v) != 0) {
            printf("FAIL malformed line\n");
            failed++;
            continue;
        }
        if (run_vector(out, &v)) {
            passed++;
        } else {
            failed++;
        }
        free(v.bytes);
    }
    free(line);
    fclose(in);
    if (fclose(out) != 0) {
        perror("golden_c: write");
        return 2;
    }
    if (passed + failed == 0) {
        printf("FAIL no vectors in %s\n", argv[1]);
        failed++;
    }
    printf("golden-c: %u passed, %u failed\n", passed, failed);
    return failed > 0 ? 1 : 0;
}
