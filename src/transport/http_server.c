/*
 * The server side, on libmicrohttpd in external-poll mode: the requests
 * peers send us. Runs on the I/O thread, inside MHD_run.
 *
 * Routes, as etcd's peer handler: POST /raft (pipeline), GET
 * /raft/stream/{msgapp,message}/<sender> (streams), /raft/probing; any other
 * path is 404 "404 page not found". Every answer is etcd's (status, body,
 * X-Etcd-Cluster-ID, X-Server-Version on stream answers). Failure modes:
 * 1. a check fails (method 405, version/cluster 412, path 404, removed
 *    sender 410, unknown sender 404, recipient 412): answered at once;
 * 2. a pipeline body over max_msg_bytes: 413, nothing kept beyond the cap;
 *    a body that is not a Message: 400 "error unmarshalling raft message";
 * 3. process() fails: 403 JSON when it says the sender was removed, else
 *    500 and the connection closes (etcd aborts it with a panic);
 * 4. the delivery queue is full, or we are stopping: 503;
 * 5. a stream connection fails or a newer one replaces it: the writer is
 *    detached, what was queued is dropped and reported unreachable.
 * A POST is parked (suspended) while a delivery thread runs process(), so
 * the 204 means "processed", as in etcd, and the loop never waits on it.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../pipeline/pipeline.h"
#include "io.h"
#include "snapshot.h"

/* Block size of stream responses: frames are coalesced up to this. */
#define STREAM_BLOCK_BYTES (64 * 1024)
#define CONN_MEMORY_BYTES (256 * 1024)

enum conn_state {
    C_NEW,      /* nothing seen yet */
    C_BODY,     /* a pipeline body coming in (or a stream answered) */
    C_SNAP,     /* a snapshot body coming in */
    C_WAITING,  /* parked until process() (or the snapshot writer) is done */
    C_REJECTED, /* refused mid-body: the rest is read, then the answer */
    C_ANSWERED  /* answered early: the rest of the body is ignored */
};

/* One request (MHD's per-request context). */
struct rh_conn {
    struct rh_conn *next_waiting;   /* io->waiting while parked */
    struct rafthttp_transport *t;
    enum conn_state state;
    struct rh_pipeline_body body;
    bool too_big;                   /* the body passed max_msg_bytes */
    struct rh_reply reply;
    struct rh_snap_recv *snap;      /* a snapshot upload, or NULL */
    int reject_status;              /* C_REJECTED: the answer to give */
    char reject_reason[200];
    size_t discarded;               /* C_REJECTED: body bytes read since */
};

/*
 * A refused upload is read to its end so that the answer can be sent; past
 * this much the connection is closed instead (a refused 2 GiB snapshot is
 * not worth reading).
 */
#define MAX_DISCARD_BYTES (16u * 1024 * 1024)

/* One stream response (lives as long as the MHD response). */
struct stream_ctx {
    struct stream_ctx *next;        /* io->streams */
    struct stream_ctx **pprev;
    struct rafthttp_transport *t;
    struct rh_peer *peer;           /* a reference */
    enum rh_stream_type type;
    uint64_t gen;
    struct MHD_Connection *mhd;
    bool suspended;                 /* parked in stream_pull */
};

static const char *const source_names[] = {"stream MsgApp v2",
                                           "stream Message"};

/* ----------------------------------------------------------- answers */

enum answer_flags {
    WITH_CLUSTER = 1, /* X-Etcd-Cluster-ID */
    WITH_VERSION = 2, /* X-Server-Version */
    CLOSE = 4         /* Connection: close */
};

static void version_text(const struct rafthttp_transport *t, char *buf,
                         size_t n)
{
    const struct rh_semver *v = &t->local.server_version;
    snprintf(buf, n, "%lld.%lld.%lld", (long long)v->major,
             (long long)v->minor, (long long)v->patch);
}

static void add_ids(struct rafthttp_transport *t, struct MHD_Response *r,
                    int flags)
{
    if (flags & WITH_CLUSTER) {
        MHD_add_response_header(r, "X-Etcd-Cluster-ID",
                                t->local.cluster_id_str);
    }
    if (flags & WITH_VERSION) {
        char v[64];
        version_text(t, v, sizeof(v));
        MHD_add_response_header(r, "X-Server-Version", v);
    }
    if (flags & CLOSE) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    }
}

static enum MHD_Result answer(struct rafthttp_transport *t,
                              struct MHD_Connection *c, unsigned status,
                              const char *content_type, const char *body,
                              const char *allow, int flags)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    if (content_type != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                content_type);
    }
    if (allow != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    }
    add_ids(t, r, flags);
    enum MHD_Result rv = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rv;
}

