// SPDX-License-Identifier: Apache-2.0
/*
 * Snapshot mode: one MsgSnap{Term 1, Metadata{Index 1, Term 1}} whose
 * database of --size bytes is made up as the library reads it (each 4 KiB
 * block one byte value, so the receiver can check a few bytes without
 * having kept what was sent). The time runs until the sender's done
 * callback said it finished and, in one process, the receiver's
 * process_snapshot ran (after the file was written and, unless
 * --no-fsync, synced). Mixed mode sends the same snapshot.
 *
 * Failure modes: the library ends every accepted snapshot with exactly
 * one done callback, on success or failure (HTTP error, progress or
 * response timeout); a failure fails the run. A receiver that never
 * processes a snapshot the sender saw finished fails the run after
 * BENCH_STALL_S.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "run.h"

#define BLOCK_SHIFT 12
#define BLOCK (1u << BLOCK_SHIFT)

uint8_t bench_snapshot_byte(uint64_t off)
{
    return (uint8_t)((off >> BLOCK_SHIFT) * 0x9du + 0x5bu);
}

static int64_t snap_read(uint8_t *buf, size_t len, void *ud)
{
    struct snap_state *s = &((struct bench_run *)ud)->snap;
    uint64_t left = s->size - s->made;
    size_t n = left < len ? (size_t)left : len;
    for (size_t done = 0; done < n;) {
        uint64_t off = s->made + done;
        uint64_t block_left = BLOCK - (off & (BLOCK - 1));
        size_t run = n - done < block_left ? n - done : (size_t)block_left;
        memset(buf + done, bench_snapshot_byte(off), run);
        done += run;
    }
    s->made += n;
    return (int64_t)n;
}

static void snap_progress(uint64_t sent, uint64_t total, void *ud)
{
    struct bench_run *r = ud;
    atomic_store(&r->snap.sent, sent);
    if (sent == total && atomic_load(&r->measuring)) {
        /* The sender thread ends soon: take its time while it is here. */
        bench_cpu_sample(&r->cpu);
    }
}

static void snap_done(int result, void *ud)
{
    struct bench_run *r = ud;
    pthread_mutex_lock(&r->mu);
    r->snap.sender_done = true;
    r->snap.sender_done_s = bench_now_s();
    r->snap.result = result;
    pthread_cond_broadcast(&r->done_cv);
    pthread_mutex_unlock(&r->mu);
}

int bench_snapshot_start(struct bench_run *r)
{
    struct snap_state *s = &r->snap;
    struct rafthttp_message m = {.type = RAFTHTTP_MSG_SNAP,
                                 .from = r->send_id,
                                 .to = r->recv_id,
                                 .term = 1};
    m.snapshot.metadata.index = 1;
    m.snapshot.metadata.term = 1;
    struct rafthttp_snapshot_source src = {.read = snap_read,
                                           .fd = -1,
                                           .size = s->size,
                                           .done = snap_done,
                                           .progress = snap_progress,
                                           .user_data = r};
    s->start_s = bench_now_s();
    int rv = rafthttp_transport_send_snapshot(r->send_t, &m, &src);
    if (rv != 0) {
        bench_run_fail(r, "cannot send the snapshot: %s",
                       rafthttp_strerror(rv));
        return -1;
    }
    return 0;
}

/* Under r->mu. */
static bool over_locked(const struct bench_run *r)
{
    const struct snap_state *s = &r->snap;
    bool need_receiver = r->role == ROLE_BOTH && s->result == 0;
    return s->sender_done && (s->received || !need_receiver);
}

bool bench_snapshot_over(struct bench_run *r)
{
    pthread_mutex_lock(&r->mu);
    bool over = over_locked(r);
    pthread_mutex_unlock(&r->mu);
    return over;
}

int bench_snapshot_wait(struct bench_run *r)
{
    struct snap_state *s = &r->snap;
    pthread_mutex_lock(&r->mu);
    while (!s->sender_done) {
        pthread_cond_wait(&r->done_cv, &r->mu);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)BENCH_STALL_S;
    int rv = 0;
    while (!over_locked(r) && rv == 0) {
        rv = pthread_cond_timedwait(&r->done_cv, &r->mu, &ts);
    }
    bool over = over_locked(r);
    bool need_receiver = r->role == ROLE_BOTH && s->result == 0;
    s->done_s = need_receiver && s->received_s > s->sender_done_s
                    ? s->received_s
                    : s->sender_done_s;
    int result = s->result;
    pthread_mutex_unlock(&r->mu);
    if (result != 0) {
        bench_run_fail(r, "snapshot failed: %s", rafthttp_strerror(result));
        return -1;
    }
    if (!over) {
        bench_run_fail(r, "the receiver never processed the snapshot");
        return -1;
    }
    return 0;
}

int bench_mode_snapshot(struct bench_run *r, struct bench_result *res)
{
    bench_run_measure_start(r);
    int rv = bench_snapshot_start(r);
    if (rv == 0) {
        rv = bench_snapshot_wait(r);
    }
    double secs = (rv == 0 ? r->snap.done_s : bench_now_s()) - r->t0;
    res->secs = secs;
    res->delivered = rv == 0 ? 1 : 0;
    res->bad = r->snap.bad;
    res->has_rate = res->has_mb = true;
    res->msgs_per_s = secs > 0 ? (double)res->delivered / secs : 0;
    res->mb_per_s = secs > 0 && rv == 0 ? (double)r->size / secs / 1e6 : 0;
    res->cpu_msgs = 1;
    return rv;
}
