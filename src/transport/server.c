// SPDX-License-Identifier: Apache-2.0
/*
 * The server side, on libmicrohttpd in external-poll mode: the daemons,
 * the dispatch of each request to its handler, and the writing of
 * answers. Runs on the I/O thread, inside MHD_run (or on an application
 * daemon's thread, through rafthttp_transport_mhd_access).
 *
 * Routes, as etcd's peer handler (http/request_check.c decides): POST
 * /raft (server_pipeline.c), GET /raft/stream/{msgapp,message}/<sender>
 * (server_stream.c), POST /raft/snapshot (server_snapshot.c),
 * /raft/probing, /version and /members (server_paths.c); any other path is
 * 404 "404 page not found". Every answer is etcd's: status, body,
 * X-Etcd-Cluster-ID, X-Server-Version on stream answers.
 *
 * With TLS, each connection's client certificate is checked before its
 * first request is served (tls/tls_admit.c); a failed check closes it.
 *
 * A request whose answer depends on process() is parked (suspended) until
 * the delivery thread hands the result back (rh_io_answer); the I/O thread
 * resumes it and its handler answers, so a 204 means "processed", as in
 * etcd, and the loop never waits. Failure modes: a daemon that cannot
 * bind fails start with RAFTHTTP_EIO and the reason in errmsg; out of
 * memory for a request closes its connection.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "io.h"

#define CONN_MEMORY_BYTES (256 * 1024)

/* ----------------------------------------------------------- answers */

void rh_server_headers(struct rafthttp_transport *t, struct MHD_Response *r,
                       int flags)
{
    if (flags & RH_WITH_CLUSTER) {
        MHD_add_response_header(r, "X-Etcd-Cluster-ID",
                                t->local.cluster_id_str);
    }
    if (flags & RH_WITH_VERSION) {
        char v[64];
        const struct rh_semver *sv = &t->local.server_version;
        snprintf(v, sizeof(v), "%lld.%lld.%lld", (long long)sv->major,
                 (long long)sv->minor, (long long)sv->patch);
        MHD_add_response_header(r, "X-Server-Version", v);
    }
    if (flags & RH_CLOSE) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    }
}

enum MHD_Result rh_server_reply(struct rafthttp_transport *t,
                                struct MHD_Connection *c, unsigned status,
                                const char *content_type, const char *body,
                                int flags)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    if (content_type != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    }
    rh_server_headers(t, r, flags);
    enum MHD_Result rv = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rv;
}

/*
 * What etcd logs when it refuses a request, by the body it answers with
 * (http.go and util.go); refusals etcd does not log get "refused request".
 */
static const struct {
    const char *body;
    const char *msg;
} refusal_logs[] = {
    {"cluster ID mismatch", "request cluster ID mismatch"},
    {"incompatible version", "failed to check version compatibility"},
    {"malformed version header", "failed to check version compatibility"},
    {"invalid path", "ignored unexpected streaming request path"},
    {"invalid from", "failed to parse path into ID"},
    {"to field mismatch", "ignored streaming request; ID mismatch"},
    {"removed member",
     "rejected stream from remote peer because it was removed"},
    {"error sender not found", "failed to find remote peer in cluster"},
    {"error unmarshalling raft message", "failed to unmarshal Raft message"},
    {"error processing raft message", "failed to process Raft message"},
    {"wrong raft message type", "unexpected Raft message type"},
};

static const char *refusal_log(const char *body)
{
    for (size_t i = 0; i < sizeof(refusal_logs) / sizeof(refusal_logs[0]);
         i++) {
        if (strcmp(body, refusal_logs[i].body) == 0) {
            return refusal_logs[i].msg;
        }
    }
    return strncmp(body, "failed to save KV snapshot", 26) == 0
               ? "failed to save incoming database snapshot"
               : "refused request";
}

/*
 * Logs a refusal as etcd does: who asked (its ID, address, cluster ID and
 * version) and what we are.
 */