/* Go's http.Error: text/plain, nosniff, the message and a newline. */
static enum MHD_Result answer_error(struct rafthttp_transport *t,
                                    struct MHD_Connection *c,
                                    const struct rh_verdict *v, int flags)
{
    char body[160];
    snprintf(body, sizeof(body), "%s\n", v->body);
    if (v->status == 405) {
        flags = 0; /* etcd's 405 carries no X- headers */
    }
    rh_log(&t->log, RAFTHTTP_LOG_WARN, "refused request",
           "status=%d reason=\"%s\"", v->status, v->body);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (v->allow != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, v->allow);
    }
    add_ids(t, r, flags);
    enum MHD_Result rv = MHD_queue_response(c, (unsigned)v->status, r);
    MHD_destroy_response(r);
    return rv;
}

static enum MHD_Result refuse(struct rafthttp_transport *t,
                              struct MHD_Connection *c, int status,
                              const char *body, int flags)
{
    struct rh_verdict v = {status, body, NULL};
    return answer_error(t, c, &v, flags);
}

/* Parks a request's connection until rh_io_resume (t->mu held). */
static void park(struct rh_conn *conn, struct MHD_Connection *c)
{
    conn->reply.mhd = c;
    conn->reply.parked = true;
    MHD_suspend_connection(c);
}

/* ---------------------------------------------------------- requests */

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void read_request(struct MHD_Connection *c, const char *method,
                         const char *url, struct rh_request *req)
{
    req->method = method;
    req->path = url;
    req->server_version = header(c, "X-Server-Version");
    req->min_cluster_version = header(c, "X-Min-Cluster-Version");
    req->cluster_id = header(c, "X-Etcd-Cluster-ID");
    req->raft_to = header(c, "X-Raft-To");
}

/*
 * etcd's addRemoteFromRequest: a sender we do not know, with valid
 * X-PeerURLs, becomes a remote so that we can answer it.
 */
