// SPDX-License-Identifier: Apache-2.0
/*
 * The request handlers of one transport, driven over real HTTP on loopback
 * with libcurl: every request, good or bad, gets etcd's status, body and
 * headers (wire-protocol.md sections 2 and 3.1-3.6), nothing crashes and
 * the transport keeps serving.
 *
 * Covered:
 * - pipeline POST /raft: a valid message (204, process() saw it), other
 *   methods (405), the version and cluster checks and their order (412,
 *   400 for a malformed version), garbage bodies (400), bodies over
 *   max_msg_bytes by Content-Length or chunked (413; exactly the limit
 *   passes), process() failing (403 JSON, 500 with Connection: close), a
 *   client hanging up mid-body or while process() runs;
 * - streams GET /raft/stream/{message,msgapp}/<id>: success (200 and its
 *   headers), other methods (405), bad paths and ids (404), unknown and
 *   removed senders (404, 410), X-Raft-To (412), the checks' order, and
 *   X-Server-Version on every non-405 answer;
 * - /raft/probing (200 with Go's JSON for any method) and unknown paths
 *   (404 "404 page not found");
 * - long runs of bad requests, on fresh and on kept-alive connections,
 *   after which a valid POST still gets 204.
 *
 * One transport (node 1 of tests/integration/cluster.h, cluster 1000,
 * max_msg_bytes 1024) with peer 2 serves the whole group, in order; the
 * removed-member case runs its own transport, as the harness has no
 * is_id_removed. Every request is bounded by a timeout.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "cluster.h"
#include "common/common.h"
#include "raftpb/raftpb.h"

#define MAX_MSG_BYTES 1024
#define REQUEST_TIMEOUT_MS 5000
#define CONNECT_TIMEOUT_MS 2000
#define GARBAGE_ROUNDS 200
#define KEEPALIVE_ROUNDS 40

static const char local_version[] = "3.4.23";
static const char local_cluster[] = "1000";
static const uint8_t garbage[] = {0x0c, 0x0c};

static struct tc_cluster cluster;
static uint64_t next_term = 100; /* tells the valid POSTs apart */

/* -------------------------------------------------------------- requests */

/* The X- headers a peer sends; NULL leaves one out, "" sends it empty. */
struct peer_headers {
    const char *server_version;
    const char *min_cluster_version;
    const char *cluster_id;
    const char *from;
    const char *raft_to;
    const char *peer_urls;
};

struct request {
    const char *method;
    const char *path;
    struct peer_headers h;
    const uint8_t *body; /* with body_len; NULL: none */
    size_t body_len;
    bool chunked;         /* body without Content-Length, chunked */
    size_t hang_up_after; /* > 0: abort the upload after these bytes */
    bool stream;          /* a 200 never ends: stop once its head is in */
    long timeout_ms;      /* 0: REQUEST_TIMEOUT_MS */
};

struct reply {
    CURLcode rc;
    long status;     /* of the last status line */
    char head[8192]; /* header lines of the last response */
    size_t head_len;
    char body[16384];
    size_t body_len;
    bool stop_at_200; /* from request.stream */
};

/* What the read callback uploads. */
struct upload {
    const uint8_t *p;
    size_t len;
    size_t off;
    size_t cut; /* > 0: abort once this much went out */
};

/* The headers etcd 3.4.23 sends on a pipeline POST from member 2. */
static struct peer_headers pipeline_headers(void)
{
    struct peer_headers h = {
        .server_version = "3.4.23",
        .min_cluster_version = "3.0.0",
        .cluster_id = "1000",
        .from = "2",
    };
    return h;
}

/* The same for a stream GET: plus X-Raft-To, the local member. */
static struct peer_headers stream_headers(void)
{
    struct peer_headers h = pipeline_headers();
    h.raft_to = "1";
    return h;
}

static long status_of_line(const char *p, size_t len)
{
    const char *sp = memchr(p, ' ', len);
    if (sp == NULL) {
        return 0;
    }
    return strtol(sp + 1, NULL, 10);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        r->head_len = 0; /* a new response begins */
        r->status = status_of_line(p, len);
    }
    size_t room = sizeof(r->head) - 1 - r->head_len;
    size_t k = len < room ? len : room;
    memcpy(r->head + r->head_len, p, k);
    r->head_len += k;
    r->head[r->head_len] = '\0';
    bool end_of_head = len == 2 && p[0] == '\r' && p[1] == '\n';
    if (end_of_head && r->stop_at_200 && r->status == 200) {
        return 0; /* aborts: the stream's head is all we want */
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t len = size * n;
    size_t room = sizeof(r->body) - 1 - r->body_len;
    size_t k = len < room ? len : room;
    memcpy(r->body + r->body_len, p, k);
    r->body_len += k;
    r->body[r->body_len] = '\0';
    return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct upload *u = ud;
    if (u->cut > 0 && u->off >= u->cut) {
        return CURL_READFUNC_ABORT;
    }
    size_t end = u->cut > 0 ? u->cut : u->len;
    size_t k = size * n;
    if (k > end - u->off) {
        k = end - u->off;
    }
    memcpy(buf, u->p + u->off, k);
    u->off += k;
    return k;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name,
                                     const char *value)
{
    if (value == NULL) {
        return list;
    }
    char line[512];
    if (value[0] == '\0') {
        snprintf(line, sizeof(line), "%s;", name); /* curl: empty value */
    } else {
        snprintf(line, sizeof(line), "%s: %s", name, value);
    }
    struct curl_slist *l = curl_slist_append(list, line);
    assert_non_null(l);
    return l;
}

