/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transport: the object behind struct rafthttp_transport, its lifecycle
 * and public entry points (transport.c), the delivery threads
 * (deliver.c), and the adapters that alone call libcurl and
 * libmicrohttpd (io.h: the I/O loop, the client, the server, the snapshot
 * threads). Every file of this folder includes this header.
 *
 * Threads (the model the public header promises):
 * - application threads call the rafthttp_* functions; send() encodes the
 *   message into the peer's queue under the lock and rings the I/O thread;
 * - one I/O thread (io_loop.c) owns the libcurl multi handle (our dials,
 *   POSTs and probes, http_client.c) and the libmicrohttpd daemons in
 *   external-poll mode (the peers' requests, server*.c); it never calls
 *   the raft core except is_id_removed, which must be quick;
 * - delivery threads (deliver.c) call process() and the report callbacks,
 *   never holding a lock;
 * - a snapshot sender thread per snapshot in flight (snapshot_client.c)
 *   and a writer thread per snapshot being received (snapshot_writer.c).
 *
 * Lock order. A thread takes locks only in this order, outermost first,
 * and debug builds assert it on every lock (common/mutex.c):
 * 1. t->mu, the transport lock: the peer table and everything in it
 *    (queues, readers, writers, statuses), the inbox (mailboxes, ready
 *    lists), the I/O thread's lists of transfers, parked requests and
 *    stream responses, the state, and the snapshot thread counts;
 * 2. the TLS context's lock (tls->mu): certificate generations and the
 *    trust list, taken when a dial is set up or a client is checked;
 * 3. the logger's lock: its merge slots, held only to decide whether a
 *    line goes out (the user's log function runs after it is released);
 * 4. the TLS server registry's lock (port -> context), a leaf.
 * t->mu is never held across a user callback, a wait for the network, a
 * disk write, or a libcurl or libmicrohttpd call that can call back into
 * us (curl_multi_perform, MHD_run, MHD_queue_response with a callback
 * response). Functions documented "(t->mu)" require it held and assert so
 * in debug builds.
 *
 * Ownership: t owns its peers (reference counted, see peer/peer.h), the
 * copies of every configured string, the inbox and all queues. Stop joins
 * every thread.
 */
#ifndef RH_TRANSPORT_H
#define RH_TRANSPORT_H

#include "../common/common.h"
#include "../http/http.h"
#include "../peer/peer.h"
#include "../tls/tls.h"

#define RH_TRANSPORT_MAGIC 0x72687470u /* "rhtp" */
#define RH_MAX_LISTEN 8
#define RH_RECV_THREADS 2

enum rh_state { RH_NEW, RH_STARTED, RH_STOPPING, RH_STOPPED };

struct rh_io; /* io.h */

struct rh_worker {
    struct rafthttp_transport *t;
    enum rh_pool pool;
    pthread_t thread;
};

struct rafthttp_transport {
    uint32_t magic;
    const struct rafthttp_allocator *alloc;
    struct rafthttp_config cfg; /* copy; its lists point below */
    char **peer_urls;           /* owned copies */
    char *peer_urls_header;     /* "u1,u2": X-PeerURLs */
    char **listen_urls;         /* owned copies */
    char *snapshot_dir;         /* owned copy, or NULL */
    char *members_json;         /* owned copy, or NULL (t->mu) */
    char version_json[96];      /* GET /version's body */
    struct rh_local_identity local;
    struct rh_logger log;
    struct rh_tls *tls; /* owned; NULL: plain HTTP only */
    struct rh_mutex mu; /* the transport lock (see above) */
    enum rh_state state;
    struct rh_peer_table peers; /* peers, remotes, budgets, stats */
    struct rh_inbox inbox;      /* mailboxes and reports */
    /* delivery (deliver.c) */
    struct rh_worker workers[RH_RECV_THREADS + 1];
    size_t n_workers;
    /* I/O (io_loop.c) */
    pthread_t io_thread;
    bool io_running;
    bool io_stop;
    bool io_kicked; /* a wakeup is pending */
    struct rh_io *io;
    /*
     * Every request context alive (server.c), so that a completion an
     * application's daemon forwards for a request of its own is ignored.
     * Outlives io: such a daemon completes requests after stop.
     */
    struct rh_conn *conns;
    /* snapshots (snapshot_client.c, snapshot_writer.c) */
    unsigned snap_send_threads;
    unsigned snap_recv_threads;
    pthread_cond_t snap_cv; /* signalled as they end, and as a stop ends */
    bool stop_in_progress;  /* a thread is inside stop (t->mu) */
    char errmsg[256];
};

/* Thread-local: set while a delivery thread runs a user callback. */
extern _Thread_local struct rafthttp_transport *rh_in_callback;

/* Records a detailed error for rafthttp_transport_errmsg. */
void rh_set_errmsg(struct rafthttp_transport *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True for a transport handle that is alive (the API's misuse check). */
bool rh_transport_valid(const struct rafthttp_transport *t);
/* rh_transport_valid, or the calling thread's error says what call got. */
bool rh_transport_usable(const struct rafthttp_transport *t, const char *call);

/* ---------------------------------------------------------- deliver.c */

int rh_deliver_start(struct rafthttp_transport *t);
/* Joins the delivery threads; t->mu not held. */
void rh_deliver_stop(struct rafthttp_transport *t);

/* -------------------------------------------- io_loop.c and adapters */

int rh_io_start(struct rafthttp_transport *t);
/* Joins the I/O thread; t->mu not held. */
void rh_io_stop(struct rafthttp_transport *t);
/* Wakes the I/O thread to look at queues and peers again (t->mu). */
void rh_io_kick(struct rafthttp_transport *t);
/* The port listen URL i is bound to, or 0 (t->mu not needed). */
unsigned rh_io_listen_port(struct rafthttp_transport *t, size_t i);

/* The inbox's answer hook: a processed request's result (t->mu). */
void rh_io_answer(void *t, struct rh_reply *r, int result);

/*
 * Serves a request of an application's own libmicrohttpd daemon
 * (server.c); returns the access handler's result.
 */
int rh_server_access(struct rafthttp_transport *t, void *connection,
                     const char *url, const char *method,
                     const char *upload_data, size_t *upload_data_size,
                     void **con_cls);
void rh_server_completed(struct rafthttp_transport *t, void **con_cls);

/* ------------------------------------------------ snapshot_client.c */

/*
 * Starts a sender thread for m and src to p (t->mu). Returns 0 (then
 * exactly one report_snapshot and one src->done follow), or
 * RAFTHTTP_EBUSY (one in flight to p), RAFTHTTP_EINVAL, RAFTHTTP_ENOMEM.
 */
int rh_snap_client_start(struct rafthttp_transport *t, struct rh_peer *p,
                         const struct rafthttp_message *m,
                         const struct rafthttp_snapshot_source *src);

#endif /* RH_TRANSPORT_H */
