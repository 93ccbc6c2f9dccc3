/*
 * io: what the I/O thread owns, shared by io_loop.c (the loop),
 * http_client.c (our dials and POSTs, libcurl) and http_server.c (the
 * peers' requests, libmicrohttpd). Everything here runs on the I/O thread;
 * functions marked (t->mu) are called with the transport lock held.
 */
#ifndef RH_IO_H
#define RH_IO_H

#include <curl/curl.h>
#include <microhttpd.h>

#include "transport.h"

struct rh_xfer;    /* http_client.c */
struct rh_conn;    /* http_server.c */
struct stream_ctx; /* http_server.c */

struct rh_io {
    CURLM *multi;
    struct MHD_Daemon *daemons[RH_MAX_LISTEN];
    unsigned ports[RH_MAX_LISTEN];
    size_t n_daemons;
    struct rh_xfer *xfers;    /* every transfer under way */
    struct rh_conn *waiting;  /* POSTs parked until process() returns */
    struct stream_ctx *streams; /* stream responses under way */
    /*
     * A connection was resumed: in external-poll mode libmicrohttpd acts
     * on that only in its next MHD_run, and does not wake our poll for it
     * (t->mu).
     */
    bool resumed;
};

/*
 * A parked request: a POST waiting for process(), or a snapshot upload
 * waiting for its writer to make room. The I/O thread resumes it.
 */
struct rh_reply {
    struct rh_reply *next;      /* t->replies, while queued */
    struct MHD_Connection *mhd; /* NULL once the connection is gone */
    bool queued;                /* on t->replies */
    bool parked;                /* suspended by us, not yet resumed */
    bool ready;                 /* result is set */
    int result;                 /* what process() returned */
};

/* Asks the I/O thread to resume r's connection (t->mu). */
void rh_io_resume(struct rafthttp_transport *t, struct rh_reply *r);
/* r's connection is gone: never resume it (t->mu). */
void rh_io_forget(struct rafthttp_transport *t, struct rh_reply *r);

/* etcd's words for the critical error: a peer says we were removed. */
extern const char rh_removed_detail[];

/* etcd's request headers (X-Server-From, versions, cluster, peer URLs). */
struct curl_slist *rh_client_headers(struct rafthttp_transport *t,
                                     const char *raft_to);

/*
 * TLS options for a transfer to url (http_client.c): none for http, the
 * transport's for https (RAFTHTTP_EINVAL when it has none). bind must live
 * as long as the transfer.
 */
int rh_client_tls(struct rafthttp_transport *t, CURL *e, const char *url,
                  struct rh_tls_bind *bind, uint64_t peer_id);

/* http_client.c (t->mu) */
int rh_client_dial(struct rafthttp_transport *t, struct rh_peer *p,
                   enum rh_stream_type type);
int rh_client_post(struct rafthttp_transport *t, struct rh_peer *p,
                   struct rh_pipe_job *job);
void rh_client_abort(struct rafthttp_transport *t, struct rh_xfer *x,
                     const char *why);
/* GET <url>/raft/probing, as etcd's prober (t->mu). */
int rh_client_probe(struct rafthttp_transport *t, struct rh_peer *p);
/* Handles a finished transfer (t->mu not held). */
void rh_client_done(struct rafthttp_transport *t, CURL *easy, CURLcode rc);
/* Aborts every transfer of p (removal) or all (p == NULL). */
void rh_client_abort_peer(struct rafthttp_transport *t, struct rh_peer *p);

/* http_server.c */
int rh_server_start(struct rafthttp_transport *t);
void rh_server_stop(struct rafthttp_transport *t);
/* Unparks a stream response that has data again (t->mu). */
void rh_server_wake_writer(struct rafthttp_transport *t,
                           struct rh_stream_writer *w);
/* Unparks a POST whose result is ready (t->mu). */
void rh_server_wake_reply(struct rafthttp_transport *t, struct rh_reply *r);
/* Ends every stream response and parked POST, for stop (t->mu). */
void rh_server_end_all(struct rafthttp_transport *t);

#endif /* RH_IO_H */
