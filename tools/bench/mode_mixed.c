// SPDX-License-Identifier: Apache-2.0
/*
 * Mixed mode: does bulk traffic delay the messages that keep a leader in
 * office? Heartbeat round trips are measured, one every millisecond or so
 * (a leader sends one per 100 ms; this samples more densely), while a
 * closed loop of MsgApp (--bulk-size entries, --window) saturates the
 * msgapp stream from a thread of its own and a snapshot of --size bytes
 * goes to the same peer. The run lasts as long as the snapshot, and at
 * least --count round trips. The result holds the round-trip latencies,
 * the MsgApp throughput and the snapshot rate achieved meanwhile.
 *
 * Failure modes are those of the three parts: a stalled MsgApp loop, a
 * heartbeat with no answer within BENCH_STALL_S, a failed snapshot.
 */
#define _GNU_SOURCE

#include <pthread.h>

#include "run.h"

#define HEARTBEAT_GAP_S 0.001

static void *bulk_main(void *arg)
{
    struct bench_run *r = arg;
    (void)pthread_setname_np(pthread_self(), "bench-bulk");
    r->bulk_rv = bench_msgapp_send_loop(r, UINT64_MAX, r->o->bulk_size);
    return NULL;
}

static void stop_bulk(struct bench_run *r, pthread_t th)
{
    pthread_mutex_lock(&r->mu);
    r->flow.stop = true;
    pthread_cond_broadcast(&r->flow_cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(th, NULL);
}

/* Round trips until the snapshot is over and count were measured. */
static int heartbeats(struct bench_run *r)
{
    int rv = 0;
    for (uint64_t seq = 0; rv == 0; seq++) {
        if (bench_snapshot_over(r) && r->rtt.done >= r->count) {
            break;
        }
        rv = bench_rtt_round_trip(r, seq, true);
        bench_sleep_s(HEARTBEAT_GAP_S);
    }
    return rv;
}

static void fill_result(struct bench_run *r, struct bench_result *res,
                        double secs)
{
    const struct rtt_state *h = &r->rtt;
    const struct msgapp_flow *f = &r->flow;
    res->has_window = true;
    res->window = f->window;
    res->count = h->done;
    res->secs = secs;
    res->delivered = f->done;
    res->dropped = f->dropped;
    res->bad = r->check.bad + h->bad + r->snap.bad;
    res->has_rate = res->has_mb = true;
    res->msgs_per_s = secs > 0 ? (double)f->done / secs : 0;
    res->mb_per_s =
        secs > 0 ? (double)f->done * (double)r->o->bulk_size / secs / 1e6 : 0;
    res->has_latency = h->lat.n > 0;
    res->p50_us = bench_latency_quantile_us(&r->rtt.lat, 0.50);
    res->p99_us = bench_latency_quantile_us(&r->rtt.lat, 0.99);
    res->p999_us = bench_latency_quantile_us(&r->rtt.lat, 0.999);
    res->max_us = bench_latency_max_us(&h->lat);
    res->has_snap = true;
    res->snap_bytes = r->snap.size;
    res->snap_secs = r->snap.done_s - r->t0;
    res->cpu_msgs = h->done + f->done;
}

int bench_mode_mixed(struct bench_run *r, struct bench_result *res)
{
    pthread_t bulk;
    bench_run_measure_start(r);
    if (pthread_create(&bulk, NULL, bulk_main, r) != 0) {
        bench_run_fail(r, "cannot start the MsgApp thread");
        return -1;
    }
    int rv = bench_snapshot_start(r);
    if (rv == 0) {
        rv = heartbeats(r);
    }
    stop_bulk(r, bulk);
    if (rv == 0) {
        rv = bench_snapshot_wait(r);
    }
    double secs = bench_now_s() - r->t0;
    if (r->bulk_rv != 0) {
        bench_run_fail(r, "the MsgApp stream stalled");
        rv = -1;
    }
    pthread_mutex_lock(&r->mu);
    fill_result(r, res, secs);
    pthread_mutex_unlock(&r->mu);
    return rv;
}