static struct curl_slist *request_headers(const struct request *rq)
{
    const struct peer_headers *h = &rq->h;
    struct curl_slist *l = NULL;
    l = add_header(l, "Expect", ""); /* no 100-continue dance */
    l = add_header(l, "X-Server-Version", h->server_version);
    l = add_header(l, "X-Min-Cluster-Version", h->min_cluster_version);
    l = add_header(l, "X-Etcd-Cluster-ID", h->cluster_id);
    l = add_header(l, "X-Server-From", h->from);
    l = add_header(l, "X-Raft-To", h->raft_to);
    l = add_header(l, "X-PeerURLs", h->peer_urls);
    if (rq->body != NULL) {
        l = add_header(l, "Content-Type", "application/protobuf");
    }
    if (rq->chunked) {
        l = add_header(l, "Transfer-Encoding", "chunked");
    }
    return l;
}

/* Sets how the body goes out; up is the read callback's state. */
static void set_body(CURL *h, const struct request *rq, struct upload *up)
{
    bool post = strcmp(rq->method, "POST") == 0;
    if (rq->body == NULL) {
        if (post) { /* a POST with Content-Length: 0 */
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        }
        return;
    }
    if (!rq->chunked && rq->hang_up_after == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)rq->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)rq->body);
        return;
    }
    *up = (struct upload){rq->body, rq->body_len, 0, rq->hang_up_after};
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, up);
    if (!rq->chunked) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)rq->body_len);
    }
}

/*
 * Runs rq against base on handle h (reset first; its live connection, if
 * any, is kept and reused) and fills *r.
 */
static void http_run(CURL *h, const char *base, const struct request *rq,
                     struct reply *r)
{
    memset(r, 0, sizeof(*r));
    r->stop_at_200 = rq->stream;
    char url[256];
    snprintf(url, sizeof(url), "%s%s", base, rq->path);
    struct curl_slist *headers = request_headers(rq);
    struct upload up;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     rq->timeout_ms > 0 ? rq->timeout_ms
                                        : (long)REQUEST_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    set_body(h, rq, &up);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    r->rc = curl_easy_perform(h);
    curl_slist_free_all(headers);
}

/* rq on a connection of its own. */
static void http_once(const char *base, const struct request *rq,
                      struct reply *r)
{
    CURL *h = curl_easy_init();
    assert_non_null(h);
    http_run(h, base, rq, r);
    curl_easy_cleanup(h);
}

static const char *node_url(void)
{
    return cluster.nodes[0].url;
}

/* ------------------------------------------------------------ checking */

/*
 * The value of response header name (any case), trimmed, copied into buf;
 * NULL when absent.
 */
static const char *reply_header(const struct reply *r, const char *name,
                                char *buf, size_t n)
{
    size_t name_len = strlen(name);
    for (const char *line = r->head; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        size_t len = eol != NULL ? (size_t)(eol - line) : strlen(line);
        if (len > name_len && strncasecmp(line, name, name_len) == 0 &&
            line[name_len] == ':') {
            const char *v = line + name_len + 1;
            const char *end = line + len;
            while (v < end && (*v == ' ' || *v == '\t')) {
                v++;
            }
            while (end > v && (end[-1] == '\r' || end[-1] == ' ')) {
                end--;
            }
            snprintf(buf, n, "%.*s", (int)(end - v), v);
            return buf;
        }
        line = eol != NULL ? eol + 1 : line + len;
    }
    return NULL;
}

static void check_status(const char *what, const struct reply *r, long status)
{
    if (r->status != status) {
        fail_msg("%s: status %ld (curl: %s), want %ld; body \"%s\"", what,
                 r->status, curl_easy_strerror(r->rc), status, r->body);
    }
}

static void check_body(const char *what, const struct reply *r,
                       const char *body)
{
    if (strcmp(r->body, body) != 0) {
        fail_msg("%s: body \"%s\", want \"%s\"", what, r->body, body);
    }
}

/* Header name is want, or absent when want is NULL. */
static void check_header(const char *what, const struct reply *r,
                         const char *name, const char *want)
{
    char buf[512];
    const char *got = reply_header(r, name, buf, sizeof(buf));
    if (want == NULL && got != NULL) {
        fail_msg("%s: header %s is \"%s\", want none", what, name, got);
    }
    if (want != NULL && (got == NULL || strcmp(got, want) != 0)) {
        fail_msg("%s: header %s is \"%s\", want \"%s\"", what, name,
                 got != NULL ? got : "(none)", want);
    }
}

/* Go's http.Error: the status, text/plain, nosniff, the text and "\n". */
static void check_http_error(const char *what, const struct reply *r,
                             long status, const char *text)
{
    char body[256];
    snprintf(body, sizeof(body), "%s\n", text);
    check_status(what, r, status);
    check_body(what, r, body);
    check_header(what, r, "Content-Type", "text/plain; charset=utf-8");
    check_header(what, r, "X-Content-Type-Options", "nosniff");
}

/* A refusal of the pipeline handler: it carries the cluster ID. */
static void check_pipeline_error(const char *what, const struct reply *r,
                                 long status, const char *text)
{
    check_http_error(what, r, status, text);
    check_header(what, r, "X-Etcd-Cluster-ID", local_cluster);
}

