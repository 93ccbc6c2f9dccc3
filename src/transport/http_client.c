/*
 * The client side, on libcurl: our GETs that open streams from peers, and
 * the pipeline's POSTs. Runs on the I/O thread.
 *
 * Stream dial: GET <url>/raft/stream/<msgapp|message>/<our id> with etcd's
 * headers (X-Etcd-Cluster-ID, X-Server-From, X-Server-Version,
 * X-Min-Cluster-Version, X-PeerURLs, X-Raft-To). A 200 with a valid
 * X-Server-Version makes the stream up: its body is decoded and every
 * message queued for process(). Failure modes:
 * 1. connect error, or any status but 200: the URL picker moves on, the
 *    peer goes inactive, and the reader redials after its backoff;
 * 2. 410: the peer says we were removed: critical error, as etcd;
 * 3. a malformed frame or protobuf: the stream is closed (only it), logged;
 * 4. no byte for read_timeout_ms: closed by the loop, then redialled;
 * 5. the end of the body (the peer closed it): redial after the minimum.
 *
 * Pipeline POST: <url>/raft, body = one Message, Content-Length. Only 204
 * succeeds. A failure moves the picker, deactivates the peer and reports
 * unreachable (and snapshot FAILURE for MsgSnap); 403 is also critical.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "io.h"

/* A non-200 answer's body is kept this far, for the log. */
#define ERR_BODY_MAX 256

enum xfer_kind { XFER_STREAM, XFER_POST, XFER_PROBE };

struct rh_xfer {
    struct rh_xfer *next;        /* io->xfers */
    struct rh_xfer **pprev;
    enum xfer_kind kind;
    struct rafthttp_transport *t;
    struct rh_peer *peer;        /* a reference */
    CURL *easy;
    struct curl_slist *headers;
    char url[512];               /* the picked base URL */
    enum rh_stream_type type;    /* XFER_STREAM */
    struct rh_pipe_job *job;     /* XFER_POST */
    bool headers_done;
    bool bad_version;            /* 200 without a valid X-Server-Version */
    bool malformed;              /* the body did not decode */
    const char *abort_why;       /* set when we ended it */
    struct rh_tls_bind bind;     /* https: the member we dial */
    char err_body[ERR_BODY_MAX + 1];
    size_t err_len;
};

static const char *const stream_names[] = {"msgapp", "message"};

/* curl's receive buffer for a stream body. */
#define STREAM_READ_BYTES (256L * 1024)
static const char *const source_names[] = {"stream MsgApp v2",
                                           "stream Message"};

static void xfer_link(struct rh_io *io, struct rh_xfer *x)
{
    x->next = io->xfers;
    x->pprev = &io->xfers;
    if (io->xfers != NULL) {
        io->xfers->pprev = &x->next;
    }
    io->xfers = x;
}

static void xfer_unlink(struct rh_xfer *x)
{
    *x->pprev = x->next;
    if (x->next != NULL) {
        x->next->pprev = x->pprev;
    }
}

/* Frees a transfer no longer in the multi handle (t->mu held). */
static void xfer_free(struct rafthttp_transport *t, struct rh_xfer *x)
{
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    rh_peer_unref(t, x->peer);
    rh_free(t->alloc, x);
}

