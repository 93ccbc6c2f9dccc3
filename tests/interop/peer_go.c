// SPDX-License-Identifier: Apache-2.0
/*
 * The C side of interop scenario 4: a transport whose peer is etcd's own Go
 * rafthttp.Transport (gopeer). It sends the Go peer every raft message type
 * over the streams, a MsgSnap through the pipeline and a merged snapshot,
 * and checks what the Go peer sends back: content, order per type, the
 * pipeline MsgSnap and the snapshot's database on disk.
 *
 * usage: peer_go LOCAL_URL GO_URL SNAPDIR
 * C member ID 1, Go member ID 2, cluster 0x1000 (as gopeer). Exit 0 when
 * everything checked out; one line per finding otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rafthttp.h"

#define ROUNDS 50
static const int32_t sequence[] = {RAFTHTTP_MSG_PROP,
                                   RAFTHTTP_MSG_APP,
                                   RAFTHTTP_MSG_APP_RESP,
                                   RAFTHTTP_MSG_VOTE,
                                   RAFTHTTP_MSG_VOTE_RESP,
                                   RAFTHTTP_MSG_HEARTBEAT,
                                   RAFTHTTP_MSG_HEARTBEAT_RESP,
                                   RAFTHTTP_MSG_TRANSFER_LEADER,
                                   RAFTHTTP_MSG_TIMEOUT_NOW,
                                   RAFTHTTP_MSG_READ_INDEX,
                                   RAFTHTTP_MSG_READ_INDEX_RESP,
                                   RAFTHTTP_MSG_PRE_VOTE,
                                   RAFTHTTP_MSG_PRE_VOTE_RESP};
#define N_SEQ (sizeof(sequence) / sizeof(sequence[0]))
#define TOTAL (ROUNDS * (int)N_SEQ)

struct state {
    pthread_mutex_t mu;
    int got;          /* stream messages from the Go peer */
    int bad;          /* findings */
    int64_t last[20]; /* last index seen per type */
    int piped;        /* pipeline MsgSnap */
    int snaps;        /* merged snapshots */
    char snap_path[1200];
    uint64_t snap_index;
    int done; /* our snapshot's done() */
    int done_result;
};

static struct state st = {.mu = PTHREAD_MUTEX_INITIALIZER};
static uint8_t entry_data[300];
static char contexts[TOTAL][16];

static void finding(const char *what, long i)
{
    printf("peer_go: FAIL: %s (message %ld)\n", what, i);
    st.bad++;
}

/* Message i of the sequence from -> to, as gopeer builds it. */
static struct rafthttp_message message(int i, uint64_t from, uint64_t to,
                                       struct rafthttp_entry *e)
{
    int32_t t = sequence[i % (int)N_SEQ];
    struct rafthttp_message m = {.type = t,
                                 .from = from,
                                 .to = to,
                                 .term = 7,
                                 .log_term = 7,
                                 .index = (uint64_t)i,
                                 .commit = (uint64_t)i};
    if (t == RAFTHTTP_MSG_APP || t == RAFTHTTP_MSG_PROP) {
        memset(entry_data, i & 0xff, sizeof(entry_data));
        *e = (struct rafthttp_entry){.term = 7,
                                     .index = (uint64_t)i + 1,
                                     .data = {entry_data, (size_t)(i % 300)}};
        m.entries = e;
        m.n_entries = 1;
    }
    if (t == RAFTHTTP_MSG_HEARTBEAT || t == RAFTHTTP_MSG_READ_INDEX) {
        snprintf(contexts[i], sizeof(contexts[i]), "ctx-%d", i);
        m.context = (struct rafthttp_bytes){(const uint8_t *)contexts[i],
                                            strlen(contexts[i])};
    }
    return m;
}

static void check_one(const struct rafthttp_message *m)
{
    long i = (long)m->index;
    struct rafthttp_entry e;
    if (i < 0 || i >= TOTAL) {
        finding("index out of range", i);
        return;
    }
    struct rafthttp_message w = message((int)i, 2, 1, &e);
    if (m->type != w.type || m->from != 2 || m->to != 1 || m->term != 7 ||
        m->commit != w.commit || m->n_entries != w.n_entries ||
        m->context.len != w.context.len ||
        (w.context.len > 0 &&
         memcmp(m->context.base, w.context.base, w.context.len) != 0)) {
        finding("message differs", i);
        return;
    }
    for (size_t k = 0; k < m->n_entries; k++) {
        const struct rafthttp_bytes *d = &m->entries[k].data;
        for (size_t b = 0; b < d->len; b++) {
            if (d->base[b] != (uint8_t)(i & 0xff) ||
                d->len != (size_t)(i % 300)) {
                finding("entry data differs", i);
                return;
            }
        }
    }
    if (st.last[m->type] > i) {
        finding("out of order", i);
    }
    st.last[m->type] = i;
}

static int on_process(struct rafthttp_transport *t,
                      const struct rafthttp_message *m, void *ud)
{
    (void)t;
    (void)ud;
    pthread_mutex_lock(&st.mu);
    if (m->type == RAFTHTTP_MSG_SNAP && m->snapshot.metadata.index == 9999) {
        st.piped++; /* a MsgSnap through Send: the pipeline */
    } else {
        check_one(m);
        st.got++;
    }
    pthread_mutex_unlock(&st.mu);
    return 0;
}