static void log_refusal(struct rafthttp_transport *t, struct MHD_Connection *c,
                        const struct rh_verdict *v)
{
    const char *from = rh_server_header(c, "X-Server-From");
    const char *cid = rh_server_header(c, "X-Etcd-Cluster-ID");
    const char *version = rh_server_header(c, "X-Server-Version");
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char addr[96], status[8];
    rh_sockaddr_text(info != NULL ? info->client_addr : NULL, addr,
                     sizeof(addr));
    /* Our own shutdown is no peer's fault: not a warning. */
    bool stopping =
        v->status == 503 && strcmp(v->body, "transport stopped") == 0;
    rh_log(&t->log, stopping ? RAFTHTTP_LOG_INFO : RAFTHTTP_LOG_WARN,
           refusal_log(v->body),
           RH_F("local-member-cluster-id", t->local.cluster_id_str),
           RH_F("remote-peer-id", from != NULL ? from : ""),
           RH_F("remote-addr", addr),
           RH_F("remote-peer-cluster-id", cid != NULL ? cid : ""),
           RH_F("remote-peer-server-version", version != NULL ? version : ""),
           RH_F("status", rh_fmt(status, sizeof(status), "%d", v->status)),
           RH_F("error", v->body));
}

/* Go's http.Error: text/plain, nosniff, the message and a newline. */
static enum MHD_Result answer_error(struct rafthttp_transport *t,
                                    struct MHD_Connection *c,
                                    const struct rh_verdict *v, int flags)
{
    char body[240];
    snprintf(body, sizeof(body), "%s\n", v->body);
    if (v->status == 405) {
        flags = 0; /* etcd's 405 carries no X- headers */
    }
    log_refusal(t, c, v);
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
    rh_server_headers(t, r, flags);
    enum MHD_Result rv = MHD_queue_response(c, (unsigned)v->status, r);
    MHD_destroy_response(r);
    return rv;
}

enum MHD_Result rh_server_answer(struct rafthttp_transport *t,
                                 struct MHD_Connection *c,
                                 const struct rh_verdict *v, int flags)
{
    if (v->close) {
        flags |= RH_CLOSE;
    }
    if (v->status == 204) {
        return rh_server_reply(t, c, 204, NULL, "", flags);
    }
    if (v->json) {
        return rh_server_reply(t, c, (unsigned)v->status, "application/json",
                               v->body, flags);
    }
    return answer_error(t, c, v, flags);
}

enum MHD_Result rh_server_refuse(struct rafthttp_transport *t,
                                 struct MHD_Connection *c, int status,
                                 const char *body, int flags)
{
    struct rh_verdict v;
    rh_refuse(&v, status, body);
    return answer_error(t, c, &v, flags);
}

/* ---------------------------------------------------------- requests */

const char *rh_server_header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

void rh_server_park(struct rh_conn *conn, struct MHD_Connection *c)
{
    RH_ASSERT_HELD(&conn->t->mu);
    assert(!conn->reply.parked);
    conn->reply.mhd = c;
    conn->reply.parked = true;
    MHD_suspend_connection(c);
}

void rh_server_wait(struct rafthttp_transport *t, struct rh_conn *conn,
                    struct MHD_Connection *c)
{
    conn->state = RH_CONN_WAITING;
    conn->next_waiting = t->io->waiting;
    t->io->waiting = conn;
    rh_server_park(conn, c);
}

