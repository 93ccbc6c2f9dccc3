// SPDX-License-Identifier: Apache-2.0
/*
 * The I/O thread: one loop over libcurl's multi handle (our stream dials,
 * POSTs and probes) and libmicrohttpd's daemons in external-poll mode (the
 * requests peers send us). curl_multi_poll waits on curl's sockets and on
 * each daemon's epoll descriptor; curl_multi_wakeup is the doorbell other
 * threads ring (rh_io_kick) when they queue work.
 *
 * Each turn: run the daemons, run curl and finish what ended, then one
 * housekeeping pass under the lock: resume processed requests, close what
 * removed peers left, and for each peer apply its tick (peer/peer_driver.c
 * decides; this file only does what the todo says: probe, unpark a writer,
 * dial or abort a reader, start queued POSTs). The next wait is bounded by
 * the earliest time any peer wants to be ticked again.
 *
 * Failure modes: a daemon that cannot listen fails start with
 * RAFTHTTP_EIO; everything per connection is handled where it happens and
 * never stops the loop. Stop ends every stream response and parked
 * request, lets the daemons flush, then stops them and drops every
 * transfer.
 */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "io.h"

/* The longest the loop sleeps with nothing due (timers re-checked). */
#define IDLE_WAIT_MS 1000

void rh_io_kick(struct rafthttp_transport *t)
{
    RH_ASSERT_HELD(&t->mu);
    if (t->io != NULL && !t->io_kicked) {
        t->io_kicked = true;
        curl_multi_wakeup(t->io->multi);
    }
}

void rh_io_resume(struct rafthttp_transport *t, struct rh_reply *r)
{
    RH_ASSERT_HELD(&t->mu);
    if (r->queued || r->mhd == NULL || t->io == NULL) {
        return;
    }
    r->queued = true;
    r->next = t->io->replies;
    t->io->replies = r;
    rh_io_kick(t);
}

void rh_io_forget(struct rafthttp_transport *t, struct rh_reply *r)
{
    RH_ASSERT_HELD(&t->mu);
    if (r->queued && t->io != NULL) {
        struct rh_reply **pp = &t->io->replies;
        while (*pp != NULL && *pp != r) {
            pp = &(*pp)->next;
        }
        if (*pp == r) {
            *pp = r->next;
        }
    }
    r->queued = false;
    r->mhd = NULL;
}

void rh_io_answer(void *ud, struct rh_reply *r, int result)
{
    struct rafthttp_transport *t = ud;
    r->result = result;
    r->ready = true;
    rh_io_resume(t, r);
}

static int64_t min_due(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Does what a peer's tick asked for; returns when it is next due. */
static int64_t act_on(struct rafthttp_transport *t, struct rh_peer *p,
                      const struct rh_peer_todo *todo, int64_t due, int64_t now)
{
    if (todo->probe && rh_client_probe(t, p) == 0) {
        p->probing = true;
    }
    for (int i = 0; i < RH_STREAM_TYPES; i++) {
        struct rh_stream_writer *w = &p->writers[i];
        if (todo->wake[i] && rh_stream_writer_wake(w)) {
            rh_stream_resp_wake(w->conn);
        }
        if (todo->dial[i] &&
            rh_client_dial(t, p, (enum rh_stream_type)i) != 0) {
            due = min_due(due, rh_peer_dial_failed(
                                   &t->peers, p, (enum rh_stream_type)i, now));
        }
        if (todo->abort[i]) {
            rh_client_abort(t, p->readers[i].xfer, rh_stream_read_timeout_why);
            due = now;
        }
    }
    struct rh_pipe_job *job;
    while ((job = rh_peer_next_post(&t->peers, p)) != NULL) {
        if (rh_client_post(t, p, job) != 0) {
            rh_peer_post_failed(&t->peers, p, job);
            break;
        }
    }
    return due;
}

/* Closes what removed peers still hold, then lets them go (t->mu). */
static void close_removed(struct rafthttp_transport *t)
{
    struct rh_peer *p;
    while ((p = rh_peer_next_removed(&t->peers)) != NULL) {
        rh_client_abort_peer(t, p);
        for (int i = 0; i < RH_STREAM_TYPES; i++) {
            struct rh_stream_writer *w = &p->writers[i];
            if (w->gen != 0 && rh_stream_writer_wake(w)) {
                rh_stream_resp_wake(w->conn); /* it sees removed and ends */
            }
        }
        rh_peer_release_removed(&t->peers, p);
    }
}

/* One housekeeping pass; returns the next wait in ms. */
static long housekeeping(struct rafthttp_transport *t)
{
    int64_t now = rh_now_ms();
    int64_t due = now + IDLE_WAIT_MS;
    rh_mutex_lock(&t->mu);
    t->io_kicked = false;
    while (t->io->replies != NULL) {
        struct rh_reply *r = t->io->replies;
        t->io->replies = r->next;
        r->queued = false;
        rh_server_wake_reply(t, r);
    }
    close_removed(t);
    if (t->state == RH_STARTED) {
        for (struct rh_peer *p = t->peers.list; p != NULL; p = p->next) {
            struct rh_peer_todo todo;
            int64_t at = rh_peer_tick(&t->peers, p, now, &todo);
            due = min_due(due, act_on(t, p, &todo, at, now));
        }
    }
    rh_mutex_unlock(&t->mu);
    return due <= now ? 0 : (long)(due - now);
}

/* Runs the daemons and curl once. */
static void run_once(struct rafthttp_transport *t)
{
    struct rh_io *io = t->io;
    for (size_t i = 0; i < io->n_daemons; i++) {
        MHD_run(io->daemons[i]);
    }
    int running = 0;
    curl_multi_perform(io->multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(io->multi, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            rh_client_done(t, msg->easy_handle, msg->data.result);
        }
    }
}

/* The wait, also bounded by curl's and the daemons' own timers. */
static long wait_ms(struct rafthttp_transport *t, long due_ms)
{
    struct rh_io *io = t->io;
    long wait = due_ms;
    long curl_ms = -1;
    curl_multi_timeout(io->multi, &curl_ms);
    if (curl_ms >= 0 && curl_ms < wait) {
        wait = curl_ms;
    }
    for (size_t i = 0; i < io->n_daemons; i++) {
        MHD_UNSIGNED_LONG_LONG mhd_ms;
        if (MHD_get_timeout(io->daemons[i], &mhd_ms) == MHD_YES &&
            (long long)mhd_ms < wait) {
            wait = (long)mhd_ms;
        }
    }
    return wait;
}

static void poll_once(struct rafthttp_transport *t, long wait)
{
    struct rh_io *io = t->io;
    struct curl_waitfd fds[RH_MAX_LISTEN];
    for (size_t i = 0; i < io->n_daemons; i++) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(io->daemons[i], MHD_DAEMON_INFO_EPOLL_FD);
        fds[i].fd = info->epoll_fd;
        fds[i].events = CURL_WAIT_POLLIN;
        fds[i].revents = 0;
    }
    curl_multi_poll(io->multi, fds, (unsigned)io->n_daemons, (int)wait, NULL);
}

