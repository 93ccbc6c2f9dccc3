// SPDX-License-Identifier: Apache-2.0
/*
 * The transports of a run: member 1 (sender) and member 2 (receiver) on
 * loopback ports the kernel picks, or, in external mode, the one member
 * this side plays, at --listen, with the other side at --peer-url.
 *
 * Ready means the streams are up both ways (each member's writers to the
 * other are attached, and in external mode our readers too), so that the
 * measured part does not include dialing or fall back to the pipeline. In
 * pipeline mode there are no streams: in one process both servers listen
 * once started; an external sender waits until the peer's port accepts a
 * TCP connection, since a POST before that would only be dropped.
 *
 * TLS: both members of one process use the TLS flags as they are (the
 * same certificate), listen on https://127.0.0.1 and dial https URLs; an
 * external side uses them with the https URLs it was given.
 *
 * The log: warnings go to stderr, named by member, while the run lasts;
 * afterwards (r->quiet) only errors, since freeing the transports makes
 * each report its peer inactive.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "common/common.h"
#include "run.h"

#define READY_POLL_S 0.01
#define LOOPBACK_ANY_PORT "127.0.0.1:0"

static void bench_log(enum rafthttp_log_level level, const char *msg,
                      const struct rafthttp_log_field *fields, size_t n,
                      void *ud)
{
    const struct bench_member *mb = ud;
    if (atomic_load(&mb->run->quiet) && level < RAFTHTTP_LOG_ERROR) {
        return;
    }
    char line[1024];
    rafthttp_log_format(RAFTHTTP_LOG_TEXT, level, msg, fields, n, line,
                        sizeof(line));
    fprintf(stderr, PROG ": member %" PRIx64 ": %s\n", mb->id, line);
}

static void fill_config(struct bench_run *r, struct bench_member *mb,
                        const char *const *listen, bool receiver,
                        struct rafthttp_config *cfg)
{
    rafthttp_config_init(cfg);
    cfg->local_id = mb->id;
    cfg->cluster_id = r->o->cluster_id;
    cfg->listen_urls = listen;
    cfg->n_listen_urls = 1;
    if (r->role != ROLE_BOTH) {
        cfg->peer_urls = listen; /* announced in X-PeerURLs */
        cfg->n_peer_urls = 1;
    }
    cfg->pipeline_only = bench_mode_info(r->mode)->pipeline_only;
    cfg->tls = r->tls ? &r->o->tls : NULL;
    cfg->snapshot_dir = receiver && r->snap_dir[0] != '\0' ? r->snap_dir : NULL;
    cfg->snapshot_fsync = r->o->fsync;
    cfg->raft_ops =
        receiver ? &bench_raft_receiver_ops : &bench_raft_sender_ops;
    cfg->raft_user_data = r;
    cfg->log = bench_log;
    cfg->log_user_data = mb;
    cfg->log_level = RAFTHTTP_LOG_WARN;
}

static struct rafthttp_transport *start_one(struct bench_run *r,
                                            struct bench_member *mb,
                                            const char *listen, bool receiver)
{
    struct rafthttp_config cfg;
    struct rafthttp_transport *t = NULL;
    fill_config(r, mb, &listen, receiver, &cfg);
    int rv = rafthttp_transport_new(&t, &cfg);
    if (rv == 0) {
        rv = rafthttp_transport_start(t);
    }
    if (rv != 0) {
        fprintf(stderr,
                PROG ": member %" PRIx64 ": cannot start at %s: %s%s%s\n",
                mb->id, listen, rafthttp_strerror(rv), t != NULL ? ": " : "",
                t != NULL ? rafthttp_transport_errmsg(t) : "");
        rafthttp_transport_free(t);
        return NULL;
    }
    return t;
}

static const char *scheme(const struct bench_run *r)
{
    return r->tls ? "https" : "http";
}

/* Tells a of b, which listens on loopback. */
static int add_local_peer(struct bench_run *r, struct rafthttp_transport *a,
                          struct rafthttp_transport *b, uint64_t b_id)
{
    char url[64];
    snprintf(url, sizeof(url), "%s://127.0.0.1:%u", scheme(r),
             rafthttp_transport_listen_port(b, 0));
    const char *u = url;
    return rafthttp_transport_add_peer(a, b_id, &u, 1);
}

static int start_pair(struct bench_run *r)
{
    char any[32];
    snprintf(any, sizeof(any), "%s://" LOOPBACK_ANY_PORT, scheme(r));
    r->send_t = start_one(r, &r->members[0], any, false);
    r->recv_t = start_one(r, &r->members[1], any, true);
    if (r->send_t == NULL || r->recv_t == NULL) {
        return -1;
    }
    if (add_local_peer(r, r->send_t, r->recv_t, r->recv_id) != 0 ||
        add_local_peer(r, r->recv_t, r->send_t, r->send_id) != 0) {
        fprintf(stderr, PROG ": cannot add the peers\n");
        return -1;
    }
    return 0;
}