static struct curl_slist *add_header(struct curl_slist *list,
                                     const char *name, const char *value)
{
    char line[1024];
    snprintf(line, sizeof(line), "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(list, line);
    if (l == NULL) {
        curl_slist_free_all(list);
    }
    return l;
}

/* etcd's request headers; X-Raft-To only on stream dials. */
struct curl_slist *rh_client_headers(struct rafthttp_transport *t,
                                     const char *raft_to)
{
    char version[32], min_version[32];
    const struct rh_semver *v = &t->local.server_version;
    const struct rh_semver *mv = &t->local.min_cluster_version;
    snprintf(version, sizeof(version), "%lld.%lld.%lld", (long long)v->major,
             (long long)v->minor, (long long)v->patch);
    snprintf(min_version, sizeof(min_version), "%lld.%lld.%lld",
             (long long)mv->major, (long long)mv->minor,
             (long long)mv->patch);
    struct curl_slist *h = add_header(NULL, "X-Server-From", t->local.id_str);
    if (h != NULL) {
        h = add_header(h, "X-Server-Version", version);
    }
    if (h != NULL) {
        h = add_header(h, "X-Min-Cluster-Version", min_version);
    }
    if (h != NULL) {
        h = add_header(h, "X-Etcd-Cluster-ID", t->local.cluster_id_str);
    }
    if (h != NULL && t->peer_urls_header[0] != '\0') {
        h = add_header(h, "X-PeerURLs", t->peer_urls_header);
    }
    if (h != NULL && raft_to != NULL) {
        h = add_header(h, "X-Raft-To", raft_to);
    }
    if (h != NULL) {
        h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    }
    return h;
}

/* ---------------------------------------------------------- callbacks */

static size_t keep_err_body(struct rh_xfer *x, const char *p, size_t n)
{
    size_t take = ERR_BODY_MAX - x->err_len < n ? ERR_BODY_MAX - x->err_len
                                                : n;
    memcpy(x->err_body + x->err_len, p, take);
    x->err_len += take;
    x->err_body[x->err_len] = '\0';
    return n;
}

/* The end of the response head of a stream dial (t->mu held). */
static void stream_head_done(struct rh_xfer *x)
{
    struct rafthttp_transport *t = x->t;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200 || x->bad_version || x->peer->removed) {
        return;
    }
    struct rh_stream_reader *r = &x->peer->readers[x->type];
    rh_stream_reader_begin(r, t->alloc, t->local.id, x->peer->id,
                           t->cfg.max_msg_bytes);
    r->up = true;
    r->last_byte_ms = rh_now_ms();
    r->backoff_ms = t->cfg.dial_retry_min_ms;
    rh_mark_active(t, x->peer, source_names[x->type]);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct rh_xfer *x = ud;
    size_t len = size * n;
    static const char name[] = "x-server-version:";
    if (len >= sizeof(name) - 1 &&
        strncasecmp(p, name, sizeof(name) - 1) == 0) {
        char value[64] = {0};
        size_t vlen = len - (sizeof(name) - 1);
        memcpy(value, p + sizeof(name) - 1, vlen < 63 ? vlen : 63);
        char *s = value;
        while (*s == ' ') {
            s++;
        }
        s[strcspn(s, "\r\n ")] = '\0';
        struct rh_semver v;
        x->bad_version = rh_semver_parse(s, &v) != 0;
    } else if (len <= 2 && x->kind == XFER_STREAM && !x->headers_done) {
        long status = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200) { /* not an interim 1xx head */
            x->headers_done = true;
            pthread_mutex_lock(&x->t->mu);
            stream_head_done(x);
            pthread_mutex_unlock(&x->t->mu);
        }
    }
    return len;
}

/* Hands one decoded message to the raft core's mailboxes (t->mu held). */
static void receive(struct rafthttp_transport *t, struct rh_peer *p,
                    struct rh_msg *msg)
{
    p->received_msgs++;
    t->stats.received_msgs++;
    if (rh_is_link_heartbeat(&msg->m)) {
        rh_msg_free(msg);
        return;
    }
    if (t->paused || p->cut) {
        rh_drop(t, NULL, msg->m.type, RAFTHTTP_DROP_PAUSED, false);
        rh_msg_free(msg);
        return;
    }
    int32_t type = msg->m.type;
    size_t bytes = rh_raftpb_message_size(&msg->m);
    p->metrics.received_bytes += bytes;
    if (!rh_deliver_message(t, &p->recvq, &p->propq, msg, bytes, NULL)) {
        rh_drop(t, NULL, type, RAFTHTTP_DROP_RECV_FULL, false);
        p->metrics.received_failures++;
        rh_log(&t->log, RAFTHTTP_LOG_WARN,
               "dropped message from peer: process() is behind",
               "peer=%s type=%d", p->id_str, (int)type);
    }
}

