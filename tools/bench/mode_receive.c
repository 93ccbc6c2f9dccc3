// SPDX-License-Identifier: Apache-2.0
/*
 * The receiving side in its own process (--role recv): the raft core
 * (raft.c) answers and counts; this waits until the expected traffic has
 * arrived, lingers BENCH_LINGER_S so that the last answers reach the
 * sender, and reports what this side saw: the MsgApp delivered and bad
 * (stream, pipeline), the heartbeats answered (rtt), the snapshot
 * processed (snapshot), and this process's CPU.
 *
 * Failure modes: nothing from the peer within BENCH_START_S, or nothing
 * more for BENCH_STALL_S once it started (a message was lost): the run
 * ends with what it counted and fails.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <time.h>

#include "run.h"

#define POLL_S 0.1

/* Under r->mu: has everything the sender will send arrived? */
static bool finished(const struct bench_run *r)
{
    const struct bench_mode_info *mi = bench_mode_info(r->mode);
    if (mi->rtt) {
        return r->rtt.answered_count >= r->count + BENCH_RTT_WARMUP;
    }
    if (mi->snapshot) {
        return r->snap.received;
    }
    return r->check.delivered >= r->count;
}

/* Under r->mu: when the peer last sent something; 0 if never. */
static double last_activity(const struct bench_run *r)
{
    double t =
        r->check.last_s > r->rtt.last_s ? r->check.last_s : r->rtt.last_s;
    return t > r->snap.received_s ? t : r->snap.received_s;
}

/* Under r->mu. Returns 0, or -1 when the peer went quiet. */
static int wait_finished(struct bench_run *r)
{
    double start = bench_now_s();
    while (!finished(r)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)(POLL_S * 1e9);
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&r->done_cv, &r->mu, &ts);
        double last = last_activity(r);
        double now = bench_now_s();
        if (finished(r)) {
            break;
        }
        if (last == 0 ? now - start > BENCH_START_S
                      : now - last > BENCH_STALL_S) {
            return -1;
        }
    }
    return 0;
}

static void fill_result(struct bench_run *r, struct bench_result *res)
{
    const struct bench_mode_info *mi = bench_mode_info(r->mode);
    bool rtt = mi->rtt;
    double first = rtt ? r->rtt.first_s : r->check.first_s;
    double last = rtt ? r->rtt.last_s : r->check.last_s;
    uint64_t n = r->check.delivered;
    if (rtt) {
        uint64_t all = r->rtt.answered_count;
        n = all > BENCH_RTT_WARMUP ? all - BENCH_RTT_WARMUP : 0;
    }
    if (mi->snapshot) {
        n = r->snap.received ? 1 : 0; /* its start is not seen here */
        first = last = 0;
    }
    double secs = last > first ? last - first : 0;
    res->secs = secs;
    res->delivered = n;
    res->bad = r->check.bad + r->snap.bad;
    res->has_rate = secs > 0;
    res->msgs_per_s = secs > 0 ? (double)n / secs : 0;
    res->has_mb = secs > 0 && !rtt;
    res->mb_per_s = secs > 0 ? (double)n * (double)r->size / secs / 1e6 : 0;
    res->cpu_msgs = n;
}

int bench_mode_receive(struct bench_run *r, struct bench_result *res)
{
    bench_run_measure_start(r);
    pthread_mutex_lock(&r->mu);
    int rv = wait_finished(r);
    pthread_mutex_unlock(&r->mu);
    if (rv != 0) {
        bench_run_fail(r, "the sender went quiet (nothing for %.0f s)",
                       BENCH_STALL_S);
    } else {
        /* The sender leaves once answered: its going is no news. */
        atomic_store(&r->quiet, true);
        bench_sleep_s(BENCH_LINGER_S);
    }
    pthread_mutex_lock(&r->mu);
    fill_result(r, res);
    pthread_mutex_unlock(&r->mu);
    return rv;
}
