/* SPDX-License-Identifier: Apache-2.0 */
/*
 * peer: everything the transport keeps for the members it talks to, and
 * the rules that tie the behaviour folders together for one peer.
 *
 * - The peer table (peer_table.c): peers and remotes (etcd's AddRemote: a
 *   peer with only the pipeline), references, removal, the byte budgets
 *   and the drop counts.
 * - Peer status (peer_status.c): active since, or inactive with the
 *   reason; rh_peer_failed, the one way a peer fails; the status and
 *   metrics a query copies out.
 * - Mailboxes (mailbox.c): what the raft core is told, in order, and the
 *   ready lists the delivery threads take work from.
 * - The channel choice (peer_send.c): etcd's peer.pick.
 * - The peer driver (peer_driver.c): events from the adapters (a timer, a
 *   dial's answer, body bytes, an end, a POST's or a probe's or a
 *   snapshot's outcome) go to the behaviour folders' drivers, and what
 *   they decide is applied to the peer here; what is left for the
 *   adapters (dial, abort, unpark, probe, POST) comes back as a todo.
 *
 * Threads and locking: everything here runs under the transport lock
 * (pt->mu, asserted in debug builds), except the delivery threads' calls
 * into the callbacks, which run with it released.
 *
 * Lifetime: peers are reference counted under the lock. The table holds
 * one reference; every transfer, server connection and busy mailbox holds
 * another, so removal (which unlinks the peer and lets the I/O thread tear
 * its connections down) never frees memory a callback still uses. An idle
 * peer costs its struct and nothing else: buffers grow only with traffic
 * and shrink back when drained.
 */
#ifndef RH_PEER_H
#define RH_PEER_H

#include "../metrics/metrics.h"
#include "../pipeline/pipeline.h"
#include "../probing/prober.h"
#include "../snapshot/snapshot.h"
#include "../stream/stream.h"

/* ------------------------------------------------------------ URL picker */

/* etcd's urlPicker: a sorted list and the one in use. */
struct rh_urlpick {
    char **urls; /* copies, sorted */
    size_t n;
    size_t picked; /* index of the URL in use */
};

int rh_urlpick_init(struct rh_urlpick *p, const struct rafthttp_allocator *a,
                    const char *const *urls, size_t n);
void rh_urlpick_close(struct rh_urlpick *p, const struct rafthttp_allocator *a);
/* Replaces the list and starts over at its first URL. */
int rh_urlpick_update(struct rh_urlpick *p, const struct rafthttp_allocator *a,
                      const char *const *urls, size_t n);
const char *rh_urlpick_pick(const struct rh_urlpick *p);
/* True if urls (any order) is the picker's list. */
bool rh_urlpick_same(const struct rh_urlpick *p, const char *const *urls,
                     size_t n);
/* Moves on from url, if url is still the one in use. */
void rh_urlpick_unreachable(struct rh_urlpick *p, const char *url);

/* True if every URL in the list is one rh_url_parse accepts. */
bool rh_urls_valid(const char *const *urls, size_t n);

/* ------------------------------------------------------------- mailboxes */

/*
 * Everything the transport tells the raft core becomes an event in a
 * mailbox; delivery threads take mailboxes from a ready list and run their
 * events with the lock released. Each peer has two mailboxes (MsgProp
 * apart from the rest, as etcd's propc/recvc), and the inbox three more:
 * pipeline messages, pipeline proposals, and control events (reports).
 */
enum rh_pool { RH_POOL_RECV = 0, RH_POOL_PROP = 1, RH_POOLS = 2 };

enum rh_event_kind {
    RH_EV_MESSAGE,     /* process(msg), or process_snapshot(msg, path) */
    RH_EV_UNREACHABLE, /* report_unreachable(id) */
    RH_EV_SNAPSHOT,    /* report_snapshot(id, status) */
    RH_EV_CRITICAL,    /* critical_error(status, detail) */
    RH_EV_SNAP_DONE,   /* a snapshot source's done(status) */
    RH_EV_PEER_STATUS  /* peer_status_changed(id, status != 0, text) */
};

