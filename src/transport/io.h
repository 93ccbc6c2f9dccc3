/* SPDX-License-Identifier: Apache-2.0 */
/*
 * io: the adapters, the only code that calls libcurl and libmicrohttpd.
 * They turn network events into calls of the peer driver (peer/) and the
 * drivers' decisions into network calls, and decide nothing themselves:
 * - io_loop.c: the I/O thread: the loop, the doorbell, the housekeeping
 *   turn that applies each peer's tick;
 * - http_client.c: our transfers (libcurl): stream dials, POSTs, probes;
 * - server.c: the daemons and the dispatch (libmicrohttpd), and the
 *   writing of answers; server_pipeline.c, server_snapshot.c,
 *   server_stream.c and server_paths.c: the handlers;
 * - snapshot_client.c: a snapshot sender's thread (libcurl easy);
 * - snapshot_writer.c: a received snapshot's writer thread (disk).
 * Everything runs on the I/O thread unless its comment says otherwise;
 * functions marked (t->mu) are called with the transport lock held.
 */
#ifndef RH_IO_H
#define RH_IO_H

#include <curl/curl.h>
#include <microhttpd.h>

#include "transport.h"

struct rh_conn;    /* server.c: one request */
struct rh_snap_in; /* snapshot_writer.c: one upload being received */

struct rh_io {
    CURLM *multi;
    struct MHD_Daemon *daemons[RH_MAX_LISTEN];
    unsigned ports[RH_MAX_LISTEN];
    size_t n_daemons;
    struct rh_xfer *xfers;          /* every transfer under way */
    struct rh_conn *waiting;        /* requests parked until answered */
    struct rh_stream_resp *streams; /* stream responses under way */
    struct rh_reply *replies;       /* processed requests to resume */
    /*
     * A connection was resumed: in external-poll mode libmicrohttpd acts
     * on that only in its next MHD_run, and does not wake our poll for it.
     */
    bool resumed;
    /* libmicrohttpd's last message ("Failed to bind to port 2380: ..."). */
    char mhd_error[256];
};

/*
 * A parked request: a POST waiting for process(), or a snapshot upload
 * waiting for its writer to make room. The I/O thread resumes it.
 */
struct rh_reply {
    struct rh_reply *next;      /* io->replies, while queued */
    struct MHD_Connection *mhd; /* NULL once the connection is gone */
    bool queued;                /* on io->replies */
    bool parked;                /* suspended by us, not yet resumed */
    bool ready;                 /* result is set */
    int result;                 /* what process() returned */
};

/* ----------------------------------------------------------- io_loop.c */

/* Asks the I/O thread to resume r's connection (t->mu). */
void rh_io_resume(struct rafthttp_transport *t, struct rh_reply *r);
/* r's connection is gone: never resume it (t->mu). */
void rh_io_forget(struct rafthttp_transport *t, struct rh_reply *r);

/* ------------------------------------------------------- http_client.c */

/* etcd's request headers (X-Server-From, versions, cluster, peer URLs). */
struct curl_slist *rh_client_headers(struct rafthttp_transport *t,
                                     const char *raft_to);

/*
 * TLS options for a transfer to url: none for http, the transport's for
 * https (RAFTHTTP_EINVAL when it has none). bind must live as long as the
 * transfer.
 */
int rh_client_tls(struct rafthttp_transport *t, CURL *e, const char *url,
                  struct rh_tls_bind *bind, uint64_t peer_id);

/* GET <url>/raft/stream/<type>/<our id>; 0 or RAFTHTTP_ENOMEM (t->mu). */
int rh_client_dial(struct rafthttp_transport *t, struct rh_peer *p,
                   enum rh_stream_type type);
/* POST <url>/raft with job's body; 0 or RAFTHTTP_ENOMEM (t->mu). */
int rh_client_post(struct rafthttp_transport *t, struct rh_peer *p,
                   struct rh_pipe_job *job);
/* GET <url>/raft/probing, as etcd's prober (t->mu). */
int rh_client_probe(struct rafthttp_transport *t, struct rh_peer *p);
/* Ends a transfer of ours, as if it had failed with why (t->mu). */
void rh_client_abort(struct rafthttp_transport *t, struct rh_xfer *x,
                     const char *why);
/* Aborts every transfer of p (removal) or all (p == NULL) (t->mu). */
void rh_client_abort_peer(struct rafthttp_transport *t, struct rh_peer *p);
/* Handles a finished transfer (t->mu not held). */
void rh_client_done(struct rafthttp_transport *t, CURL *easy, CURLcode rc);

/* ------------------------------------------------------------ server.c */

int rh_server_start(struct rafthttp_transport *t);
void rh_server_stop(struct rafthttp_transport *t);
/* Unparks a POST whose result is ready (t->mu). */
void rh_server_wake_reply(struct rafthttp_transport *t, struct rh_reply *r);
/* Ends every stream response and parked request, for stop (t->mu). */
void rh_server_end_all(struct rafthttp_transport *t);

/* What the handlers share (server.c). */
enum rh_conn_state {
    RH_CONN_NEW,      /* nothing seen yet */
    RH_CONN_BODY,     /* a pipeline body coming in (or a stream answered) */
    RH_CONN_SNAP,     /* a snapshot body coming in */
    RH_CONN_WAITING,  /* parked until process() (or the writer) is done */
    RH_CONN_REJECTED, /* refused mid-body: the rest is read, then answered */
    RH_CONN_ANSWERED  /* answered early: the rest of the body is ignored */
};

