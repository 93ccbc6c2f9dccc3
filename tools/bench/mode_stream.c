// SPDX-License-Identifier: Apache-2.0
/*
 * Stream and pipeline modes: the sender's closed loop of MsgApp.
 *
 * Message i is the spec's MsgApp{Term 1, LogTerm 1, Index i, Commit i,
 * one entry {Term 1, Index i+1, --size bytes}}, sent once fewer than
 * window messages are neither done (delivered in one process, acked in
 * two) nor dropped. Its send time goes into a ring of window slots, which
 * gives each message's latency when it is done.
 *
 * Failure modes: (1) a message the transport drops (the pipeline's POST
 * failed, a queue was full) is counted from the transport's stats, so it
 * frees its window slot; report_unreachable wakes the sender to look;
 * (2) a message lost without a trace would hold its slot for ever: when
 * neither done nor dropped moves for BENCH_STALL_S, the run stops and
 * fails with what it counted.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "run.h"

/* How often a waiting sender looks at the drop counters. */
#define DROP_POLL_S 0.05

static void deadline_in(struct timespec *ts, double secs)
{
    clock_gettime(CLOCK_REALTIME, ts);
    double ns = (double)ts->tv_nsec + secs * 1e9;
    ts->tv_sec += (time_t)(ns / 1e9);
    ts->tv_nsec = (long)(ns - (double)(time_t)(ns / 1e9) * 1e9);
}

/* Under r->mu: drops since the last look free their window slots. */
static void refresh_dropped(struct bench_run *r)
{
    uint64_t dropped = bench_transports_msgapp_dropped(r);
    if (dropped > r->flow.dropped) {
        r->flow.dropped = dropped;
        r->flow.last_move_s = bench_now_s();
    }
    r->flow.unreachable = false;
}

static uint64_t in_flight(const struct msgapp_flow *f)
{
    uint64_t over = f->done + f->dropped;
    return f->sent > over ? f->sent - over : 0;
}

static bool stalled(struct bench_run *r)
{
    return bench_now_s() - r->flow.last_move_s > BENCH_STALL_S;
}

/* Under r->mu: sleeps until fewer than limit are in flight. 0 or -1. */
static int wait_in_flight_below(struct bench_run *r, uint64_t limit)
{
    struct msgapp_flow *f = &r->flow;
    while (in_flight(f) >= limit && !f->stop) {
        struct timespec ts;
        deadline_in(&ts, DROP_POLL_S);
        f->waiting = true;
        int rv = pthread_cond_timedwait(&r->flow_cv, &r->mu, &ts);
        f->waiting = false;
        if (rv != 0 || f->unreachable) {
            refresh_dropped(r);
        }
        if (in_flight(f) >= limit && stalled(r)) {
            return -1;
        }
    }
    return 0;
}

static void send_msgapp(struct bench_run *r, uint64_t i, uint8_t *data,
                        uint64_t size)
{
    uint64_t every = r->o->corrupt_every;
    bool corrupt = every != 0 && (i + 1) % every == 0;
    struct rafthttp_entry e = {.term = 1,
                               .index = i + 1,
                               .type = RAFTHTTP_ENTRY_NORMAL,
                               .data = {data, (size_t)size}};
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_APP,
                                 .from = r->send_id,
                                 .to = r->recv_id,
                                 .term = 1,
                                 .log_term = 1,
                                 .index = corrupt ? i + 1 : i,
                                 .commit = i,
                                 .entries = &e,
                                 .n_entries = 1};
    rafthttp_transport_send(r->send_t, &m, 1);
}

int bench_msgapp_send_loop(struct bench_run *r, uint64_t count, uint64_t size)
{
    /* The transport copies each message, so one buffer serves them all. */
    uint8_t *data = calloc(1, size > 0 ? (size_t)size : 1);
    int rv = data != NULL ? 0 : -1;
    for (uint64_t i = 0; rv == 0 && i < count; i++) {
        pthread_mutex_lock(&r->mu);
        rv = wait_in_flight_below(r, r->flow.window);
        bool stop = r->flow.stop;
        if (rv == 0 && !stop) {
            r->flow.sent_ns[i % r->flow.window] = bench_now_ns();
            r->flow.sent++;
        }
        pthread_mutex_unlock(&r->mu);
        if (rv != 0 || stop) {
            break;
        }
        send_msgapp(r, i, data, size);
    }
    free(data);
    return rv;
}

int bench_msgapp_wait_all(struct bench_run *r, uint64_t count)
{
    pthread_mutex_lock(&r->mu);
    int rv = wait_in_flight_below(r, 1);
    bool complete = r->flow.done + r->flow.dropped >= count;
    pthread_mutex_unlock(&r->mu);
    return rv == 0 && complete ? 0 : -1;
}

static void fill_result(struct bench_run *r, struct bench_result *res,
                        double secs)
{
    struct msgapp_flow *f = &r->flow;
    res->window = f->window;
    res->has_window = true;
    res->secs = secs;
    res->delivered = f->done;
    res->dropped = f->dropped;
    res->bad = r->check.bad;
    res->has_rate = res->has_mb = true;
    res->msgs_per_s = secs > 0 ? (double)f->done / secs : 0;
    res->mb_per_s =
        secs > 0 ? (double)f->done * (double)r->size / secs / 1e6 : 0;
    res->has_latency = f->lat.n > 0;
    res->p50_us = bench_latency_quantile_us(&f->lat, 0.50);
    res->p99_us = bench_latency_quantile_us(&f->lat, 0.99);
    res->p999_us = bench_latency_quantile_us(&f->lat, 0.999);
    res->max_us = bench_latency_max_us(&f->lat);
    res->cpu_msgs = f->done;
}

int bench_mode_stream(struct bench_run *r, struct bench_result *res)
{
    bench_run_measure_start(r);
    int rv = bench_msgapp_send_loop(r, r->count, r->size);
    if (rv == 0) {
        rv = bench_msgapp_wait_all(r, r->count);
    }
    double secs = bench_now_s() - r->t0;
    pthread_mutex_lock(&r->mu);
    refresh_dropped(r);
    if (rv != 0) {
        bench_run_fail(r,
                       "stalled: nothing delivered for %.0f s (sent %" PRIu64
                       ", delivered %" PRIu64 ", dropped %" PRIu64 ")",
                       BENCH_STALL_S, r->flow.sent, r->flow.done,
                       r->flow.dropped);
    }
    fill_result(r, res, secs);
    pthread_mutex_unlock(&r->mu);
    return rv;
}