/* A server request parked until process() returns (src/transport/). */
struct rh_reply;

struct rh_event {
    struct rh_event *next;
    enum rh_event_kind kind;
    uint64_t id;
    int status;             /* a report's; process()'s result */
    struct rh_msg *msg;     /* owned by the event */
    struct rh_reply *reply; /* where process()'s result goes */
    size_t bytes;           /* counted against the mailbox's limit */
    const char *detail;     /* static text for RH_EV_CRITICAL */
    char *text; /* owned: a received snapshot's file, or why a peer failed */
    rafthttp_snapshot_done_fn done; /* RH_EV_SNAP_DONE */
    void *done_ud;
};

struct rh_peer;

struct rh_mailbox {
    struct rh_event *head;
    struct rh_event *tail;
    struct rh_event *urgent_tail; /* last urgent event at the front, or NULL */
    size_t bytes;                 /* message bytes waiting */
    size_t limit;                 /* bytes beyond which messages are dropped */
    enum rh_pool pool;
    bool ready; /* on the pool's ready list */
    bool busy;  /* a delivery thread runs its events */
    struct rh_mailbox *next_ready;
    struct rh_peer *peer; /* owner, or NULL for the inbox's own */
};

/*
 * The mailboxes' ready lists, the transport's own mailboxes and the event
 * cache. answer() hands the result of a processed server request back to
 * the I/O side (it is called under the lock).
 */
struct rh_inbox {
    struct rh_mutex *mu; /* the transport lock */
    const struct rafthttp_allocator *alloc;
    pthread_cond_t work_cv[RH_POOLS]; /* a pool has a ready mailbox */
    struct rh_mailbox *ready_head[RH_POOLS];
    struct rh_mailbox *ready_tail[RH_POOLS];
    struct rh_event *spare_events; /* recycled event structs */
    size_t n_spare_events;
    bool stopping;               /* only reports go out now */
    struct rh_mailbox control;   /* reports */
    struct rh_mailbox pipe_recv; /* POST /raft, snapshots */
    struct rh_mailbox pipe_prop; /* POST /raft proposals */
    void (*answer)(void *ud, struct rh_reply *r, int result);
    void *answer_ud;
};

void rh_inbox_init(struct rh_inbox *in, struct rh_mutex *mu,
                   const struct rafthttp_allocator *a, size_t recv_limit,
                   void (*answer)(void *, struct rh_reply *, int), void *ud);
/* Stop: frees what is queued, and the cache (the threads are gone). */
void rh_inbox_clear(struct rh_inbox *in);
/* Free: what init made (after rh_inbox_clear). */
void rh_inbox_close(struct rh_inbox *in);

void rh_mailbox_init(struct rh_mailbox *mb, enum rh_pool pool, size_t limit,
                     struct rh_peer *peer);
/* Drops every event of mb; their requests are answered ESTOPPED. */
void rh_mailbox_clear(struct rh_inbox *in, struct rh_mailbox *mb);

/* A zeroed event (from the cache), or NULL. */
struct rh_event *rh_inbox_event(struct rh_inbox *in);
/* Queues ev (owned from now on) and marks mb ready. */
void rh_inbox_post(struct rh_inbox *in, struct rh_mailbox *mb,
                   struct rh_event *ev);
/* Queues a report on the control mailbox (lost only to ENOMEM). */
void rh_inbox_report(struct rh_inbox *in, enum rh_event_kind kind, uint64_t id,
                     int status, const char *detail);
/* Queues peer_status_changed (a copy of reason; lost only to ENOMEM). */
void rh_inbox_peer_status(struct rh_inbox *in, uint64_t id, bool active,
                          const char *reason);
/*
 * Queues a received message for process(); MsgProp goes to propq.
 * Returns false (and frees msg) when the mailbox is over its limit or
 * memory ran out; reply, if any, is then the caller's to answer.
 */
bool rh_inbox_message(struct rh_inbox *in, struct rh_mailbox *recvq,
                      struct rh_mailbox *propq, struct rh_msg *msg,
                      size_t bytes, struct rh_reply *reply);