/* Decodes a chunk of stream body (t->mu held); false on bad input. */
static bool feed_stream(struct rh_xfer *x, const uint8_t *p, size_t n)
{
    struct rh_peer *peer = x->peer;
    struct rh_stream_reader *r = &peer->readers[x->type];
    r->last_byte_ms = rh_now_ms();
    while (n > 0 && !peer->removed) {
        size_t used;
        struct rh_msg *msg;
        int rv = rh_stream_reader_feed(r, p, n, &used, &msg);
        if (rv != 0) {
            rh_log(&x->t->log, RAFTHTTP_LOG_WARN,
                   "closing stream: malformed data from peer",
                   "peer=%s stream=%s error=\"%s\"", peer->id_str,
                   stream_names[x->type], rafthttp_strerror(rv));
            x->malformed = true;
            return false;
        }
        p += used;
        n -= used;
        if (msg != NULL) {
            receive(x->t, peer, msg);
        }
    }
    return true;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct rh_xfer *x = ud;
    size_t len = size * n;
    struct rafthttp_transport *t = x->t;
    pthread_mutex_lock(&t->mu);
    struct rh_stream_reader *r = &x->peer->readers[x->type];
    bool streaming = x->kind == XFER_STREAM && r->up && r->xfer == x;
    size_t rv = len;
    if (!streaming) {
        rv = keep_err_body(x, p, len);
    } else if (!feed_stream(x, (const uint8_t *)p, len)) {
        rv = 0; /* curl aborts the transfer */
    }
    pthread_mutex_unlock(&t->mu);
    return rv;
}

/* ---------------------------------------------------------- requests */

static CURL *new_easy(struct rh_xfer *x, const char *path)
{
    struct rafthttp_transport *t = x->t;
    char url[600];
    snprintf(url, sizeof(url), "%s%s", x->url, path);
    CURL *e = curl_easy_init();
    if (e == NULL) {
        return NULL;
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)t->cfg.dial_timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    if (rh_client_tls(t, e, url, &x->bind, x->peer->id) != 0) {
        rh_log(&t->log, RAFTHTTP_LOG_WARN,
               "cannot dial an https peer URL without TLS configured",
               "peer=%s url=%s", x->peer->id_str, x->url);
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

int rh_client_tls(struct rafthttp_transport *t, CURL *e, const char *url,
                  struct rh_tls_bind *bind, uint64_t peer_id)
{
    if (strncmp(url, "https://", 8) != 0) {
        return 0;
    }
    if (t->tls == NULL) {
        return RAFTHTTP_EINVAL;
    }
    bind->member = peer_id;
    return rh_tls_client_setup(t->tls, e, bind,
                               (long)t->cfg.dial_timeout_ms);
}

static struct rh_xfer *xfer_new(struct rafthttp_transport *t,
                                struct rh_peer *p, enum xfer_kind kind,
                                const char *raft_to)
{
    const char *url = rh_urlpick_pick(&p->picker);
    struct rh_xfer *x = rh_calloc(t->alloc, 1, sizeof(*x));
    if (x == NULL) {
        return NULL;
    }
    x->kind = kind;
    x->t = t;
    x->peer = p;
    snprintf(x->url, sizeof(x->url), "%s", url);
    x->headers = rh_client_headers(t, raft_to);
    if (x->headers == NULL) {
        rh_free(t->alloc, x);
        return NULL;
    }
    rh_peer_ref(p);
    return x;
}

static int xfer_start(struct rafthttp_transport *t, struct rh_xfer *x)
{
    if (x->easy == NULL ||
        curl_multi_add_handle(t->io->multi, x->easy) != CURLM_OK) {
        xfer_free(t, x);
        return RAFTHTTP_ENOMEM;
    }
    xfer_link(t->io, x);
    return 0;
}

int rh_client_dial(struct rafthttp_transport *t, struct rh_peer *p,
                   enum rh_stream_type type)
{
    struct rh_xfer *x = xfer_new(t, p, XFER_STREAM, p->id_str);
    if (x == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    char path[64];
    snprintf(path, sizeof(path), "/raft/stream/%s/%s", stream_names[type],
             t->local.id_str);
    x->type = type;
    x->easy = new_easy(x, path);
    if (x->easy != NULL) {
        /*
         * Read a stream in large pieces: one recv, one lock and one decode
         * pass per 256 KiB instead of per 16 KiB (curl's default).
         */
        curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, STREAM_READ_BYTES);
    }
    int rv = xfer_start(t, x);
    if (rv == 0) {
        p->readers[type].xfer = x;
    }
    return rv;
}

/* A job that could not be posted: dropped and reported. */
static int fail_job(struct rafthttp_transport *t, struct rh_peer *p,
                    struct rh_pipe_job *job)
{
    int32_t type = job->type;
    rh_account_sent(t, p, rh_pipeline_done(&p->pipeline, t->alloc, job));
    rh_drop(t, p, type, RAFTHTTP_DROP_NO_CONNECTION, true);
    return RAFTHTTP_ENOMEM;
}

int rh_client_post(struct rafthttp_transport *t, struct rh_peer *p,
                   struct rh_pipe_job *job)
{
    struct rh_xfer *x = xfer_new(t, p, XFER_POST, NULL);
    if (x != NULL) {
        x->headers = add_header(x->headers, "Content-Type",
                                "application/protobuf");
    }
    if (x == NULL || x->headers == NULL) {
        if (x != NULL) {
            xfer_free(t, x);
        }
        return fail_job(t, p, job);
    }
    x->job = job;
    x->easy = new_easy(x, "/raft");
    if (x->easy == NULL ||
        curl_multi_add_handle(t->io->multi, x->easy) != CURLM_OK) {
        x->job = NULL;
        xfer_free(t, x);
        return fail_job(t, p, job);
    }
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, rh_pipe_job_body(job));
    curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)job->len);
    /* No deadline on the whole POST; a stalled one fails. */
    curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME,
                     (long)(t->cfg.read_timeout_ms + 999) / 1000);
    xfer_link(t->io, x);
    return 0;
}