static void add_remote_from_request(struct rafthttp_transport *t,
                                    struct MHD_Connection *c)
{
    const char *from = header(c, "X-Server-From");
    const char *urls = header(c, "X-PeerURLs");
    uint64_t id;
    if (from == NULL || urls == NULL || rafthttp_id_parse(from, &id) != 0) {
        return;
    }
    char copy[1024];
    const char *list[16];
    size_t n = 0;
    snprintf(copy, sizeof(copy), "%s", urls);
    for (char *s = copy; s != NULL && n < 16;) {
        char *comma = strchr(s, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        list[n++] = s;
        s = comma != NULL ? comma + 1 : NULL;
    }
    if (rh_urls_valid(list, n)) {
        rafthttp_transport_add_remote(t, id, list, n);
    }
}

/* ------------------------------------------------------- pipeline POST */

static enum MHD_Result pipeline_start(struct rafthttp_transport *t,
                                      struct MHD_Connection *c,
                                      struct rh_conn *conn,
                                      const struct rh_request *req)
{
    struct rh_verdict v;
    conn->state = C_ANSWERED; /* unless it passes */
    if (!rh_check_post_request(&t->local, req, &v)) {
        return answer_error(t, c, &v, WITH_CLUSTER);
    }
    const char *len = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (len != NULL && strtoull(len, NULL, 10) > t->cfg.max_msg_bytes) {
        return refuse(t, c, 413, "raft message too large", WITH_CLUSTER);
    }
    add_remote_from_request(t, c);
    rh_pipeline_body_init(&conn->body, t->alloc, t->cfg.max_msg_bytes);
    conn->state = C_BODY;
    return MHD_YES;
}

/* The whole body is in: decode and park until process() returns. */
static enum MHD_Result pipeline_body_done(struct rafthttp_transport *t,
                                          struct MHD_Connection *c,
                                          struct rh_conn *conn)
{
    if (conn->too_big) {
        return refuse(t, c, 413, "raft message too large", WITH_CLUSTER);
    }
    struct rh_msg *msg = NULL;
    size_t bytes = conn->body.bytes.len;
    int rv = rh_pipeline_body_finish(&conn->body, &msg);
    rh_pipeline_body_close(&conn->body);
    if (rv != 0) {
        return refuse(t, c, 400, "error unmarshalling raft message",
                      WITH_CLUSTER);
    }
    pthread_mutex_lock(&t->mu);
    struct rh_peer *from = rh_find_peer(t, msg->m.from);
    unsigned status = 0;
    if (t->state != RH_STARTED) {
        status = 503;
        rh_msg_free(msg);
    } else if (t->paused) {
        status = 204; /* paused: dropped silently, as etcd's test hook */
        rh_msg_free(msg);
    } else if (!rh_deliver_message(t, &t->pipe_recv, &t->pipe_prop, msg,
                                   bytes, &conn->reply)) {
        status = 503;
        rh_drop(t, NULL, RAFTHTTP_MSG_APP, RAFTHTTP_DROP_RECV_FULL, false);
    } else {
        t->stats.received_msgs++;
        t->stats.received_pipeline++;
        if (from != NULL) {
            from->metrics.received_bytes += bytes;
        }
        conn->state = C_WAITING;
        conn->next_waiting = t->io->waiting;
        t->io->waiting = conn;
        park(conn, c);
    }
    pthread_mutex_unlock(&t->mu);
    if (status == 0) {
        return MHD_YES;
    }
    if (status == 204) {
        return answer(t, c, 204, NULL, "", NULL, WITH_CLUSTER);
    }
    return refuse(t, c, 503, "raft message queue full", WITH_CLUSTER);
}

static void unlink_waiting(struct rafthttp_transport *t, struct rh_conn *conn)
{
    if (t->io == NULL) {
        return; /* stopped: the list is gone */
    }
    struct rh_conn **pp = &t->io->waiting;
    while (*pp != NULL && *pp != conn) {
        pp = &(*pp)->next_waiting;
    }
    if (*pp == conn) {
        *pp = conn->next_waiting;
    }
}

/* A snapshot's result, in etcd's words (t->mu held for save_failed). */
static enum MHD_Result snapshot_reply(struct rafthttp_transport *t,
                                      struct MHD_Connection *c,
                                      struct rh_conn *conn, int result,
                                      const char *save_error)
{
    char body[240];
    if (result == RAFTHTTP_EIO && save_error != NULL) {
        return refuse(t, c, 500, save_error, WITH_CLUSTER);
    }
    snprintf(body, sizeof(body), "failed to process raft message (%s)",
             rafthttp_strerror(result));
    (void)conn;
    return refuse(t, c, 500, body, WITH_CLUSTER);
}

/* Back from process(): etcd's answers. */
static enum MHD_Result pipeline_reply(struct rafthttp_transport *t,
                                      struct MHD_Connection *c,
                                      struct rh_conn *conn)
{
    char save_error[200] = "";
    const char *reason = NULL;
    pthread_mutex_lock(&t->mu);
    unlink_waiting(t, conn);
    int result = conn->reply.ready ? conn->reply.result : RAFTHTTP_ESTOPPED;
    if (conn->snap != NULL && rh_snap_recv_save_failed(conn->snap, &reason)) {
        snprintf(save_error, sizeof(save_error), "%s", reason);
    }
    pthread_mutex_unlock(&t->mu);
    conn->state = C_ANSWERED;
    bool snap = conn->snap != NULL;
    if (snap && result != 0 && result != RAFTHTTP_EREMOVED &&
        result != RAFTHTTP_ESTOPPED) {
        return snapshot_reply(t, c, conn, result,
                              save_error[0] != '\0' ? save_error : NULL);
    }
    switch (result) {
    case 0:
        return answer(t, c, 204, NULL, "", NULL, WITH_CLUSTER);
    case RAFTHTTP_EREMOVED:
        return answer(t, c, 403, "application/json",
                      "{\"message\":\"cannot process message from removed "
                      "member\"}",
                      NULL, WITH_CLUSTER);
    case RAFTHTTP_ESTOPPED:
        return refuse(t, c, 503, "transport stopped", WITH_CLUSTER | CLOSE);
    default:
        return refuse(t, c, 500, "error processing raft message",
                      WITH_CLUSTER | CLOSE);
    }
}

static enum MHD_Result on_pipeline(struct rafthttp_transport *t,
                                   struct MHD_Connection *c,
                                   struct rh_conn *conn,
                                   const struct rh_request *req,
                                   const char *data, size_t *size)
{
    switch (conn->state) {
    case C_NEW:
        return pipeline_start(t, c, conn, req);
    case C_BODY:
        if (*size == 0) {
            return pipeline_body_done(t, c, conn);
        }
        if (!conn->too_big &&
            rh_pipeline_body_feed(&conn->body, (const uint8_t *)data,
                                  *size) != 0) {
            conn->too_big = true;
        }
        *size = 0;
        return MHD_YES;
    case C_WAITING:
        return pipeline_reply(t, c, conn);
    case C_SNAP:
    case C_REJECTED:
    case C_ANSWERED:
        break;
    }
    *size = 0; /* answered already: the rest is dropped */
    return MHD_YES;
}

/* ----------------------------------------------------------- snapshot */

static enum MHD_Result snapshot_start(struct rafthttp_transport *t,
                                      struct MHD_Connection *c,
                                      struct rh_conn *conn,
                                      const struct rh_request *req)
{
    struct rh_verdict v;
    if (!rh_check_post_request(&t->local, req, &v)) {
        conn->state = C_ANSWERED;
        return answer_error(t, c, &v, WITH_CLUSTER);
    }
    add_remote_from_request(t, c);
    conn->snap = rh_snap_recv_new(t);
    if (conn->snap == NULL) {
        conn->state = C_ANSWERED;
        return refuse(t, c, 500, "failed to save KV snapshot (out of memory)",
                      WITH_CLUSTER);
    }
    conn->state = C_SNAP;
    return MHD_YES;
}

/* Body bytes: to the writer, parking when it is behind. */
static enum MHD_Result snapshot_body(struct rafthttp_transport *t,
                                     struct MHD_Connection *c,
                                     struct rh_conn *conn, const char *data,
                                     size_t *size)
{
    const char *reason = NULL;
    size_t used = 0;
    pthread_mutex_lock(&t->mu);
    int status = rh_snap_recv_feed(conn->snap, (const uint8_t *)data, *size,
                                   &used, &conn->reply, &reason);
    if (status == 0 && used < *size) {
        park(conn, c); /* resumed when the writer has room */
    }
    if (status != 0) { /* reason lives in the receiver: copy it locked */
        snprintf(conn->reject_reason, sizeof(conn->reject_reason), "%s",
                 reason);
    }
    pthread_mutex_unlock(&t->mu);
    if (status != 0) {
        /*
         * libmicrohttpd takes no answer in the middle of an upload: read
         * the rest, answer at its end.
         */
        *size = 0;
        conn->state = C_REJECTED;
        conn->reject_status = status;
        return MHD_YES;
    }
    *size -= used;
    return MHD_YES;
}

/* The body ended: park until saved and processed. */
static enum MHD_Result snapshot_end(struct rafthttp_transport *t,
                                    struct MHD_Connection *c,
                                    struct rh_conn *conn)
{
    const char *reason = NULL;
    pthread_mutex_lock(&t->mu);
    int status = rh_snap_recv_finish(conn->snap, &conn->reply, &reason);
    if (status == 0) {
        conn->state = C_WAITING;
        conn->next_waiting = t->io->waiting;
        t->io->waiting = conn;
        park(conn, c);
    }
    pthread_mutex_unlock(&t->mu);
    if (status != 0) {
        conn->state = C_ANSWERED;
        return refuse(t, c, status, reason, WITH_CLUSTER);
    }
    return MHD_YES;
}

static enum MHD_Result on_snapshot(struct rafthttp_transport *t,
                                   struct MHD_Connection *c,
                                   struct rh_conn *conn,
                                   const struct rh_request *req,
                                   const char *data, size_t *size)
{
    switch (conn->state) {
    case C_NEW:
        return snapshot_start(t, c, conn, req);
    case C_SNAP:
        return *size > 0 ? snapshot_body(t, c, conn, data, size)
                         : snapshot_end(t, c, conn);
    case C_WAITING:
        return pipeline_reply(t, c, conn);
    case C_REJECTED:
        if (*size == 0) {
            conn->state = C_ANSWERED;
            return refuse(t, c, conn->reject_status, conn->reject_reason,
                          WITH_CLUSTER);
        }
        conn->discarded += *size;
        *size = 0;
        return conn->discarded <= MAX_DISCARD_BYTES ? MHD_YES : MHD_NO;
    default:
        *size = 0; /* answered already: the rest is dropped */
        return MHD_YES;
    }
}

/* ------------------------------------------------------------ streams */

static ssize_t stream_pull(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream_ctx *s = cls;
    struct rafthttp_transport *t = s->t;
    pthread_mutex_lock(&t->mu);
    struct rh_stream_writer *w = &s->peer->writers[s->type];
    if (s->peer->removed || w->gen != s->gen || t->state != RH_STARTED) {
        pthread_mutex_unlock(&t->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = rh_stream_writer_pull(w, (uint8_t *)buf, max, rh_now_ms());
    if (n == 0) {
        w->suspended = true;
        s->suspended = true;
        MHD_suspend_connection(s->mhd);
    } else {
        rh_account_sent(t, s->peer, n);
        s->peer->metrics.sent_bytes += n;
    }
    pthread_mutex_unlock(&t->mu);
    return (ssize_t)n;
}

/* The stream response is gone: the connection ended or was replaced. */
static void stream_gone(void *cls)
{
    struct stream_ctx *s = cls;
    struct rafthttp_transport *t = s->t;
    pthread_mutex_lock(&t->mu);
    struct rh_peer *p = s->peer;
    struct rh_stream_writer *w = &p->writers[s->type];
    if (w->gen == s->gen) {
        size_t dropped = rh_stream_writer_detach(w);
        rh_account_sent(t, p, dropped);
        if (!p->removed && t->state == RH_STARTED) {
            rh_mark_inactive(t, p, source_names[s->type],
                             "stream connection closed");
            if (dropped > 0) {
                rh_drop(t, p, RAFTHTTP_MSG_APP, RAFTHTTP_DROP_NO_CONNECTION,
                        true);
            }
        }
    }
    if (s->pprev != NULL) {
        *s->pprev = s->next;
        if (s->next != NULL) {
            s->next->pprev = s->pprev;
        }
    }
    rh_peer_unref(t, p);
    pthread_mutex_unlock(&t->mu);
    rh_free(t->alloc, s);
}

/* Unparks a stream response so it sends, or sees that it has ended. */
static void wake_stream(struct stream_ctx *s)
{
    if (s != NULL && s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->mhd);
        s->t->io->resumed = true;
    }
}

/* Binds a new connection to the peer's writer (t->mu held). */
static void attach_writer(struct rafthttp_transport *t, struct rh_peer *p,
                          struct stream_ctx *s, struct MHD_Connection *c)
{
    struct rh_stream_writer *w = &p->writers[s->type];
    int64_t now = rh_now_ms();
    wake_stream(w->conn); /* the connection it replaces ends */
    s->mhd = c;
    s->next = t->io->streams;
    s->pprev = &t->io->streams;
    if (s->next != NULL) {
        s->next->pprev = &s->next;
    }
    t->io->streams = s;
    size_t dropped = rh_stream_writer_attach(w, s, s->gen, now);
    rh_account_sent(t, p, dropped);
    if (dropped > 0) {
        rh_drop(t, p, RAFTHTTP_MSG_APP, RAFTHTTP_DROP_NO_CONNECTION, true);
    }
    /* Bytes at once, so the answer's head goes out now. */
    rh_account_queued(t, p, rh_stream_writer_heartbeat(w, t->alloc));
    rh_mark_active(t, p, source_names[s->type]);
    for (int i = 0; i < 2; i++) { /* it is alive: dial it back now */
        if (p->readers[i].xfer == NULL) {
            p->readers[i].next_dial_ms = now;
            p->readers[i].backoff_ms = t->cfg.dial_retry_min_ms;
        }
    }
    rh_io_kick(t);
}

/* Who may open a stream: a known peer, not removed, addressing us. */
static struct stream_ctx *admit_stream(struct rafthttp_transport *t,
                                       const struct rh_request *req,
                                       enum rh_stream_type type,
                                       uint64_t from, struct rh_verdict *v)
{
    if (t->state != RH_STARTED) {
        *v = (struct rh_verdict){503, "transport stopped", NULL};
        return NULL;
    }
    struct rh_peer *p = rh_find_peer(t, from);
    if (p == NULL || p->remote) {
        *v = (struct rh_verdict){404, "error sender not found", NULL};
        return NULL;
    }
    if (!rh_check_recipient(&t->local, req, v)) {
        return NULL;
    }
    struct stream_ctx *s = rh_calloc(t->alloc, 1, sizeof(*s));
    if (s == NULL) {
        *v = (struct rh_verdict){500, "out of memory", NULL};
        return NULL;
    }
    s->t = t;
    s->peer = p;
    s->type = type;
    s->gen = t->next_gen++;
    rh_peer_ref(p);
    return s;
}

static enum MHD_Result on_stream(struct rafthttp_transport *t,
                                 struct MHD_Connection *c,
                                 const struct rh_request *req)
{
    struct rh_verdict v;
    enum rh_stream_type type;
    uint64_t from;
    if (!rh_check_stream_request(&t->local, req, &type, &from, &v)) {
        return answer_error(t, c, &v, WITH_CLUSTER | WITH_VERSION);
    }
    if (t->cfg.pipeline_only) {
        return refuse(t, c, 404, "404 page not found", 0);
    }
    const struct rafthttp_raft_ops *ops = t->cfg.raft_ops;
    if (ops != NULL && ops->is_id_removed != NULL &&
        ops->is_id_removed(t, from, t->cfg.raft_user_data)) {
        return refuse(t, c, 410, "removed member",
                      WITH_CLUSTER | WITH_VERSION);
    }
    pthread_mutex_lock(&t->mu);
    bool known = rh_find_peer(t, from) != NULL;
    pthread_mutex_unlock(&t->mu);
    if (!known) {
        add_remote_from_request(t, c);
    }
    pthread_mutex_lock(&t->mu);
    struct stream_ctx *s = admit_stream(t, req, type, from, &v);
    pthread_mutex_unlock(&t->mu);
    if (s == NULL) {
        return answer_error(t, c, &v, WITH_CLUSTER | WITH_VERSION);
    }
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, STREAM_BLOCK_BYTES, stream_pull, s, stream_gone);
    if (r == NULL) {
        stream_gone(s);
        return MHD_NO;
    }
    add_ids(t, r, WITH_CLUSTER | WITH_VERSION);
    pthread_mutex_lock(&t->mu);
    attach_writer(t, s->peer, s, c);
    pthread_mutex_unlock(&t->mu);
    enum MHD_Result rv = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rv;
}

/* ------------------------------------------------------------ probing */

/* {"OK":true,"Now":"<RFC 3339, nanoseconds>"} as Go's json.Encoder. */
static enum MHD_Result on_probing(struct rafthttp_transport *t,
                                  struct MHD_Connection *c)
{
    struct timespec ts;
    struct tm tm;
    char when[40], frac[16] = "", body[96];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    if (ts.tv_nsec != 0) { /* Go trims trailing zeros of the fraction */
        snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
        size_t n = strlen(frac);
        while (frac[n - 1] == '0') {
            frac[--n] = '\0';
        }
    }
    snprintf(body, sizeof(body), "{\"OK\":true,\"Now\":\"%s%sZ\"}\n", when,
             frac);
    return answer(t, c, 200, "text/plain; charset=utf-8", body, NULL, 0);
}

/* ------------------------------------------- etcd's other peer paths */

/* etcd's 405 for its GET-only peer paths (http.Error, Allow: GET). */
static enum MHD_Result refuse_get_only(struct rafthttp_transport *t,
                                       struct MHD_Connection *c)
{
    struct rh_verdict v = {405, "Method Not Allowed", "GET"};
    return answer_error(t, c, &v, 0);
}

/*
 * GET /version: the leader polls it every 4 s to decide the cluster
 * version; without it etcd logs an error per member and poll.
 */
static enum MHD_Result on_version(struct rafthttp_transport *t,
                                  struct MHD_Connection *c, const char *method)
{
    if (strcmp(method, "GET") != 0) {
        return refuse_get_only(t, c);
    }
    return answer(t, c, 200, "application/json", t->version_json, NULL, 0);
}

/* GET /members: read by an etcd member that joins or bootstraps. */
static enum MHD_Result on_members(struct rafthttp_transport *t,
                                  struct MHD_Connection *c, const char *method)
{
    if (strcmp(method, "GET") != 0) {
        return refuse_get_only(t, c);
    }
    pthread_mutex_lock(&t->mu); /* it may be replaced at any time */
    struct MHD_Response *r =
        t->members_json == NULL
            ? NULL
            : MHD_create_response_from_buffer(strlen(t->members_json),
                                              t->members_json,
                                              MHD_RESPMEM_MUST_COPY);
    pthread_mutex_unlock(&t->mu);
    if (r == NULL) {
        return refuse(t, c, 404, "404 page not found", 0);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    add_ids(t, r, WITH_CLUSTER);
    enum MHD_Result rv = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rv;
}

/* ----------------------------------------------------------- dispatch */

/* With TLS configured, connections get a record of their certificate's
 * check (freed when they close). */
static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)c;
    struct rafthttp_transport *t = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED && t->tls != NULL) {
        *socket_context = rh_calloc(t->alloc, 1, sizeof(struct rh_tls_peer));
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        rh_free(t->alloc, *socket_context);
        *socket_context = NULL;
    }
}

