// SPDX-License-Identifier: Apache-2.0
/*
 * The driver of one run: state, transports, the ticker, the mode, the
 * result, and everything torn down again, so that a sweep can run one
 * after another in the same process.
 *
 * The ticker thread samples the threads' CPU every TICK_S (a thread that
 * ends keeps its last sample) and, when asked, redraws a progress line on
 * stderr once the run has lasted PROGRESS_AFTER_S.
 *
 * CPU per message: in one process the sampler splits the time between
 * member 1's threads (with the program's own) and member 2's; in external
 * mode this process is one side and getrusage is its time.
 */
#define _GNU_SOURCE

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define TICK_S 0.2
#define PROGRESS_AFTER_S 1.0
#define RTT_SAMPLE_CAP (1u << 20) /* exact rtt percentiles up to here */
#define QUEUE_HALF (RAFTHTTP_DEFAULT_PEER_QUEUE_BYTES / 2)
#define MSG_OVERHEAD 64 /* framing and header bytes per MsgApp, roughly */

struct ticker {
    struct bench_run *r;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    bool drew; /* a progress line is on the screen */
};

void bench_run_fail(struct bench_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": %s%s: ", bench_mode_name(r->mode),
            r->tls ? " (tls)" : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    r->failed = true;
}

uint64_t bench_run_window(const struct bench_opts *o, enum bench_mode mode,
                          uint64_t size, bool say)
{
    uint64_t w = o->window;
    uint64_t budget = QUEUE_HALF / (size + MSG_OVERHEAD);
    budget = budget > 0 ? budget : 1;
    const char *why = NULL;
    if (w > budget) {
        w = budget;
        why = "16 MiB, half the per-peer queue, / (size + 64)";
    }
    if (bench_mode_info(mode)->pipeline_only &&
        w > RAFTHTTP_DEFAULT_PIPELINE_QUEUE_MSGS) {
        w = RAFTHTTP_DEFAULT_PIPELINE_QUEUE_MSGS;
        why = "the pipeline queue holds 64 messages";
    }
    if (why != NULL && say) {
        fprintf(stderr,
                PROG ": %s %" PRIu64 " B: window %" PRIu64
                     " clamped to %" PRIu64 " (%s)\n",
                bench_mode_name(mode), size, o->window, w, why);
    }
    return w;
}

void bench_run_measure_start(struct bench_run *r)
{
    if (!atomic_load(&r->measuring) &&
        bench_cpu_sampler_init(&r->cpu, r->recv_id) == 0) {
        atomic_store(&r->measuring, true);
    }
    pthread_mutex_lock(&r->mu);
    r->t0 = bench_now_s();
    r->flow.last_move_s = r->t0;
    pthread_mutex_unlock(&r->mu);
}

/* ------------------------------------------------------------ the ticker */

/* "done/total unit" for the progress line. */
static void progress_text(struct bench_run *r, char *buf, size_t cap)
{
    pthread_mutex_lock(&r->mu);
    uint64_t msgs = r->role == ROLE_RECV ? r->check.delivered : r->flow.done;
    uint64_t rtts = r->role == ROLE_RECV ? r->rtt.answered_count : r->rtt.done;
    pthread_mutex_unlock(&r->mu);
    uint64_t snap = atomic_load(&r->snap.sent);
    const struct bench_mode_info *mi = bench_mode_info(r->mode);
    if (mi->snapshot && (mi->msgapp || mi->rtt)) {
        snprintf(buf, cap,
                 "snapshot %" PRIu64 "/%" PRIu64 " MiB, %" PRIu64
                 " MsgApp, %" PRIu64 " round trips",
                 snap >> 20, r->size >> 20, msgs, rtts);
    } else if (mi->snapshot) {
        snprintf(buf, cap, "%" PRIu64 "/%" PRIu64 " MiB", snap >> 20,
                 r->size >> 20);
    } else if (mi->rtt) {
        snprintf(buf, cap, "%" PRIu64 "/%" PRIu64 " round trips", rtts,
                 r->count);
    } else {
        snprintf(buf, cap, "%" PRIu64 "/%" PRIu64 " MsgApp", msgs, r->count);
    }
}

static void progress_draw(struct ticker *tk)
{
    struct bench_run *r = tk->r;
    pthread_mutex_lock(&r->mu);
    double t0 = r->t0;
    pthread_mutex_unlock(&r->mu);
    double secs = bench_now_s() - t0;
    if (!r->progress || t0 == 0 || secs < PROGRESS_AFTER_S) {
        return;
    }
    char text[160];
    progress_text(r, text, sizeof(text));
    fprintf(stderr, "\r%s: %s, %.1f s   ", bench_mode_name(r->mode), text,
            secs);
    tk->drew = true;
}

