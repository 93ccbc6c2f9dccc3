// SPDX-License-Identifier: Apache-2.0
/*
 * The peer driver: what happens to a peer when something happens on the
 * network. The adapters in src/transport/ report events here, under the
 * transport lock; each event goes to the driver of the folder that owns
 * the behaviour (stream/, pipeline/, probing/, snapshot/), and what that
 * driver decides is applied to the peer: status (rh_peer_failed or
 * rh_peer_mark_active), budgets, metrics, reports to the raft core. What
 * needs the network goes back to the adapter: a todo from the tick, a
 * return value otherwise.
 *
 * Happy path of a stream we read: tick says dial; the client GETs; the
 * head of a 200 makes it up (active); body bytes decode into messages for
 * the peer's mailboxes; the end schedules the next dial. Of a stream we
 * write: the peer's GET attaches a response to the writer (active; our
 * idle readers dial at once, since the peer is evidently up); pulls drain
 * the queue; a replaced or closed response drops what it still held.
 *
 * Failure modes handled here, beyond the drivers' own: a removed peer or a
 * stopping transport ignores every failure (rh_peer_failed); a message
 * from a stream that finds its mailbox over the byte limit is dropped,
 * counted (RAFTHTTP_DROP_RECV_FULL) and logged; bytes still queued on a
 * writer whose connection ends are dropped and the peer reported
 * unreachable, as etcd does when a stream's buffer is discarded.
 */
#include <stdio.h>
#include <string.h>

#include "peer.h"

/* ------------------------------------------------------------- ticks */

/* etcd's prober and its monitor: probes, RTT, warnings. */
static int64_t tick_probe(struct rh_peer_table *pt, struct rh_peer *p,
                          int64_t now, struct rh_peer_todo *todo)
{
    struct rh_probe_status *st = &p->probe;
    int64_t due;
    int flags = rh_probe_tick(st, p->probing, now, &due);
    todo->probe = (flags & RH_PROBE_START) != 0;
    if (flags & RH_PROBE_OBSERVE_RTT) {
        rh_histogram_observe(&p->metrics.rtt, st->srtt_s);
    }
    if (flags & RH_PROBE_WARN_UNHEALTHY) {
        char rtt[32], loss[48];
        rh_log(pt->log, RAFTHTTP_LOG_WARN, "prober detected unhealthy status",
               RH_F("round-tripper-name", "ROUND_TRIPPER_RAFT_MESSAGE"),
               RH_F("remote-peer-id", p->id_str),
               RH_F("rtt", rh_fmt(rtt, sizeof(rtt), "%.6fs", st->srtt_s)),
               RH_F("loss", rh_fmt(loss, sizeof(loss), "%llu/%llu",
                                   (unsigned long long)st->loss,
                                   (unsigned long long)st->total)));
    }
    if (flags & RH_PROBE_WARN_DRIFT) {
        char drift[32], rtt[32];
        rh_log(pt->log, RAFTHTTP_LOG_WARN, "prober found high clock drift",
               RH_F("round-tripper-name", "ROUND_TRIPPER_RAFT_MESSAGE"),
               RH_F("remote-peer-id", p->id_str),
               RH_F("clock-drift",
                    rh_fmt(drift, sizeof(drift), "%.3fs", st->clock_diff_s)),
               RH_F("rtt", rh_fmt(rtt, sizeof(rtt), "%.6fs", st->srtt_s)));
    }
    return due;
}

