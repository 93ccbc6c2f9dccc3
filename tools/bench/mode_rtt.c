// SPDX-License-Identifier: Apache-2.0
/*
 * Rtt mode: one MsgHeartbeat at a time, its context the round trip's
 * sequence number as 8 big-endian bytes; the receiver's raft answers
 * MsgHeartbeatResp with the same context, and the round trip is the time
 * from send() to that answer reaching the sender's raft. BENCH_RTT_WARMUP
 * round trips go first and are not counted. Mixed mode uses the same
 * round trip.
 *
 * Failure modes: an answer with another context is counted bad (and
 * still ends the round trip: there is only ever one in flight); no answer
 * within BENCH_STALL_S (a dropped heartbeat) stops the run.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <time.h>

#include "run.h"

static void be64_write(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Under r->mu: waits for the answer to the round trip in flight. */
static int wait_answer(struct bench_run *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)BENCH_STALL_S;
    while (!r->rtt.answered) {
        if (pthread_cond_timedwait(&r->rtt_cv, &r->mu, &ts) != 0 &&
            !r->rtt.answered) {
            return -1;
        }
    }
    return 0;
}

int bench_rtt_round_trip(struct bench_run *r, uint64_t seq, bool measured)
{
    uint64_t every = r->o->corrupt_every;
    bool corrupt = measured && every != 0 && (r->rtt.done + 1) % every == 0;
    uint8_t ctx[8];
    be64_write(ctx, corrupt ? ~seq : seq);
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_HEARTBEAT,
                                 .from = r->send_id,
                                 .to = r->recv_id,
                                 .term = 1,
                                 .context = {ctx, sizeof(ctx)}};
    pthread_mutex_lock(&r->mu);
    r->rtt.seq = seq;
    r->rtt.answered = false;
    pthread_mutex_unlock(&r->mu);
    uint64_t t0 = bench_now_ns();
    rafthttp_transport_send(r->send_t, &m, 1);
    pthread_mutex_lock(&r->mu);
    int rv = wait_answer(r);
    if (rv == 0 && measured) {
        bench_latency_add(&r->rtt.lat, r->rtt.answer_ns - t0);
        r->rtt.done++;
    }
    pthread_mutex_unlock(&r->mu);
    if (rv != 0) {
        bench_run_fail(
            r, "no MsgHeartbeatResp to round trip %" PRIu64 " within %.0f s",
            seq, BENCH_STALL_S);
    }
    return rv;
}

static void fill_result(struct bench_run *r, struct bench_result *res,
                        double secs)
{
    struct rtt_state *s = &r->rtt;
    res->secs = secs;
    res->delivered = s->done;
    res->bad = s->bad;
    res->has_rate = true;
    res->msgs_per_s = secs > 0 ? (double)s->done / secs : 0;
    res->has_latency = s->lat.n > 0;
    res->p50_us = bench_latency_quantile_us(&s->lat, 0.50);
    res->p99_us = bench_latency_quantile_us(&s->lat, 0.99);
    res->p999_us = bench_latency_quantile_us(&s->lat, 0.999);
    res->max_us = bench_latency_max_us(&s->lat);
    res->cpu_msgs = s->done;
}

int bench_mode_rtt(struct bench_run *r, struct bench_result *res)
{
    int rv = 0;
    uint64_t seq = 0;
    for (uint64_t i = 0; rv == 0 && i < BENCH_RTT_WARMUP; i++) {
        rv = bench_rtt_round_trip(r, seq++, false);
    }
    bench_run_measure_start(r);
    for (uint64_t i = 0; rv == 0 && i < r->count; i++) {
        rv = bench_rtt_round_trip(r, seq++, true);
    }
    double secs = bench_now_s() - r->t0;
    pthread_mutex_lock(&r->mu);
    fill_result(r, res, secs);
    pthread_mutex_unlock(&r->mu);
    return rv;
}
