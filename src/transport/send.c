/*
 * send(): etcd's choice of channel for each message, over byte budgets.
 *
 * Routing (etcd's peer.pick): MsgSnap and anything to a remote go by the
 * pipeline; MsgApp goes on the msgapp stream when it is attached, else on
 * the message stream; everything else on the message stream; with no
 * stream attached, the pipeline. To == 0 and unknown members are skipped.
 *
 * Failure modes, each counted by reason and message type:
 * 1. the peer's or the transport's byte budget is full, or the pipeline
 *    queue holds pipeline_queue_msgs: the message is dropped and the raft
 *    core hears report_unreachable (and report_snapshot FAILURE for
 *    MsgSnap), from a delivery thread, never from inside send();
 * 2. paused transport or cut peer: dropped silently, as etcd's test hooks;
 * 3. stopped: RAFTHTTP_ESTOPPED for the whole call.
 */
#include "transport.h"

size_t rh_send_room(const struct rafthttp_transport *t,
                    const struct rh_peer *p)
{
    size_t peer_room = t->cfg.peer_queue_bytes > p->queued_bytes
                           ? t->cfg.peer_queue_bytes - p->queued_bytes
                           : 0;
    size_t total_room = t->cfg.total_queue_bytes > t->queued_bytes
                            ? t->cfg.total_queue_bytes - t->queued_bytes
                            : 0;
    return peer_room < total_room ? peer_room : total_room;
}

void rh_account_queued(struct rafthttp_transport *t, struct rh_peer *p,
                       size_t added)
{
    p->queued_bytes += added;
    t->queued_bytes += added;
}

void rh_account_sent(struct rafthttp_transport *t, struct rh_peer *p,
                     size_t bytes)
{
    bytes = bytes < p->queued_bytes ? bytes : p->queued_bytes;
    p->queued_bytes -= bytes;
    t->queued_bytes -= bytes < t->queued_bytes ? bytes : t->queued_bytes;
}

void rh_drop(struct rafthttp_transport *t, struct rh_peer *p,
             int32_t msg_type, enum rafthttp_drop_reason why, bool report)
{
    t->stats.dropped[why]++;
    t->stats.dropped_by_type[msg_type >= 0 && msg_type < 19 ? msg_type
                                                            : 19]++;
    if (p == NULL) {
        return;
    }
    p->dropped_msgs++;
    p->metrics.sent_failures++;
    if (!report) {
        return;
    }
    if (msg_type == RAFTHTTP_MSG_SNAP) {
        rh_deliver_report(t, RH_EV_SNAPSHOT, p->id, RAFTHTTP_SNAPSHOT_FAILURE,
                          NULL);
    }
    if (!p->unreachable_pending) {
        p->unreachable_pending = true;
        rh_deliver_report(t, RH_EV_UNREACHABLE, p->id, 0, NULL);
    }
    rh_log(&t->log, RAFTHTTP_LOG_WARN, "dropped message to peer",
           "peer=%s type=%d reason=%d", p->id_str, (int)msg_type, (int)why);
}

/* The stream writer m should go to, or NULL for the pipeline. */
static struct rh_stream_writer *pick_writer(struct rh_peer *p,
                                            const struct rafthttp_message *m)
{
    if (p->remote || m->type == RAFTHTTP_MSG_SNAP) {
        return NULL;
    }
    struct rh_stream_writer *app = &p->writers[RH_STREAM_MSGAPPV2];
    struct rh_stream_writer *msg = &p->writers[RH_STREAM_MESSAGE];
    if (m->type == RAFTHTTP_MSG_APP && app->gen != 0) {
        return app;
    }
    return msg->gen != 0 ? msg : NULL;
}

static enum rafthttp_drop_reason reason_of(int rv)
{
    return rv == RAFTHTTP_EAGAIN ? RAFTHTTP_DROP_QUEUE_MSGS
                                 : RAFTHTTP_DROP_QUEUE_BYTES;
}

/*
 * Queues one message for p (t->mu held). *clock is when the previous
 * message was done (one clock read per message for the follower stats).
 */
static void send_one(struct rafthttp_transport *t, struct rh_peer *p,
                     const struct rafthttp_message *m, int64_t *clock)
{
    if (t->paused || p->cut) {
        rh_drop(t, p, m->type, RAFTHTTP_DROP_PAUSED, false);
        return;
    }
    struct rh_stream_writer *w = pick_writer(p, m);
    size_t room = rh_send_room(t, p);
    size_t added = 0;
    int rv;
    if (w != NULL) {
        rv = rh_stream_writer_push(w, t->alloc, m, room, &added);
        if (rv == 0 && m->type == RAFTHTTP_MSG_APP) {
            /* etcd's follower stats time the MsgApp encode. */
            int64_t now = rh_now_ns();
            rh_follower_succ(&p->metrics.follower,
                             (double)(now - *clock) / 1e6);
            *clock = now;
        }
    } else {
        rv = rh_pipeline_push(&p->pipeline, t->alloc, m,
                              t->cfg.pipeline_queue_msgs, room, &added);
    }
    if (rv != 0) {
        rh_drop(t, p, m->type, reason_of(rv), true);
        return;
    }
    rh_account_queued(t, p, added);
    p->sent_msgs++;
    t->stats.sent_msgs++;
    if (w == NULL || w->suspended) {
        rh_io_kick(t); /* a parked connection or a POST to start */
    }
}

int rafthttp_transport_send(struct rafthttp_transport *t,
                            const struct rafthttp_message *msgs, size_t n)
{
    if (t == NULL || t->magic != RH_TRANSPORT_MAGIC) {
        return RAFTHTTP_EINVAL;
    }
    pthread_mutex_lock(&t->mu);
    if (t->state != RH_STARTED) {
        pthread_mutex_unlock(&t->mu);
        return RAFTHTTP_ESTOPPED;
    }
    int64_t clock = rh_now_ns();
    for (size_t i = 0; i < n; i++) {
        const struct rafthttp_message *m = &msgs[i];
        struct rh_peer *p = m->to != 0 ? rh_find_peer(t, m->to) : NULL;
        if (p != NULL) {
            send_one(t, p, m, &clock);
        }
    }
    pthread_mutex_unlock(&t->mu);
    return 0;
}
