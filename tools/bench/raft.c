// SPDX-License-Identifier: Apache-2.0
/*
 * The raft cores beneath the two members, as the spec has them answer.
 *
 * Receiver (member 2): every MsgApp is checked (its index is the number
 * of MsgApp delivered before it, or, through the pipeline, whose POSTs
 * may overtake each other, an index not seen before; one entry of --size
 * bytes whose index follows the message's); in one process it counts
 * towards the sender's window directly, in two processes it is answered
 * with MsgAppResp{Index: MsgApp delivered so far}, which is the spec's
 * m.Index+1 whenever nothing was lost or reordered. Every MsgHeartbeat is
 * answered with a MsgHeartbeatResp carrying the same context. A snapshot
 * is checked (size, and in one process a few bytes of content) and its
 * file removed.
 *
 * Sender (member 1): MsgAppResp moves the window in two processes;
 * MsgHeartbeatResp ends the round trip in flight; report_unreachable
 * wakes the MsgApp sender to count drops.
 *
 * All of it runs on the transports' delivery threads under r->mu, and
 * sends the answers after releasing it.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "run.h"

/* Mismatches printed to stderr; the rest are only counted. */
#define MAX_BAD_PRINTED 5

static uint64_t be64_read(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void print_bad_msgapp(const struct msgapp_check *c,
                             const struct rafthttp_message *m)
{
    size_t len = m->n_entries > 0 ? m->entries[0].data.len : 0;
    fprintf(stderr,
            PROG ": bad MsgApp #%" PRIu64 ": index %" PRIu64 " (want %s%" PRIu64
                 "), %zu entries, entry of %zu bytes "
                 "(want 1 of %" PRIu64 ")\n",
            c->delivered, m->index, c->any_order ? "unseen, < " : "",
            c->any_order ? c->count : c->delivered, m->n_entries, len, c->size);
}

/* Pipeline: true the first time index shows up (and it is in range). */
static bool first_sight(struct msgapp_check *c, uint64_t index)
{
    if (index >= c->count) {
        return false;
    }
    uint8_t bit = (uint8_t)(1u << (index % 8));
    bool seen = (c->seen[index / 8] & bit) != 0;
    c->seen[index / 8] |= bit;
    return !seen;
}

/* Checks and counts one MsgApp; true if it is the one the sender sent. */
static bool check_msgapp(struct msgapp_check *c,
                         const struct rafthttp_message *m)
{
    bool ok = m->n_entries == 1 && m->entries[0].data.len == c->size &&
              m->entries[0].index == m->index + 1;
    if (c->any_order) {
        ok = first_sight(c, m->index) && ok;
    } else {
        ok = ok && m->index == c->delivered;
    }
    if (!ok && c->bad++ < MAX_BAD_PRINTED) {
        print_bad_msgapp(c, m);
    }
    double now = bench_now_s();
    if (c->first_s == 0) {
        c->first_s = now;
    }
    c->last_s = now;
    c->delivered++;
    return ok;
}

/* One process: the MsgApp counts towards the window at once. */
static void flow_delivered(struct bench_run *r, uint64_t index, bool ok)
{
    struct msgapp_flow *f = &r->flow;
    if (ok) {
        bench_latency_add(&f->lat,
                          bench_now_ns() - f->sent_ns[index % f->window]);
    }
    f->done++;
    f->last_move_s = bench_now_s();
    if (f->waiting) {
        pthread_cond_signal(&r->flow_cv);
    }
}

/* Two processes: a cumulative ack moves the window. */
static void flow_acked(struct bench_run *r, uint64_t upto)
{
    struct msgapp_flow *f = &r->flow;
    upto = upto < f->sent ? upto : f->sent;
    if (upto <= f->done) {
        return;
    }
    uint64_t now = bench_now_ns();
    for (uint64_t j = f->done; j < upto; j++) {
        bench_latency_add(&f->lat, now - f->sent_ns[j % f->window]);
    }
    f->done = upto;
    f->last_move_s = bench_now_s();
    if (f->waiting) {
        pthread_cond_signal(&r->flow_cv);
    }
}

static void receive_msgapp(struct bench_run *r, struct rafthttp_transport *t,
                           const struct rafthttp_message *m)
{
    pthread_mutex_lock(&r->mu);
    bool ok = check_msgapp(&r->check, m);
    uint64_t delivered = r->check.delivered;
    if (r->role == ROLE_BOTH) {
        flow_delivered(r, m->index, ok);
    } else if (delivered == r->check.count) {
        pthread_cond_signal(&r->done_cv);
    }
    pthread_mutex_unlock(&r->mu);
    if (r->role == ROLE_RECV) {
        struct rafthttp_message resp = {.type = RAFTHTTP_MSG_APP_RESP,
                                        .from = r->recv_id,
                                        .to = m->from,
                                        .term = 1,
                                        .index = delivered};
        rafthttp_transport_send(t, &resp, 1);
    }
}

static void receive_heartbeat(struct bench_run *r, struct rafthttp_transport *t,
                              const struct rafthttp_message *m)
{
    struct rafthttp_message resp = {.type = RAFTHTTP_MSG_HEARTBEAT_RESP,
                                    .from = r->recv_id,
                                    .to = m->from,
                                    .term = 1,
                                    .context = m->context};
    rafthttp_transport_send(t, &resp, 1);
    if (m->context.len != 8) {
        return; /* gobench's "probe" before a run: answered, not counted */
    }
    pthread_mutex_lock(&r->mu);
    struct rtt_state *s = &r->rtt;
    s->last_s = bench_now_s();
    /* The receiver's rate counts the measured round trips only. */
    if (++s->answered_count == BENCH_RTT_WARMUP + 1) {
        s->first_s = s->last_s;
    }
    if (s->answered_count == r->count + BENCH_RTT_WARMUP) {
        pthread_cond_signal(&r->done_cv);
    }
    pthread_mutex_unlock(&r->mu);
}

static int receiver_process(struct rafthttp_transport *t,
                            const struct rafthttp_message *m, void *ud)
{
    struct bench_run *r = ud;
    if (m->type == RAFTHTTP_MSG_APP) {
        receive_msgapp(r, t, m);
    } else if (m->type == RAFTHTTP_MSG_HEARTBEAT) {
        receive_heartbeat(r, t, m);
    }
    return 0;
}

/*
 * The size is right and, when we made the content (in one process: the
 * spec leaves another sender's bytes open), the first, middle and last
 * bytes are.
 */
static bool snapshot_file_ok(const char *path, uint64_t size, bool content)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    bool ok = fd >= 0 && fstat(fd, &st) == 0 && (uint64_t)st.st_size == size;
    uint64_t probes[] = {0, size / 2, size - 1};
    for (size_t i = 0; ok && content && i < 3; i++) {
        uint8_t b;
        ok = pread(fd, &b, 1, (off_t)probes[i]) == 1 &&
             b == bench_snapshot_byte(probes[i]);
    }
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static int receiver_snapshot(struct rafthttp_transport *t,
                             const struct rafthttp_message *m,
                             const char *db_path, void *ud)
{
    (void)t;
    struct bench_run *r = ud;
    bool ok = m->type == RAFTHTTP_MSG_SNAP &&
              snapshot_file_ok(db_path, r->snap.size, r->role == ROLE_BOTH);
    if (!ok) {
        fprintf(stderr,
                PROG ": bad snapshot: %s is not the %" PRIu64 " bytes sent\n",
                db_path, r->snap.size);
    }
    /* The database is only measured, never used: free the disk now. */
    unlink(db_path);
    if (atomic_load(&r->measuring)) {
        bench_cpu_sample(&r->cpu); /* before the writer thread ends */
    }
    pthread_mutex_lock(&r->mu);
    r->snap.bad += ok ? 0 : 1;
    r->snap.received = true;
    r->snap.received_s = bench_now_s();
    pthread_cond_broadcast(&r->done_cv);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

static void sender_heartbeat_resp(struct bench_run *r,
                                  const struct rafthttp_message *m)
{
    uint64_t now = bench_now_ns();
    pthread_mutex_lock(&r->mu);
    bool match =
        m->context.len == 8 && be64_read(m->context.base) == r->rtt.seq;
    if (!match && r->rtt.bad++ < MAX_BAD_PRINTED) {
        fprintf(stderr,
                PROG ": bad MsgHeartbeatResp: context of %zu bytes is not "
                     "sequence number %" PRIu64 "\n",
                m->context.len, r->rtt.seq);
    }
    r->rtt.answered = true;
    r->rtt.answer_ns = now;
    pthread_cond_signal(&r->rtt_cv);
    pthread_mutex_unlock(&r->mu);
}

static int sender_process(struct rafthttp_transport *t,
                          const struct rafthttp_message *m, void *ud)
{
    (void)t;
    struct bench_run *r = ud;
    if (m->type == RAFTHTTP_MSG_APP_RESP) {
        pthread_mutex_lock(&r->mu);
        flow_acked(r, m->index);
        pthread_mutex_unlock(&r->mu);
    } else if (m->type == RAFTHTTP_MSG_HEARTBEAT_RESP) {
        sender_heartbeat_resp(r, m);
    }
    return 0;
}

static void sender_unreachable(struct rafthttp_transport *t, uint64_t id,
                               void *ud)
{
    (void)t;
    (void)id;
    struct bench_run *r = ud;
    pthread_mutex_lock(&r->mu);
    r->flow.unreachable = true;
    pthread_cond_signal(&r->flow_cv);
    pthread_mutex_unlock(&r->mu);
}

const struct rafthttp_raft_ops bench_raft_sender_ops = {
    .process = sender_process,
    .report_unreachable = sender_unreachable,
};

const struct rafthttp_raft_ops bench_raft_receiver_ops = {
    .process = receiver_process,
    .process_snapshot = receiver_snapshot,
};
