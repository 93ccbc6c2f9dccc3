// SPDX-License-Identifier: Apache-2.0
/*
 * three_members: the smallest whole cluster. Three transports in one
 * process, members 1, 2 and 3, each listening on 127.0.0.1 with port 0
 * (the kernel picks a free port; rafthttp_transport_listen_port says
 * which) and each the peer of the other two.
 *
 * What it shows:
 *   - a config filled by rafthttp_config_init and then overridden;
 *   - add_peer after start (it may equally come before: peers are dialled
 *     once the transport runs);
 *   - the peer_status_changed op of struct rafthttp_raft_ops, which tells
 *     the application that a peer came up or went away, so that nothing
 *     polls rafthttp_transport_peer_status: the callbacks count active
 *     links under a mutex and main waits on a condition variable;
 *   - send: every member sends every other member a MsgApp carrying one
 *     entry whose data is a greeting, and process() prints what arrived.
 *     The message is copied by send; the one process() gets is borrowed
 *     for the call, so it prints the entry instead of keeping a pointer.
 *
 * Member IDs are uint64_t, printed in hex as etcd prints them.
 * The callbacks run on the transports' delivery threads, never inside a
 * rafthttp_* call of ours. Every wait is bounded (WAIT_SECONDS): the
 * program exits 0 only when all six greetings arrived, 1 otherwise.
 *
 * Build and run against an installed rafthttp (see README.md here):
 *   cc -pthread three_members.c $(pkg-config --cflags --libs rafthttp) \
 *     -o three_members
 *   ./three_members
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rafthttp.h>

#define N_MEMBERS 3
#define N_LINKS (N_MEMBERS * (N_MEMBERS - 1)) /* ordered pairs */
#define CLUSTER_ID 0x1000
#define WAIT_SECONDS 10

/* What the callbacks tell main, under one lock. */
struct cluster {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active_links; /* (member, peer) pairs the member sees active */
    int received;     /* greetings processed */
};

struct member {
    uint64_t id;
    struct rafthttp_transport *t;
    char url[64];
    struct cluster *c;
};

/* Prints what failed: the code's text, then the detail the library left
 * on this thread (errmsg(NULL): right even when no transport exists). */
