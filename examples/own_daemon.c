// SPDX-License-Identifier: Apache-2.0
/*
 * own_daemon: the transport served from the application's own HTTP
 * server, as etcd mounts its raft handler in the peer listener it also
 * uses for /members and /version.
 *
 * Member 1 is an application that runs its own libmicrohttpd daemon on
 * 127.0.0.1 (port 0) and answers GET /hello itself. Its transport has no
 * listen URLs, so it opens no port: the daemon's access handler passes
 * every URL under /raft to rafthttp_transport_mhd_access, and its
 * request-completed callback hands the transport's requests back to
 * rafthttp_transport_mhd_completed. Member 2 is an ordinary transport
 * with its own listener; to it, member 1 is a member like any other.
 *
 * What the library asks of the daemon (see rafthttp.h):
 *   - MHD_USE_INTERNAL_POLLING_THREAD and MHD_ALLOW_SUSPEND_RESUME: the
 *     transport parks long-lived stream requests and resumes them from its
 *     own threads;
 *   - the transport is started before the first request reaches it;
 *   - shutdown in this order: rafthttp_transport_stop (it ends the streams
 *     parked in the daemon), MHD_stop_daemon, rafthttp_transport_free.
 *
 * The program waits (peer_status_changed, bounded) until each member sees
 * the other active, sends a MsgHeartbeat each way, fetches /hello from the
 * same port and exits 0 when all of that worked.
 *
 * Build and run against an installed rafthttp and libmicrohttpd (the
 * rafthttp package does not pass its dependencies on: an application that
 * calls MHD_* itself links libmicrohttpd itself):
 *   cc -pthread own_daemon.c \
 *     $(pkg-config --cflags --libs rafthttp libmicrohttpd) -o own_daemon
 *   ./own_daemon
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <rafthttp.h>

#define CLUSTER_ID 0x1000
#define WAIT_SECONDS 10
#define HELLO "hello from the application\n"

/* What the callbacks tell main, under one lock. */
struct cluster {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active_links; /* (member, peer) pairs the member sees active */
    int received;     /* heartbeats processed */
};

struct member {
    uint64_t id;
    struct rafthttp_transport *t;
    struct cluster *c;
};

static int fail(const char *what, int rv)
{
    fprintf(stderr, "own_daemon: %s: %s: %s\n", what, rafthttp_strerror(rv),
            rafthttp_transport_errmsg(NULL));
    return rv;
}

static void count(struct cluster *c, int *counter, int delta)
{
    pthread_mutex_lock(&c->mu);
    *counter += delta;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits until *counter reaches want or WAIT_SECONDS pass; returns it. */
static int wait_for(struct cluster *c, const int *counter, int want)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&c->mu);
    int rv = 0;
    while (*counter < want && rv != ETIMEDOUT) {
        rv = pthread_cond_timedwait(&c->cv, &c->mu, &deadline);
    }
    int reached = *counter;
    pthread_mutex_unlock(&c->mu);
    return reached;
}

static int on_process(struct rafthttp_transport *t,
                      const struct rafthttp_message *m, void *user_data)
{
    (void)t;
    struct member *self = user_data;
    printf("member %" PRIx64 " received MsgHeartbeat from %" PRIx64 "\n",
           self->id, m->from);
    count(self->c, &self->c->received, 1);
    return 0;
}

static void on_peer_status(struct rafthttp_transport *t, uint64_t peer,
                           bool active, const char *reason, void *user_data)
{
    (void)t;
    (void)reason;
    struct member *self = user_data;
    printf("member %" PRIx64 ": peer %" PRIx64 " is %s\n", self->id, peer,
           active ? "active" : "inactive");
    count(self->c, &self->c->active_links, active ? 1 : -1);
}

static const struct rafthttp_raft_ops ops = {
    .process = on_process,
    .peer_status_changed = on_peer_status,
};

/* ----------------------------------------------- the application's daemon */

/* /raft... goes to the transport; the rest is the application's. */
static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct member *m1 = cls;
    if (strncmp(url, "/raft", 5) == 0) {
        return (enum MHD_Result)rafthttp_transport_mhd_access(
            m1->t, conn, url, method, upload_data, upload_data_size, con_cls);
    }
    bool hello = strcmp(url, "/hello") == 0;
    const char *body = hello ? HELLO : "not found\n";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        return MHD_NO;
    }
    enum MHD_Result rv =
        MHD_queue_response(conn, hello ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, r);
    MHD_destroy_response(r);
    return rv;
}

/*
 * Our own paths keep no per-request state (*con_cls stays NULL, which the
 * transport ignores), so every request may be handed back. An application
 * that keeps state of its own in *con_cls must pass on only the
 * transport's requests.
 */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    (void)conn;
    (void)why;
    struct member *m1 = cls;
    rafthttp_transport_mhd_completed(m1->t, con_cls);
}