/* A refusal of the stream handler: the cluster ID and the version too. */
static void check_stream_error(const char *what, const struct reply *r,
                               long status, const char *text)
{
    check_pipeline_error(what, r, status, text);
    check_header(what, r, "X-Server-Version", local_version);
}

/* etcd's 405: Allow, and no X- headers. */
static void check_405(const char *what, const struct reply *r,
                      const char *allow)
{
    check_http_error(what, r, 405, "Method Not Allowed");
    check_header(what, r, "Allow", allow);
    check_header(what, r, "X-Etcd-Cluster-ID", NULL);
    check_header(what, r, "X-Server-Version", NULL);
}

static void check_204(const char *what, const struct reply *r)
{
    check_status(what, r, 204);
    check_body(what, r, "");
    check_header(what, r, "X-Etcd-Cluster-ID", local_cluster);
}

/* A stream answer's head: 200, chunked, version and cluster ID. */
static void check_stream_ok(const char *what, const struct reply *r)
{
    check_status(what, r, 200);
    check_header(what, r, "X-Server-Version", local_version);
    check_header(what, r, "X-Etcd-Cluster-ID", local_cluster);
    check_header(what, r, "Transfer-Encoding", "chunked");
}

/* ------------------------------------------------------------ messages */

static struct rafthttp_message heartbeat(uint64_t term)
{
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_HEARTBEAT,
                                 .from = 2,
                                 .to = 1,
                                 .term = term,
                                 .commit = term};
    return m;
}

/* m's encoding in out, which the caller closes. */
static void encode(const struct rafthttp_message *m, struct rh_buf *out)
{
    rh_buf_init(out, NULL, SIZE_MAX);
    assert_int_equal(rh_raftpb_message_append(NULL, m, out), 0);
}

static uint64_t want_term;

static bool has_term(struct tc_node *node)
{
    for (size_t i = 0; i < node->n_records; i++) {
        if (node->records[i].term == want_term) {
            return true;
        }
    }
    return false;
}

/* Bounded wait until process() of node 1 saw the message of this term. */
static void wait_processed(const char *what, uint64_t term)
{
    want_term = term;
    if (!tc_wait_until(&cluster.nodes[0], has_term)) {
        fail_msg("%s: process() never saw term %llu", what,
                 (unsigned long long)term);
    }
    struct tc_node *n = &cluster.nodes[0];
    pthread_mutex_lock(&n->mu);
    for (size_t i = 0; i < n->n_records; i++) {
        struct tc_record *rec = &n->records[i];
        if (rec->term == term) {
            assert_int_equal(rec->type, RAFTHTTP_MSG_HEARTBEAT);
            assert_int_equal(rec->from, 2);
            assert_int_equal(rec->to, 1);
            assert_int_equal(rec->commit, term);
        }
    }
    pthread_mutex_unlock(&n->mu);
}

static void set_process_result(int rv)
{
    struct tc_node *n = &cluster.nodes[0];
    pthread_mutex_lock(&n->mu);
    n->process_result = rv;
    pthread_mutex_unlock(&n->mu);
}

/* POSTs one valid message on h (NULL: a fresh connection); 204 expected. */
static void post_valid(const char *what, CURL *h)
{
    struct rafthttp_message m = heartbeat(next_term++);
    struct rh_buf b;
    encode(&m, &b);
    struct request rq = {.method = "POST",
                         .path = "/raft",
                         .h = pipeline_headers(),
                         .body = b.data,
                         .body_len = b.len};
    struct reply r;
    if (h != NULL) {
        http_run(h, node_url(), &rq, &r);
    } else {
        http_once(node_url(), &rq, &r);
    }
    rh_buf_close(&b);
    check_204(what, &r);
    wait_processed(what, m.term);
}

/* POSTs body to /raft with headers h. */
static void post_raw(const struct peer_headers *h, const uint8_t *body,
                     size_t len, struct reply *r)
{
    struct request rq = {.method = "POST",
                         .path = "/raft",
                         .h = *h,
                         .body = body,
                         .body_len = len};
    http_once(node_url(), &rq, r);
}

/* Sends method to path with headers h and no body. */
static void send_empty(const char *method, const char *path,
                       const struct peer_headers *h, struct reply *r)
{
    bool get = strcmp(method, "GET") == 0;
    struct request rq = {
        .method = method, .path = path, .h = *h, .stream = get};
    http_once(node_url(), &rq, r);
}

/* GETs a stream path with headers h. */
static void get_stream(const char *path, const struct peer_headers *h,
                       struct reply *r)
{
    send_empty("GET", path, h, r);
}

/* ------------------------------------------------------------- fixture */

static void tune(struct rafthttp_config *cfg)
{
    cfg->max_msg_bytes = MAX_MSG_BYTES;
}

static int group_setup(void **state)
{
    (void)state;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return -1;
    }
    tc_start(&cluster, 1, tune);
    const char *peer2 = "http://127.0.0.1:1"; /* never answers: fine */
    return rafthttp_transport_add_peer(cluster.nodes[0].t, 2, &peer2, 1);
}

static int group_teardown(void **state)
{
    (void)state;
    tc_stop(&cluster);
    curl_global_cleanup();
    return 0;
}

/* ------------------------------------------------------------ pipeline */

