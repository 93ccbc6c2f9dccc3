// SPDX-License-Identifier: Apache-2.0
/*
 * The client side, on libcurl: our GETs that open streams from peers, the
 * pipeline's POSTs, and the probes. Runs on the I/O thread. This file
 * builds requests and reports what libcurl saw to the peer driver
 * (peer/peer_driver.c); what an answer means is decided there and in the
 * drivers it calls (stream/, pipeline/, probing/).
 *
 * Stream dial: GET <url>/raft/stream/<msgapp|message>/<our id> with etcd's
 * headers (X-Etcd-Cluster-ID, X-Server-From, X-Server-Version,
 * X-Min-Cluster-Version, X-PeerURLs, X-Raft-To). The head of the answer
 * goes to rh_peer_stream_head, the body (read 256 KiB at a time) to
 * rh_peer_stream_bytes, the end to rh_peer_stream_ended. A body that does
 * not decode aborts the transfer.
 *
 * Pipeline POST: <url>/raft, body = one Message, Content-Length. No
 * deadline on the whole POST; one that moves no byte for the read timeout
 * fails (libcurl's low-speed limit). Its end goes to rh_peer_post_ended.
 *
 * Probe: GET <url>/raft/probing without etcd's headers, with a deadline of
 * one probe interval; its end goes to rh_peer_probe_ended.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "io.h"

/* A refusal's body is kept this far, for the log and the reason. */
#define ERR_BODY_MAX 256

/* curl's receive buffer for a stream body. */
#define STREAM_READ_BYTES (256L * 1024)

enum xfer_kind { XFER_STREAM, XFER_POST, XFER_PROBE };

struct rh_xfer {
    struct rh_xfer *next; /* io->xfers */
    struct rh_xfer **pprev;
    enum xfer_kind kind;
    struct rafthttp_transport *t;
    struct rh_peer *peer; /* a reference */
    CURL *easy;
    struct curl_slist *headers;
    char url[512];            /* the picked base URL */
    enum rh_stream_type type; /* XFER_STREAM */
    struct rh_pipe_job *job;  /* XFER_POST */
    bool headers_done;
    bool bad_version;        /* X-Server-Version is not semver */
    bool malformed;          /* the body did not decode */
    const char *abort_why;   /* set when we ended it */
    struct rh_tls_bind bind; /* https: the member we dial */
    char err_body[ERR_BODY_MAX + 1];
    size_t err_len;
};

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

/* Frees a transfer no longer in the multi handle (t->mu). */
static void xfer_free(struct rafthttp_transport *t, struct rh_xfer *x)
{
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    rh_peer_unref(&t->peers, x->peer);
    rh_free(t->alloc, x);
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name,
                                     const char *value)
{
    char line[1024];
    snprintf(line, sizeof(line), "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(list, line);
    if (l == NULL) {
        curl_slist_free_all(list);
    }
    return l;
}

static void version_text(const struct rh_semver *v, char *buf, size_t n)
{
    snprintf(buf, n, "%lld.%lld.%lld", (long long)v->major, (long long)v->minor,
             (long long)v->patch);
}

/* etcd's request headers; X-Raft-To only on stream dials. */
struct curl_slist *rh_client_headers(struct rafthttp_transport *t,
                                     const char *raft_to)
{
    char version[32], min_version[32];
    version_text(&t->local.server_version, version, sizeof(version));
    version_text(&t->local.min_cluster_version, min_version,
                 sizeof(min_version));
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
    size_t take = ERR_BODY_MAX - x->err_len < n ? ERR_BODY_MAX - x->err_len : n;
    memcpy(x->err_body + x->err_len, p, take);
    x->err_len += take;
    x->err_body[x->err_len] = '\0';
    return n;
}

/* X-Server-Version of an answer: present but not semver is bad. */
static void read_version(struct rh_xfer *x, const char *p, size_t len)
{
    static const char name[] = "x-server-version:";
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
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct rh_xfer *x = ud;
    size_t len = size * n;
    static const char name[] = "x-server-version:";
    if (len >= sizeof(name) - 1 &&
        strncasecmp(p, name, sizeof(name) - 1) == 0) {
        read_version(x, p, len);
        return len;
    }
    if (len > 2 || x->kind != XFER_STREAM || x->headers_done) {
        return len;
    }
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200) { /* not an interim 1xx head */
        x->headers_done = true;
        rh_mutex_lock(&x->t->mu);
        rh_peer_stream_head(&x->t->peers, x->peer, x->type, status,
                            !x->bad_version, rh_now_ms());
        rh_mutex_unlock(&x->t->mu);
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct rh_xfer *x = ud;
    size_t len = size * n;
    struct rafthttp_transport *t = x->t;
    rh_mutex_lock(&t->mu);
    const struct rh_stream_reader *r = &x->peer->readers[x->type];
    bool streaming =
        x->kind == XFER_STREAM && r->xfer == x && r->state == RH_READER_UP;
    size_t rv = len;
    if (!streaming) {
        rv = keep_err_body(x, p, len);
    } else if (!rh_peer_stream_bytes(&t->peers, x->peer, x->type,
                                     (const uint8_t *)p, len, rh_now_ms())) {
        x->malformed = true;
        rv = 0; /* curl aborts the transfer */
    }
    rh_mutex_unlock(&t->mu);
    return rv;
}

/* ---------------------------------------------------------- requests */

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
    return rh_tls_client_setup(t->tls, e, bind, (long)t->cfg.dial_timeout_ms);
}

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
               RH_F("remote-peer-id", x->peer->id_str), RH_F("url", x->url));
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