static int64_t min_due(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t rh_peer_tick(struct rh_peer_table *pt, struct rh_peer *p,
                     int64_t now_ms, struct rh_peer_todo *todo)
{
    RH_ASSERT_HELD(pt->mu);
    *todo = (struct rh_peer_todo){0};
    if (p->remote) {
        return INT64_MAX; /* the pipeline only: nothing timed */
    }
    int64_t due = tick_probe(pt, p, now_ms, todo);
    for (int i = 0; i < RH_STREAM_TYPES; i++) {
        size_t added;
        int64_t at;
        due = min_due(due,
                      rh_stream_writer_tick(&p->writers[i], pt->alloc, pt->cfg,
                                            now_ms, &added, &todo->wake[i]));
        rh_peer_queued(pt, p, added);
        enum rh_reader_todo r =
            rh_stream_reader_tick(&p->readers[i], pt->cfg, now_ms, &at);
        todo->dial[i] = r == RH_READER_DIAL;
        todo->abort[i] = r == RH_READER_ABORT;
        due = min_due(due, at);
    }
    return due;
}

int64_t rh_peer_dial_failed(struct rh_peer_table *pt, struct rh_peer *p,
                            enum rh_stream_type type, int64_t now_ms)
{
    RH_ASSERT_HELD(pt->mu);
    return rh_stream_dial_failed(&p->readers[type], pt->cfg, &pt->rng, now_ms);
}

/* ------------------------------------------------- streams we read */

bool rh_peer_stream_head(struct rh_peer_table *pt, struct rh_peer *p,
                         enum rh_stream_type type, long status, bool version_ok,
                         int64_t now_ms)
{
    RH_ASSERT_HELD(pt->mu);
    if (p->removed) {
        return false;
    }
    if (!rh_stream_head(&p->readers[type], pt->alloc, pt->cfg, pt->local_id,
                        p->id, status, version_ok, now_ms)) {
        return false;
    }
    rh_log(pt->log, RAFTHTTP_LOG_INFO,
           "established TCP streaming connection with remote peer",
           RH_F("stream-reader-type", rh_stream_source(type)),
           RH_F("remote-peer-id", p->id_str));
    rh_peer_mark_active(pt, p, rh_stream_source(type));
    return true;
}

/* Hands one decoded message to the raft core's mailboxes. */
static void receive(struct rh_peer_table *pt, struct rh_peer *p,
                    struct rh_msg *msg)
{
    p->received_msgs++;
    pt->stats.received_msgs++;
    if (rh_is_link_heartbeat(&msg->m)) {
        rh_msg_free(msg);
        return;
    }
    int32_t type = msg->m.type;
    if (pt->paused || p->cut) {
        rh_peer_drop(pt, NULL, type, RAFTHTTP_DROP_PAUSED, false);
        rh_msg_free(msg);
        return;
    }
    size_t bytes = rh_raftpb_message_size(&msg->m);
    p->metrics.received_bytes += bytes;
    if (!rh_inbox_message(pt->inbox, &p->recvq, &p->propq, msg, bytes, NULL)) {
        rh_peer_drop(pt, NULL, type, RAFTHTTP_DROP_RECV_FULL, false);
        p->metrics.received_failures++;
        const char *name = rh_msg_type_name(type);
        rh_log(pt->log, RAFTHTTP_LOG_WARN,
               "dropped internal Raft message since receiving buffer is "
               "full (overloaded network)",
               RH_F("message-type", name != NULL ? name : "?"),
               RH_F("remote-peer-id", p->id_str),
               RH_F("remote-peer-active", p->active ? "true" : "false"));
    }
}

bool rh_peer_stream_bytes(struct rh_peer_table *pt, struct rh_peer *p,
                          enum rh_stream_type type, const uint8_t *data,
                          size_t n, int64_t now_ms)
{
    RH_ASSERT_HELD(pt->mu);
    struct rh_stream_reader *r = &p->readers[type];
    while (n > 0 && !p->removed) {
        size_t used;
        struct rh_msg *msg;
        int rv = rh_stream_feed(r, data, n, now_ms, &used, &msg);
        if (rv != 0) {
            rh_log(pt->log, RAFTHTTP_LOG_WARN,
                   "closing stream: malformed data from peer",
                   RH_F("remote-peer-id", p->id_str),
                   RH_F("stream-reader-type", rh_stream_source(type)),
                   RH_F("error", rafthttp_strerror(rv)));
            return false;
        }
        data += used;
        n -= used;
        if (msg != NULL) {
            receive(pt, p, msg);
        }
    }
    return true;
}

void rh_peer_stream_ended(struct rh_peer_table *pt, struct rh_peer *p,
                          enum rh_stream_type type,
                          const struct rh_stream_end *end, const char *url,
                          int64_t now_ms)
{
    RH_ASSERT_HELD(pt->mu);
    struct rh_stream_failure f;
    rh_stream_ended(&p->readers[type], pt->cfg, &pt->rng, end, now_ms, &f);
    if (p->removed || !pt->open) {
        return;
    }
    /* Never silent; the merging logger bounds the rate. */
    rh_log(pt->log, RAFTHTTP_LOG_WARN,
           f.was_up ? "lost TCP streaming connection with remote peer"
                    : "failed to dial stream",
           RH_F("remote-peer-id", p->id_str),
           RH_F("stream-reader-type", rh_stream_source(type)),
           RH_F("error", f.why));
    struct rh_failure failure = {
        .source = rh_stream_source(type),
        .why = f.why,
        .url = f.move_url ? url : NULL,
        .removed = f.removed,
    };
    rh_peer_failed(pt, p, &failure);
}

/* ------------------------------------------------ streams we write */

struct rh_peer *rh_peer_stream_sender(struct rh_peer_table *pt, uint64_t from,
                                      struct rh_verdict *v)
{
    RH_ASSERT_HELD(pt->mu);
    if (!pt->open) {
        rh_refuse(v, 503, "transport stopped");
        return NULL;
    }
    struct rh_peer *p = rh_peer_find(pt, from);
    if (p == NULL || p->remote) {
        rh_refuse(v, 404, "error sender not found");
        return NULL;
    }
    return p;
}

struct rh_stream_resp *rh_peer_writer_attach(struct rh_peer_table *pt,
                                             struct rh_peer *p,
                                             enum rh_stream_type type,
                                             struct rh_stream_resp *resp,
                                             uint64_t *gen, int64_t now_ms)
{
    RH_ASSERT_HELD(pt->mu);
    struct rh_stream_writer *w = &p->writers[type];
    struct rh_stream_resp *old = w->conn;
    *gen = pt->next_gen++;
    size_t dropped = rh_stream_writer_attach(w, resp, *gen, now_ms);
    rh_peer_sent(pt, p, dropped);
    if (dropped > 0) {
        rh_peer_drop(pt, p, RAFTHTTP_MSG_APP, RAFTHTTP_DROP_NO_CONNECTION,
                     true);
    }
    /* Bytes at once, so the answer's head goes out now. */
    rh_peer_queued(pt, p, rh_stream_writer_heartbeat(w, pt->alloc));
    rh_log(pt->log, RAFTHTTP_LOG_INFO,
           "established TCP streaming connection with remote peer",
           RH_F("stream-writer-type", rh_stream_source(type)),
           RH_F("remote-peer-id", p->id_str));
    rh_peer_mark_active(pt, p, rh_stream_source(type));
    for (int i = 0; i < RH_STREAM_TYPES; i++) {
        rh_stream_peer_alive(&p->readers[i], pt->cfg, now_ms);
    }
    return old;
}

size_t rh_peer_writer_pull(struct rh_peer_table *pt, struct rh_peer *p,
                           enum rh_stream_type type, uint64_t gen, uint8_t *buf,
                           size_t max, int64_t now_ms, bool *end)
{
    RH_ASSERT_HELD(pt->mu);
    struct rh_stream_writer *w = &p->writers[type];
    *end = p->removed || w->gen != gen || !pt->open;
    if (*end) {
        return 0;
    }
    size_t n = rh_stream_writer_pull(w, buf, max, now_ms);
    rh_peer_sent(pt, p, n);
    p->metrics.sent_bytes += n;
    return n;
}

void rh_peer_writer_gone(struct rh_peer_table *pt, struct rh_peer *p,
                         enum rh_stream_type type, uint64_t gen)
{
    RH_ASSERT_HELD(pt->mu);
    struct rh_stream_writer *w = &p->writers[type];
    if (w->gen != gen) {
        return; /* replaced: the new connection owns the writer */
    }
    size_t dropped = rh_stream_writer_detach(w);
    rh_peer_sent(pt, p, dropped);
    if (p->removed || !pt->open) {
        return;
    }
    rh_log(pt->log, RAFTHTTP_LOG_WARN,
           "lost TCP streaming connection with remote peer",
           RH_F("stream-writer-type", rh_stream_source(type)),
           RH_F("remote-peer-id", p->id_str),
           RH_F("error", "stream connection closed"));
    struct rh_failure f = {.source = rh_stream_source(type),
                           .why = "stream connection closed"};
    rh_peer_failed(pt, p, &f);
    if (dropped > 0) {
        rh_peer_drop(pt, p, RAFTHTTP_MSG_APP, RAFTHTTP_DROP_NO_CONNECTION,
                     true);
    }
}

/* ------------------------------------------------------------ POSTs */

struct rh_pipe_job *rh_peer_next_post(struct rh_peer_table *pt,
                                      struct rh_peer *p)
{
    RH_ASSERT_HELD(pt->mu);
    return rh_pipeline_take(&p->pipeline, pt->cfg->pipeline_conns);
}

void rh_peer_post_failed(struct rh_peer_table *pt, struct rh_peer *p,
                         struct rh_pipe_job *job)
{
    RH_ASSERT_HELD(pt->mu);
    int32_t type = job->type;
    rh_peer_sent(pt, p, rh_pipeline_done(&p->pipeline, pt->alloc, job));
    rh_peer_drop(pt, p, type, RAFTHTTP_DROP_NO_CONNECTION, true);
}

void rh_peer_post_ended(struct rh_peer_table *pt, struct rh_peer *p,
                        struct rh_pipe_job *job, const struct rh_post_end *end,
                        const char *url, double secs)
{
    RH_ASSERT_HELD(pt->mu);
    int32_t type = job->type;
    size_t len = rh_pipeline_done(&p->pipeline, pt->alloc, job);
    rh_peer_sent(pt, p, len);
    if (p->removed || !pt->open) {
        return; /* dropped with the peer or the transport */
    }
    bool app = type == RAFTHTTP_MSG_APP;
    struct rh_post_outcome o;
    rh_pipeline_outcome(end, &o);
    if (o.delivered) {
        p->metrics.sent_bytes += len;
        if (app) {
            rh_follower_succ(&p->metrics.follower, secs * 1000.0);
        }
        rh_peer_mark_active(pt, p, "pipeline");
        if (type == RAFTHTTP_MSG_SNAP) {
            rh_inbox_report(pt->inbox, RH_EV_SNAPSHOT, p->id,
                            RAFTHTTP_SNAPSHOT_FINISH, NULL);
        }
        return;
    }
    if (app) {
        rh_follower_fail(&p->metrics.follower);
    }
    struct rh_failure f = {
        .source = "pipeline", .why = o.why, .url = url, .removed = o.removed};
    rh_peer_failed(pt, p, &f);
    rh_peer_drop(pt, p, type, RAFTHTTP_DROP_NO_CONNECTION, true);
}

bool rh_peer_receive_post(struct rh_peer_table *pt, struct rh_msg *msg,
                          size_t bytes, struct rh_reply *reply,
                          struct rh_verdict *v)
{
    RH_ASSERT_HELD(pt->mu);
    struct rh_inbox *in = pt->inbox;
    struct rh_peer *from = rh_peer_find(pt, msg->m.from);
    int32_t type = msg->m.type;
    if (!pt->open) {
        rh_msg_free(msg);
        return rh_pipeline_refuse(RAFTHTTP_EFULL, v);
    }
    if (pt->paused) {
        rh_msg_free(msg); /* dropped silently, as etcd's test hook */
        rh_pipeline_answer(0, v);
        return false;
    }
    if (!rh_inbox_message(in, &in->pipe_recv, &in->pipe_prop, msg, bytes,
                          reply)) {
        rh_peer_drop(pt, NULL, type, RAFTHTTP_DROP_RECV_FULL, false);
        return rh_pipeline_refuse(RAFTHTTP_EFULL, v);
    }
    pt->stats.received_msgs++;
    pt->stats.received_pipeline++;
    if (from != NULL) {
        from->metrics.received_bytes += bytes;
    }
    return true;
}

/* ------------------------------------------------------------ probes */

void rh_peer_probe_ended(struct rh_peer_table *pt, struct rh_peer *p,
                         const struct rh_probe_end *end)
{
    RH_ASSERT_HELD(pt->mu);
    p->probing = false;
    if (!rh_probe_answered(&p->probe, end, p->picker.n) || p->remote) {
        return;
    }
    int64_t now = rh_now_ms();
    for (int i = 0; i < RH_STREAM_TYPES; i++) { /* it answers: dial now */
        rh_stream_peer_alive(&p->readers[i], pt->cfg, now);
    }
}

/* --------------------------------------------------------- snapshots */

int rh_peer_snapshot_begin(struct rh_peer_table *pt, struct rh_peer *p,
                           struct rh_snap_upload *u,
                           struct rh_snap_ticket *ticket)
{
    RH_ASSERT_HELD(pt->mu);
    if (p->snap != NULL) {
        return RAFTHTTP_EBUSY;
    }
    ticket->report = rh_inbox_event(pt->inbox);
    ticket->done = rh_inbox_event(pt->inbox);
    if (ticket->report == NULL || ticket->done == NULL) {
        rh_free(pt->alloc, ticket->report);
        rh_free(pt->alloc, ticket->done);
        return RAFTHTTP_ENOMEM;
    }
    ticket->report->kind = RH_EV_SNAPSHOT;
    ticket->report->id = p->id;
    ticket->done->kind = RH_EV_SNAP_DONE;
    ticket->done->done = u->src.done;
    ticket->done->done_ud = u->src.user_data;
    p->snap = u;
    p->metrics.snap_send_inflight++;
    rh_peer_ref(p);
    char bytes[24];
    rh_log(pt->log, RAFTHTTP_LOG_INFO, "sending database snapshot",
           RH_F("remote-peer-id", p->id_str),
           RH_F("bytes", rh_fmt(bytes, sizeof(bytes), "%llu",
                                (unsigned long long)u->src.size)));
    return 0;
}

void rh_peer_snapshot_abandon(struct rh_peer_table *pt, struct rh_peer *p,
                              struct rh_snap_upload *u,
                              struct rh_snap_ticket *ticket)
{
    RH_ASSERT_HELD(pt->mu);
    (void)u; /* only for the assertion */
    assert(p->snap == u);
    p->snap = NULL;
    p->metrics.snap_send_inflight--;
    rh_free(pt->alloc, ticket->report);
    rh_free(pt->alloc, ticket->done);
    *ticket = (struct rh_snap_ticket){NULL, NULL};
    rh_peer_unref(pt, p);
}

/* Counts the outcome in etcd's snapshot metrics. */
static void count_sent(struct rh_peer *p, const struct rh_snap_upload *u,
                       int result)
{
    struct rh_peer_metrics *m = &p->metrics;
    m->snap_send_inflight--;
    if (result != 0) {
        m->snap_send_failures++;
        m->sent_failures++;
        return;
    }
    m->snap_send_success++;
    m->sent_bytes += u->head.len + u->src.size;
    rh_histogram_observe(&m->snap_send_s,
                         (double)(rh_now_ms() - u->started_ms) / 1000.0);
}

void rh_peer_snapshot_end(struct rh_peer_table *pt, struct rh_peer *p,
                          struct rh_snap_upload *u,
                          struct rh_snap_ticket *ticket, int result,
                          const char *why, long status, const char *url)
{
    RH_ASSERT_HELD(pt->mu);
    assert(p->snap == u && ticket->report != NULL && ticket->done != NULL);
    p->snap = NULL;
    count_sent(p, u, result);
    ticket->report->status =
        result == 0 ? RAFTHTTP_SNAPSHOT_FINISH : RAFTHTTP_SNAPSHOT_FAILURE;
    rh_inbox_post(pt->inbox, &pt->inbox->control, ticket->report);
    if (result == 0) {
        rh_peer_mark_active(pt, p, "sendMsgSnap");
        char bytes[24];
        rh_log(pt->log, RAFTHTTP_LOG_INFO, "sent database snapshot",
               RH_F("remote-peer-id", p->id_str),
               RH_F("bytes", rh_fmt(bytes, sizeof(bytes), "%llu",
                                    (unsigned long long)u->src.size)));
    } else {
        char text[200];
        snprintf(text, sizeof(text), "snapshot: %s (status %ld)",
                 why != NULL ? why : rafthttp_strerror(result), status);
        text[strcspn(text, "\n")] = '\0';
        rh_log(pt->log, RAFTHTTP_LOG_WARN, "failed to send database snapshot",
               RH_F("remote-peer-id", p->id_str), RH_F("error", text));
        struct rh_failure f = {.source = "sendMsgSnap",
                               .why = text,
                               .url = url,
                               .removed = status == 403,
                               .unreachable = true};
        rh_peer_failed(pt, p, &f);
    }
    ticket->done->status = result;
    rh_inbox_post(pt->inbox, &pt->inbox->control, ticket->done);
    *ticket = (struct rh_snap_ticket){NULL, NULL};
    rh_peer_unref(pt, p);
}

void rh_peer_snapshot_receiving(struct rh_peer_table *pt, uint64_t from)
{
    struct rh_peer *p = rh_peer_find(pt, from);
    if (p != NULL) {
        p->metrics.snap_recv_inflight++;
    }
}

void rh_peer_snapshot_received(struct rh_peer_table *pt, uint64_t from, bool ok,
                               uint64_t bytes, double secs)
{
    struct rh_peer *p = rh_peer_find(pt, from);
    if (p == NULL) {
        return;
    }
    struct rh_peer_metrics *m = &p->metrics;
    m->snap_recv_inflight--;
    if (!ok) {
        m->snap_recv_failures++;
        return;
    }
    m->snap_recv_success++;
    m->received_bytes += bytes;
    rh_histogram_observe(&m->snap_recv_s, secs);
}
