// SPDX-License-Identifier: Apache-2.0
/*
 * Writes the seed corpora of the fuzz targets with our own encoders, one
 * file per seed named by its SHA-256, as nghttp2 does.
 *
 * usage: gen_corpus OUT_DIR   (creates OUT_DIR/<target>/)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/sha.h>

#include "snapshot/snapshot.h"
#include "stream/stream.h"

static const char *out_dir;

static int write_seed(const char *target, const uint8_t *p, size_t n)
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(p, n, md);
    char path[4096];
    int len = snprintf(path, sizeof(path), "%s/%s/", out_dir, target);
    for (size_t i = 0; i < sizeof(md); i++) {
        len += snprintf(path + len, sizeof(path) - (size_t)len, "%02x", md[i]);
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

static const uint64_t ids[] = {1, 2, 3};
static const struct rafthttp_entry entries[] = {
    {.term = 1, .index = 4, .data = {(const uint8_t *)"hi", 2}},
    {.term = 1,
     .index = 5,
     .type = RAFTHTTP_ENTRY_CONF_CHANGE,
     .data = {(const uint8_t *)"\x08\x01\x10\x00\x18\x02", 6}},
    {.term = 1, .index = 6, .data = {(const uint8_t *)"", 0}},
};

/* One message of each shape the transport carries. */
static size_t sample_messages(struct rafthttp_message *ms)
{
    size_t n = 0;
    memset(ms, 0, 8 * sizeof(*ms));
    ms[n++].type = RAFTHTTP_MSG_HEARTBEAT;
    ms[n] = (struct rafthttp_message){.type = RAFTHTTP_MSG_APP,
                                      .to = 2,
                                      .from = 1,
                                      .term = 1,
                                      .log_term = 1,
                                      .index = 3,
                                      .commit = 3,
                                      .entries = entries,
                                      .n_entries = 3};
    n++;
    ms[n] = (struct rafthttp_message){.type = RAFTHTTP_MSG_APP,
                                      .to = 2,
                                      .from = 1,
                                      .term = 1,
                                      .log_term = 1,
                                      .index = 6,
                                      .commit = 6};
    n++;
    ms[n] = (struct rafthttp_message){.type = RAFTHTTP_MSG_VOTE,
                                      .to = 2,
                                      .from = 1,
                                      .term = 9,
                                      .reject = true,
                                      .reject_hint = 77};
    ms[n++].context = (struct rafthttp_bytes){(const uint8_t *)"ctx", 3};
    ms[n] = (struct rafthttp_message){
        .type = RAFTHTTP_MSG_SNAP, .to = 2, .from = 1, .term = 2};
    ms[n].snapshot.data = (struct rafthttp_bytes){(const uint8_t *)"v2", 2};
    ms[n].snapshot.metadata.index = 1000;
    ms[n].snapshot.metadata.conf_state.voters = ids;
    ms[n].snapshot.metadata.conf_state.n_voters = 3;
    ms[n].snapshot.metadata.conf_state.learners_next = ids;
    ms[n].snapshot.metadata.conf_state.n_learners_next = 1;
    ms[n++].snapshot.metadata.conf_state.auto_leave = true;
    return n;
}

/* Every entry of the sample messages, encoded alone. */
static int seeds_entry(const struct rafthttp_message *ms, size_t n)
{
    int rv = 0;
    for (size_t i = 0; i < n && rv == 0; i++) {
        for (size_t j = 0; j < ms[i].n_entries && rv == 0; j++) {
            struct rh_buf b;
            rh_buf_init(&b, NULL, 1 << 20);
            rv = rh_raftpb_entry_append(&ms[i].entries[j], &b);
            if (rv == 0) {
                rv = write_seed("entry", b.data, b.len);
            }
            rh_buf_close(&b);
        }
    }
    return rv;
}

static int seeds_raftpb(const struct rafthttp_message *ms, size_t n)
{
    int rv = 0;
    for (size_t i = 0; i < n && rv == 0; i++) {
        struct rh_buf b;
        rh_buf_init(&b, NULL, 1 << 20);
        rv = rh_raftpb_message_append(NULL, &ms[i], &b);
        if (rv == 0) {
            rv = write_seed("raftpb", b.data, b.len);
        }
        rh_buf_close(&b);
    }
    return rv;
}

/* Stream seeds: a split byte, then the encoded records. */
static int seeds_streams(const struct rafthttp_message *ms, size_t n)
{
    const uint8_t split_bytes[] = {0x00, 0x3f, 0xf7};
    int rv = 0;
    for (size_t s = 0; s < sizeof(split_bytes) && rv == 0; s++) {
        struct rh_buf frames, app, head;
        rh_buf_init(&frames, NULL, 1 << 20);
        rh_buf_init(&app, NULL, 1 << 20);
        rh_buf_init(&head, NULL, 1 << 20);
        rh_buf_append(&frames, &split_bytes[s], 1);
        rh_buf_append(&app, &split_bytes[s], 1);
        rh_buf_append(&head, &split_bytes[s], 1);
        struct rh_msgappv2_encoder e;
        rh_msgappv2_encoder_init(&e);
        for (size_t i = 0; i < n && rv == 0; i++) {
            rv = rh_msg_frame_encode(NULL, &ms[i], &frames);
            if (rv == 0 && (ms[i].type == RAFTHTTP_MSG_APP ||
                            rh_is_link_heartbeat(&ms[i]))) {
                rv = rh_msgappv2_encode(&e, NULL, &ms[i], &app);
            }
            if (rv == 0 && ms[i].type == RAFTHTTP_MSG_SNAP) {
                rv = rh_snap_head_encode(NULL, &ms[i], &head);
            }
        }
        rh_buf_append(&head, "database bytes", 14);
        if (rv == 0 && (write_seed("msg_frame", frames.data, frames.len) ||
                        write_seed("msgappv2", app.data, app.len) ||
                        write_seed("snapshot_head", head.data, head.len))) {
            rv = -1;
        }
        rh_buf_close(&frames);
        rh_buf_close(&app);
        rh_buf_close(&head);
    }
    return rv;
}