static const char *remote_addr(struct MHD_Connection *c, char *buf,
                               size_t n)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    buf[0] = '\0';
    if (info != NULL && info->client_addr != NULL) {
        const struct sockaddr *sa = info->client_addr;
        socklen_t len = sa->sa_family == AF_INET6
                            ? sizeof(struct sockaddr_in6)
                            : sizeof(struct sockaddr_in);
        char host[64], port[8];
        if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
            snprintf(buf, n, "%s:%s", host, port);
        }
    }
    return buf;
}

/* The sender a request speaks for: its stream path's, or X-Server-From. */
static uint64_t claimed_sender(struct MHD_Connection *c, const char *url)
{
    uint64_t id = 0;
    if (rh_route_path(url) == RH_ROUTE_STREAM) {
        const char *slash = strrchr(url, '/');
        if (slash != NULL && rafthttp_id_parse(slash + 1, &id) == 0) {
            return id;
        }
    }
    const char *from = header(c, "X-Server-From");
    return from != NULL && rafthttp_id_parse(from, &id) == 0 ? id : 0;
}

/*
 * A TLS connection's client certificate, checked once per connection, and
 * the member it names against the one the request speaks for. Returns
 * true to go on; false with *rv MHD_NO, which closes the connection.
 */
static bool tls_admit(struct rafthttp_transport *t, struct MHD_Connection *c,
                      const char *url, enum MHD_Result *rv)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct rh_tls_peer *peer = info != NULL ? info->socket_context : NULL;
    const union MHD_ConnectionInfo *session =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (t->tls == NULL || peer == NULL || session == NULL ||
        session->tls_session == NULL) {
        return true; /* a plain http listener */
    }
    char addr[96];
    if (!peer->checked) {
        rh_tls_check_client(t->tls, c, peer);
    }
    if (peer->failed != NULL) {
        rh_log(&t->log, RAFTHTTP_LOG_WARN,
               "TLS: refusing a peer connection",
               "remote=%s check=\"%s\" detail=\"%s\"",
               remote_addr(c, addr, sizeof(addr)), peer->failed,
               peer->detail);
        *rv = MHD_NO; /* closes the connection */
        return false;
    }
    uint64_t claimed = claimed_sender(c, url);
    if (!rh_tls_binds_member(t->tls) || claimed == 0 ||
        claimed == peer->member) {
        return true;
    }
    rh_log(&t->log, RAFTHTTP_LOG_WARN,
           "TLS: refusing a request for another member than its certificate",
           "remote=%s check=\"certificate member\" claimed=%llx named=%llx",
           remote_addr(c, addr, sizeof(addr)), (unsigned long long)claimed,
           (unsigned long long)peer->member);
    *rv = MHD_NO;
    return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct rafthttp_transport *t = cls;
    struct rh_conn *conn = *con_cls;
    if (conn == NULL) {
        conn = rh_calloc(t->alloc, 1, sizeof(*conn));
        if (conn == NULL) {
            return MHD_NO;
        }
        conn->t = t;
        *con_cls = conn;
        enum MHD_Result rv;
        if (!tls_admit(t, c, url, &rv)) {
            return rv;
        }
    }
    struct rh_request req;
    read_request(c, method, url, &req);
    switch (rh_route_path(url)) {
    case RH_ROUTE_PIPELINE:
        return on_pipeline(t, c, conn, &req, upload_data, upload_data_size);
    case RH_ROUTE_STREAM:
        if (conn->state != C_NEW) {
            return MHD_YES;
        }
        conn->state = C_BODY; /* answered once; nothing else to read */
        return on_stream(t, c, &req);
    case RH_ROUTE_SNAPSHOT:
        return on_snapshot(t, c, conn, &req, upload_data, upload_data_size);
    case RH_ROUTE_PROBING:
        return on_probing(t, c);
    case RH_ROUTE_VERSION:
        return on_version(t, c, method);
    case RH_ROUTE_MEMBERS:
        return on_members(t, c, method);
    default:
        return refuse(t, c, 404, "404 page not found", 0);
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)c;
    (void)why;
    struct rafthttp_transport *t = cls;
    struct rh_conn *conn = *con_cls;
    if (conn == NULL) {
        return;
    }
    rh_pipeline_body_close(&conn->body); /* harmless when unused */
    pthread_mutex_lock(&t->mu);
    unlink_waiting(t, conn);
    rh_io_forget(t, &conn->reply);
    if (conn->snap != NULL) {
        rh_snap_recv_detach(conn->snap);
    }
    pthread_mutex_unlock(&t->mu);
    rh_free(t->alloc, conn);
    *con_cls = NULL;
}