static void test_pipeline_valid(void **state)
{
    (void)state;
    post_valid("valid POST /raft", NULL);
    /* Newer versions pass while their min-cluster version is ours or less;
     * patch levels do not count; a missing min-cluster version is 2.0. */
    static const char *const versions[][2] = {{"3.6.0", "3.0.0"},
                                              {"4.0.0", "3.0.0"},
                                              {"3.4.23", "3.4.99"},
                                              {"3.0.0", NULL},
                                              {"3.5.0-rc.1", "3.0.0"}};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        struct rafthttp_message m = heartbeat(next_term++);
        struct rh_buf b;
        encode(&m, &b);
        struct peer_headers h = pipeline_headers();
        h.server_version = versions[i][0];
        h.min_cluster_version = versions[i][1];
        struct reply r;
        post_raw(&h, b.data, b.len, &r);
        rh_buf_close(&b);
        char what[96];
        snprintf(what, sizeof(what), "POST version %s min %s", versions[i][0],
                 versions[i][1] ? versions[i][1] : "(none)");
        check_204(what, &r);
        wait_processed(what, m.term);
    }
}

static void test_pipeline_methods(void **state)
{
    (void)state;
    static const char *const methods[] = {"GET", "PUT", "DELETE", "PATCH"};
    struct peer_headers h = pipeline_headers();
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct reply r;
        struct request rq = {.method = methods[i], .path = "/raft", .h = h};
        http_once(node_url(), &rq, &r);
        check_405(methods[i], &r, "POST");
    }
    /* A PUT with a valid body is still a 405. */
    struct rafthttp_message m = heartbeat(1);
    struct rh_buf b;
    encode(&m, &b);
    struct request rq = {.method = "PUT",
                         .path = "/raft",
                         .h = h,
                         .body = b.data,
                         .body_len = b.len};
    struct reply r;
    http_once(node_url(), &rq, &r);
    rh_buf_close(&b);
    check_405("PUT with body", &r, "POST");
}

/* A valid body, so that only the headers decide. */
static void post_with_headers(const struct peer_headers *h, struct reply *r)
{
    struct rafthttp_message m = heartbeat(1);
    struct rh_buf b;
    encode(&m, &b);
    post_raw(h, b.data, b.len, r);
    rh_buf_close(&b);
}

static void test_pipeline_versions(void **state)
{
    (void)state;
    static const struct {
        const char *server;
        const char *min;
        long status;
        const char *text;
    } cases[] = {
        {NULL, "3.0.0", 412, "incompatible version"}, /* missing: 2.0.0 */
        {"", "3.0.0", 412, "incompatible version"},   /* empty: 2.0.0 */
        {"2.3.0", "2.1.0", 412, "incompatible version"},
        {"3.4.23", "9.0.0", 412, "incompatible version"},
        {"3.4.23", "3.5.0", 412, "incompatible version"},
        {"3.4", "3.0.0", 400, "malformed version header"},
        {"v3.4.23", "3.0.0", 400, "malformed version header"},
        {"3.4.23", "3.0", 400, "malformed version header"},
        {"3.4.23", "x", 400, "malformed version header"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct peer_headers h = pipeline_headers();
        h.server_version = cases[i].server;
        h.min_cluster_version = cases[i].min;
        struct reply r;
        post_with_headers(&h, &r);
        char what[96];
        snprintf(what, sizeof(what), "POST version \"%s\" min \"%s\"",
                 cases[i].server ? cases[i].server : "(none)", cases[i].min);
        check_pipeline_error(what, &r, cases[i].status, cases[i].text);
    }
}

static void test_pipeline_cluster_id(void **state)
{
    (void)state;
    static const char *const ids[] = {"0001000", "01000", "2000", "",
                                      "0x1000",  "10000", NULL};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct peer_headers h = pipeline_headers();
        h.cluster_id = ids[i];
        struct reply r;
        post_with_headers(&h, &r);
        char what[64];
        snprintf(what, sizeof(what), "POST cluster \"%s\"",
                 ids[i] ? ids[i] : "(none)");
        check_pipeline_error(what, &r, 412, "cluster ID mismatch");
    }
}

/* Method, then version, then cluster, then the body. */
static void test_pipeline_check_order(void **state)
{
    (void)state;
    struct peer_headers h = pipeline_headers();
    h.cluster_id = "2000";
    h.server_version = "1.0.0";
    struct request rq = {.method = "GET", .path = "/raft", .h = h};
    struct reply r;
    http_once(node_url(), &rq, &r);
    check_405("GET, bad version and cluster", &r, "POST");

    post_raw(&h, garbage, sizeof(garbage), &r);
    check_pipeline_error("bad version and cluster", &r, 412,
                         "incompatible version");

    h = pipeline_headers();
    h.cluster_id = "2000";
    post_raw(&h, garbage, sizeof(garbage), &r);
    check_pipeline_error("bad cluster and body", &r, 412,
                         "cluster ID mismatch");
}

static void test_pipeline_garbage(void **state)
{
    (void)state;
    struct peer_headers h = pipeline_headers();
    struct reply r;
    post_raw(&h, garbage, sizeof(garbage), &r);
    check_pipeline_error("garbage body", &r, 400,
                         "error unmarshalling raft message");

    /* A valid message cut short in its last field. */
    struct rafthttp_message m = heartbeat(1);
    struct rh_buf b;
    encode(&m, &b);
    post_raw(&h, b.data, b.len - 1, &r);
    check_pipeline_error("truncated message", &r, 400,
                         "error unmarshalling raft message");
    rh_buf_close(&b);

    static const uint8_t bad_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    post_raw(&h, bad_varint, sizeof(bad_varint), &r);
    check_pipeline_error("11-byte varint", &r, 400,
                         "error unmarshalling raft message");
}