/*
 * Queues a saved snapshot (msg and a copy of path) for process_snapshot()
 * on the pipeline mailbox. Returns false when out of memory: then msg is
 * the caller's still, and reply is answered RAFTHTTP_ESTOPPED.
 */
bool rh_inbox_snapshot(struct rh_inbox *in, struct rh_msg *msg,
                       const char *path, struct rh_reply *reply);

/* ----------------------------------------- the delivery threads' side */

/*
 * The next mailbox for a thread of pool, marked busy, or NULL. Once
 * stopping, only the control mailbox is served (one report per snapshot,
 * as promised); messages are dropped with the transport.
 */
struct rh_mailbox *rh_inbox_next(struct rh_inbox *in, enum rh_pool pool);
/* Detaches up to max events from mb's head. */
struct rh_event *rh_inbox_take(struct rh_mailbox *mb, size_t max);
/* After a batch ran: answers each request with ev->status, frees them. */
void rh_inbox_finish(struct rh_inbox *in, struct rh_event *batch);
/* The thread is done with mb: back on the ready list if it has more. */
void rh_inbox_release(struct rh_inbox *in, struct rh_mailbox *mb);
/* Waits for a ready mailbox of pool (the lock is released meanwhile). */
void rh_inbox_wait(struct rh_inbox *in, enum rh_pool pool);
/* Stop: threads finish what they run, deliver the reports, and exit. */
void rh_inbox_stop(struct rh_inbox *in);
/*
 * Stop, once the delivery threads are gone: the server answers its parked
 * requests itself, so queued events forget them.
 */
void rh_inbox_forget_replies(struct rh_inbox *in);

/* ----------------------------------------------------------------- peer */

struct rh_peer {
    struct rh_peer *next; /* the table's list */
    uint64_t id;
    char id_str[RAFTHTTP_ID_STRLEN];
    int refs;
    bool removed; /* unlinked; tear down, then free */
    bool remote;  /* pipeline only */
    bool cut;     /* test hook: drop everything */
    struct rh_urlpick picker;
    bool active;
    int64_t active_since_ms; /* wall clock */
    char reason[128];        /* why inactive */
    struct rh_stream_writer writers[RH_STREAM_TYPES];
    struct rh_stream_reader readers[RH_STREAM_TYPES];
    struct rh_pipeline pipeline;
    struct rh_mailbox recvq;
    struct rh_mailbox propq;
    bool unreachable_pending;       /* a report is already queued */
    struct rh_snap_upload *snap;    /* the snapshot in flight, or NULL */
    struct rh_probe_status probe;   /* /raft/probing health and RTT */
    bool probing;                   /* a probe is under way */
    struct rh_peer_metrics metrics; /* etcd's peer metrics, and ours */
    size_t queued_bytes;            /* writers + pipeline */
    uint64_t sent_msgs;
    uint64_t received_msgs;
    uint64_t dropped_msgs;
};

/* ----------------------------------------------------------- peer table */

struct rh_peer_table {
    const struct rafthttp_allocator *alloc;
    const struct rafthttp_config *cfg; /* the transport's copy */
    struct rh_logger *log;
    struct rh_mutex *mu; /* the transport lock: guards all */
    struct rh_inbox *inbox;
    uint64_t local_id;
    struct rh_peer *list;    /* peers and remotes */
    struct rh_peer *removed; /* unlinked, connections to close */
    bool open;               /* started and not stopping */
    bool paused;             /* test hook: drop both ways */
    size_t queued_bytes;     /* all peers' send queues */
    struct rafthttp_stats stats;
    uint64_t rng;      /* redial jitter */
    uint64_t next_gen; /* stream connection numbers */
};

void rh_peer_table_init(struct rh_peer_table *pt,
                        const struct rafthttp_allocator *a,
                        const struct rafthttp_config *cfg,
                        struct rh_logger *log, struct rh_mutex *mu,
                        struct rh_inbox *in);
