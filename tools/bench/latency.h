/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Latency percentiles without keeping every sample: a log-linear
 * histogram (128 linear steps per power of two of nanoseconds, so a
 * percentile is within 0.8% of the true value) over any number of
 * samples, plus the exact samples while they fit in a fixed array (rtt
 * runs), in which case the percentiles are exact. Not thread-safe: the
 * caller holds its own lock.
 */
#ifndef RH_BENCH_LATENCY_H
#define RH_BENCH_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct latency {
    uint64_t *buckets; /* LATENCY_BUCKETS counts */
    uint64_t n;        /* samples added */
    uint64_t max_ns;
    uint64_t *samples; /* the first sample_cap samples, or NULL */
    size_t sample_cap;
    bool sorted; /* samples are sorted (after the first query) */
};

/*
 * Allocates the histogram and room for sample_cap exact samples (0: the
 * histogram only). Returns 0 or -1 (out of memory).
 */
int bench_latency_init(struct latency *l, size_t sample_cap);
void bench_latency_free(struct latency *l);

void bench_latency_add(struct latency *l, uint64_t ns);

/* The q-quantile (0 < q <= 1, nearest rank) in microseconds; 0 if empty. */
double bench_latency_quantile_us(struct latency *l, double q);
double bench_latency_max_us(const struct latency *l);

#endif /* RH_BENCH_LATENCY_H */