void rh_server_unwait(struct rafthttp_transport *t, struct rh_conn *conn)
{
    RH_ASSERT_HELD(&t->mu);
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

void rh_server_add_remote(struct rafthttp_transport *t,
                          struct MHD_Connection *c)
{
    const char *from_text = rh_server_header(c, "X-Server-From");
    const char *urls = rh_server_header(c, "X-PeerURLs");
    uint64_t from;
    if (from_text == NULL || urls == NULL ||
        rafthttp_id_parse(from_text, &from) != 0) {
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
        rafthttp_transport_add_remote(t, from, list, n);
    }
}

static void read_request(struct MHD_Connection *c, const char *method,
                         const char *url, struct rh_request *req)
{
    req->method = method;
    req->path = url;
    req->server_version = rh_server_header(c, "X-Server-Version");
    req->min_cluster_version = rh_server_header(c, "X-Min-Cluster-Version");
    req->cluster_id = rh_server_header(c, "X-Etcd-Cluster-ID");
    req->raft_to = rh_server_header(c, "X-Raft-To");
}

/* ----------------------------------------------------------- dispatch */

/*
 * With TLS configured, connections get a record of their certificate's
 * check (freed when they close).
 */
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

/* The sender a request speaks for: its stream path's, or X-Server-From. */
static uint64_t claimed_sender(struct MHD_Connection *c, const char *url)
{
    uint64_t id = rh_stream_path_sender(url);
    if (id != 0) {
        return id;
    }
    const char *from = rh_server_header(c, "X-Server-From");
    return from != NULL && rafthttp_id_parse(from, &id) == 0 ? id : 0;
}

/* A new request's context, after the TLS admission; NULL closes. */
static struct rh_conn *conn_new(struct rafthttp_transport *t,
                                struct MHD_Connection *c, const char *url)
{
    if (t->tls != NULL && !rh_tls_admit(t->tls, c, claimed_sender(c, url))) {
        return NULL;
    }
    struct rh_conn *conn = rh_calloc(t->alloc, 1, sizeof(*conn));
    if (conn != NULL) {
        conn->t = t;
        rh_mutex_lock(&t->mu);
        conn->next = t->conns;
        if (t->conns != NULL) {
            t->conns->prev = conn;
        }
        t->conns = conn;
        rh_mutex_unlock(&t->mu);
    }
    return conn;
}

/* Takes conn off t->conns (t->mu). */
static void conn_unlink(struct rafthttp_transport *t, struct rh_conn *conn)
{
    RH_ASSERT_HELD(&t->mu);
    if (conn->prev != NULL) {
        conn->prev->next = conn->next;
    } else {
        t->conns = conn->next;
    }
    if (conn->next != NULL) {
        conn->next->prev = conn->prev;
    }
}

/* Whether p is one of t's request contexts (t->mu). */
static bool conn_alive(struct rafthttp_transport *t, const void *p)
{
    RH_ASSERT_HELD(&t->mu);
    for (const struct rh_conn *c = t->conns; c != NULL; c = c->next) {
        if (c == p) {
            return true;
        }
    }
    return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct rafthttp_transport *t = cls;
    struct rh_conn *conn = *con_cls;
    if (conn == NULL) {
        conn = conn_new(t, c, url);
        if (conn == NULL) {
            return MHD_NO; /* closes the connection */
        }
        *con_cls = conn;
    }
    struct rh_request req;
    read_request(c, method, url, &req);
    switch (rh_route_path(url)) {
    case RH_ROUTE_PIPELINE:
        return rh_on_pipeline(t, c, conn, &req, upload_data, upload_data_size);
    case RH_ROUTE_STREAM:
        if (conn->state != RH_CONN_NEW) {
            return MHD_YES;
        }
        conn->state = RH_CONN_BODY; /* answered once; nothing else to read */
        return rh_on_stream(t, c, &req);
    case RH_ROUTE_SNAPSHOT:
        return rh_on_snapshot(t, c, conn, &req, upload_data, upload_data_size);
    case RH_ROUTE_PROBING:
        return rh_on_probing(t, c);
    case RH_ROUTE_VERSION:
        return rh_on_version(t, c, method);
    case RH_ROUTE_MEMBERS:
        return rh_on_members(t, c, method);
    default:
        return rh_server_refuse(t, c, 404, "404 page not found", 0);
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
    rh_mutex_lock(&t->mu);
    conn_unlink(t, conn);
    rh_server_unwait(t, conn);
    rh_io_forget(t, &conn->reply);
    if (conn->snap != NULL) {
        rh_snap_in_detach(conn->snap);
    }
    rh_mutex_unlock(&t->mu);
    rh_free(t->alloc, conn);
    *con_cls = NULL;
}

/* ------------------------------------------- an application's daemon */

int rh_server_access(struct rafthttp_transport *t, void *connection,
                     const char *url, const char *method,
                     const char *upload_data, size_t *upload_data_size,
                     void **con_cls)
{
    rh_mutex_lock(&t->mu);
    bool running = t->state == RH_STARTED && t->io != NULL;
    rh_mutex_unlock(&t->mu);
    if (!running) {
        return (int)rh_server_refuse(t, connection, 503, "transport stopped",
                                     0);
    }
    return (int)on_request(t, connection, url, method, MHD_HTTP_VERSION_1_1,
                           upload_data, upload_data_size, con_cls);
}

void rh_server_completed(struct rafthttp_transport *t, void **con_cls)
{
    /* Not ours (the application's own request): not ours to free. */
    rh_mutex_lock(&t->mu);
    bool ours = conn_alive(t, *con_cls);
    rh_mutex_unlock(&t->mu);
    if (ours) {
        on_completed(t, NULL, con_cls, MHD_REQUEST_TERMINATED_COMPLETED_OK);
    }
}

__attribute__((format(printf, 2, 0))) static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct rafthttp_transport *t = cls;
    char *text = t->io->mhd_error; /* kept: start says why a listen failed */
    vsnprintf(text, sizeof(t->io->mhd_error), fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    rh_log(&t->log, RAFTHTTP_LOG_DEBUG, "http server", RH_F("detail", text));
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

/*
 * Why the daemon did not start, from libmicrohttpd's last line: its cause
 * after the last ": " ("Failed to bind to port 0: Address already in use"
 * names the port it was given, 0 with a socket address, so only the cause
 * is worth keeping).
 */
static const char *listen_failure(struct rafthttp_transport *t, bool https)
{
    const char *line = t->io->mhd_error;
    const char *cause = NULL;
    for (const char *p = strstr(line, ": "); p != NULL;
         p = strstr(p + 1, ": ")) {
        cause = p + 2;
    }
    if (strncmp(line, "Failed to bind", 14) == 0 && cause != NULL) {
        return cause;
    }
    if (line[0] != '\0') {
        return line;
    }
    return https ? "cannot bind or set up TLS" : "cannot bind";
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
    if (https &&
        (t->tls == NULL || !MHD_is_feature_supported(MHD_FEATURE_TLS))) {
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
    /* Left unset, libmicrohttpd sets SO_REUSEADDR only, as Go does: a
     * restarted member rebinds past TIME_WAIT, yet a second live listener
     * on the port fails.  Passing 0 would drop SO_REUSEADDR too, so the
     * option goes in only when SO_REUSEPORT is asked for. */
    struct MHD_OptionItem reuse_opts[2] = {{MHD_OPTION_END, 0, NULL},
                                           {MHD_OPTION_END, 0, NULL}};
    if (t->cfg.listen_reuse_port) {
        reuse_opts[0] = (struct MHD_OptionItem){
            MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL};
    }
    t->io->mhd_error[0] = '\0';
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, t, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, t, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, t,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, t,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_BYTES,
        MHD_OPTION_ARRAY, reuse_opts, MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    if (d == NULL) {
        rh_set_errmsg(t, "listen %s: %s", url, listen_failure(t, https));
        rh_log(&t->log, RAFTHTTP_LOG_ERROR, "failed to listen on peer URL",
               RH_F("url", url), RH_F("error", t->errmsg));
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
            rh_tls_server_register(t->tls, io->ports[io->n_daemons - 1]) != 0) {
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

void rh_server_wake_reply(struct rafthttp_transport *t, struct rh_reply *r)
{
    RH_ASSERT_HELD(&t->mu);
    if (r->mhd != NULL && r->parked) { /* resuming twice is undefined */
        r->parked = false;
        MHD_resume_connection(r->mhd);
        t->io->resumed = true;
    }
}

void rh_server_end_all(struct rafthttp_transport *t)
{
    RH_ASSERT_HELD(&t->mu);
    rh_inbox_forget_replies(&t->inbox);
    while (t->io->replies != NULL) {
        struct rh_reply *r = t->io->replies;
        t->io->replies = r->next;
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
    rh_stream_resp_end_all(t);
}