/* Stop: every peer and removed peer goes, with its mailboxes. */
void rh_peer_table_clear(struct rh_peer_table *pt);

/* Stop: every snapshot in flight gives up (each still reports once). */
void rh_peer_cancel_snapshots(struct rh_peer_table *pt);

/* A peer or remote by ID, or NULL. */
struct rh_peer *rh_peer_find(struct rh_peer_table *pt, uint64_t id);
void rh_peer_ref(struct rh_peer *p);
void rh_peer_unref(struct rh_peer_table *pt, struct rh_peer *p);

/* What rh_peer_add did. */
enum rh_peer_added {
    RH_PEER_NEW,      /* a new peer or remote */
    RH_PEER_PROMOTED, /* a remote became a peer */
    RH_PEER_KNOWN,    /* already there with these URLs (or any, for a
                         remote): ignored, as etcd */
    RH_PEER_CONFLICT  /* already a peer with other URLs: nothing changed */
};

/*
 * Adds a peer, or a remote when remote is set (urls copied). Returns 0
 * with *what, or RAFTHTTP_ENOMEM.
 */
int rh_peer_add(struct rh_peer_table *pt, uint64_t id, const char *const *urls,
                size_t n, bool remote, enum rh_peer_added *what);

/*
 * Unlinks p: its mailboxes are cleared, its snapshot is cancelled, and it
 * waits on the removed list for the I/O thread to close its connections.
 */
void rh_peer_remove(struct rh_peer_table *pt, struct rh_peer *p);
/* The next removed peer to close (the I/O thread's), or NULL. */
struct rh_peer *rh_peer_next_removed(struct rh_peer_table *pt);
/* Its connections are closed: drops its POST queue and the reference. */
void rh_peer_release_removed(struct rh_peer_table *pt, struct rh_peer *p);

/*
 * The byte budgets (on the send path of every message, hence inline): a
 * peer's queues may hold at most peer_queue_bytes, all peers' together
 * total_queue_bytes. Bytes are counted when queued (rh_peer_queued) and
 * released when written out or discarded (rh_peer_sent).
 */
static inline size_t rh_peer_room(const struct rh_peer_table *pt,
                                  const struct rh_peer *p)
{
    const struct rafthttp_config *cfg = pt->cfg;
    size_t peer_room = cfg->peer_queue_bytes > p->queued_bytes
                           ? cfg->peer_queue_bytes - p->queued_bytes
                           : 0;
    size_t total_room = cfg->total_queue_bytes > pt->queued_bytes
                            ? cfg->total_queue_bytes - pt->queued_bytes
                            : 0;
    return peer_room < total_room ? peer_room : total_room;
}

static inline void rh_peer_queued(struct rh_peer_table *pt, struct rh_peer *p,
                                  size_t bytes)
{
    p->queued_bytes += bytes;
    pt->queued_bytes += bytes;
}

static inline void rh_peer_sent(struct rh_peer_table *pt, struct rh_peer *p,
                                size_t bytes)
{
    bytes = bytes < p->queued_bytes ? bytes : p->queued_bytes;
    p->queued_bytes -= bytes;
    pt->queued_bytes -= bytes < pt->queued_bytes ? bytes : pt->queued_bytes;
}

/*
 * Counts a dropped message (p may be NULL: counted for the transport
 * only). With report, the raft core hears report_unreachable (once until
 * delivered) and, for MsgSnap, report_snapshot FAILURE.
 */
void rh_peer_drop(struct rh_peer_table *pt, struct rh_peer *p, int32_t msg_type,
                  enum rafthttp_drop_reason why, bool report);
/* A delivery thread has run the unreachable report for id. */
void rh_peer_unreachable_reported(struct rh_peer_table *pt, uint64_t id);

/* --------------------------------------------------------------- status */

/* Becomes active (logged once), with the source that proved it. */
void rh_peer_mark_active(struct rh_peer_table *pt, struct rh_peer *p,
                         const char *source);