static void *ticker_main(void *arg)
{
    struct ticker *tk = arg;
    (void)pthread_setname_np(pthread_self(), CPU_TICKER_NAME);
    pthread_mutex_lock(&tk->mu);
    while (!tk->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)(TICK_S * 1e9);
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&tk->cv, &tk->mu, &ts);
        if (atomic_load(&tk->r->measuring)) {
            bench_cpu_sample(&tk->r->cpu);
        }
        progress_draw(tk);
    }
    pthread_mutex_unlock(&tk->mu);
    return NULL;
}

static int ticker_start(struct ticker *tk, struct bench_run *r)
{
    memset(tk, 0, sizeof(*tk));
    tk->r = r;
    pthread_mutex_init(&tk->mu, NULL);
    pthread_cond_init(&tk->cv, NULL);
    return pthread_create(&tk->thread, NULL, ticker_main, tk) == 0 ? 0 : -1;
}

static void ticker_stop(struct ticker *tk)
{
    pthread_mutex_lock(&tk->mu);
    tk->stop = true;
    pthread_cond_signal(&tk->cv);
    pthread_mutex_unlock(&tk->mu);
    pthread_join(tk->thread, NULL);
    if (tk->drew) {
        fprintf(stderr, "\r%*s\r", 79, "");
    }
    pthread_cond_destroy(&tk->cv);
    pthread_mutex_destroy(&tk->mu);
}

/* ------------------------------------------------------- state of a run */

static int make_snap_dir(struct bench_run *r)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(r->snap_dir, sizeof(r->snap_dir), "%s/rafthttp-bench-XXXXXX",
             tmp != NULL && tmp[0] != '\0' && strlen(tmp) < 32 ? tmp : "/tmp");
    if (mkdtemp(r->snap_dir) == NULL) {
        perror(PROG ": mkdtemp");
        r->snap_dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* The receiver's checks; the pipeline may reorder, so it keeps a bitmap. */
static int init_check(struct bench_run *r)
{
    struct msgapp_check *c = &r->check;
    const struct bench_mode_info *mi = bench_mode_info(r->mode);
    c->count = mi->bulk_entries ? 0 : r->count; /* until the snapshot ends */
    c->size = mi->bulk_entries ? r->o->bulk_size : r->size;
    c->any_order = mi->pipeline_only; /* POSTs in flight may reorder */
    if (c->any_order) {
        c->seen = calloc((size_t)(c->count / 8 + 1), 1);
        return c->seen != NULL ? 0 : -1;
    }
    return 0;
}

static int init_flow(struct bench_run *r)
{
    struct msgapp_flow *f = &r->flow;
    const struct bench_mode_info *mi = bench_mode_info(r->mode);
    bool msgapp = mi->msgapp;
    uint64_t size = mi->bulk_entries ? r->o->bulk_size : r->size;
    f->window =
        msgapp ? bench_run_window(r->o, r->mode, size, r->role != ROLE_RECV)
               : 1;
    f->sent_ns = calloc((size_t)f->window, sizeof(f->sent_ns[0]));
    if (f->sent_ns == NULL || bench_latency_init(&f->lat, 0) != 0) {
        return -1;
    }
    bool rtt = mi->rtt;
    size_t cap = rtt ? RTT_SAMPLE_CAP : 0;
    if (rtt && !msgapp && r->count < cap) { /* counted round trips */
        cap = (size_t)r->count;
    }
    return bench_latency_init(&r->rtt.lat, cap);
}

static int run_init(struct bench_run *r, const struct bench_opts *o,
                    enum bench_mode mode, uint64_t size, uint64_t count,
                    bool tls)
{
    memset(r, 0, sizeof(*r));
    r->o = o;
    r->mode = mode;
    r->role = o->role;
    r->size = size;
    r->count = count;
    r->tls = tls;
    r->send_id = o->role == ROLE_RECV ? o->peer_id : BENCH_SEND_ID;
    r->recv_id = o->role == ROLE_RECV ? o->local_id : BENCH_RECV_ID;
    if (o->role == ROLE_SEND) {
        r->send_id = o->local_id;
        r->recv_id = o->peer_id;
    }
    r->snap.size = size;
    r->progress = o->progress || isatty(STDERR_FILENO);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->flow_cv, NULL);
    pthread_cond_init(&r->rtt_cv, NULL);
    pthread_cond_init(&r->done_cv, NULL);
    bool snap = bench_mode_info(mode)->snapshot;
    if (snap && o->role != ROLE_SEND && make_snap_dir(r) != 0) {
        return -1;
    }
    if (init_check(r) != 0 || init_flow(r) != 0) {
        fprintf(stderr, PROG ": out of memory\n");
        return -1;
    }
    return 0;
}

