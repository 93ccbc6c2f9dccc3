/*
 * rafthttp-dump: prints the raft messages in rafthttp wire bytes, one line
 * each, so that a captured stream or body can be read by a person.
 *
 * usage: rafthttp-dump message|msgapp|pipeline|snapshot [LOCAL REMOTE]
 *        (bytes on standard input; --hex reads hex text instead)
 *   message   a message-stream body (BE64 length + Message frames)
 *   msgapp    a msgappv2 stream body; LOCAL and REMOTE (hex IDs) are the
 *             reading and writing members, needed to rebuild compact records
 *   pipeline  a POST /raft body (one Message)
 *   snapshot  a POST /raft/snapshot body (head, then database bytes)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/pipeline.h"
#include "snapshot/snapshot.h"
#include "stream/stream.h"

#define LIMIT (512u * 1024 * 1024)

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

static int usage(void)
{
    fprintf(stderr, "usage: rafthttp-dump [--hex] "
                    "message|msgapp|pipeline|snapshot [LOCAL REMOTE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int hex = argc > 1 && strcmp(argv[1], "--hex") == 0;
    argv += hex;
    argc -= hex;
    if (argc < 2) {
        return usage();
    }
    uint64_t local = 0, remote = 0;
    int msgapp = strcmp(argv[1], "msgapp") == 0;
    if (msgapp && (argc != 4 || rafthttp_id_parse(argv[2], &local) != 0 ||
                   rafthttp_id_parse(argv[3], &remote) != 0)) {
        return usage();
    }
    size_t n;
    uint8_t *in = read_input(hex, &n);
    int rv;
    if (msgapp || strcmp(argv[1], "message") == 0) {
        rv = dump_stream(msgapp, local, remote, in, n);
    } else if (strcmp(argv[1], "snapshot") == 0) {
        rv = dump_snapshot(in, n);
    } else if (strcmp(argv[1], "pipeline") == 0) {
        rv = dump_pipeline(in, n);
    } else {
        free(in);
        return usage();
    }
    free(in);
    if (rv != 0) {
        fprintf(stderr, "rafthttp-dump: %s\n", rafthttp_strerror(rv));
        return 1;
    }
    return 0;
}