/* A message encoding to exactly n bytes (one entry of padding), in out. */
static void encode_sized(size_t n, struct rh_buf *out)
{
    static uint8_t pad[MAX_MSG_BYTES];
    memset(pad, 'x', sizeof(pad));
    struct rafthttp_entry e = {.term = 1, .index = 1};
    struct rafthttp_message m = heartbeat(next_term++);
    m.entries = &e;
    m.n_entries = 1;
    for (size_t len = 0; len <= sizeof(pad); len++) {
        e.data = (struct rafthttp_bytes){pad, len};
        if (rh_raftpb_message_size(&m) == n) {
            encode(&m, out);
            assert_int_equal(out->len, n);
            return;
        }
    }
    fail_msg("no message of %zu bytes", n);
}

static void test_pipeline_too_large(void **state)
{
    (void)state;
    struct peer_headers h = pipeline_headers();
    struct rh_buf b;
    struct reply r;

    encode_sized(MAX_MSG_BYTES, &b);
    post_raw(&h, b.data, b.len, &r);
    check_204("exactly max_msg_bytes", &r);
    rh_buf_close(&b);

    encode_sized(MAX_MSG_BYTES + 1, &b);
    post_raw(&h, b.data, b.len, &r);
    check_pipeline_error("max_msg_bytes + 1", &r, 413,
                         "raft message too large");
    rh_buf_close(&b);

    static uint8_t big[2000];
    memset(big, 0x0c, sizeof(big));
    post_raw(&h, big, sizeof(big), &r);
    check_pipeline_error("Content-Length 2000", &r, 413,
                         "raft message too large");

    struct request rq = {.method = "POST",
                         .path = "/raft",
                         .h = h,
                         .body = big,
                         .body_len = sizeof(big),
                         .chunked = true};
    http_once(node_url(), &rq, &r);
    check_pipeline_error("chunked 2000", &r, 413, "raft message too large");

    /* A chunked body within the limit is read and processed. */
    struct rafthttp_message m = heartbeat(next_term++);
    encode(&m, &b);
    rq.body = b.data;
    rq.body_len = b.len;
    http_once(node_url(), &rq, &r);
    rh_buf_close(&b);
    check_204("chunked valid message", &r);
    wait_processed("chunked valid message", m.term);
}

static void test_pipeline_process_fails(void **state)
{
    (void)state;
    struct peer_headers h = pipeline_headers();
    struct rh_buf b;
    struct reply r;

    set_process_result(RAFTHTTP_EREMOVED);
    struct rafthttp_message m = heartbeat(next_term++);
    encode(&m, &b);
    post_raw(&h, b.data, b.len, &r);
    rh_buf_close(&b);
    set_process_result(0);
    check_status("process() EREMOVED", &r, 403);
    check_body("process() EREMOVED", &r,
               "{\"message\":\"cannot process message from removed "
               "member\"}");
    check_header("process() EREMOVED", &r, "Content-Type", "application/json");
    check_header("process() EREMOVED", &r, "X-Etcd-Cluster-ID", local_cluster);
    wait_processed("process() EREMOVED", m.term);

    set_process_result(RAFTHTTP_EIO);
    m = heartbeat(next_term++);
    encode(&m, &b);
    post_raw(&h, b.data, b.len, &r);
    rh_buf_close(&b);
    set_process_result(0);
    check_pipeline_error("process() EIO", &r, 500,
                         "error processing raft message");
    check_header("process() EIO", &r, "Connection", "close");
    wait_processed("process() EIO", m.term);

    post_valid("POST after process() failures", NULL);
}

/* Clients that go away mid-body, or while process() runs. */
static void test_pipeline_hang_ups(void **state)
{
    (void)state;
    struct peer_headers h = pipeline_headers();
    static uint8_t body[600];
    memset(body, 0x0c, sizeof(body));
    struct request rq = {.method = "POST",
                         .path = "/raft",
                         .h = h,
                         .body = body,
                         .body_len = sizeof(body),
                         .hang_up_after = 100};
    struct reply r;
    http_once(node_url(), &rq, &r);
    assert_int_equal(r.rc, CURLE_ABORTED_BY_CALLBACK);
    post_valid("POST after a hang-up mid-body", NULL);

    struct tc_node *n = &cluster.nodes[0];
    n->process_delay_ms = 1000; /* no request in flight: no race */
    struct rafthttp_message m = heartbeat(next_term++);
    struct rh_buf b;
    encode(&m, &b);
    struct request slow = {.method = "POST",
                           .path = "/raft",
                           .h = h,
                           .body = b.data,
                           .body_len = b.len,
                           .timeout_ms = 300};
    http_once(node_url(), &slow, &r);
    rh_buf_close(&b);
    assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
    wait_processed("hang-up during process()", m.term);
    n->process_delay_ms = 0;
    tc_sleep_ms(50); /* the parked answer goes to a closed socket */
    post_valid("POST after a hang-up during process()", NULL);
}

/* ------------------------------------------------------------- streams */

static void test_stream_ok(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/raft/stream/message/2", "/raft/stream/msgapp/2",
        "/raft/stream/message/02", "/raft/stream/msgapp/0000000000000002"};
    struct peer_headers h = stream_headers();
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct reply r;
        get_stream(paths[i], &h, &r);
        check_stream_ok(paths[i], &r);
    }
}

