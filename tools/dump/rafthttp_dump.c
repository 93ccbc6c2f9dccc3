// SPDX-License-Identifier: Apache-2.0
/*
 * rafthttp-dump: prints the raft messages in rafthttp wire bytes, one line
 * each, so that a captured stream or body can be read by a person.
 *
 * usage: rafthttp-dump [--hex] message|msgapp|pipeline|snapshot
 *                      [LOCAL REMOTE]
 *        rafthttp-dump --help | --version
 * (the usage text below says what each kind of body is). Bad arguments,
 * among them a LOCAL or REMOTE that is not a hex ID as etcd prints it,
 * exit with status 2; input that does not decode, with status 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cli.h"
#include "pipeline/pipeline.h"
#include "snapshot/snapshot.h"
#include "stream/stream.h"

#define PROG "rafthttp-dump"
#define LIMIT (512u * 1024 * 1024)

static const char *const usage_text[] = {
    "usage: " PROG " [--hex] message|msgapp|pipeline|snapshot [LOCAL REMOTE]",
    "       " PROG " --help | --version",
    "",
    "Prints the raft messages in rafthttp wire bytes read from standard",
    "input, one line each.",
    "",
    "  message   a message-stream body (BE64 length + Message frames)",
    "  msgapp    a msgappv2 stream body; LOCAL and REMOTE are the reading",
    "            and the writing member, hex IDs as etcd prints them (no",
    "            0x), needed to rebuild compact records",
    "  pipeline  a POST /raft body (one Message)",
    "  snapshot  a POST /raft/snapshot body (head, then database bytes)",
    "  --hex     read hex text (blanks and newlines ignored), not bytes",
    "",
    "Exit status: 0 when all of the input decoded, 1 when it did not, 2 on",
    "bad arguments.",
};

static void print_message(const struct rafthttp_message *m)
{
    char to[RAFTHTTP_ID_STRLEN], from[RAFTHTTP_ID_STRLEN];
    if (rh_is_link_heartbeat(m)) {
        printf("link-heartbeat\n");
        return;
    }
    const char *name = rh_msg_type_name(m->type);
    if (name != NULL) {
        printf("%s", name);
    } else {
        printf("MsgType(%" PRId32 ")", m->type);
    }
    printf(" from=%s to=%s term=%" PRIu64 " logterm=%" PRIu64 " index=%" PRIu64
           " commit=%" PRIu64,
           rafthttp_id_format(m->from, from), rafthttp_id_format(m->to, to),
           m->term, m->log_term, m->index, m->commit);
    if (m->n_entries > 0) {
        size_t bytes = 0;
        for (size_t i = 0; i < m->n_entries; i++) {
            bytes += m->entries[i].data.len;
        }
        printf(" entries=%zu(%" PRIu64 "..%" PRIu64 ", %zu data bytes)",
               m->n_entries, m->entries[0].index,
               m->entries[m->n_entries - 1].index, bytes);
    }
    if (m->reject) {
        printf(" reject hint=%" PRIu64, m->reject_hint);
    }
    if (m->type == RAFTHTTP_MSG_SNAP) {
        printf(" snapshot{index=%" PRIu64 " term=%" PRIu64
               " voters=%zu data=%zu bytes}",
               m->snapshot.metadata.index, m->snapshot.metadata.term,
               m->snapshot.metadata.conf_state.n_voters, m->snapshot.data.len);
    }
    printf("\n");
}

/* Reads all of stdin, as bytes or as hex text. */
static uint8_t *read_input(int hex, size_t *len)
{
    struct rh_buf b;
    rh_buf_init(&b, NULL, 2 * (size_t)LIMIT);
    int c;
    int half = -1;
    while ((c = getchar()) != EOF) {
        if (!hex) {
            uint8_t byte = (uint8_t)c;
            if (rh_buf_append(&b, &byte, 1) != 0) {
                break;
            }
            continue;
        }
        const char *digits = "0123456789abcdef";
        const char *d = strchr(digits, c | 0x20);
        if (d == NULL || c == 0) {
            continue; /* spaces, newlines */
        }
        if (half < 0) {
            half = (int)(d - digits);
        } else {
            uint8_t byte = (uint8_t)(half << 4 | (int)(d - digits));
            half = -1;
            if (rh_buf_append(&b, &byte, 1) != 0) {
                break;
            }
        }
    }
    *len = b.len;
    return b.data;
}

