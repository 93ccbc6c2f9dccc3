/*
 * deliver: how received messages and reports reach the raft core.
 *
 * Everything the transport tells the raft core becomes an event in a
 * mailbox; delivery threads take mailboxes from a ready list and run one
 * event at a time, without any lock held. Each peer has two mailboxes
 * (MsgProp apart from the rest, as etcd's propc/recvc), and the transport
 * has three more: pipeline messages, pipeline proposals, and control events
 * (unreachable, snapshot and critical reports).
 *
 * Order: one mailbox is served by one thread at a time, so a peer's
 * messages are processed one at a time, each kind in the order it arrived;
 * messages that keep a leader alive (votes, heartbeats, responses) go ahead
 * of queued appends, proposals and snapshots, as on the sending side, so a
 * deep queue of appends does not delay them. Isolation: the
 * "recv" pool has several threads and the "prop" pool its own, so a slow
 * process() for one peer, or a raft core blocked on a proposal, leaves the
 * other peers' votes and appends moving.
 *
 * Guarded by the transport lock, except where noted.
 */
#ifndef RH_DELIVER_H
#define RH_DELIVER_H

#include "../raftpb/raftpb.h"

enum rh_pool { RH_POOL_RECV = 0, RH_POOL_PROP = 1, RH_POOLS = 2 };

enum rh_event_kind {
    RH_EV_MESSAGE,     /* process(msg); reply set for pipeline requests */
    RH_EV_UNREACHABLE, /* report_unreachable(id) */
    RH_EV_SNAPSHOT,    /* report_snapshot(id, status) */
    RH_EV_CRITICAL,    /* critical_error(status, detail) */
    RH_EV_SNAP_DONE    /* a snapshot source's done(status) */
};

struct rh_reply; /* a server request waiting for process() (http_server.c) */

struct rh_event {
    struct rh_event *next;
    enum rh_event_kind kind;
    uint64_t id;
    int status;
    struct rh_msg *msg;     /* owned by the event */
    struct rh_reply *reply; /* borrowed: where process()'s result goes */
    size_t bytes;           /* counted against the mailbox's limit */
    const char *detail;     /* static text for RH_EV_CRITICAL */
    char *path;             /* owned: a received snapshot's database */
    rafthttp_snapshot_done_fn done; /* RH_EV_SNAP_DONE */
    void *done_ud;
};

struct rh_peer;

struct rh_mailbox {
    struct rh_event *head;
    struct rh_event *tail;
    struct rh_event *urgent_tail; /* last urgent event at the front, or NULL */
    size_t bytes;              /* message bytes waiting */
    size_t limit;              /* bytes beyond which messages are dropped */
    enum rh_pool pool;
    bool ready;                /* on the pool's ready list */
    bool busy;                 /* a delivery thread runs one of its events */
    struct rh_mailbox *next_ready;
    struct rh_peer *peer;      /* owner, or NULL for the transport's */
};

void rh_mailbox_init(struct rh_mailbox *mb, enum rh_pool pool, size_t limit,
                     struct rh_peer *peer);

#endif /* RH_DELIVER_H */