static struct rh_xfer *xfer_new(struct rafthttp_transport *t, struct rh_peer *p,
                                enum xfer_kind kind, const char *url,
                                const char *raft_to)
{
    struct rh_xfer *x = rh_calloc(t->alloc, 1, sizeof(*x));
    if (x == NULL) {
        return NULL;
    }
    x->kind = kind;
    x->t = t;
    x->peer = p;
    snprintf(x->url, sizeof(x->url), "%s", url);
    /* etcd's prober sends no X- headers. */
    x->headers = kind == XFER_PROBE ? NULL : rh_client_headers(t, raft_to);
    if (kind != XFER_PROBE && x->headers == NULL) {
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
        x->job = NULL; /* the caller still owns it */
        xfer_free(t, x);
        return RAFTHTTP_ENOMEM;
    }
    xfer_link(t->io, x);
    return 0;
}

int rh_client_dial(struct rafthttp_transport *t, struct rh_peer *p,
                   enum rh_stream_type type)
{
    RH_ASSERT_HELD(&t->mu);
    struct rh_xfer *x =
        xfer_new(t, p, XFER_STREAM, rh_urlpick_pick(&p->picker), p->id_str);
    if (x == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    char path[64];
    snprintf(path, sizeof(path), "/raft/stream/%s/%s", rh_stream_word(type),
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
        rh_stream_dialing(&p->readers[type], x);
    }
    return rv;
}

int rh_client_post(struct rafthttp_transport *t, struct rh_peer *p,
                   struct rh_pipe_job *job)
{
    RH_ASSERT_HELD(&t->mu);
    struct rh_xfer *x =
        xfer_new(t, p, XFER_POST, rh_urlpick_pick(&p->picker), NULL);
    if (x == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    x->headers = add_header(x->headers, "Content-Type", "application/protobuf");
    x->easy = x->headers != NULL ? new_easy(x, "/raft") : NULL;
    if (x->easy != NULL) {
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, rh_pipe_job_body(job));
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)job->len);
        /* No deadline on the whole POST; a stalled one fails. */
        curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME,
                         (long)(t->cfg.read_timeout_ms + 999) / 1000);
    }
    x->job = job;
    return xfer_start(t, x);
}

int rh_client_probe(struct rafthttp_transport *t, struct rh_peer *p)
{
    RH_ASSERT_HELD(&t->mu);
    size_t i = rh_probe_endpoint(&p->probe, p->picker.n);
    struct rh_xfer *x = xfer_new(t, p, XFER_PROBE, p->picker.urls[i], NULL);
    if (x == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    x->easy = new_easy(x, "/raft/probing");
    if (x->easy != NULL) {
        curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS,
                         (long)RH_PROBE_INTERVAL_MS);
    }
    return xfer_start(t, x);
}

/* ---------------------------------------------------------- endings */

static double total_secs(CURL *easy)
{
    curl_off_t us = 0;
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &us);
    return (double)us / 1e6;
}

/* Reports a finished transfer to the peer driver, then frees it (t->mu). */
static void finish(struct rafthttp_transport *t, struct rh_xfer *x, CURLcode rc)
{
    struct rh_peer_table *pt = &t->peers;
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    xfer_unlink(x);
    bool ok = rc == CURLE_OK;
    if (x->kind == XFER_STREAM) {
        struct rh_stream_end end = {.transfer_ok = ok,
                                    .error = curl_easy_strerror(rc),
                                    .status = status,
                                    .body = x->err_body,
                                    .aborted = x->abort_why,
                                    .malformed = x->malformed,
                                    .bad_version = x->bad_version};
        rh_peer_stream_ended(pt, x->peer, x->type, &end, x->url, rh_now_ms());
    } else if (x->kind == XFER_PROBE) {
        struct rh_probe_end end = {.transfer_ok = ok,
                                   .status = status,
                                   .body = x->err_body,
                                   .len = x->err_len,
                                   .rtt_s = total_secs(x->easy),
                                   .local_ns = rh_wall_ms() * 1000000};
        rh_peer_probe_ended(pt, x->peer, &end);
    } else {
        struct rh_post_end end = {.transfer_ok = ok,
                                  .error = curl_easy_strerror(rc),
                                  .status = status,
                                  .body = x->err_body};
        rh_peer_post_ended(pt, x->peer, x->job, &end, x->url,
                           total_secs(x->easy));
        x->job = NULL;
    }
    xfer_free(t, x);
}

void rh_client_done(struct rafthttp_transport *t, CURL *easy, CURLcode rc)
{
    struct rh_xfer *x = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    curl_multi_remove_handle(t->io->multi, easy);
    rh_mutex_lock(&t->mu);
    finish(t, x, rc);
    rh_mutex_unlock(&t->mu);
}

void rh_client_abort(struct rafthttp_transport *t, struct rh_xfer *x,
                     const char *why)
{
    RH_ASSERT_HELD(&t->mu);
    x->abort_why = why;
    curl_multi_remove_handle(t->io->multi, x->easy);
    finish(t, x, CURLE_ABORTED_BY_CALLBACK);
}

void rh_client_abort_peer(struct rafthttp_transport *t, struct rh_peer *p)
{
    RH_ASSERT_HELD(&t->mu);
    struct rh_xfer *x = t->io->xfers;
    while (x != NULL) {
        struct rh_xfer *next = x->next;
        if (p == NULL || x->peer == p) {
            rh_client_abort(t, x, "peer removed or transport stopped");
        }
        x = next;
    }
}