/* Why and how a peer failed. */
struct rh_failure {
    const char *source; /* "stream Message", "pipeline", "sendMsgSnap" */
    const char *why;    /* the inactive reason */
    const char *url;    /* the URL that failed (the picker moves on), or
                           NULL when the peer's own connection to us ended */
    bool removed;       /* it says we were removed: the critical error */
    bool unreachable;   /* report_unreachable (once until delivered) */
};

/*
 * The one way a peer fails: it goes inactive (logged once), the picker
 * moves on from the URL, the raft core hears the critical error and
 * report_unreachable as asked. Nothing happens for a removed peer or a
 * stopping transport.
 */
void rh_peer_failed(struct rh_peer_table *pt, struct rh_peer *p,
                    const struct rh_failure *f);

void rh_peer_fill_status(const struct rh_peer *p,
                         struct rafthttp_peer_status *st);
void rh_peer_fill_metrics(const struct rh_peer *p, struct rh_peer_metrics *m);

/* ---------------------------------------------------------------- send */

/*
 * Queues m for p, as etcd's peer.pick chooses: MsgSnap and anything to a
 * remote by the pipeline; MsgApp on the msgapp stream when it is
 * attached, else on the message stream; everything else on the message
 * stream; with no stream attached, the pipeline. A message that does not
 * fit is dropped and reported. *clock_ns is when the previous message was
 * done (one clock read per MsgApp, for the follower stats). Returns true
 * when the I/O thread must be woken (a parked response, a POST to start).
 */
bool rh_peer_send(struct rh_peer_table *pt, struct rh_peer *p,
                  const struct rafthttp_message *m, int64_t *clock_ns);

/* m is for a member that is not in the table: counted and logged. */
void rh_peer_send_unknown(struct rh_peer_table *pt,
                          const struct rafthttp_message *m);

/* --------------------------------------------------------- peer driver */

/* What the I/O thread does for a peer after its tick. */
struct rh_peer_todo {
    bool probe;                  /* GET /raft/probing */
    bool dial[RH_STREAM_TYPES];  /* start our GET; then rh_stream_dialing
                                    or rh_peer_dial_failed */
    bool abort[RH_STREAM_TYPES]; /* end our GET: the read timeout */
    bool wake[RH_STREAM_TYPES];  /* unpark the writer's response */
};

/*
 * The peer's timers at now: probes and their monitor, link heartbeats,
 * dials and read timeouts. Returns when the peer is next due. POSTs are
 * started separately (rh_peer_next_post).
 */
int64_t rh_peer_tick(struct rh_peer_table *pt, struct rh_peer *p,
                     int64_t now_ms, struct rh_peer_todo *todo);

/* A dial could not start: returns when the next one is due. */
int64_t rh_peer_dial_failed(struct rh_peer_table *pt, struct rh_peer *p,
                            enum rh_stream_type type, int64_t now_ms);

/* The head of our GET's answer; true when the stream is up. */
bool rh_peer_stream_head(struct rh_peer_table *pt, struct rh_peer *p,
                         enum rh_stream_type type, long status, bool version_ok,
                         int64_t now_ms);

/*
 * Body bytes of an up stream: decoded, and each message handed to the raft
 * core's mailboxes. Returns false when the bytes do not decode (logged):
 * the caller aborts the GET.
 */
bool rh_peer_stream_bytes(struct rh_peer_table *pt, struct rh_peer *p,
                          enum rh_stream_type type, const uint8_t *data,
                          size_t n, int64_t now_ms);

/* Our GET to url ended. */
void rh_peer_stream_ended(struct rh_peer_table *pt, struct rh_peer *p,
                          enum rh_stream_type type,
                          const struct rh_stream_end *end, const char *url,
                          int64_t now_ms);

/*
 * Who may open a stream to us: a known peer (not a remote) of a started
 * transport. Returns it, or NULL with *v (503 stopping, 404 unknown).
 */
struct rh_peer *rh_peer_stream_sender(struct rh_peer_table *pt, uint64_t from,
                                      struct rh_verdict *v);