static int dump_stream(int msgapp, uint64_t local, uint64_t remote,
                       const uint8_t *p, size_t n)
{
    struct rh_msg_decoder md;
    struct rh_msgappv2_decoder ad;
    rh_msg_decoder_init(&md, NULL, LIMIT);
    rh_msgappv2_decoder_init(&ad, NULL, local, remote, LIMIT);
    int rv = 0;
    while (n > 0 && rv == 0) {
        size_t used;
        struct rh_msg *msg;
        rv = msgapp ? rh_msgappv2_decoder_feed(&ad, p, n, &used, &msg)
                    : rh_msg_decoder_feed(&md, p, n, &used, &msg);
        p += used;
        n -= used;
        if (msg != NULL) {
            print_message(&msg->m);
            rh_msg_free(msg);
        }
    }
    int idle =
        msgapp ? rh_msgappv2_decoder_idle(&ad) : rh_msg_decoder_idle(&md);
    if (rv == 0 && !idle) {
        fprintf(stderr, "rafthttp-dump: input ends inside a record\n");
        rv = RAFTHTTP_EPROTO;
    }
    rh_msg_decoder_close(&md);
    rh_msgappv2_decoder_close(&ad);
    return rv;
}

static int dump_snapshot(const uint8_t *p, size_t n)
{
    struct rh_snap_head_decoder d;
    rh_snap_head_decoder_init(&d, NULL, LIMIT);
    size_t used;
    struct rh_msg *msg;
    int rv = rh_snap_head_decoder_feed(&d, p, n, &used, &msg);
    if (rv == 0 && msg == NULL) {
        rv = RAFTHTTP_EPROTO;
    }
    if (rv == 0) {
        print_message(&msg->m);
        printf("database: %zu bytes\n", n - used);
        rh_msg_free(msg);
    } else if (d.reason[0] != '\0') {
        fprintf(stderr, "rafthttp-dump: %s\n", d.reason);
    }
    rh_snap_head_decoder_close(&d);
    return rv;
}

static int dump_pipeline(const uint8_t *p, size_t n)
{
    struct rh_msg *msg;
    int rv = rh_raftpb_message_decode(NULL, p, n, &msg);
    if (rv == 0) {
        print_message(&msg->m);
        rh_msg_free(msg);
    }
    return rv;
}

/* A usage error: one line on stderr, status 2. */
static int usage_error(const char *arg, const char *why)
{
    cli_bad_arg(PROG, arg, NULL, why);
    return 2;
}

/* Decodes the whole of stdin as kind; returns the exit status. */
static int dump(const char *kind, int hex, uint64_t local, uint64_t remote)
{
    int msgapp = strcmp(kind, "msgapp") == 0;
    size_t n;
    uint8_t *in = read_input(hex, &n);
    int rv;
    if (msgapp || strcmp(kind, "message") == 0) {
        rv = dump_stream(msgapp, local, remote, in, n);
    } else if (strcmp(kind, "snapshot") == 0) {
        rv = dump_snapshot(in, n);
    } else {
        rv = dump_pipeline(in, n);
    }
    free(in);
    if (rv != 0) {
        fprintf(stderr, PROG ": %s\n", rafthttp_strerror(rv));
        return 1;
    }
    return 0;
}

static bool known_kind(const char *kind)
{
    static const char *const kinds[] = {"message", "msgapp", "pipeline",
                                        "snapshot"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kind, kinds[i]) == 0) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        cli_print_version(stdout, PROG);
        return 0;
    }
    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_print_lines(stdout, usage_text,
                        sizeof(usage_text) / sizeof(usage_text[0]));
        return 0;
    }
    int hex = argc > 1 && strcmp(argv[1], "--hex") == 0;
    argv += hex;
    argc -= hex;
    if (argc < 2) {
        return usage_error("message|msgapp|pipeline|snapshot", "missing");
    }
    if (!known_kind(argv[1])) {
        return usage_error(argv[1], "unknown kind of body");
    }
    uint64_t local = 0, remote = 0;
    int msgapp = strcmp(argv[1], "msgapp") == 0;
    if (argc != (msgapp ? 4 : 2)) {
        return usage_error(argv[1], msgapp ? "wants LOCAL REMOTE (hex IDs)"
                                           : "takes no further arguments");
    }
    if (msgapp && (cli_parse_id(PROG, "LOCAL", argv[2], &local) != 0 ||
                   cli_parse_id(PROG, "REMOTE", argv[3], &remote) != 0)) {
        return 2;
    }
    return dump(argv[1], hex, local, remote);
}
