// SPDX-License-Identifier: Apache-2.0
/*
 * A thread's time comes from /proc/self/task/<tid>/schedstat (run time in
 * ns) or, where the kernel keeps no schedstats, stat's utime and stime
 * (fields 14 and 15, in clock ticks, after the command name, which may
 * contain spaces and parentheses, so they are counted from the last
 * ')'). Times are kept in nanoseconds. A tid seen with less time than
 * before is a new thread that reuses the number: the old one's time is
 * kept aside. A thread the sampler cannot read
 * (it just ended) keeps its last sample. The name is read at every
 * sample, since a thread may be seen before it has named itself.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>

#include "cpu.h"

double bench_cpu_rusage_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

long bench_cpu_peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Reads a small /proc file into buf (NUL-terminated). Returns 0 or -1. */
static int read_small(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0 ? 0 : -1;
}

/* utime + stime of one thread from its stat, in nanoseconds. */
static int thread_stat_ns(int tid, uint64_t *ns)
{
    char path[64];
    char buf[1024];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    if (read_small(path, buf, sizeof(buf)) != 0) {
        return -1;
    }
    char *p = strrchr(buf, ')');
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    /* After ')': state (3), then fields 4..13, then utime (14), stime. */
    if (p == NULL || sscanf(p + 1,
                            " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                            "%llu %llu",
                            &utime, &stime) != 2) {
        return -1;
    }
    *ns = (uint64_t)(utime + stime) * 1000000000u /
          (uint64_t)sysconf(_SC_CLK_TCK);
    return 0;
}

/*
 * A thread's CPU time in nanoseconds: schedstat's run time where the
 * kernel keeps it (exact), else stat's ticks (10 ms steps, too coarse
 * for a short snapshot thread).
 */
static int thread_ns(int tid, uint64_t *ns)
{
    char path[64];
    char buf[128];
    unsigned long long run = 0;
    snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
    if (read_small(path, buf, sizeof(buf)) == 0 &&
        sscanf(buf, "%llu", &run) == 1 && run > 0) {
        *ns = (uint64_t)run;
        return 0;
    }
    return thread_stat_ns(tid, ns);
}

/* Which side a thread's time counts for, from its name. */
static int side_of(const struct cpu_sampler *s, int tid)
{
    char path[64];
    char name[32];
    snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
    if (read_small(path, name, sizeof(name)) != 0) {
        return 0;
    }
    name[strcspn(name, "\n")] = '\0';
    if (strcmp(name, CPU_TICKER_NAME) == 0) {
        return -1;
    }
    const char *dash = strrchr(name, '-');
    if (strncmp(name, "rh-", 3) != 0 || dash == NULL) {
        return 0; /* the program's own threads work for the sender */
    }
    char *end = NULL;
    unsigned long long id = strtoull(dash + 1, &end, 16);
    return *end == '\0' && id == s->recv_id ? 1 : 0;
}

static struct cpu_thread *find_thread(struct cpu_sampler *s, int tid)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->threads[i].tid == tid) {
            return &s->threads[i];
        }
    }
    if (s->n == s->cap) {
        size_t cap = s->cap > 0 ? s->cap * 2 : 32;
        struct cpu_thread *t = realloc(s->threads, cap * sizeof(*t));
        if (t == NULL) {
            return NULL;
        }
        s->threads = t;
        s->cap = cap;
    }
    struct cpu_thread *t = &s->threads[s->n++];
    memset(t, 0, sizeof(*t));
    t->tid = tid;
    t->side = side_of(s, tid);
    return t;
}

/* One thread's sample; first marks the baseline taken at init. */
static void sample_thread(struct cpu_sampler *s, int tid, bool first)
{
    uint64_t ns;
    if (thread_ns(tid, &ns) != 0) {
        return;
    }
    struct cpu_thread *t = find_thread(s, tid);
    if (t == NULL) {
        return;
    }
    if (ns < t->last && t->side >= 0) {
        s->gone[t->side] += t->last - t->first;
        t->first = 0;
    }
    /* A new thread may be sampled before it names itself: look again. */
    t->side = side_of(s, tid);
    t->last = ns;
    if (first) {
        t->first = ns;
    }
}

static void sample_all(struct cpu_sampler *s, bool first)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            sample_thread(s, (int)strtol(e->d_name, NULL, 10), first);
        }
    }
    closedir(d);
}

int bench_cpu_sampler_init(struct cpu_sampler *s, uint64_t recv_id)
{
    memset(s, 0, sizeof(*s));
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        return -1;
    }
    s->recv_id = recv_id;
    s->rusage_start_s = bench_cpu_rusage_s();
    sample_all(s, true);
    return 0;
}

void bench_cpu_sampler_free(struct cpu_sampler *s)
{
    free(s->threads);
    pthread_mutex_destroy(&s->mu);
}

void bench_cpu_sample(struct cpu_sampler *s)
{
    pthread_mutex_lock(&s->mu);
    sample_all(s, false);
    pthread_mutex_unlock(&s->mu);
}

void bench_cpu_sides(struct cpu_sampler *s, double *send_s, double *recv_s)
{
    uint64_t ns[2];
    pthread_mutex_lock(&s->mu);
    ns[0] = s->gone[0];
    ns[1] = s->gone[1];
    for (size_t i = 0; i < s->n; i++) {
        const struct cpu_thread *t = &s->threads[i];
        if (t->side >= 0) {
            ns[t->side] += t->last - t->first;
        }
    }
    pthread_mutex_unlock(&s->mu);
    *send_s = (double)ns[0] / 1e9;
    *recv_s = (double)ns[1] / 1e9;
}

double bench_cpu_process_s(const struct cpu_sampler *s)
{
    return bench_cpu_rusage_s() - s->rusage_start_s;
}