/*
 * The peer's GET for type was answered with resp: it replaces the
 * writer's connection (*gen is the new connection's number) and the peer
 * is active. Returns the response it replaced (to be unparked, if parked,
 * so that it ends), or NULL.
 */
struct rh_stream_resp *rh_peer_writer_attach(struct rh_peer_table *pt,
                                             struct rh_peer *p,
                                             enum rh_stream_type type,
                                             struct rh_stream_resp *resp,
                                             uint64_t *gen, int64_t now_ms);

/*
 * Bytes for connection gen's response. Returns the count; 0 with *end set
 * when the response must end (replaced, removed, stopping); 0 otherwise
 * means nothing is queued: park the response.
 */
size_t rh_peer_writer_pull(struct rh_peer_table *pt, struct rh_peer *p,
                           enum rh_stream_type type, uint64_t gen, uint8_t *buf,
                           size_t max, int64_t now_ms, bool *end);

/* Connection gen's response is gone (closed, or replaced). */
void rh_peer_writer_gone(struct rh_peer_table *pt, struct rh_peer *p,
                         enum rh_stream_type type, uint64_t gen);

/* The next queued message to POST to p (counted in flight), or NULL. */
struct rh_pipe_job *rh_peer_next_post(struct rh_peer_table *pt,
                                      struct rh_peer *p);
/* A POST could not start: the job is dropped, counted and reported. */
void rh_peer_post_failed(struct rh_peer_table *pt, struct rh_peer *p,
                         struct rh_pipe_job *job);
/* A POST of job to url ended after secs; the job is freed. */
void rh_peer_post_ended(struct rh_peer_table *pt, struct rh_peer *p,
                        struct rh_pipe_job *job, const struct rh_post_end *end,
                        const char *url, double secs);

/*
 * A POST /raft's message (bytes long) for the raft core. Returns true when
 * it is queued (park the request until reply is answered); else *v is the
 * answer: 503 (stopping, or process() behind; counted), or 204 (paused:
 * dropped, as etcd's test hook).
 */
bool rh_peer_receive_post(struct rh_peer_table *pt, struct rh_msg *msg,
                          size_t bytes, struct rh_reply *reply,
                          struct rh_verdict *v);

/* A probe ended. */
void rh_peer_probe_ended(struct rh_peer_table *pt, struct rh_peer *p,
                         const struct rh_probe_end *end);

/* A snapshot's two reports, reserved when it is accepted. */
struct rh_snap_ticket {
    struct rh_event *report; /* report_snapshot(FINISH or FAILURE) */
    struct rh_event *done;   /* the source's done(result) */
};

/*
 * A snapshot to p is accepted: the upload u becomes p's one in flight and
 * its two reports are reserved in *ticket, so that no later allocation
 * failure can lose them. Returns 0, RAFTHTTP_EBUSY (one is in flight to
 * p) or RAFTHTTP_ENOMEM; then nothing is reserved.
 */
int rh_peer_snapshot_begin(struct rh_peer_table *pt, struct rh_peer *p,
                           struct rh_snap_upload *u,
                           struct rh_snap_ticket *ticket);

/* The accepted snapshot never started (no thread): nothing is reported. */
void rh_peer_snapshot_abandon(struct rh_peer_table *pt, struct rh_peer *p,
                              struct rh_snap_upload *u,
                              struct rh_snap_ticket *ticket);

/*
 * The upload to url ended with result (0 or an error, with why): the two
 * reserved reports go out, exactly once, and the peer is active (0) or
 * failed.
 */
void rh_peer_snapshot_end(struct rh_peer_table *pt, struct rh_peer *p,
                          struct rh_snap_upload *u,
                          struct rh_snap_ticket *ticket, int result,
                          const char *why, long status, const char *url);

/* Counts a snapshot from id being received (+1) or ended (ok or not). */
void rh_peer_snapshot_receiving(struct rh_peer_table *pt, uint64_t from);
void rh_peer_snapshot_received(struct rh_peer_table *pt, uint64_t from, bool ok,
                               uint64_t bytes, double secs);

#endif /* RH_PEER_H */
