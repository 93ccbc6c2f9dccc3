// SPDX-License-Identifier: Apache-2.0
/*
 * Sending one message: etcd's choice of channel (peer.pick), over byte
 * budgets.
 *
 * Routing: MsgSnap and anything to a remote go by the pipeline; MsgApp
 * goes on the msgapp stream when it is attached, else on the message
 * stream; everything else on the message stream; with no stream attached,
 * the pipeline.
 *
 * Failure modes, each counted by reason and message type:
 * 1. the peer's or the transport's byte budget is full, or the pipeline
 *    queue holds pipeline_queue_msgs: the message is dropped and the raft
 *    core hears report_unreachable (and report_snapshot FAILURE for
 *    MsgSnap), from a delivery thread, never from inside send();
 * 2. paused transport or cut peer: dropped silently, as etcd's test hooks;
 * 3. a member that was never added (or was removed): skipped as etcd
 *    skips it, and counted (RAFTHTTP_DROP_UNKNOWN_PEER) and logged at
 *    debug level with etcd's text, merged like every repeated event.
 */
#include "peer.h"

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
    return rv == RAFTHTTP_EFULL ? RAFTHTTP_DROP_QUEUE_MSGS
                                : RAFTHTTP_DROP_QUEUE_BYTES;
}

void rh_peer_send_unknown(struct rh_peer_table *pt,
                          const struct rafthttp_message *m)
{
    RH_ASSERT_HELD(pt->mu);
    char to[RAFTHTTP_ID_STRLEN];
    const char *type = rh_msg_type_name(m->type);
    rh_peer_drop(pt, NULL, m->type, RAFTHTTP_DROP_UNKNOWN_PEER, false);
    rh_log(pt->log, RAFTHTTP_LOG_DEBUG,
           "ignored message send request; unknown remote peer target",
           RH_F("type", type != NULL ? type : "?"),
           RH_F("unknown-target-peer-id", rafthttp_id_format(m->to, to)));
}

bool rh_peer_send(struct rh_peer_table *pt, struct rh_peer *p,
                  const struct rafthttp_message *m, int64_t *clock_ns)
{
    RH_ASSERT_HELD(pt->mu);
    assert(!p->removed);
    if (pt->paused || p->cut) {
        rh_peer_drop(pt, p, m->type, RAFTHTTP_DROP_PAUSED, false);
        return false;
    }
    struct rh_stream_writer *w = pick_writer(p, m);
    size_t room = rh_peer_room(pt, p);
    size_t added = 0;
    int rv;
    if (w != NULL) {
        rv = rh_stream_writer_push(w, pt->alloc, m, room, &added);
        if (rv == 0 && m->type == RAFTHTTP_MSG_APP) {
            /* etcd's follower stats time the MsgApp encode. */
            int64_t now = rh_now_ns();
            rh_follower_succ(&p->metrics.follower,
                             (double)(now - *clock_ns) / 1e6);
            *clock_ns = now;
        }
    } else {
        rv = rh_pipeline_push(&p->pipeline, pt->alloc, m,
                              pt->cfg->pipeline_queue_msgs, room, &added);
    }
    if (rv != 0) {
        rh_peer_drop(pt, p, m->type, reason_of(rv), true);
        return false;
    }
    rh_peer_queued(pt, p, added);
    p->sent_msgs++;
    pt->stats.sent_msgs++;
    return w == NULL || w->suspended; /* a POST to start, or a parked one */
}
