// SPDX-License-Identifier: Apache-2.0
/*
 * The --metrics-listen daemon of rafthttp-node (see metrics_http.h).
 *
 * Each answer is rendered on request into a buffer from realloc, sized by
 * the library's protocol: a call that returns RAFTHTTP_ETOOBIG says how
 * long the text is, and the buffer grows to that (plus some slack, as the
 * text may grow in between) for the next call. The buffer goes to
 * libmicrohttpd, which frees it with free() once the answer is sent.
 */
#define _POSIX_C_SOURCE 200809L

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "metrics_http.h"
#include "options.h"
#include "process_metrics.h"

#define RENDER_FIRST_BYTES (64u * 1024) /* first guess at a body's size */
#define RENDER_SLACK_BYTES 4096u        /* growth between two calls */
#define RENDER_TRIES 8

#define PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define JSON_TYPE "application/json"

/* rafthttp_transport_metrics or rafthttp_transport_leader_stats. */
typedef int (*render_fn)(struct rafthttp_transport *t, char *buf, size_t cap,
                         size_t *len);

static int parse_port(const char *p, unsigned *port)
{
    unsigned v = 0;
    if (*p == '\0') {
        return -1;
    }
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (unsigned)(*p - '0');
        if (v > 65535) {
            return -1;
        }
    }
    *port = v;
    return 0;
}

/* Copies n bytes of host, which must be a plain name or address. */
static int copy_host(const char *p, size_t n, char *host, size_t cap)
{
    if (n == 0 || n >= cap) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= ' ' || c >= 0x7f || strchr("/@?#[]", c) != NULL) {
            return -1;
        }
    }
    memcpy(host, p, n);
    host[n] = '\0';
    return 0;
}

int node_metrics_url_parse(const char *url, char *host, size_t cap,
                           unsigned *port)
{
    const char *rest;
    const char *colon;
    if (strncmp(url, "http://", 7) != 0) {
        return -1;
    }
    rest = url + 7;
    if (rest[0] == '[') { /* [v6]:port */
        const char *close = strchr(rest, ']');
        if (close == NULL || close[1] != ':' ||
            copy_host(rest + 1, (size_t)(close - rest - 1), host, cap) != 0) {
            return -1;
        }
        colon = close + 1;
    } else {
        colon = strrchr(rest, ':');
        if (colon == NULL ||
            copy_host(rest, (size_t)(colon - rest), host, cap) != 0 ||
            strchr(host, ':') != NULL) {
            return -1;
        }
    }
    return parse_port(colon + 1, port);
}

/*
 * GET /metrics: the transport's text, then the process metrics, in buf as
 * one text, on the protocol of rafthttp_transport_metrics.
 */
static int render_metrics(struct rafthttp_transport *t, char *buf, size_t cap,
                          size_t *len)
{
    char proc[PROCESS_METRICS_LEN];
    size_t plen = node_process_metrics(proc, sizeof(proc));
    int rv = rafthttp_transport_metrics(t, buf, cap, len);
    if (rv == RAFTHTTP_ETOOBIG) {
        *len += plen;
        return rv;
    }
    if (rv != 0) {
        return rv;
    }
    if (cap - *len <= plen) {
        *len += plen;
        return RAFTHTTP_ETOOBIG;
    }
    memcpy(buf + *len, proc, plen + 1);
    *len += plen;
    return 0;
}

/* The text of fn in a buffer from realloc, or NULL. */
static char *render(struct rafthttp_transport *t, render_fn fn, size_t *len)
{
    size_t cap = RENDER_FIRST_BYTES;
    char *buf = NULL;
    for (int i = 0; i < RENDER_TRIES; i++) {
        char *grown = realloc(buf, cap);
        if (grown == NULL) {
            break;
        }
        buf = grown;
        int rv = fn(t, buf, cap, len);
        if (rv == 0) {
            return buf;
        }
        if (rv != RAFTHTTP_ETOOBIG || *len > SIZE_MAX - RENDER_SLACK_BYTES) {
            break;
        }
        cap = *len + RENDER_SLACK_BYTES;
    }
    free(buf);
    return NULL;
}

/* Queues a copy of text as the answer. */
static enum MHD_Result answer_text(struct MHD_Connection *c, unsigned status,
                                   const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
    enum MHD_Result rv = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rv;
}

/* Renders fn and queues it as a 200 of the given content type. */
static enum MHD_Result answer_rendered(struct MHD_Connection *c,
                                       struct rafthttp_transport *t,
                                       render_fn fn, const char *type)
{
    size_t len = 0;
    char *body = render(t, fn, &len);
    if (body == NULL) {
        return answer_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                           "cannot render the answer\n");
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rv = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rv;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct metrics_http *m = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
               strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (get && strcmp(url, "/metrics") == 0) {
        return answer_rendered(c, m->t, render_metrics, PROMETHEUS_TYPE);
    }
    if (get && strcmp(url, "/v2/stats/leader") == 0) {
        return answer_rendered(c, m->t, rafthttp_transport_leader_stats,
                               JSON_TYPE);
    }
    return answer_text(c, MHD_HTTP_NOT_FOUND, "404 page not found\n");
}

/* Resolves host:port for bind(). */
static int resolve(const struct metrics_http *m, struct sockaddr_storage *ss,
                   bool *v6)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char port[8];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof(port), "%u", m->port);
    int rv = getaddrinfo(m->host, port, &hints, &res);
    if (rv != 0 || res == NULL) {
        fprintf(stderr, PROG ": --metrics-listen: %s: %s\n", m->host,
                rv != 0 ? gai_strerror(rv) : "no address");
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

static void print_url(const struct metrics_http *m)
{
    bool v6 = strchr(m->host, ':') != NULL;
    printf("metrics url=http://%s%s%s:%u\n", v6 ? "[" : "", m->host,
           v6 ? "]" : "", m->port);
    fflush(stdout);
}

int node_metrics_http_start(struct metrics_http *m, const char *url,
                            struct rafthttp_transport *t)
{
    struct sockaddr_storage ss;
    bool v6 = false;
    memset(m, 0, sizeof(*m));
    m->t = t;
    if (node_metrics_url_parse(url, m->host, sizeof(m->host), &m->port) != 0 ||
        resolve(m, &ss, &v6) != 0) {
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     (v6 ? MHD_USE_IPv6 : 0);
    m->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                         MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (m->daemon == NULL) {
        fprintf(stderr, PROG ": --metrics-listen %s: cannot listen\n", url);
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info != NULL) {
        m->port = info->port;
    }
    print_url(m);
    return 0;
}

void node_metrics_http_stop(struct metrics_http *m)
{
    if (m->daemon != NULL) {
        MHD_stop_daemon(m->daemon);
        m->daemon = NULL;
    }
}
