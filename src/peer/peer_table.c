// SPDX-License-Identifier: Apache-2.0
/*
 * The peer table: the peers and remotes a transport knows, the ones
 * removed and not yet closed, the byte budgets every send is held to, and
 * the drop counts (by reason and by message type) that make "no silent
 * loss" checkable.
 *
 * Removal: remove unlinks a peer at once (sends to it are skipped, its
 * mailboxes are cleared, its snapshot is cancelled) and puts it on the
 * removed list; the I/O thread closes its connections on its next turn
 * (rh_peer_next_removed), then rh_peer_release_removed drops the table's
 * reference. Connections and transfers hold their own references, so the
 * memory goes when the last of them ends.
 *
 * Budgets (rh_peer_room and friends, inline in peer.h): a peer's queues
 * (streams and pipeline) may hold at most peer_queue_bytes, all peers
 * together total_queue_bytes.
 */
#include "peer.h"

void rh_peer_table_init(struct rh_peer_table *pt,
                        const struct rafthttp_allocator *a,
                        const struct rafthttp_config *cfg,
                        struct rh_logger *log, struct rh_mutex *mu,
                        struct rh_inbox *in)
{
    *pt = (struct rh_peer_table){0};
    pt->alloc = a;
    pt->cfg = cfg;
    pt->log = log;
    pt->mu = mu;
    pt->inbox = in;
    pt->local_id = cfg->local_id;
    pt->rng = (uint64_t)rh_now_ms() ^ (cfg->local_id * 0x9e3779b97f4a7c15u);
    pt->next_gen = 1;
}

/* Unlinks and releases every peer of a list. */
static void clear_list(struct rh_peer_table *pt, struct rh_peer *list)
{
    while (list != NULL) {
        struct rh_peer *p = list;
        list = p->next;
        p->removed = true;
        rh_mailbox_clear(pt->inbox, &p->recvq);
        rh_mailbox_clear(pt->inbox, &p->propq);
        rh_peer_unref(pt, p);
    }
}

void rh_peer_table_clear(struct rh_peer_table *pt)
{
    RH_ASSERT_HELD(pt->mu);
    assert(!pt->open);
    struct rh_peer *peers = pt->list;
    struct rh_peer *removed = pt->removed;
    pt->list = NULL;
    pt->removed = NULL;
    clear_list(pt, peers);
    clear_list(pt, removed);
}

/* Cancels the snapshots of a list's peers. */
static void cancel_snapshots(struct rh_peer *list)
{
    for (struct rh_peer *p = list; p != NULL; p = p->next) {
        if (p->snap != NULL) {
            rh_snap_upload_cancel(p->snap);
        }
    }
}

void rh_peer_cancel_snapshots(struct rh_peer_table *pt)
{
    RH_ASSERT_HELD(pt->mu);
    cancel_snapshots(pt->list);
    cancel_snapshots(pt->removed);
}

struct rh_peer *rh_peer_find(struct rh_peer_table *pt, uint64_t id)
{
    RH_ASSERT_HELD(pt->mu);
    for (struct rh_peer *p = pt->list; p != NULL; p = p->next) {
        if (p->id == id) {
            return p;
        }
    }
    return NULL;
}

void rh_peer_remove(struct rh_peer_table *pt, struct rh_peer *p)
{
    RH_ASSERT_HELD(pt->mu);
    assert(!p->removed);
    struct rh_peer **pp = &pt->list;
    while (*pp != p) {
        pp = &(*pp)->next;
    }
    *pp = p->next;
    p->removed = true;
    p->next = pt->removed;
    pt->removed = p;
    if (p->snap != NULL) {
        rh_snap_upload_cancel(p->snap);
    }
    rh_mailbox_clear(pt->inbox, &p->recvq);
    rh_mailbox_clear(pt->inbox, &p->propq);
}

struct rh_peer *rh_peer_next_removed(struct rh_peer_table *pt)
{
    RH_ASSERT_HELD(pt->mu);
    struct rh_peer *p = pt->removed;
    if (p != NULL) {
        pt->removed = p->next;
        p->next = NULL;
    }
    return p;
}

void rh_peer_release_removed(struct rh_peer_table *pt, struct rh_peer *p)
{
    RH_ASSERT_HELD(pt->mu);
    assert(p->removed);
    rh_peer_sent(pt, p, rh_pipeline_clear(&p->pipeline, pt->alloc, NULL, NULL));
    rh_peer_unref(pt, p);
}

void rh_peer_drop(struct rh_peer_table *pt, struct rh_peer *p, int32_t msg_type,
                  enum rafthttp_drop_reason why, bool report)
{
    RH_ASSERT_HELD(pt->mu);
    pt->stats.dropped[why]++;
    bool known = rh_msg_type_name(msg_type) != NULL;
    pt->stats.dropped_by_type[known ? msg_type : RAFTHTTP_MSG_TYPE_COUNT]++;
    if (p == NULL) {
        return;
    }
    p->dropped_msgs++;
    p->metrics.sent_failures++;
    if (!report) {
        return;
    }
    if (msg_type == RAFTHTTP_MSG_SNAP) {
        rh_inbox_report(pt->inbox, RH_EV_SNAPSHOT, p->id,
                        RAFTHTTP_SNAPSHOT_FAILURE, NULL);
    }
    if (!p->unreachable_pending) {
        p->unreachable_pending = true;
        rh_inbox_report(pt->inbox, RH_EV_UNREACHABLE, p->id, 0, NULL);
    }
    const char *type = rh_msg_type_name(msg_type);
    bool full =
        why == RAFTHTTP_DROP_QUEUE_BYTES || why == RAFTHTTP_DROP_QUEUE_MSGS;
    rh_log(pt->log, RAFTHTTP_LOG_WARN,
           full ? "dropped internal Raft message since sending buffer is "
                  "full (overloaded network)"
                : "dropped internal Raft message to peer",
           RH_F("message-type", type != NULL ? type : "?"),
           RH_F("remote-peer-id", p->id_str),
           RH_F("remote-peer-active", p->active ? "true" : "false"),
           RH_F("reason", rh_drop_reason_name((int)why)));
}

void rh_peer_unreachable_reported(struct rh_peer_table *pt, uint64_t id)
{
    struct rh_peer *p = rh_peer_find(pt, id);
    if (p != NULL) {
        p->unreachable_pending = false;
    }
}
