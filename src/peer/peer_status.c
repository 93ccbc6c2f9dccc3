// SPDX-License-Identifier: Apache-2.0
/*
 * Peer status, as etcd's peerStatus: active since a time, or inactive with
 * the reason ("stream Message: dial: Couldn't connect to server"). The
 * change is logged once each way, as etcd logs it, and counted in the
 * disconnect metric.
 *
 * rh_peer_failed is the only way a peer fails, whatever failed: our dial
 * or stream read, a POST, a snapshot upload, or the peer's own stream to
 * us. It marks the peer inactive, moves the URL picker on from a URL that
 * did not work (etcd's urlPicker.unreachable), raises the critical error
 * when the peer says we were removed (403 to a POST or a snapshot, 410 to
 * a stream dial), and reports the peer unreachable when asked.
 */
#include <stdio.h>
#include <string.h>

#include "../common/common.h"
#include "peer.h"

static const char removed_detail[] =
    "the member has been permanently removed from the cluster";

void rh_peer_mark_active(struct rh_peer_table *pt, struct rh_peer *p,
                         const char *source)
{
    RH_ASSERT_HELD(pt->mu);
    if (p->active) {
        return;
    }
    p->active = true;
    p->active_since_ms = rh_wall_ms();
    p->reason[0] = '\0';
    p->metrics.active = true;
    rh_inbox_peer_status(pt->inbox, p->id, true, "");
    rh_log(pt->log, RAFTHTTP_LOG_INFO, "peer became active",
           RH_F("peer-id", p->id_str), RH_F("source", source));
}

static void mark_inactive(struct rh_peer_table *pt, struct rh_peer *p,
                          const char *source, const char *reason)
{
    snprintf(p->reason, sizeof(p->reason), "%s: %s", source, reason);
    if (!p->active) {
        return;
    }
    p->active = false;
    p->active_since_ms = 0;
    p->metrics.active = false;
    p->metrics.disconnects++;
    rh_inbox_peer_status(pt->inbox, p->id, false, p->reason);
    rh_log(pt->log, RAFTHTTP_LOG_WARN,
           "peer became inactive (message send to peer failed)",
           RH_F("peer-id", p->id_str), RH_F("source", source),
           RH_F("error", reason));
}

void rh_peer_failed(struct rh_peer_table *pt, struct rh_peer *p,
                    const struct rh_failure *f)
{
    RH_ASSERT_HELD(pt->mu);
    if (p->removed || !pt->open) {
        return; /* going anyway: nothing to tell */
    }
    if (f->removed) {
        rh_inbox_report(pt->inbox, RH_EV_CRITICAL, p->id, RAFTHTTP_EREMOVED,
                        removed_detail);
    }
    if (f->url != NULL) {
        rh_urlpick_unreachable(&p->picker, f->url);
    }
    mark_inactive(pt, p, f->source, f->why);
    if (f->unreachable && !p->unreachable_pending) {
        p->unreachable_pending = true;
        rh_inbox_report(pt->inbox, RH_EV_UNREACHABLE, p->id, 0, NULL);
    }
}

void rh_peer_fill_status(const struct rh_peer *p,
                         struct rafthttp_peer_status *st)
{
    const struct rh_stream_writer *w = p->writers;
    const struct rh_stream_reader *r = p->readers;
    memset(st, 0, sizeof(*st));
    st->active = p->active;
    st->active_since_ms = p->active_since_ms;
    snprintf(st->reason, sizeof(st->reason), "%s", p->reason);
    st->msgapp_writer = w[RH_STREAM_MSGAPPV2].gen != 0;
    st->message_writer = w[RH_STREAM_MESSAGE].gen != 0;
    st->msgapp_reader = r[RH_STREAM_MSGAPPV2].state == RH_READER_UP;
    st->message_reader = r[RH_STREAM_MESSAGE].state == RH_READER_UP;
    st->queued_bytes = p->queued_bytes;
    st->sent_msgs = p->sent_msgs;
    st->received_msgs = p->received_msgs;
    st->dropped_msgs = p->dropped_msgs;
    st->msgapp_queued_bytes = rh_stream_writer_queued(&w[RH_STREAM_MSGAPPV2]);
    st->message_queued_bytes = rh_stream_writer_queued(&w[RH_STREAM_MESSAGE]);
    st->pipeline_queued = p->pipeline.queued;
    st->probe_healthy = p->probe.healthy;
    st->rtt_s = p->probe.srtt_s;
    st->clock_diff_s = p->probe.clock_diff_s;
    st->probes = p->probe.total;
    st->probe_failures = p->probe.loss;
}

void rh_peer_fill_metrics(const struct rh_peer *p, struct rh_peer_metrics *m)
{
    *m = p->metrics;
    m->active = p->active;
    m->queued_bytes = p->queued_bytes;
    m->queued_msgs = p->pipeline.queued;
    m->dropped = p->dropped_msgs;
    m->msgapp_queued = rh_stream_writer_queued(&p->writers[RH_STREAM_MSGAPPV2]);
    m->message_queued = rh_stream_writer_queued(&p->writers[RH_STREAM_MESSAGE]);
}