static void remove_snap_dir(struct bench_run *r)
{
    /* The receiver removed each snapshot file once it had checked it. */
    if (r->snap_dir[0] != '\0' && rmdir(r->snap_dir) != 0) {
        fprintf(stderr, PROG ": cannot remove %s: ", r->snap_dir);
        perror(NULL);
    }
}

static void run_free(struct bench_run *r)
{
    if (atomic_load(&r->measuring)) {
        bench_cpu_sampler_free(&r->cpu);
    }
    remove_snap_dir(r);
    free(r->check.seen);
    free(r->flow.sent_ns);
    bench_latency_free(&r->flow.lat);
    bench_latency_free(&r->rtt.lat);
    pthread_cond_destroy(&r->done_cv);
    pthread_cond_destroy(&r->rtt_cv);
    pthread_cond_destroy(&r->flow_cv);
    pthread_mutex_destroy(&r->mu);
}

/* ------------------------------------------------------------ the run */

static int run_mode(struct bench_run *r, struct bench_result *res)
{
    if (r->role == ROLE_RECV) {
        return bench_mode_receive(r, res);
    }
    return bench_mode_info(r->mode)->run(r, res);
}

/* What the run itself cannot know: CPU, memory, the run's parameters. */
static void fill_common(struct bench_run *r, struct bench_result *res)
{
    res->mode = r->mode;
    res->role = r->role;
    res->tls = r->tls;
    const struct bench_mode_info *mi = bench_mode_info(r->mode);
    res->has_size = mi->msgapp || mi->snapshot;
    res->size = r->size;
    if (!mi->bulk_entries) {
        res->count = r->count;
    }
    if (atomic_load(&r->measuring)) {
        bench_cpu_sample(&r->cpu);
        res->cpu_s = bench_cpu_process_s(&r->cpu);
        bench_cpu_sides(&r->cpu, &res->cpu_send_s, &res->cpu_recv_s);
    }
    if (r->role == ROLE_SEND) {
        res->cpu_send_s = res->cpu_s;
    } else if (r->role == ROLE_RECV) {
        res->cpu_recv_s = res->cpu_s;
    }
    res->has_cpu_send = r->role != ROLE_RECV;
    res->has_cpu_recv = r->role != ROLE_SEND;
    res->peak_rss_kb = bench_cpu_peak_rss_kb();
}

int bench_run_one(const struct bench_opts *o, enum bench_mode mode,
                  uint64_t size, uint64_t count, bool tls,
                  struct bench_result *res)
{
    struct bench_run *r = malloc(sizeof(*r));
    struct ticker tk;
    memset(res, 0, sizeof(*res));
    res->tls = tls;
    if (r == NULL || run_init(r, o, mode, size, count, tls) != 0) {
        if (r != NULL) {
            run_free(r);
        }
        free(r);
        return EXIT_FAIL;
    }
    int rv = bench_transports_start(r);
    if (rv == 0) {
        rv = bench_transports_wait_ready(r);
    }
    if (rv == 0 && ticker_start(&tk, r) != 0) {
        bench_run_fail(r, "cannot start the ticker thread");
        rv = -1;
    } else if (rv == 0) {
        rv = run_mode(r, res);
        ticker_stop(&tk);
    }
    fill_common(r, res);
    bench_transports_free(r);
    bool bad = res->bad > 0;
    bool failed = rv != 0 || r->failed;
    run_free(r);
    free(r);
    if (bad) {
        fprintf(stderr, PROG ": %s%s: %" PRIu64 " bad message(s)\n",
                bench_mode_name(mode), tls ? " (tls)" : "", res->bad);
    }
    return failed || bad ? EXIT_FAIL : EXIT_OK;
}

int bench_run_variants(const struct bench_opts *o, enum bench_mode mode,
                       uint64_t size, uint64_t count, FILE *out,
                       struct bench_result res[2], size_t *n)
{
    bool tls = bench_options_tls(o);
    bool both = tls && o->tls_compare;
    int status = EXIT_OK;
    *n = 0;
    for (int pass = both ? 0 : 1; pass < 2; pass++) {
        bool over_tls = pass == 1 && tls;
        if (bench_run_one(o, mode, size, count, over_tls, &res[*n]) !=
            EXIT_OK) {
            status = EXIT_FAIL;
        }
        bench_report_row(out, o->format, &res[*n]);
        (*n)++;
    }
    return status;
}