static void test_stream_methods(void **state)
{
    (void)state;
    static const char *const methods[] = {"POST", "PUT", "DELETE"};
    static const char *const paths[] = {"/raft/stream/message/2",
                                        "/raft/stream/msgapp/2"};
    struct peer_headers h = stream_headers();
    for (size_t p = 0; p < 2; p++) {
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
            struct reply r;
            send_empty(methods[i], paths[p], &h, &r);
            char what[96];
            snprintf(what, sizeof(what), "%s %s", methods[i], paths[p]);
            check_405(what, &r, "GET");
        }
    }
}

static void test_stream_paths(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *text;
    } cases[] = {
        {"/raft/stream/msgappv2/2", "invalid path"},
        {"/raft/stream/message", "invalid path"},
        {"/raft/stream/msgapp", "invalid path"},
        {"/raft/stream/message/2/", "invalid path"},
        {"/raft/stream/message/2/3", "invalid path"},
        {"/raft/stream/", "invalid path"},
        {"/raft/stream/snapshot/2", "invalid path"},
        {"/raft/stream/message/zz", "invalid from"},
        {"/raft/stream/message/", "invalid from"},
        {"/raft/stream/msgapp/0x2", "invalid from"},
        {"/raft/stream/message/-2", "invalid from"},
        {"/raft/stream/message/10000000000000000", "invalid from"},
        {"/raft/stream/message/9", "error sender not found"},
        {"/raft/stream/msgapp/9", "error sender not found"},
        {"/raft/stream/message/1", "error sender not found"},
    };
    struct peer_headers h = stream_headers();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reply r;
        get_stream(cases[i].path, &h, &r);
        check_stream_error(cases[i].path, &r, 404, cases[i].text);
    }
    /* X-PeerURLs makes an unknown sender a remote, not a stream peer. */
    h.from = "9";
    h.peer_urls = "http://127.0.0.1:1";
    struct reply r;
    get_stream("/raft/stream/message/9", &h, &r);
    check_stream_error("unknown sender with X-PeerURLs", &r, 404,
                       "error sender not found");
}

static void pipeline_only(struct rafthttp_config *cfg)
{
    cfg->pipeline_only = true;
}

/* pipeline_only: a valid stream dial gets the 404 of a server without
 * streams, and a valid POST is still processed. */
static void test_stream_refused_when_pipeline_only(void **state)
{
    (void)state;
    struct tc_cluster c;
    tc_start(&c, 1, pipeline_only);
    const char *peer2 = "http://127.0.0.1:1";
    assert_int_equal(rafthttp_transport_add_peer(c.nodes[0].t, 2, &peer2, 1),
                     0);
    struct peer_headers h = stream_headers();
    static const char *const paths[] = {"/raft/stream/message/2",
                                        "/raft/stream/msgapp/2"};
    for (size_t i = 0; i < 2; i++) {
        struct request rq = {
            .method = "GET", .path = paths[i], .h = h, .stream = true};
        struct reply r;
        http_once(c.nodes[0].url, &rq, &r);
        check_http_error(paths[i], &r, 404, "404 page not found");
    }
    struct rh_buf body;
    rh_buf_init(&body, NULL, 1 << 20);
    struct rafthttp_message m = heartbeat(next_term++);
    encode(&m, &body);
    struct request rq = {.method = "POST",
                         .path = "/raft",
                         .h = pipeline_headers(),
                         .body = body.data,
                         .body_len = body.len};
    struct reply r;
    http_once(c.nodes[0].url, &rq, &r);
    check_204("POST /raft to a pipeline-only member", &r);
    rh_buf_close(&body);
    tc_stop(&c);
}

static void test_stream_headers(void **state)
{
    (void)state;
    static const char *const to[] = {"2", "01", "", NULL};
    for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
        struct peer_headers h = stream_headers();
        h.raft_to = to[i];
        struct reply r;
        get_stream("/raft/stream/message/2", &h, &r);
        char what[64];
        snprintf(what, sizeof(what), "X-Raft-To \"%s\"",
                 to[i] ? to[i] : "(none)");
        check_stream_error(what, &r, 412, "to field mismatch");
    }
    static const struct {
        const char *server;
        const char *cluster;
        long status;
        const char *text;
    } cases[] = {
        {"3.4.23", "2000", 412, "cluster ID mismatch"},
        {"3.4.23", "0001000", 412, "cluster ID mismatch"},
        {"3.4.23", NULL, 412, "cluster ID mismatch"},
        {NULL, "1000", 412, "incompatible version"},
        {"2.3.0", "1000", 412, "incompatible version"},
        {"3.4", "1000", 400, "malformed version header"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct peer_headers h = stream_headers();
        h.server_version = cases[i].server;
        h.cluster_id = cases[i].cluster;
        struct reply r;
        get_stream("/raft/stream/msgapp/2", &h, &r);
        char what[96];
        snprintf(what, sizeof(what), "stream version \"%s\" cluster \"%s\"",
                 cases[i].server ? cases[i].server : "(none)",
                 cases[i].cluster ? cases[i].cluster : "(none)");
        check_stream_error(what, &r, cases[i].status, cases[i].text);
    }
}