static int seeds_request(void)
{
    static const char *const lines[] = {
        "POST\n/raft\n3.4.23\n3.0.0\n8f96cf29dba10d9\n",
        "GET\n/raft/stream/message/117b9266988c4966\n3.4.23\n3.0.0\n"
        "8f96cf29dba10d9\n1d022bfa869d1d4",
        "GET\n/raft/stream/msgapp/1\n3.5.17\n3.0.0\n8f96cf29dba10d9\n"
        "1d022bfa869d1d4",
        "GET\n/raft/stream/msgappv2/1\n3.4\n3.0.0\n08F96CF29DBA10D9\n",
        "PUT\n/raft/snapshot\n2.1.0-alpha.0+git\n4.0.0\n",
        "117b9266988c4966\n/raft/probing",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        if (write_seed("request", (const uint8_t *)lines[i],
                       strlen(lines[i])) != 0) {
            return -1;
        }
    }
    return 0;
}

static int seeds_probe(void)
{
    static const char *const bodies[] = {
        "{\"OK\":true,\"Now\":\"2026-11-25T14:01:39.990669091Z\"}\n",
        "{\"OK\":false,\"Now\":\"2026-11-25T14:01:39Z\"}",
        "{\"ok\":true,\"now\":\"2026-02-28T23:59:59.5+05:30\",\"x\":[1]}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        if (write_seed("probe", (const uint8_t *)bodies[i],
                       strlen(bodies[i])) != 0) {
            return -1;
        }
    }
    return 0;
}

static int seeds_conf_change(void)
{
    static const struct rafthttp_conf_change_single two[] = {
        {RAFTHTTP_CONF_ADD_NODE, 4}, {RAFTHTTP_CONF_REMOVE_NODE, 3}};
    static const char ctx[] = "{\"id\":4,\"peerURLs\":[\"http://a:1\"]}";
    struct rafthttp_conf_change v1 = {
        7, RAFTHTTP_CONF_ADD_NODE, 4, {(const uint8_t *)ctx, sizeof(ctx) - 1}};
    struct rafthttp_conf_change_v2 v2 = {
        RAFTHTTP_CONF_TRANSITION_JOINT_EXPLICIT,
        two,
        2,
        {(const uint8_t *)ctx, sizeof(ctx) - 1}};
    uint8_t buf[256];
    size_t len = 0;
    if (rafthttp_conf_change_encode(&v1, buf, sizeof(buf), &len) != 0 ||
        write_seed("conf_change", buf, len) != 0 ||
        rafthttp_conf_change_v2_encode(&v2, buf, sizeof(buf), &len) != 0) {
        return -1;
    }
    return write_seed("conf_change", buf, len);
}

static int seeds_member_json(void)
{
    static const char *const texts[] = {
        "{\"id\":5582299463101008745,\"peerURLs\":[\"http://10.0.0.4:2380\"],"
        "\"isLearner\":true,\"name\":\"infra4\",\"clientURLs\":[\"http://"
        "10.0.0.4:2379\"],\"isPromote\":true}",
        "[{\"id\":1,\"peerURLs\":null},{\"id\":2,\"peerURLs\":[],\"name\":"
        "\"\\u003c\\ud83d\\ude00\\n\"}]\n",
        "null\n",
        "{\"ID\":1,\"x\":{\"y\":[1.5e3,-2,true,false,null,\"s\"]}}",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (write_seed("member_json", (const uint8_t *)texts[i],
                       strlen(texts[i])) != 0) {
            return -1;
        }
    }
    return 0;
}

static int make_dirs(void)
{
    static const char *const targets[] = {
        "raftpb",  "entry", "msg_frame",   "msgappv2",   "snapshot_head",
        "request", "probe", "conf_change", "member_json"};
    char path[4096];
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        perror(out_dir);
        return -1;
    }
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", out_dir, targets[i]);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            perror(path);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    struct rafthttp_message ms[8];
    size_t n = sample_messages(ms);
    if (make_dirs() != 0 || seeds_raftpb(ms, n) != 0 ||
        seeds_entry(ms, n) != 0 || seeds_streams(ms, n) != 0 ||
        seeds_request() != 0 || seeds_probe() != 0 ||
        seeds_conf_change() != 0 || seeds_member_json() != 0) {
        return 1;
    }
    printf("gen_corpus: seeds written to %s\n", out_dir);
    return 0;
}