/* One request (libmicrohttpd's per-request context). */
struct rh_conn {
    struct rh_conn *next_waiting; /* io->waiting while parked */
    struct rh_conn *prev, *next;  /* t->conns, while alive */
    struct rafthttp_transport *t;
    enum rh_conn_state state;
    struct rh_pipeline_body body;
    bool too_big; /* the body passed max_msg_bytes */
    struct rh_reply reply;
    struct rh_snap_in *snap; /* a snapshot upload, or NULL */
    int reject_status;       /* RH_CONN_REJECTED: the answer */
    char reject_reason[200];
    size_t discarded; /* RH_CONN_REJECTED: bytes read since */
};

/* Header flags of an answer. */
enum rh_answer_flags {
    RH_WITH_CLUSTER = 1, /* X-Etcd-Cluster-ID */
    RH_WITH_VERSION = 2, /* X-Server-Version */
    RH_CLOSE = 4         /* Connection: close */
};

/* Writes a verdict out: http.Error text, etcd's JSON, or a 204. */
enum MHD_Result rh_server_answer(struct rafthttp_transport *t,
                                 struct MHD_Connection *c,
                                 const struct rh_verdict *v, int flags);
/* http.Error(status, body) with the given headers. */
enum MHD_Result rh_server_refuse(struct rafthttp_transport *t,
                                 struct MHD_Connection *c, int status,
                                 const char *body, int flags);
/* A plain answer of content_type (NULL: none) with body. */
enum MHD_Result rh_server_reply(struct rafthttp_transport *t,
                                struct MHD_Connection *c, unsigned status,
                                const char *content_type, const char *body,
                                int flags);
/* Adds etcd's headers of flags to r. */
void rh_server_headers(struct rafthttp_transport *t, struct MHD_Response *r,
                       int flags);
/* A request header's value, or NULL. */
const char *rh_server_header(struct MHD_Connection *c, const char *name);
/* Parks a request until rh_io_resume (t->mu). */
void rh_server_park(struct rh_conn *conn, struct MHD_Connection *c);
/* Parks a request until its result is ready (t->mu). */
void rh_server_wait(struct rafthttp_transport *t, struct rh_conn *conn,
                    struct MHD_Connection *c);
/* A request that waited is being answered: off the waiting list (t->mu). */
void rh_server_unwait(struct rafthttp_transport *t, struct rh_conn *conn);
/*
 * etcd's addRemoteFromRequest: a sender we do not know, with valid
 * X-PeerURLs, becomes a remote so that we can answer it.
 */
void rh_server_add_remote(struct rafthttp_transport *t,
                          struct MHD_Connection *c);

/* ----------------------------------------------------------- handlers */

/* server_pipeline.c: POST /raft. */
enum MHD_Result rh_on_pipeline(struct rafthttp_transport *t,
                               struct MHD_Connection *c, struct rh_conn *conn,
                               const struct rh_request *req, const char *data,
                               size_t *size);
/* server_snapshot.c: POST /raft/snapshot. */
enum MHD_Result rh_on_snapshot(struct rafthttp_transport *t,
                               struct MHD_Connection *c, struct rh_conn *conn,
                               const struct rh_request *req, const char *data,
                               size_t *size);
/* The answer to a request parked until processed (both handlers). */
enum MHD_Result rh_on_processed(struct rafthttp_transport *t,
                                struct MHD_Connection *c, struct rh_conn *conn);
/* server_stream.c: GET /raft/stream/<type>/<from>. */
enum MHD_Result rh_on_stream(struct rafthttp_transport *t,
                             struct MHD_Connection *c,
                             const struct rh_request *req);
/* Unparks a stream response so it sends, or sees its end (t->mu). */
void rh_stream_resp_wake(struct rh_stream_resp *s);
/* Ends every stream response, for stop (t->mu). */
void rh_stream_resp_end_all(struct rafthttp_transport *t);
/* server_paths.c: /raft/probing, /version, /members. */
enum MHD_Result rh_on_probing(struct rafthttp_transport *t,
                              struct MHD_Connection *c);
enum MHD_Result rh_on_version(struct rafthttp_transport *t,
                              struct MHD_Connection *c, const char *method);
enum MHD_Result rh_on_members(struct rafthttp_transport *t,
                              struct MHD_Connection *c, const char *method);

/* --------------------------------------------------- snapshot_writer.c */

/* A new upload (one reference: the connection's), or NULL. */
struct rh_snap_in *rh_snap_in_new(struct rafthttp_transport *t);
/*
 * Body bytes (t->mu): false with *v to refuse; on true *used bytes were
 * taken (fewer than n: park the connection until resumed through reply).
 * Starts the writer thread once the head is in.
 */
bool rh_snap_in_feed(struct rh_snap_in *s, const uint8_t *p, size_t n,
                     size_t *used, struct rh_reply *reply,
                     struct rh_verdict *v);
/* The body ended (t->mu): false with *v to answer now; true: park. */
bool rh_snap_in_finish(struct rh_snap_in *s, struct rh_reply *reply,
                       struct rh_verdict *v);
/* The answer once processed (t->mu); text holds its body. */
void rh_snap_in_answer(struct rh_snap_in *s, int result, char *text, size_t len,
                       struct rh_verdict *v);
/* The connection is gone (t->mu): drops its reference. */
void rh_snap_in_detach(struct rh_snap_in *s);

#endif /* RH_IO_H */
