/*
 * transport: the object behind struct rafthttp_transport, and the request
 * checks its HTTP server runs.
 *
 * Threads (the model the public header promises):
 * - application threads call the rafthttp_* functions; send() encodes the
 *   message into the peer's queue under the lock and rings the I/O thread;
 * - one I/O thread (io_loop.c) owns the libcurl multi handle (our dials and
 *   POSTs, http_client.c) and the libmicrohttpd daemons in external-poll
 *   mode (the peers' requests, http_server.c); it never calls the raft core
 *   except is_id_removed, which must be quick;
 * - delivery threads (deliver.c) call process() and the report callbacks,
 *   never holding the lock.
 * One mutex, t->mu, guards the peer table and everything in it; it is never
 * held across a user callback, a libcurl or libmicrohttpd call that may call
 * back, or a wait.
 *
 * Ownership: t owns its peers (reference counted, see peer.h), the copies
 * of every configured string, and all queues. Stop joins every thread.
 */
#ifndef RH_TRANSPORT_H
#define RH_TRANSPORT_H

#include <pthread.h>

#include "../common/common.h"
#include "../peer/peer.h"
#include "../stream/stream.h"
#include "../tls/tls.h"
#include "deliver.h"

/* Who this member is, in the forms the checks compare against. */
struct rh_local_identity {
    uint64_t id;
    char id_str[RAFTHTTP_ID_STRLEN];         /* canonical hex */
    char cluster_id_str[RAFTHTTP_ID_STRLEN]; /* canonical hex */
    struct rh_semver server_version;
    struct rh_semver min_cluster_version;
};

/* From a validated config. Returns 0 or RAFTHTTP_EINVAL. */
int rh_local_identity_init(struct rh_local_identity *local,
                           const struct rafthttp_config *cfg);

/* The parts of a request the checks look at; NULL for a missing header. */
struct rh_request {
    const char *method;
    const char *path;
    const char *server_version;      /* X-Server-Version */
    const char *min_cluster_version; /* X-Min-Cluster-Version */
    const char *cluster_id;          /* X-Etcd-Cluster-ID */
    const char *raft_to;             /* X-Raft-To */
};

/* What to answer: status 0 means the check passed. */
struct rh_verdict {
    int status;        /* HTTP status, or 0 */
    const char *body;  /* etcd's body without the trailing newline */
    const char *allow; /* the Allow header of a 405, else NULL */
};

enum rh_route {
    RH_ROUTE_NOT_FOUND, /* 404 "404 page not found" */
    RH_ROUTE_PIPELINE,  /* /raft */
    RH_ROUTE_STREAM,    /* /raft/stream/ and below */
    RH_ROUTE_SNAPSHOT,  /* /raft/snapshot */
    RH_ROUTE_PROBING,   /* /raft/probing */
    RH_ROUTE_VERSION,   /* /version (etcd's peer endpoint, not rafthttp's) */
    RH_ROUTE_MEMBERS    /* /members (likewise) */
};

/* Routes a path as etcd's mux does (exact paths, one subtree). */
enum rh_route rh_route_path(const char *path);

/*
 * The checks /raft and /raft/snapshot run in etcd's order: method POST
 * (405), versions (412 "incompatible version"), cluster ID (412 "cluster ID
 * mismatch"). Returns true if all pass; else fills *v.
 */
bool rh_check_post_request(const struct rh_local_identity *local,
                           const struct rh_request *req, struct rh_verdict *v);

/*
 * The checks of /raft/stream/ that need no peer table, in etcd's order:
 * method GET (405), versions and cluster ID (412), stream type in the path
 * (404 "invalid path"), sender ID in the path (404 "invalid from"). On
 * success sets *type and *from. The caller then checks removed (410) and
 * unknown (404) senders, then rh_check_recipient.
 */
bool rh_check_stream_request(const struct rh_local_identity *local,
                             const struct rh_request *req,
                             enum rh_stream_type *type, uint64_t *from,
                             struct rh_verdict *v);

/* X-Raft-To must be this member's ID string: else 412 "to field mismatch". */
bool rh_check_recipient(const struct rh_local_identity *local,
                        const struct rh_request *req, struct rh_verdict *v);

/*
 * The version and cluster checks alone. A missing or empty version header
 * counts as "2.0.0" (etcd 2.0). A header that is present but not semver makes etcd's
 * handler panic and drop the connection; we answer 400 "malformed version
 * header" instead.
 */
bool rh_check_cluster(const struct rh_local_identity *local,
                      const struct rh_request *req, struct rh_verdict *v);

/* ----------------------------------------------------------- the object */

#define RH_TRANSPORT_MAGIC 0x72687470u /* "rhtp" */
#define RH_MAX_LISTEN 8
#define RH_RECV_THREADS 2

enum rh_state { RH_NEW, RH_STARTED, RH_STOPPING, RH_STOPPED };

struct rh_io; /* io_loop.c */

struct rh_worker {
    struct rafthttp_transport *t;
    enum rh_pool pool;
    pthread_t thread;
};