/* Method, version, cluster, path, from, sender, X-Raft-To. */
static void test_stream_check_order(void **state)
{
    (void)state;
    struct peer_headers h = stream_headers();
    h.cluster_id = "2000";
    h.raft_to = "2";
    struct reply r;
    send_empty("PUT", "/raft/stream/msgappv2/zz", &h, &r);
    check_405("PUT, everything else wrong", &r, "GET");

    h.server_version = "1.0.0";
    get_stream("/raft/stream/msgappv2/zz", &h, &r);
    check_stream_error("bad version, cluster, path", &r, 412,
                       "incompatible version");

    h.server_version = "3.4.23";
    get_stream("/raft/stream/msgappv2/zz", &h, &r);
    check_stream_error("bad cluster, path", &r, 412, "cluster ID mismatch");

    h.cluster_id = "1000";
    get_stream("/raft/stream/msgappv2/zz", &h, &r);
    check_stream_error("bad path and from", &r, 404, "invalid path");

    get_stream("/raft/stream/message/zz", &h, &r);
    check_stream_error("bad from and X-Raft-To", &r, 404, "invalid from");

    get_stream("/raft/stream/message/9", &h, &r);
    check_stream_error("unknown sender, bad X-Raft-To", &r, 404,
                       "error sender not found");
}

/* The raft core of the removed-member transport: ids 3 and 4 are gone. */
static bool removed_3_or_4(struct rafthttp_transport *t, uint64_t id, void *ud)
{
    (void)t;
    (void)ud;
    return id == 3 || id == 4;
}

static void quiet(enum rafthttp_log_level level, const char *msg,
                  const struct rafthttp_log_field *fields, size_t n, void *ud)
{
    (void)level;
    (void)msg;
    (void)fields;
    (void)n;
    (void)ud;
}

static const struct rafthttp_raft_ops removed_ops = {
    .is_id_removed = removed_3_or_4,
};

/* 410 for a removed sender, known as a peer (3) or not (4). */
static void test_stream_removed_sender(void **state)
{
    (void)state;
    const char *listen[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = 1;
    cfg.cluster_id = 0x1000;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.raft_ops = &removed_ops;
    cfg.log = quiet;
    struct rafthttp_transport *t = NULL;
    assert_int_equal(rafthttp_transport_new(&t, &cfg), 0);
    assert_int_equal(rafthttp_transport_start(t), 0);
    const char *peer = "http://127.0.0.1:1";
    assert_int_equal(rafthttp_transport_add_peer(t, 3, &peer, 1), 0);
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(t, 0));

    static const char *const paths[] = {"/raft/stream/message/3",
                                        "/raft/stream/msgapp/3",
                                        "/raft/stream/message/4"};
    struct peer_headers h = stream_headers();
    h.from = "3";
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct request rq = {
            .method = "GET", .path = paths[i], .h = h, .stream = true};
        struct reply r;
        http_once(base, &rq, &r);
        check_stream_error(paths[i], &r, 410, "removed member");
    }
    /* Removal is checked before X-Raft-To. */
    h.raft_to = "2";
    struct request rq = {.method = "GET",
                         .path = "/raft/stream/message/3",
                         .h = h,
                         .stream = true};
    struct reply r;
    http_once(base, &rq, &r);
    check_stream_error("removed sender, bad X-Raft-To", &r, 410,
                       "removed member");
    rafthttp_transport_free(t);
}

/* ------------------------------------------------- probing, other paths */

/* Go's json.Encoder of {OK, Now}: RFC 3339, fraction without 0 tail. */
static bool probing_body_ok(const char *body)
{
    static const char prefix[] = "{\"OK\":true,\"Now\":\"";
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (strncmp(body, prefix, strlen(prefix)) != 0) {
        return false;
    }
    const char *p = body + strlen(prefix);
    for (size_t i = 0; shape[i] != '\0'; i++, p++) {
        bool ok =
            shape[i] == 'd' ? isdigit((unsigned char)*p) != 0 : *p == shape[i];
        if (!ok) {
            return false;
        }
    }
    if (*p == '.') {
        const char *digits = ++p;
        while (isdigit((unsigned char)*p)) {
            p++;
        }
        size_t n = (size_t)(p - digits);
        if (n < 1 || n > 9 || p[-1] == '0') {
            return false;
        }
    }
    return strcmp(p, "Z\"}\n") == 0;
}

/* etcd's other peer paths: /version in etcd's shape, /members (none set). */
static void test_version_and_members(void **state)
{
    (void)state;
    struct peer_headers none = {0};
    struct reply r;
    struct request rq = {.method = "GET", .path = "/version", .h = none};
    http_once(node_url(), &rq, &r);
    check_status("GET /version", &r, 200);
    check_header("GET /version", &r, "Content-Type", "application/json");
    check_body("GET /version", &r,
               "{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}");
    rq.method = "POST";
    http_once(node_url(), &rq, &r);
    check_405("POST /version", &r, "GET");
    rq.path = "/members";
    http_once(node_url(), &rq, &r);
    check_405("POST /members", &r, "GET");
    rq.method = "GET";
    http_once(node_url(), &rq, &r);
    check_http_error("GET /members without members", &r, 404,
                     "404 page not found");
}