static int start_external(struct bench_run *r)
{
    bool receiver = r->role == ROLE_RECV;
    struct bench_member *mb = &r->members[receiver ? 1 : 0];
    struct rafthttp_transport *t = start_one(r, mb, r->o->listen, receiver);
    if (t == NULL) {
        return -1;
    }
    *(receiver ? &r->recv_t : &r->send_t) = t;
    const char *peer = r->o->peer_url;
    int rv = rafthttp_transport_add_peer(t, r->o->peer_id, &peer, 1);
    if (rv != 0) {
        fprintf(stderr, PROG ": cannot add peer %s: %s\n", peer,
                rafthttp_strerror(rv));
        return -1;
    }
    return 0;
}

int bench_transports_start(struct bench_run *r)
{
    r->members[0] = (struct bench_member){r, r->send_id};
    r->members[1] = (struct bench_member){r, r->recv_id};
    return r->role == ROLE_BOTH ? start_pair(r) : start_external(r);
}

/* Our streams with peer id are up (writers; readers too if asked). */
static bool streams_up(struct rafthttp_transport *t, uint64_t id, bool readers)
{
    struct rafthttp_peer_status st;
    if (rafthttp_transport_peer_status(t, id, &st) != 0) {
        return false;
    }
    bool writers = st.msgapp_writer && st.message_writer;
    return writers && (!readers || (st.msgapp_reader && st.message_reader));
}

static bool all_streams_up(struct bench_run *r)
{
    if (r->role == ROLE_BOTH) {
        return streams_up(r->send_t, r->recv_id, false) &&
               streams_up(r->recv_t, r->send_id, false);
    }
    return streams_up(r->send_t, r->recv_id, true);
}

/* The host and port of an http(s)://HOST:PORT URL (IPv6 in brackets). */
static int url_host_port(const char *url, char *host, size_t host_cap,
                         char *port, size_t port_cap)
{
    const char *h = strstr(url, "://");
    h = h != NULL ? h + 3 : url;
    size_t hlen = strcspn(h, "/");
    const char *colon = NULL;
    for (size_t i = 0; i < hlen; i++) {
        colon = h[i] == ':' ? h + i : colon;
    }
    if (colon == NULL || (size_t)(colon - h) >= host_cap ||
        (size_t)(h + hlen - colon) > port_cap) {
        return -1;
    }
    bool bracket = h[0] == '[';
    size_t n = (size_t)(colon - h) - (bracket ? 2 : 0);
    memcpy(host, h + (bracket ? 1 : 0), n);
    host[n] = '\0';
    memcpy(port, colon + 1, (size_t)(h + hlen - colon - 1));
    port[h + hlen - colon - 1] = '\0';
    return 0;
}

/* True if something accepts TCP connections at url. */
static bool tcp_accepts(const char *url)
{
    char host[256];
    char port[16];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (url_host_port(url, host, sizeof(host), port, sizeof(port)) != 0 ||
        getaddrinfo(host, port, &hints, &ai) != 0) {
        return false;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    bool ok = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    if (fd >= 0) {
        close(fd);
    }
    freeaddrinfo(ai);
    return ok;
}

static bool ready(struct bench_run *r)
{
    bool pipeline_only = bench_mode_info(r->mode)->pipeline_only;
    if (!pipeline_only) {
        return all_streams_up(r);
    }
    return r->role == ROLE_BOTH || tcp_accepts(r->o->peer_url);
}

int bench_transports_wait_ready(struct bench_run *r)
{
    if (r->role == ROLE_RECV) {
        return 0; /* the receiver waits for the first message instead */
    }
    double deadline = bench_now_s() + BENCH_START_S;
    while (!ready(r)) {
        if (bench_now_s() > deadline) {
            bench_run_fail(
                r, "peer %" PRIx64 " not reachable%s after %.0f s", r->recv_id,
                bench_mode_info(r->mode)->pipeline_only ? ""
                                                        : " (streams not up)",
                BENCH_START_S);
            return -1;
        }
        bench_sleep_s(READY_POLL_S);
    }
    return 0;
}

uint64_t bench_transports_msgapp_dropped(struct bench_run *r)
{
    struct rafthttp_stats st;
    rafthttp_transport_stats(r->send_t, &st);
    return st.dropped_by_type[RAFTHTTP_MSG_APP];
}

void bench_transports_free(struct bench_run *r)
{
    atomic_store(&r->quiet, true);
    rafthttp_transport_free(r->send_t);
    rafthttp_transport_free(r->recv_t);
    r->send_t = NULL;
    r->recv_t = NULL;
}
