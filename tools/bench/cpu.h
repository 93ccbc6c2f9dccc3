/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CPU time per side of a run. In one process the library names its
 * threads rh-<role>-<member id in hex> (rh-io-1, rh-dlv-2, rh-snapw-2...),
 * so /proc/self/task tells member 1's threads from member 2's; the
 * program's own threads (main, the bulk sender of mixed mode) count for
 * the sender, member 1. Threads that end during the run (the snapshot
 * threads) leave /proc with their time, so the run samples every 200 ms
 * and keeps what each thread had at its last sample. getrusage covers
 * the whole process, lost threads included.
 */
#ifndef RH_BENCH_CPU_H
#define RH_BENCH_CPU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Name of the program's own sampling thread, counted for neither side. */
#define CPU_TICKER_NAME "bench-tick"

struct cpu_thread {
    int tid;
    int side;       /* 0: sender, 1: receiver, -1: neither */
    uint64_t first; /* CPU ns at the first sample, or 0 */
    uint64_t last;  /* CPU ns at the last sample */
};

struct cpu_sampler {
    pthread_mutex_t mu;
    uint64_t recv_id;           /* rh-*-<this id> threads: the receiver */
    struct cpu_thread *threads; /* every thread seen during the run */
    size_t n;
    size_t cap;
    uint64_t gone[2];      /* ns of threads whose tid was reused */
    double rusage_start_s; /* process user+sys at the start */
};

/* Starts counting: the first sample and getrusage. Returns 0 or -1. */
int bench_cpu_sampler_init(struct cpu_sampler *s, uint64_t recv_id);
void bench_cpu_sampler_free(struct cpu_sampler *s);

/* Reads /proc/self/task once more. Any thread. */
void bench_cpu_sample(struct cpu_sampler *s);

/* Seconds of CPU per side since init, as of the last sample. */
void bench_cpu_sides(struct cpu_sampler *s, double *send_s, double *recv_s);

/* Process user+sys seconds since init (getrusage). */
double bench_cpu_process_s(const struct cpu_sampler *s);

/* Process user+sys seconds since the process started. */
double bench_cpu_rusage_s(void);
/* Peak resident set, KiB (getrusage ru_maxrss). */
long bench_cpu_peak_rss_kb(void);

#endif /* RH_BENCH_CPU_H */