int rh_client_probe(struct rafthttp_transport *t, struct rh_peer *p)
{
    struct rh_xfer *x = xfer_new(t, p, XFER_PROBE, NULL);
    if (x == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    /* etcd's prober sends no X- headers; one endpoint per probe. */
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    size_t n = p->picker.n;
    snprintf(x->url, sizeof(x->url), "%s",
             p->picker.urls[p->probe.pinned % (n > 0 ? n : 1)]);
    x->easy = new_easy(x, "/raft/probing");
    if (x->easy != NULL) {
        curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
                         (long)RH_PROBE_INTERVAL_MS);
    }
    int rv = xfer_start(t, x);
    if (rv == 0) {
        p->probe_xfer = x;
    }
    return rv;
}

/* ---------------------------------------------------------- endings */

/* A probe ended (t->mu held): record it, log what the monitor says. */
static void probe_done(struct rafthttp_transport *t, struct rh_xfer *x,
                       CURLcode rc, long status)
{
    struct rh_peer *p = x->peer;
    p->probe_xfer = NULL;
    bool ok = false;
    int64_t remote_ns = 0;
    if (rc == CURLE_OK && status == 200 &&
        rh_probe_parse(x->err_body, x->err_len, &ok, &remote_ns) == 0 &&
        ok) {
        curl_off_t us = 0;
        curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &us);
        rh_probe_record_ok(&p->probe, (double)us / 1e6, remote_ns,
                           rh_wall_ms() * 1000000);
        for (int i = 0; i < 2; i++) { /* it answers: dial it now */
            if (p->readers[i].xfer == NULL && !p->remote) {
                p->readers[i].next_dial_ms = rh_now_ms();
                p->readers[i].backoff_ms = t->cfg.dial_retry_min_ms;
            }
        }
        return;
    }
    rh_probe_record_fail(&p->probe, p->picker.n);
}


const char rh_removed_detail[] =
    "the member has been permanently removed from the cluster";

/* A stream transfer ended (t->mu held). */
static void stream_done(struct rafthttp_transport *t, struct rh_xfer *x,
                        CURLcode rc, long status)
{
    struct rh_peer *p = x->peer;
    struct rh_stream_reader *r = &p->readers[x->type];
    bool was_up = r->up;
    r->xfer = NULL;
    rh_stream_reader_end(r);
    if (p->removed || t->state != RH_STARTED) {
        return;
    }
    char why[320];
    if (x->abort_why != NULL) {
        snprintf(why, sizeof(why), "%s", x->abort_why);
    } else if (x->malformed) {
        snprintf(why, sizeof(why), "malformed data");
    } else if (was_up) {
        snprintf(why, sizeof(why), "stream closed: %s",
                 rc == CURLE_OK ? "end of body" : curl_easy_strerror(rc));
    } else if (rc != CURLE_OK) {
        snprintf(why, sizeof(why), "dial: %s", curl_easy_strerror(rc));
    } else if (x->bad_version) {
        snprintf(why, sizeof(why), "peer sent an invalid X-Server-Version");
    } else {
        snprintf(why, sizeof(why), "dial: status %ld %s", status, x->err_body);
        why[strcspn(why, "\n")] = '\0';
    }
    if (status == 410) {
        rh_deliver_report(t, RH_EV_CRITICAL, p->id, RAFTHTTP_EREMOVED,
                          rh_removed_detail);
    }
    if (!was_up) { /* never silent; the merging logger bounds the rate */
        rh_log(&t->log, RAFTHTTP_LOG_WARN, "failed to dial stream",
               "peer=%s stream=%s reason=\"%s\"", p->id_str,
               stream_names[x->type], why);
    }
    rh_mark_inactive(t, p, source_names[x->type], why);
    int64_t now = rh_now_ms();
    if (was_up && rc == CURLE_OK) {
        r->next_dial_ms = now + t->cfg.dial_retry_min_ms;
        return;
    }
    rh_urlpick_unreachable(&p->picker, x->url);
    r->next_dial_ms = now + rh_backoff_next(&r->backoff_ms,
                                            t->cfg.dial_retry_min_ms,
                                            t->cfg.dial_retry_max_ms, &t->rng);
}

