/*
 * The I/O thread: one loop over libcurl's multi handle (our stream dials
 * and pipeline POSTs) and libmicrohttpd's daemons in external-poll mode
 * (the requests peers send us). curl_multi_poll waits on curl's sockets and
 * on each daemon's epoll descriptor; curl_multi_wakeup is the doorbell other
 * threads ring (rh_io_kick) when they queue work.
 *
 * Each turn: run the daemons, run curl and finish what ended, then one
 * housekeeping pass under the lock: answer processed POSTs, unpark stream
 * responses that have data, queue link heartbeats, dial streams that are
 * due, time out silent streams, start queued POSTs, and close what removed
 * peers left. The next wait is bounded by the earliest timer found.
 *
 * Failure modes: a daemon that cannot listen fails start with
 * RAFTHTTP_EIO; everything per connection is handled where it happens and
 * never stops the loop. Stop ends every stream response and parked POST,
 * lets the daemons flush, then stops them and drops every transfer.
 */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "io.h"

/* The longest the loop sleeps with nothing due (timers re-checked). */
#define IDLE_WAIT_MS 1000

void rh_io_kick(struct rafthttp_transport *t)
{
    if (t->io != NULL && !t->io_kicked) {
        t->io_kicked = true;
        curl_multi_wakeup(t->io->multi);
    }
}

void rh_io_resume(struct rafthttp_transport *t, struct rh_reply *r)
{
    if (r->queued || r->mhd == NULL) {
        return;
    }
    r->queued = true;
    r->next = t->replies;
    t->replies = r;
    rh_io_kick(t);
}

void rh_io_forget(struct rafthttp_transport *t, struct rh_reply *r)
{
    if (r->queued) {
        struct rh_reply **pp = &t->replies;
        while (*pp != NULL && *pp != r) {
            pp = &(*pp)->next;
        }
        if (*pp == r) {
            *pp = r->next;
        }
        r->queued = false;
    }
    r->mhd = NULL;
}

void rh_io_reply_ready(struct rafthttp_transport *t, struct rh_reply *r,
                       int result)
{
    r->result = result;
    r->ready = true;
    rh_io_resume(t, r);
}