static int on_snapshot(struct rafthttp_transport *t,
                       const struct rafthttp_message *m, const char *path,
                       void *ud)
{
    (void)t;
    (void)ud;
    pthread_mutex_lock(&st.mu);
    st.snaps++;
    st.snap_index = m->snapshot.metadata.index;
    snprintf(st.snap_path, sizeof(st.snap_path), "%s", path);
    if (m->snapshot.data.len != 11 ||
        memcmp(m->snapshot.data.base, "go-v2-store", 11) != 0) {
        finding("snapshot data differs", (long)st.snap_index);
    }
    pthread_mutex_unlock(&st.mu);
    return 0;
}

static const struct rafthttp_raft_ops ops = {.process = on_process,
                                             .process_snapshot = on_snapshot};

static uint64_t made;

static int64_t snap_read(uint8_t *buf, size_t len, void *ud)
{
    (void)ud;
    uint64_t left = (2u << 20) - made;
    size_t n = left < len ? (size_t)left : len;
    for (size_t i = 0; i < n; i++) {
        buf[i] = (uint8_t)((made + i) * 31 + 7);
    }
    made += n;
    return (int64_t)n;
}

static void snap_done(int result, void *ud)
{
    (void)ud;
    pthread_mutex_lock(&st.mu);
    st.done = 1;
    st.done_result = result;
    pthread_mutex_unlock(&st.mu);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Bounded wait until pred() holds (30 s). */
static int wait_for(int (*pred)(struct rafthttp_transport *),
                    struct rafthttp_transport *t)
{
    for (int i = 0; i < 3000; i++) {
        if (pred(t)) {
            return 1;
        }
        sleep_ms(10);
    }
    return 0;
}

static int streams_up(struct rafthttp_transport *t)
{
    struct rafthttp_peer_status s;
    return rafthttp_transport_peer_status(t, 2, &s) == 0 && s.active &&
           s.msgapp_writer && s.message_writer && s.msgapp_reader &&
           s.message_reader;
}

static int all_in(struct rafthttp_transport *t)
{
    (void)t;
    pthread_mutex_lock(&st.mu);
    int ok = st.got >= TOTAL && st.piped > 0 && st.snaps > 0 && st.done;
    pthread_mutex_unlock(&st.mu);
    return ok;
}

static void send_all(struct rafthttp_transport *t)
{
    for (int i = 0; i < TOTAL; i++) {
        struct rafthttp_entry e;
        struct rafthttp_message m = message(i, 1, 2, &e);
        rafthttp_transport_send(t, &m, 1);
    }
    struct rafthttp_message piped = {
        .type = RAFTHTTP_MSG_SNAP, .from = 1, .to = 2, .term = 7};
    piped.snapshot.metadata.index = 9999;
    rafthttp_transport_send(t, &piped, 1);
    static const uint64_t voters[] = {1, 2};
    struct rafthttp_message snap = {
        .type = RAFTHTTP_MSG_SNAP, .from = 1, .to = 2, .term = 7};
    snap.snapshot.data =
        (struct rafthttp_bytes){(const uint8_t *)"c-v2-store", 10};
    snap.snapshot.metadata.index = 777;
    snap.snapshot.metadata.term = 7;
    snap.snapshot.metadata.conf_state.voters = voters;
    snap.snapshot.metadata.conf_state.n_voters = 2;
    struct rafthttp_snapshot_source src = {
        .read = snap_read, .fd = -1, .size = 2u << 20, .done = snap_done};
    if (rafthttp_transport_send_snapshot(t, &snap, &src) != 0) {
        finding("send_snapshot refused", 777);
    }
}

/* The Go peer's database: 3 MiB of byte i = i*31+7. */
static void check_db(void)
{
    FILE *f = fopen(st.snap_path, "rb");
    long n = 0;
    int c;
    while (f != NULL && (c = fgetc(f)) != EOF) {
        if ((uint8_t)c != (uint8_t)(n * 31 + 7)) {
            finding("snapshot database differs", n);
            break;
        }
        n++;
    }
    if (f != NULL) {
        fclose(f);
    }
    if (n != 3L << 20 || st.snap_index != 4242) {
        finding("snapshot database size or index", n);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: peer_go LOCAL_URL GO_URL SNAPDIR\n");
        return 2;
    }
    const char *listen[] = {argv[1]};
    const char *go_url[] = {argv[2]};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 1;
    cfg.cluster_id = 0x1000;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.peer_urls = listen;
    cfg.n_peer_urls = 1;
    cfg.snapshot_dir = argv[3];
    cfg.raft_ops = &ops;
    cfg.log_level = RAFTHTTP_LOG_WARN;
    struct rafthttp_transport *t;
    if (rafthttp_transport_new(&t, &cfg) != 0 ||
        rafthttp_transport_start(t) != 0 ||
        rafthttp_transport_add_peer(t, 2, go_url, 1) != 0) {
        printf("peer_go: FAIL: cannot start\n");
        return 1;
    }
    if (!wait_for(streams_up, t)) {
        finding("the Go peer's streams never came up", 0);
    } else {
        send_all(t);
        if (!wait_for(all_in, t)) {
            finding("not everything arrived", st.got);
        }
        check_db();
        if (st.done_result != 0) {
            finding("the snapshot to the Go peer failed", st.done_result);
        }
    }
    sleep_ms(1000); /* the Go peer finishes its checks */
    rafthttp_transport_free(t);
    if (st.bad == 0) {
        printf("peer_go: %d messages, a pipeline MsgSnap and a snapshot "
               "from etcd's Go rafthttp: ok\n",
               TOTAL);
    }
    return st.bad == 0 ? 0 : 1;
}
