// SPDX-License-Identifier: Apache-2.0
/*
 * metrics: two members' Prometheus metrics on one HTTP endpoint.
 *
 * rafthttp_transport_metrics writes one transport's text exposition with
 * etcd's names and labels (etcd_network_active_peers,
 * etcd_network_peer_sent_bytes_total{To="2"}, ...) and the library's own
 * (rafthttp_*: queued bytes, drops by reason and type);
 * rafthttp_metrics_write writes several transports (members run in one
 * process) as one exposition: each family's HELP and TYPE once, every
 * sample labelled with its member (Local="1"). Both fill a buffer the
 * caller gives, in two calls: the first, with no buffer, returns
 * RAFTHTTP_ETOOBIG and sets *len to the text's length; the second gets
 * len + 1 bytes (the text and its NUL). The text may grow in between (a
 * peer added, a first drop), so the second call is a loop.
 *
 * The program starts members 1 and 2 on 127.0.0.1 (port 0), waits
 * (peer_status_changed, bounded) until they see each other, sends a few
 * heartbeats so the counters move, and serves both members' metrics at
 * GET /metrics from a small libmicrohttpd daemon. Then:
 *   ./metrics                 scrapes itself once, as Prometheus would,
 *                             prints what it got, exits 0 if it is right;
 *   ./metrics --serve [PORT]  serves on 127.0.0.1:PORT (default: any free
 *                             port, printed) until Ctrl-C, for
 *                             curl http://127.0.0.1:PORT/metrics
 *
 * metrics_text() below is the one place the text is produced: change it
 * there (for example to add process metrics).
 *
 * Build (libmicrohttpd is this program's own dependency: the rafthttp
 * package does not pass its dependencies on):
 *   cc -pthread metrics.c \
 *     $(pkg-config --cflags --libs rafthttp libmicrohttpd) -o metrics
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <rafthttp.h>

#define CLUSTER_ID 0x1000
#define WAIT_SECONDS 10
#define HEARTBEATS 5
#define SCRAPE_MAX (1024 * 1024)
#define PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* What the callbacks tell main, under one lock. */
struct events {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active; /* peers seen active, both members together */
    int received;
};

static int fail(const char *what, int rv)
{
    fprintf(stderr, "metrics: %s: %s: %s\n", what, rafthttp_strerror(rv),
            rafthttp_transport_errmsg(NULL));
    return rv;
}

/*
 * ====== The one place the metrics text is produced. ======
 * The members' text, by the two-call pattern; a malloc'd text for free(),
 * or NULL. Several transports' texts must not be pasted together: each
 * has its own "# HELP" and "# TYPE" lines, and Prometheus refuses a family
 * that appears twice; rafthttp_metrics_write writes them as one.
 */
static char *metrics_text(struct rafthttp_transport *const *t, size_t n,
                          size_t *len)
{
    char *buf = NULL;
    size_t need = 0;
    /* No room: RAFTHTTP_ETOOBIG, and need is the text's length. */
    int rv = rafthttp_metrics_write(t, n, NULL, 0, &need);
    for (int tries = 0; rv == RAFTHTTP_ETOOBIG && tries < 4; tries++) {
        char *grown = realloc(buf, need + 1);
        if (grown == NULL) {
            rv = RAFTHTTP_ENOMEM;
            break;
        }
        buf = grown;
        rv = rafthttp_metrics_write(t, n, buf, need + 1, &need);
    }
    if (rv != 0) {
        fail("metrics_write", rv);
        free(buf);
        return NULL;
    }
    *len = need;
    return buf;
}

/* GET /metrics; anything else is 404. cls is the two transports. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    const char *text = "try GET /metrics\n"; /* when there is no body */
    unsigned status = MHD_HTTP_NOT_FOUND;
    size_t len = 0;
    char *body = NULL;
    if (strcmp(url, "/metrics") == 0 && strcmp(method, "GET") == 0) {
        body = metrics_text(cls, 2, &len);
        status = body != NULL ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR;
        text = "cannot render the metrics\n";
    }
    struct MHD_Response *r =
        body != NULL
            ? MHD_create_response_from_buffer_with_free_callback(len, body,
                                                                 free)
            : MHD_create_response_from_buffer(strlen(text), (void *)text,
                                              MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    if (body != NULL && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                                PROMETHEUS_TYPE) != MHD_YES) {
        MHD_destroy_response(r); /* frees body */
        return MHD_NO;
    }
    enum MHD_Result rv = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rv;
}

static struct MHD_Daemon *serve(struct rafthttp_transport **t, unsigned *port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)*port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
        on_request, t, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "metrics: cannot serve on 127.0.0.1:%u\n", *port);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL) {
        fprintf(stderr, "metrics: the daemon does not say its port\n");
        MHD_stop_daemon(d);
        return NULL;
    }
    *port = info->port;
    return d;
}