/* A pipeline POST ended (t->mu held). */
static void post_done(struct rafthttp_transport *t, struct rh_xfer *x,
                      CURLcode rc, long status)
{
    struct rh_peer *p = x->peer;
    int32_t type = x->job->type;
    size_t len = rh_pipeline_done(&p->pipeline, t->alloc, x->job);
    rh_account_sent(t, p, len);
    x->job = NULL;
    if (p->removed || t->state != RH_STARTED) {
        return; /* dropped with the peer or the transport */
    }
    bool app = type == RAFTHTTP_MSG_APP;
    if (rc == CURLE_OK && status == 204) {
        curl_off_t us = 0;
        curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &us);
        p->metrics.sent_bytes += len;
        if (app) {
            rh_follower_succ(&p->metrics.follower, (double)us / 1000.0);
        }
        rh_mark_active(t, p, "pipeline");
        if (type == RAFTHTTP_MSG_SNAP) {
            rh_deliver_report(t, RH_EV_SNAPSHOT, p->id,
                              RAFTHTTP_SNAPSHOT_FINISH, NULL);
        }
        return;
    }
    char why[320];
    if (rc != CURLE_OK) {
        snprintf(why, sizeof(why), "post: %s", curl_easy_strerror(rc));
    } else {
        snprintf(why, sizeof(why), "post: status %ld %s", status, x->err_body);
        why[strcspn(why, "\n")] = '\0';
    }
    if (status == 403) {
        rh_deliver_report(t, RH_EV_CRITICAL, p->id, RAFTHTTP_EREMOVED,
                          rh_removed_detail);
    }
    if (app) {
        rh_follower_fail(&p->metrics.follower);
    }
    rh_urlpick_unreachable(&p->picker, x->url);
    rh_mark_inactive(t, p, "pipeline", why);
    rh_drop(t, p, type, RAFTHTTP_DROP_NO_CONNECTION, true);
}

/* Ends a transfer of ours and accounts for it (t->mu held). */
static void finish(struct rafthttp_transport *t, struct rh_xfer *x,
                   CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    xfer_unlink(x);
    if (x->kind == XFER_STREAM) {
        stream_done(t, x, rc, status);
    } else if (x->kind == XFER_PROBE) {
        probe_done(t, x, rc, status);
    } else {
        post_done(t, x, rc, status);
    }
    xfer_free(t, x);
}

void rh_client_done(struct rafthttp_transport *t, CURL *easy, CURLcode rc)
{
    struct rh_xfer *x = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    curl_multi_remove_handle(t->io->multi, easy);
    pthread_mutex_lock(&t->mu);
    finish(t, x, rc);
    pthread_mutex_unlock(&t->mu);
}

void rh_client_abort(struct rafthttp_transport *t, struct rh_xfer *x,
                     const char *why)
{
    x->abort_why = why;
    curl_multi_remove_handle(t->io->multi, x->easy);
    finish(t, x, CURLE_ABORTED_BY_CALLBACK);
}

void rh_client_abort_peer(struct rafthttp_transport *t, struct rh_peer *p)
{
    struct rh_xfer *x = t->io->xfers;
    while (x != NULL) {
        struct rh_xfer *next = x->next;
        if (p == NULL || x->peer == p) {
            rh_client_abort(t, x, "peer removed or transport stopped");
        }
        x = next;
    }
}