static int fail(const char *what, int rv)
{
    fprintf(stderr, "three_members: %s: %s: %s\n", what, rafthttp_strerror(rv),
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
    if (m->type != RAFTHTTP_MSG_APP || m->n_entries != 1) {
        return 0;
    }
    const struct rafthttp_bytes *data = &m->entries[0].data;
    printf("member %" PRIx64 " received MsgApp from %" PRIx64 ": \"%.*s\"\n",
           self->id, m->from, (int)data->len, (const char *)data->base);
    count(self->c, &self->c->received, 1);
    return 0;
}

static void on_peer_status(struct rafthttp_transport *t, uint64_t peer,
                           bool active, const char *reason, void *user_data)
{
    (void)t;
    struct member *self = user_data;
    if (active) {
        printf("member %" PRIx64 ": peer %" PRIx64 " is active\n", self->id,
               peer);
    } else {
        printf("member %" PRIx64 ": peer %" PRIx64 " is inactive (%s)\n",
               self->id, peer, reason);
    }
    count(self->c, &self->c->active_links, active ? 1 : -1);
}

static const struct rafthttp_raft_ops ops = {
    .process = on_process,
    .peer_status_changed = on_peer_status,
};

static int start_member(struct member *m)
{
    static const char *const listen[] = {"http://127.0.0.1:0"};
    struct rafthttp_config cfg;
    rafthttp_config_init(&cfg);
    cfg.local_id = m->id;
    cfg.cluster_id = CLUSTER_ID;
    cfg.listen_urls = listen;
    cfg.n_listen_urls = 1;
    cfg.raft_ops = &ops;
    cfg.raft_user_data = m;
    /* Stopping makes members log peers going away (WARN): this example
     * shows those through peer_status_changed instead. */
    cfg.log_level = RAFTHTTP_LOG_ERROR;
    int rv = rafthttp_transport_new(&m->t, &cfg);
    if (rv != 0) {
        return fail("transport_new", rv);
    }
    rv = rafthttp_transport_start(m->t);
    if (rv != 0) {
        return fail("transport_start", rv);
    }
    snprintf(m->url, sizeof(m->url), "http://127.0.0.1:%u",
             rafthttp_transport_listen_port(m->t, 0));
    printf("member %" PRIx64 " listens on %s\n", m->id, m->url);
    return 0;
}

static int peer_all(struct member *members)
{
    for (int i = 0; i < N_MEMBERS; i++) {
        for (int j = 0; j < N_MEMBERS; j++) {
            if (i == j) {
                continue;
            }
            const char *urls[] = {members[j].url}; /* copied */
            int rv = rafthttp_transport_add_peer(members[i].t, members[j].id,
                                                 urls, 1);
            if (rv != 0) {
                return fail("add_peer", rv);
            }
        }
    }
    return 0;
}

static int send_greetings(struct member *members)
{
    for (int i = 0; i < N_MEMBERS; i++) {
        for (int j = 0; j < N_MEMBERS; j++) {
            if (i == j) {
                continue;
            }
            char text[64];
            int len = snprintf(text, sizeof(text),
                               "hello %" PRIx64 ", this is %" PRIx64,
                               members[j].id, members[i].id);
            struct rafthttp_entry entry = {
                .term = 1,
                .index = 1,
                .type = RAFTHTTP_ENTRY_NORMAL,
                .data = {(const uint8_t *)text, (size_t)len}};
            struct rafthttp_message m = {.type = RAFTHTTP_MSG_APP,
                                         .from = members[i].id,
                                         .to = members[j].id,
                                         .term = 1,
                                         .entries = &entry,
                                         .n_entries = 1};
            /* send copies m, its entry and text before it returns. */
            int rv = rafthttp_transport_send(members[i].t, &m, 1);
            if (rv != 0) {
                return fail("send", rv);
            }
        }
    }
    return 0;
}

static bool run(struct member *members, struct cluster *c)
{
    for (int i = 0; i < N_MEMBERS; i++) {
        if (start_member(&members[i]) != 0) {
            return false;
        }
    }
    if (peer_all(members) != 0) {
        return false;
    }
    int active = wait_for(c, &c->active_links, N_LINKS);
    if (active < N_LINKS) {
        fprintf(stderr, "three_members: %d of %d links active after %d s\n",
                active, N_LINKS, WAIT_SECONDS);
        return false;
    }
    if (send_greetings(members) != 0) {
        return false;
    }
    int received = wait_for(c, &c->received, N_LINKS);
    if (received < N_LINKS) {
        fprintf(stderr, "three_members: %d of %d greetings after %d s\n",
                received, N_LINKS, WAIT_SECONDS);
        return false;
    }
    printf("all %d greetings arrived\n", N_LINKS);
    return true;
}

int main(void)
{
    struct cluster c = {.mu = PTHREAD_MUTEX_INITIALIZER};
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&c.cv, &attr) != 0) {
        fprintf(stderr, "three_members: cannot make a condition variable\n");
        return 1;
    }
    pthread_condattr_destroy(&attr);
    struct member members[N_MEMBERS];
    for (int i = 0; i < N_MEMBERS; i++) {
        members[i] = (struct member){.id = (uint64_t)i + 1, .c = &c};
    }
    bool ok = run(members, &c);
    /*
     * Stop all before freeing any, and before c goes: the members still
     * running call back (a peer went inactive) until they are stopped too.
     * When stop returns, that transport calls nothing any more.
     */
    for (int i = 0; i < N_MEMBERS; i++) {
        int rv =
            members[i].t != NULL ? rafthttp_transport_stop(members[i].t) : 0;
        if (rv != 0) {
            ok = false;
            fail("transport_stop", rv);
        }
    }
    for (int i = 0; i < N_MEMBERS; i++) {
        rafthttp_transport_free(members[i].t); /* NULL is fine */
    }
    pthread_cond_destroy(&c.cv);
    return ok ? 0 : 1;
}