/* GET /metrics over a plain socket, printed; true if it looks right. */
static bool scrape(unsigned port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval limit = {WAIT_SECONDS, 0};
    static char answer[SCRAPE_MAX];
    size_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) == 0 &&
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        dprintf(fd, "GET /metrics HTTP/1.0\r\n\r\n") > 0) {
        ssize_t r;
        while (n + 1 < sizeof(answer) &&
               (r = read(fd, answer + n, sizeof(answer) - 1 - n)) > 0) {
            n += (size_t)r;
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    answer[n] = '\0';
    const char *body = strstr(answer, "\r\n\r\n");
    int status = 0;
    if (sscanf(answer, "HTTP/%*s %d", &status) != 1 || status != 200 ||
        body == NULL) {
        fprintf(stderr, "metrics: GET /metrics: no 200 answer\n");
        return false;
    }
    fputs(body + 4, stdout);
    static const char *const wanted[] = {
        "\netcd_network_active_peers{Local=\"1\",Remote=\"2\"} 1\n",
        "\netcd_network_active_peers{Local=\"2\",Remote=\"1\"} 1\n",
        "\netcd_network_peer_sent_bytes_total{Local=\"2\",To=\"1\"} ",
    };
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        if (strstr(body, wanted[i]) == NULL) {
            fprintf(stderr, "metrics: the scrape lacks %s\n", wanted[i] + 1);
            return false;
        }
    }
    const char *help = "# HELP etcd_network_active_peers ";
    const char *first = strstr(body, help);
    if (first == NULL || strstr(first + 1, help) != NULL) {
        fprintf(stderr, "metrics: want one HELP line per family\n");
        return false;
    }
    return true;
}

/* ------------------------------------------------ members and traffic */

static void note(struct events *e, int *counter, int delta)
{
    pthread_mutex_lock(&e->mu);
    *counter += delta;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static bool wait_for(struct events *e, const int *counter, int want)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&e->mu);
    int rv = 0;
    while (*counter < want && rv != ETIMEDOUT) {
        rv = pthread_cond_timedwait(&e->cv, &e->mu, &deadline);
    }
    bool reached = *counter >= want;
    pthread_mutex_unlock(&e->mu);
    if (!reached) {
        fprintf(stderr, "metrics: still waiting after %d s\n", WAIT_SECONDS);
    }
    return reached;
}

static int on_process(struct rafthttp_transport *t,
                      const struct rafthttp_message *m, void *user_data)
{
    (void)t;
    (void)m;
    struct events *e = user_data;
    note(e, &e->received, 1);
    return 0;
}

static void on_peer_status(struct rafthttp_transport *t, uint64_t peer,
                           bool active, const char *reason, void *user_data)
{
    (void)t;
    (void)peer;
    (void)reason;
    struct events *e = user_data;
    note(e, &e->active, active ? 1 : -1);
}

static const struct rafthttp_raft_ops ops = {
    .process = on_process,
    .peer_status_changed = on_peer_status,
};

static int start_member(struct rafthttp_transport **t, uint64_t id,
                        struct events *e)
{
    static const char *const listen[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = id;
    cfg.cluster_id = CLUSTER_ID;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.raft_ops = &ops;
    cfg.raft_user_data = e;
    cfg.log_level = RAFTHTTP_LOG_ERROR;
    int rv = rafthttp_transport_new(t, &cfg);
    if (rv != 0) {
        return fail("transport_new", rv);
    }
    rv = rafthttp_transport_start(*t);
    return rv != 0 ? fail("transport_start", rv) : 0;
}

static int add_peer(struct rafthttp_transport *t, uint64_t id,
                    struct rafthttp_transport *peer)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(peer, 0));
    const char *urls[] = {url};
    int rv = rafthttp_transport_add_peer(t, id, urls, 1);
    return rv != 0 ? fail("add_peer", rv) : 0;
}

/* Two members that see each other, and some heartbeats from 1 to 2. */
static bool make_traffic(struct rafthttp_transport *t[2], struct events *e)
{
    if (start_member(&t[0], 1, e) != 0 || start_member(&t[1], 2, e) != 0 ||
        add_peer(t[0], 2, t[1]) != 0 || add_peer(t[1], 1, t[0]) != 0 ||
        !wait_for(e, &e->active, 2)) {
        return false;
    }
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 1};
    for (int i = 0; i < HEARTBEATS; i++) {
        int rv = rafthttp_transport_send(t[0], &m, 1);
        if (rv != 0) {
            fail("send", rv);
            return false;
        }
    }
    return wait_for(e, &e->received, HEARTBEATS);
}

int main(int argc, char **argv)
{
    bool serving = argc > 1 && strcmp(argv[1], "--serve") == 0;
    unsigned port = serving && argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10)
                                        : 0; /* 0: any free port */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    /* Blocked before any thread starts, so that sigwait gets them. */
    if (serving && pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0) {
        fprintf(stderr, "metrics: cannot block SIGINT and SIGTERM\n");
        return 1;
    }
    struct events e = {.mu = PTHREAD_MUTEX_INITIALIZER};
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&e.cv, &attr) != 0) {
        fprintf(stderr, "metrics: cannot make a condition variable\n");
        return 1;
    }
    pthread_condattr_destroy(&attr);
    struct rafthttp_transport *t[2] = {NULL, NULL};
    struct MHD_Daemon *daemon = NULL;
    bool ok = make_traffic(t, &e) && (daemon = serve(t, &port)) != NULL;
    if (ok && serving) {
        printf("curl http://127.0.0.1:%u/metrics   (Ctrl-C to stop)\n", port);
        fflush(stdout);
        int sig;
        sigwait(&stop_signals, &sig);
    } else if (ok) {
        ok = scrape(port);
    }
    if (daemon != NULL) { /* no request may use t once it is freed */
        MHD_stop_daemon(daemon);
    }
    rafthttp_transport_free(t[0]); /* stops it first */
    rafthttp_transport_free(t[1]);
    pthread_cond_destroy(&e.cv);
    return ok ? 0 : 1;
}