static int64_t min_due(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Heartbeats and unparking for one writer; returns when it is next due. */
static int64_t tend_writer(struct rafthttp_transport *t, struct rh_peer *p,
                           struct rh_stream_writer *w, int64_t now)
{
    if (w->gen == 0) {
        return INT64_MAX;
    }
    int64_t interval = t->cfg.read_timeout_ms / 3;
    if (now - w->last_write_ms >= interval) {
        rh_stream_writer_trim(w); /* idle for an interval */
        rh_account_queued(t, p, rh_stream_writer_heartbeat(w, t->alloc));
        w->last_write_ms = now; /* counts as written: next one in interval */
    }
    if (w->suspended && rh_stream_writer_queued(w) > 0) {
        rh_server_wake_writer(t, w);
    }
    return w->last_write_ms + interval;
}

/* Dials, read timeouts; returns when this reader is next due. */
static int64_t tend_reader(struct rafthttp_transport *t, struct rh_peer *p,
                           struct rh_stream_reader *r, int64_t now)
{
    if (r->xfer == NULL) {
        if (t->cfg.pipeline_only) {
            return INT64_MAX;
        }
        if (now < r->next_dial_ms) {
            return r->next_dial_ms;
        }
        if (rh_client_dial(t, p, r->type) != 0) {
            r->next_dial_ms = now + rh_backoff_next(
                &r->backoff_ms, t->cfg.dial_retry_min_ms,
                t->cfg.dial_retry_max_ms, &t->rng);
            return r->next_dial_ms;
        }
        return INT64_MAX;
    }
    if (r->up && now - r->last_byte_ms >= (int64_t)t->cfg.read_timeout_ms) {
        rh_client_abort(t, r->xfer, "read timeout: no bytes from the peer");
        return now;
    }
    return r->up ? r->last_byte_ms + t->cfg.read_timeout_ms : INT64_MAX;
}

/* etcd's prober and its monitor: probes, RTT, warnings. */
static int64_t tend_probe(struct rafthttp_transport *t, struct rh_peer *p,
                          int64_t now)
{
    struct rh_probe_status *st = &p->probe;
    if (p->probe_xfer == NULL && rh_probe_due(st, now)) {
        rh_client_probe(t, p);
    }
    int todo = rh_probe_monitor(st, now);
    if (todo & RH_PROBE_OBSERVE_RTT) {
        rh_histogram_observe(&p->metrics.rtt, st->srtt_s);
    }
    if (todo & RH_PROBE_WARN_UNHEALTHY) {
        rh_log(&t->log, RAFTHTTP_LOG_WARN, "prober detected unhealthy status",
               "peer=%s rtt=%.6fs loss=%llu/%llu", p->id_str, st->srtt_s,
               (unsigned long long)st->loss, (unsigned long long)st->total);
    }
    if (todo & RH_PROBE_WARN_DRIFT) {
        rh_log(&t->log, RAFTHTTP_LOG_WARN, "prober found high clock drift",
               "peer=%s clock_drift=%.3fs rtt=%.6fs", p->id_str,
               st->clock_diff_s, st->srtt_s);
    }
    int64_t due = st->next_probe_ms;
    return st->next_monitor_ms < due ? st->next_monitor_ms : due;
}

static int64_t tend_peer(struct rafthttp_transport *t, struct rh_peer *p,
                         int64_t now)
{
    int64_t due = p->remote ? INT64_MAX : tend_probe(t, p, now);
    for (int i = 0; i < 2 && !p->remote; i++) {
        due = min_due(due, tend_writer(t, p, &p->writers[i], now));
        due = min_due(due, tend_reader(t, p, &p->readers[i], now));
    }
    struct rh_pipe_job *job;
    while ((job = rh_pipeline_take(&p->pipeline, t->cfg.pipeline_conns)) !=
           NULL) {
        if (rh_client_post(t, p, job) != 0) {
            break; /* rh_client_post reported and freed the job */
        }
    }
    return due;
}

/* Closes what removed peers still hold, then lets them go. */
static void tend_removed(struct rafthttp_transport *t)
{
    while (t->removed != NULL) {
        struct rh_peer *p = t->removed;
        t->removed = p->next;
        p->next = NULL;
        rh_client_abort_peer(t, p);
        for (int i = 0; i < 2; i++) {
            struct rh_stream_writer *w = &p->writers[i];
            if (w->gen != 0 && w->suspended) {
                rh_server_wake_writer(t, w); /* its reader sees removed */
            }
        }
        rh_account_sent(t, p, rh_pipeline_clear(&p->pipeline, t->alloc,
                                                NULL, NULL));
        rh_peer_unref(t, p);
    }
}

/* One housekeeping pass; returns the next wait in ms. */
static long housekeeping(struct rafthttp_transport *t)
{
    int64_t now = rh_now_ms();
    int64_t due = now + IDLE_WAIT_MS;
    pthread_mutex_lock(&t->mu);
    t->io_kicked = false;
    while (t->replies != NULL) {
        struct rh_reply *r = t->replies;
        t->replies = r->next;
        r->queued = false;
        rh_server_wake_reply(t, r);
    }
    tend_removed(t);
    if (t->state == RH_STARTED) {
        for (struct rh_peer *p = t->peers; p != NULL; p = p->next) {
            due = min_due(due, tend_peer(t, p, now));
        }
    }
    pthread_mutex_unlock(&t->mu);
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

/* The wait, also bounded by the daemons' own timers. */
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
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(
            io->daemons[i], MHD_DAEMON_INFO_EPOLL_FD);
        fds[i].fd = info->epoll_fd;
        fds[i].events = CURL_WAIT_POLLIN;
        fds[i].revents = 0;
    }
    curl_multi_poll(io->multi, fds, (unsigned)io->n_daemons, (int)wait, NULL);
}

static bool should_stop(struct rafthttp_transport *t)
{
    pthread_mutex_lock(&t->mu);
    bool stop = t->io_stop;
    pthread_mutex_unlock(&t->mu);
    return stop;
}

/* Ends streams and parked POSTs, lets the daemons flush, stops them. */
static void shut_down(struct rafthttp_transport *t)
{
    pthread_mutex_lock(&t->mu);
    rh_server_end_all(t);
    pthread_mutex_unlock(&t->mu);
    for (int i = 0; i < 3; i++) {
        run_once(t); /* resumed connections see their end */
    }
    rh_server_stop(t);
    pthread_mutex_lock(&t->mu);
    rh_client_abort_peer(t, NULL);
    pthread_mutex_unlock(&t->mu);
}

/* Lets the daemons act on connections housekeeping resumed. */
static void run_resumed(struct rafthttp_transport *t)
{
    struct rh_io *io = t->io;
    for (;;) {
        pthread_mutex_lock(&t->mu);
        bool again = io->resumed;
        io->resumed = false;
        pthread_mutex_unlock(&t->mu);
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
    rh_thread_name(t, "io");
    while (!should_stop(t)) {
        run_once(t);
        long due = housekeeping(t);
        run_resumed(t);
        poll_once(t, wait_ms(t, due));
    }
    shut_down(t);
    return NULL;
}

int rh_io_start(struct rafthttp_transport *t)
{
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
    pthread_mutex_lock(&t->mu);
    t->io_stop = true;
    t->io_kicked = false;
    rh_io_kick(t);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->io_thread, NULL);
    t->io_running = false;
    pthread_mutex_lock(&t->mu);
    curl_multi_cleanup(t->io->multi);
    rh_free(t->alloc, t->io);
    t->io = NULL;
    pthread_mutex_unlock(&t->mu);
}

unsigned rafthttp_transport_listen_port(struct rafthttp_transport *t,
                                        size_t i)
{
    if (t == NULL || t->magic != RH_TRANSPORT_MAGIC || t->io == NULL ||
        i >= t->io->n_daemons) {
        return 0;
    }
    return t->io->ports[i];
}