/* ------------------------------------------- an application's daemon */

int rafthttp_transport_mhd_access(struct rafthttp_transport *t,
                                  void *connection, const char *url,
                                  const char *method, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    if (t == NULL || t->magic != RH_TRANSPORT_MAGIC || connection == NULL ||
        url == NULL || method == NULL || upload_data_size == NULL ||
        con_cls == NULL) {
        return MHD_NO;
    }
    pthread_mutex_lock(&t->mu);
    bool running = t->state == RH_STARTED && t->io != NULL;
    pthread_mutex_unlock(&t->mu);
    if (!running) {
        return (int)refuse(t, connection, 503, "transport stopped", 0);
    }
    return (int)on_request(t, connection, url, method, MHD_HTTP_VERSION_1_1,
                           upload_data, upload_data_size, con_cls);
}

void rafthttp_transport_mhd_completed(struct rafthttp_transport *t,
                                      void **con_cls)
{
    if (t != NULL && t->magic == RH_TRANSPORT_MAGIC && con_cls != NULL) {
        on_completed(t, NULL, con_cls, MHD_REQUEST_TERMINATED_COMPLETED_OK);
    }
}

__attribute__((format(printf, 2, 0))) static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct rafthttp_transport *t = cls;
    char text[256];
    vsnprintf(text, sizeof(text), fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    rh_log(&t->log, RAFTHTTP_LOG_DEBUG, "http server", "detail=\"%s\"", text);
}