static struct MHD_Daemon *start_daemon(struct member *m1, unsigned *port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = 0, /* any free port */
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
            MHD_ALLOW_SUSPEND_RESUME,
        0, NULL, NULL, on_access, m1, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, m1, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "own_daemon: MHD_start_daemon failed\n");
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL) {
        fprintf(stderr, "own_daemon: the daemon does not say its port\n");
        MHD_stop_daemon(d);
        return NULL;
    }
    *port = info->port;
    printf("member 1: the application's daemon on 127.0.0.1:%u\n", *port);
    return d;
}

/* GET /hello over a plain socket: the body must be ours. */
static bool hello_answers(unsigned port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval limit = {WAIT_SECONDS, 0};
    char answer[1024] = "";
    size_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)) == 0 &&
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        dprintf(fd, "GET /hello HTTP/1.0\r\n\r\n") > 0) {
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
    int status = 0;
    bool ok = sscanf(answer, "HTTP/%*s %d", &status) == 1 && status == 200 &&
              strstr(answer, "\r\n\r\n" HELLO) != NULL;
    printf("GET /hello: %s", ok ? HELLO : "no answer, or not ours\n");
    return ok;
}

/* ---------------------------------------------------------------- members */

/*
 * listen_url NULL: no listener, for member 1. (Its peer_urls, announced to
 * peers in X-PeerURLs, would be the daemon's URL: left out here, where the
 * port is not known before the transport is made and nothing needs it.)
 */
static int start_member(struct member *m, const char *listen_url)
{
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = m->id;
    cfg.cluster_id = CLUSTER_ID;
    cfg.listen_urls = listen_url != NULL ? &listen_url : NULL;
    cfg.n_listen_urls = listen_url != NULL ? 1 : 0;
    cfg.raft_ops = &ops;
    cfg.raft_user_data = m;
    cfg.log_level = RAFTHTTP_LOG_ERROR; /* the peers' coming and going is
                                           shown by on_peer_status */
    int rv = rafthttp_transport_new(&m->t, &cfg);
    if (rv != 0) {
        return fail("transport_new", rv);
    }
    rv = rafthttp_transport_start(m->t);
    return rv != 0 ? fail("transport_start", rv) : 0;
}

static int add_peer(struct member *m, uint64_t id, unsigned port)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
    const char *urls[] = {url};
    int rv = rafthttp_transport_add_peer(m->t, id, urls, 1);
    return rv != 0 ? fail("add_peer", rv) : 0;
}

static int send_heartbeat(struct member *from, uint64_t to)
{
    struct rafthttp_message m = {
        .type = RAFTHTTP_MSG_HEARTBEAT, .from = from->id, .to = to, .term = 1};
    int rv = rafthttp_transport_send(from->t, &m, 1);
    return rv != 0 ? fail("send", rv) : 0;
}

static bool run(struct member *m1, struct member *m2, struct MHD_Daemon **d)
{
    unsigned port = 0;
    /* Member 1's transport first: the daemon may route to it at once. */
    if (start_member(m2, "http://127.0.0.1:0") != 0 ||
        start_member(m1, NULL) != 0 || (*d = start_daemon(m1, &port)) == NULL ||
        add_peer(m1, m2->id, rafthttp_transport_listen_port(m2->t, 0)) != 0 ||
        add_peer(m2, m1->id, port) != 0) {
        return false;
    }
    int active = wait_for(m1->c, &m1->c->active_links, 2);
    if (active < 2) {
        fprintf(stderr, "own_daemon: %d of 2 links active after %d s\n", active,
                WAIT_SECONDS);
        return false;
    }
    if (send_heartbeat(m1, m2->id) != 0 || send_heartbeat(m2, m1->id) != 0) {
        return false;
    }
    int received = wait_for(m1->c, &m1->c->received, 2);
    if (received < 2) {
        fprintf(stderr, "own_daemon: %d of 2 heartbeats after %d s\n", received,
                WAIT_SECONDS);
        return false;
    }
    return hello_answers(port);
}

int main(void)
{
    struct cluster c = {.mu = PTHREAD_MUTEX_INITIALIZER};
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&c.cv, &attr) != 0) {
        fprintf(stderr, "own_daemon: cannot make a condition variable\n");
        return 1;
    }
    pthread_condattr_destroy(&attr);
    struct member m1 = {.id = 1, .c = &c}, m2 = {.id = 2, .c = &c};
    struct MHD_Daemon *daemon = NULL;
    bool ok = run(&m1, &m2, &daemon);
    /* The order rafthttp.h asks for: transport, daemon, then free. */
    int rv = m1.t != NULL ? rafthttp_transport_stop(m1.t) : 0;
    if (rv != 0) {
        ok = false;
        fail("transport_stop", rv);
    }
    if (daemon != NULL) {
        MHD_stop_daemon(daemon);
    }
    rafthttp_transport_free(m1.t);
    rafthttp_transport_free(m2.t); /* stops it first */
    pthread_cond_destroy(&c.cv);
    return ok ? 0 : 1;
}