static void test_probing(void **state)
{
    (void)state;
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE",
                                          "PATCH"};
    struct peer_headers none = {0};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct reply r;
        struct request rq = {
            .method = methods[i], .path = "/raft/probing", .h = none};
        http_once(node_url(), &rq, &r);
        check_status(methods[i], &r, 200);
        check_header(methods[i], &r, "Content-Type",
                     "text/plain; charset=utf-8");
        if (!probing_body_ok(r.body)) {
            fail_msg("%s /raft/probing: body \"%s\"", methods[i], r.body);
        }
    }
    /* No header checks: a wrong cluster does not matter. */
    struct peer_headers bad = pipeline_headers();
    bad.cluster_id = "2000";
    bad.server_version = "3.4";
    struct reply r;
    struct request rq = {.method = "GET", .path = "/raft/probing", .h = bad};
    http_once(node_url(), &rq, &r);
    check_status("probing with bad headers", &r, 200);
    assert_true(probing_body_ok(r.body));
}

static void test_unknown_paths(void **state)
{
    (void)state;
    static const char *const paths[] = {"/",
                                        "/foo",
                                        "/raftx",
                                        "/raft/",
                                        "/raft/probing/",
                                        "/version/x",
                                        "/raft/streamx/message/2"};
    static const char *const methods[] = {"GET", "POST"};
    struct peer_headers h = stream_headers();
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        for (size_t j = 0; j < 2; j++) {
            struct reply r;
            send_empty(methods[j], paths[i], &h, &r);
            char what[96];
            snprintf(what, sizeof(what), "%s %s", methods[j], paths[i]);
            check_http_error(what, &r, 404, "404 page not found");
        }
    }
}

/* ----------------------------------------------------------- endurance */

static void test_garbage_in_a_row(void **state)
{
    (void)state;
    struct peer_headers h = pipeline_headers();
    for (int i = 0; i < GARBAGE_ROUNDS; i++) {
        struct reply r;
        post_raw(&h, garbage, sizeof(garbage), &r);
        check_pipeline_error("garbage POST in a row", &r, 400,
                             "error unmarshalling raft message");
    }
    post_valid("POST after garbage in a row", NULL);
}

/* One bad request of each kind on handle h, and its answer. */
static void bad_round(CURL *h)
{
    struct reply r;
    struct peer_headers ph = pipeline_headers();
    struct request rq = {.method = "POST",
                         .path = "/raft",
                         .h = ph,
                         .body = garbage,
                         .body_len = sizeof(garbage)};
    http_run(h, node_url(), &rq, &r);
    check_pipeline_error("kept-alive garbage", &r, 400,
                         "error unmarshalling raft message");

    rq.h.cluster_id = "2000";
    http_run(h, node_url(), &rq, &r);
    check_pipeline_error("kept-alive cluster", &r, 412, "cluster ID mismatch");

    struct request get = {.method = "GET", .path = "/raft", .h = ph};
    http_run(h, node_url(), &get, &r);
    check_405("kept-alive GET /raft", &r, "POST");

    struct request st = {.method = "GET",
                         .path = "/raft/stream/message/2",
                         .h = stream_headers(),
                         .stream = true};
    st.h.raft_to = "2";
    http_run(h, node_url(), &st, &r);
    check_stream_error("kept-alive X-Raft-To", &r, 412, "to field mismatch");

    struct request nf = {.method = "GET", .path = "/foo", .h = ph};
    http_run(h, node_url(), &nf, &r);
    check_http_error("kept-alive /foo", &r, 404, "404 page not found");

    struct request pr = {.method = "GET", .path = "/raft/probing", .h = ph};
    http_run(h, node_url(), &pr, &r);
    check_status("kept-alive probing", &r, 200);
}

static void test_bad_requests_kept_alive(void **state)
{
    (void)state;
    CURL *h = curl_easy_init();
    assert_non_null(h);
    for (int i = 0; i < KEEPALIVE_ROUNDS; i++) {
        bad_round(h);
    }
    post_valid("kept-alive POST after bad ones", h);
    curl_easy_cleanup(h);
}

/* After everything above, the transport still takes messages. */
static void test_still_serving(void **state)
{
    (void)state;
    post_valid("final valid POST", NULL);
    struct reply r;
    struct peer_headers h = stream_headers();
    get_stream("/raft/stream/message/2", &h, &r);
    check_stream_ok("final stream", &r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_valid),
        cmocka_unit_test(test_pipeline_methods),
        cmocka_unit_test(test_pipeline_versions),
        cmocka_unit_test(test_pipeline_cluster_id),
        cmocka_unit_test(test_pipeline_check_order),
        cmocka_unit_test(test_pipeline_garbage),
        cmocka_unit_test(test_pipeline_too_large),
        cmocka_unit_test(test_pipeline_process_fails),
        cmocka_unit_test(test_pipeline_hang_ups),
        cmocka_unit_test(test_stream_ok),
        cmocka_unit_test(test_stream_methods),
        cmocka_unit_test(test_stream_paths),
        cmocka_unit_test(test_stream_headers),
        cmocka_unit_test(test_stream_check_order),
        cmocka_unit_test(test_stream_removed_sender),
        cmocka_unit_test(test_probing),
        cmocka_unit_test(test_version_and_members),
        cmocka_unit_test(test_unknown_paths),
        cmocka_unit_test(test_stream_refused_when_pipeline_only),
        cmocka_unit_test(test_garbage_in_a_row),
        cmocka_unit_test(test_bad_requests_kept_alive),
        cmocka_unit_test(test_still_serving),
    };
    return cmocka_run_group_tests_name("handlers", tests, group_setup,
                                       group_teardown);
}