struct rafthttp_transport {
    uint32_t magic;
    const struct rafthttp_allocator *alloc;
    struct rafthttp_config cfg;      /* copy; its lists point below */
    char **peer_urls;                /* owned copies */
    char *peer_urls_header;          /* "u1,u2": X-PeerURLs */
    char **listen_urls;              /* owned copies */
    char *snapshot_dir;              /* owned copy, or NULL */
    char *members_json;              /* owned copy, or NULL */
    char version_json[96];           /* GET /version's body */
    struct rh_local_identity local;
    struct rh_logger log;
    struct rh_tls *tls;              /* owned; NULL: plain HTTP only */
    pthread_mutex_t mu;
    enum rh_state state;
    bool paused;
    struct rh_peer *peers;           /* peers and remotes */
    struct rh_peer *removed;         /* unlinked, connections to close */
    size_t queued_bytes;             /* all peers' send queues */
    struct rafthttp_stats stats;
    uint64_t rng;                    /* jitter */
    uint64_t next_gen;               /* connection numbers */
    /* delivery (deliver.c) */
    pthread_cond_t work_cv[RH_POOLS];
    struct rh_mailbox *ready_head[RH_POOLS];
    struct rh_mailbox *ready_tail[RH_POOLS];
    struct rh_worker workers[RH_RECV_THREADS + 1];
    struct rh_event *spare_events;   /* recycled event structs (deliver.c) */
    size_t n_spare_events;
    size_t n_workers;
    bool workers_stop;
    struct rh_mailbox control;       /* reports */
    struct rh_mailbox pipe_recv;     /* POST /raft messages */
    struct rh_mailbox pipe_prop;     /* POST /raft proposals */
    /* I/O (io_loop.c) */
    pthread_t io_thread;
    bool io_running;
    bool io_stop;
    bool io_kicked;                  /* a wakeup is pending */
    struct rh_io *io;
    struct rh_reply *replies;        /* processed POSTs to answer */
    /* snapshots (snapshot_send.c, snapshot_recv.c) */
    unsigned snap_send_threads;
    unsigned snap_recv_threads;
    pthread_cond_t snap_cv;          /* signalled as they end */
    char errmsg[256];
};

/* Thread-local: set while a delivery thread runs a user callback. */
extern _Thread_local struct rafthttp_transport *rh_in_callback;

/* Records a detailed error for rafthttp_transport_errmsg. */
void rh_set_errmsg(struct rafthttp_transport *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Peer lookup and references (t->mu held). */
struct rh_peer *rh_find_peer(struct rafthttp_transport *t, uint64_t id);
void rh_peer_ref(struct rh_peer *p);
void rh_peer_unref(struct rafthttp_transport *t, struct rh_peer *p);

/* Status changes with their log lines and wakeups (t->mu held). */
void rh_mark_active(struct rafthttp_transport *t, struct rh_peer *p,
                    const char *source);
void rh_mark_inactive(struct rafthttp_transport *t, struct rh_peer *p,
                      const char *source, const char *reason);

/* Bytes left in the peer's and the transport's budgets (t->mu held). */
size_t rh_send_room(const struct rafthttp_transport *t,
                    const struct rh_peer *p);
void rh_account_queued(struct rafthttp_transport *t, struct rh_peer *p,
                       size_t added);
void rh_account_sent(struct rafthttp_transport *t, struct rh_peer *p,
                     size_t bytes);

/* Counts a dropped message and queues the reports (t->mu held). */
void rh_drop(struct rafthttp_transport *t, struct rh_peer *p,
             int32_t msg_type, enum rafthttp_drop_reason why, bool report);

/* --------------------------------------------------- deliver.c (t->mu) */

int rh_deliver_start(struct rafthttp_transport *t);
/* Joins the delivery threads; t->mu not held. */
void rh_deliver_stop(struct rafthttp_transport *t);
/* Queues an event into mb and wakes a thread. Takes ownership of ev. */
void rh_deliver_post(struct rafthttp_transport *t, struct rh_mailbox *mb,
                     struct rh_event *ev);
/* Queues a report event on the control mailbox. */
void rh_deliver_report(struct rafthttp_transport *t, enum rh_event_kind kind,
                       uint64_t id, int status, const char *detail);
/*
 * Queues a received message for process(); MsgProp goes to propq. Returns
 * false (and frees msg) when the mailbox is over its limit or memory ran
 * out; reply, if any, is then left to the caller.
 */
bool rh_deliver_message(struct rafthttp_transport *t, struct rh_mailbox *recvq,
                        struct rh_mailbox *propq, struct rh_msg *msg,
                        size_t bytes, struct rh_reply *reply);
/* Frees the recycled event structs (transport free). */
void rh_deliver_free_spares(struct rafthttp_transport *t);
/* Drops every event of mb (peer removal, stop). */
void rh_mailbox_clear(struct rafthttp_transport *t, struct rh_mailbox *mb);

/* ------------------------------------------------- io_loop.c (t->mu) */

int rh_io_start(struct rafthttp_transport *t);
/* Joins the I/O thread; t->mu not held. */
void rh_io_stop(struct rafthttp_transport *t);
/* Wakes the I/O thread to look at queues and peers again. */
void rh_io_kick(struct rafthttp_transport *t);
/* A processed POST /raft: hand its result to the I/O thread. */
void rh_io_reply_ready(struct rafthttp_transport *t, struct rh_reply *r,
                       int result);

/* thread_name.c: the calling thread becomes "rh-<role>-<local id>". */
void rh_thread_name(const struct rafthttp_transport *t, const char *role);

#endif /* RH_TRANSPORT_H */