/* ------------------------------------------------------------- daemons */

static int resolve(const struct rh_url *u, struct sockaddr_storage *ss,
                   bool *v6)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port[8];
    snprintf(port, sizeof(port), "%u", u->port);
    if (getaddrinfo(u->host, port, &hints, &res) != 0 || res == NULL) {
        return RAFTHTTP_EINVAL;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

static struct MHD_Daemon *listen_on(struct rafthttp_transport *t,
                                    const char *url)
{
    struct rh_url u;
    struct sockaddr_storage ss;
    bool v6 = false;
    if (rh_url_parse(url, &u) != 0 || resolve(&u, &ss, &v6) != 0) {
        rh_set_errmsg(t, "listen %s: not a URL with an address", url);
        return NULL;
    }
    bool https = strcmp(u.scheme, "https") == 0;
    if (https && (t->tls == NULL || !MHD_is_feature_supported(MHD_FEATURE_TLS))) {
        rh_set_errmsg(t, "listen %s: %s", url,
                      t->tls == NULL ? "https needs TLS configured"
                                     : "libmicrohttpd was built without TLS");
        return NULL;
    }
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0) |
                     (https ? MHD_USE_TLS : 0);
    unsigned idle_s = (t->cfg.read_timeout_ms + 999) / 1000;
    struct MHD_OptionItem tls_opts[RH_TLS_MHD_OPTIONS];
    tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    if (https) {
        rh_tls_mhd_options(t->tls, tls_opts);
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, t, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, t, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, t,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, t,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_BYTES,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    if (d == NULL) {
        rh_set_errmsg(t, "listen %s: cannot %s", url,
                      https ? "bind or set up TLS" : "bind");
    }
    return d;
}

int rh_server_start(struct rafthttp_transport *t)
{
    struct rh_io *io = t->io;
    for (size_t i = 0; i < t->cfg.n_listen_urls; i++) {
        struct MHD_Daemon *d = listen_on(t, t->cfg.listen_urls[i]);
        if (d == NULL) {
            return RAFTHTTP_EIO;
        }
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        io->ports[io->n_daemons] = info != NULL ? info->port : 0;
        io->daemons[io->n_daemons++] = d;
        if (t->tls != NULL &&
            rh_tls_server_register(t->tls, io->ports[io->n_daemons - 1]) !=
                0) {
            return RAFTHTTP_EIO;
        }
    }
    return 0;
}

void rh_server_stop(struct rafthttp_transport *t)
{
    struct rh_io *io = t->io;
    for (size_t i = 0; i < io->n_daemons; i++) {
        MHD_stop_daemon(io->daemons[i]);
        if (t->tls != NULL) {
            rh_tls_server_unregister(io->ports[i]);
        }
    }
    io->n_daemons = 0;
}

void rh_server_wake_writer(struct rafthttp_transport *t,
                           struct rh_stream_writer *w)
{
    (void)t;
    w->suspended = false;
    wake_stream(w->conn);
}

void rh_server_wake_reply(struct rafthttp_transport *t, struct rh_reply *r)
{
    if (r->mhd != NULL && r->parked) { /* resuming twice is undefined */
        r->parked = false;
        MHD_resume_connection(r->mhd);
        t->io->resumed = true;
    }
}


/* Forgets POST replies still queued for delivery threads that are gone. */
static void orphan_replies(struct rh_mailbox *mb)
{
    for (struct rh_event *ev = mb->head; ev != NULL; ev = ev->next) {
        ev->reply = NULL;
    }
}

void rh_server_end_all(struct rafthttp_transport *t)
{
    orphan_replies(&t->pipe_recv);
    orphan_replies(&t->pipe_prop);
    while (t->replies != NULL) {
        struct rh_reply *r = t->replies;
        t->replies = r->next;
        r->queued = false;
        rh_server_wake_reply(t, r);
    }
    while (t->io->waiting != NULL) {
        struct rh_conn *c = t->io->waiting;
        t->io->waiting = c->next_waiting;
        if (!c->reply.ready) {
            c->reply.ready = true;
            c->reply.result = RAFTHTTP_ESTOPPED;
        }
        rh_server_wake_reply(t, &c->reply);
    }
    /*
     * Streams end when their daemon next pulls (we are stopping); one in an
     * application's daemon may do so after t->io is gone, so unlink them.
     */
    while (t->io->streams != NULL) {
        struct stream_ctx *s = t->io->streams;
        t->io->streams = s->next;
        wake_stream(s);
        s->next = NULL;
        s->pprev = NULL;
    }
}