static bool should_stop(struct rafthttp_transport *t)
{
    rh_mutex_lock(&t->mu);
    bool stop = t->io_stop;
    rh_mutex_unlock(&t->mu);
    return stop;
}

/* Ends streams and parked requests, lets the daemons flush, stops them. */
static void shut_down(struct rafthttp_transport *t)
{
    rh_mutex_lock(&t->mu);
    rh_server_end_all(t);
    rh_mutex_unlock(&t->mu);
    for (int i = 0; i < 3; i++) {
        run_once(t); /* resumed connections see their end */
    }
    rh_server_stop(t);
    rh_mutex_lock(&t->mu);
    rh_client_abort_peer(t, NULL);
    rh_mutex_unlock(&t->mu);
}

/* Lets the daemons act on connections housekeeping resumed. */
static void run_resumed(struct rafthttp_transport *t)
{
    struct rh_io *io = t->io;
    for (;;) {
        rh_mutex_lock(&t->mu);
        bool again = io->resumed;
        io->resumed = false;
        rh_mutex_unlock(&t->mu);
        if (!again) {
            return;
        }
        for (size_t i = 0; i < io->n_daemons; i++) {
            MHD_run(io->daemons[i]);
        }
    }
}

static void *io_main(void *arg)
{
    struct rafthttp_transport *t = arg;
    rh_thread_name(t->local.id, "io");
    while (!should_stop(t)) {
        run_once(t);
        long due = housekeeping(t);
        run_resumed(t);
        poll_once(t, wait_ms(t, due));
    }
    shut_down(t);
    return NULL;
}

/*
 * libcurl's global state, set up once per process before the first handle:
 * left to curl_easy_init it would happen on whichever thread came first,
 * which libcurl older than 7.84 does not allow. libcurl counts these calls,
 * so an application that calls curl_global_init itself loses nothing; we
 * never call curl_global_cleanup, which must not run while any thread of
 * the process still uses libcurl.
 */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_ready = CURLE_FAILED_INIT;

static void curl_setup(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int rh_io_start(struct rafthttp_transport *t)
{
    pthread_once(&curl_once, curl_setup);
    if (curl_ready != CURLE_OK) {
        rh_set_errmsg(t, "start: libcurl: %s", curl_easy_strerror(curl_ready));
        return RAFTHTTP_EIO;
    }
    struct rh_io *io = rh_calloc(t->alloc, 1, sizeof(*io));
    if (io == NULL) {
        return RAFTHTTP_ENOMEM;
    }
    io->multi = curl_multi_init();
    if (io->multi == NULL) {
        rh_free(t->alloc, io);
        return RAFTHTTP_ENOMEM;
    }
    t->io = io;
    int rv = rh_server_start(t);
    if (rv == 0 && pthread_create(&t->io_thread, NULL, io_main, t) != 0) {
        rv = RAFTHTTP_ENOMEM;
    }
    if (rv != 0) {
        rh_server_stop(t);
        curl_multi_cleanup(io->multi);
        rh_free(t->alloc, io);
        t->io = NULL;
        return rv;
    }
    t->io_running = true;
    return 0;
}

void rh_io_stop(struct rafthttp_transport *t)
{
    if (!t->io_running) {
        return;
    }
    rh_mutex_lock(&t->mu);
    t->io_stop = true;
    t->io_kicked = false;
    rh_io_kick(t);
    rh_mutex_unlock(&t->mu);
    pthread_join(t->io_thread, NULL);
    t->io_running = false;
    rh_mutex_lock(&t->mu);
    curl_multi_cleanup(t->io->multi);
    rh_free(t->alloc, t->io);
    t->io = NULL;
    rh_mutex_unlock(&t->mu);
}

unsigned rh_io_listen_port(struct rafthttp_transport *t, size_t i)
{
    if (t->io == NULL || i >= t->io->n_daemons) {
        return 0;
    }
    return t->io->ports[i];
}
