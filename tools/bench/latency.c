// SPDX-License-Identifier: Apache-2.0
/*
 * The histogram is HdrHistogram's layout cut to the bone: values below
 * 128 ns have a bucket each; above, a value with its top bit at position
 * b falls into one of 128 equal steps between 2^b and 2^(b+1), so a
 * bucket is never wider than 1/128 of its values. 58 ranges of 128
 * buckets cover all of uint64_t in 58 KiB. A quantile walks the counts
 * to the nearest rank and answers the middle of that bucket.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"

#define SUB_BITS 7
#define SUB (1u << SUB_BITS)
#define LATENCY_BUCKETS ((64 - SUB_BITS + 1) * SUB)

int bench_latency_init(struct latency *l, size_t sample_cap)
{
    memset(l, 0, sizeof(*l));
    l->buckets = calloc(LATENCY_BUCKETS, sizeof(l->buckets[0]));
    if (sample_cap > 0) {
        l->samples = malloc(sample_cap * sizeof(l->samples[0]));
        l->sample_cap = sample_cap;
    }
    if (l->buckets == NULL || (sample_cap > 0 && l->samples == NULL)) {
        bench_latency_free(l);
        return -1;
    }
    return 0;
}

void bench_latency_free(struct latency *l)
{
    free(l->buckets);
    free(l->samples);
    memset(l, 0, sizeof(*l));
}

static size_t bucket_of(uint64_t v)
{
    if (v < SUB) {
        return (size_t)v;
    }
    unsigned top = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = top - SUB_BITS;
    return (size_t)(shift + 1) * SUB + (size_t)((v >> shift) - SUB);
}

/* The middle of bucket i, in nanoseconds. */
static double bucket_mid(size_t i)
{
    if (i < SUB) {
        return (double)i;
    }
    unsigned shift = (unsigned)(i / SUB) - 1;
    uint64_t low = (uint64_t)(i % SUB + SUB) << shift;
    return (double)low + (double)((uint64_t)1 << shift) / 2.0;
}

void bench_latency_add(struct latency *l, uint64_t ns)
{
    l->buckets[bucket_of(ns)]++;
    if (l->n < l->sample_cap) {
        l->samples[l->n] = ns;
        l->sorted = false;
    }
    l->n++;
    if (ns > l->max_ns) {
        l->max_ns = ns;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The 1-based nearest rank of quantile q among n samples. */
static uint64_t rank_of(uint64_t n, double q)
{
    double r = q * (double)n;
    uint64_t k = (uint64_t)r;
    if ((double)k < r) {
        k++;
    }
    return k < 1 ? 1 : (k > n ? n : k);
}

double bench_latency_quantile_us(struct latency *l, double q)
{
    if (l->n == 0) {
        return 0;
    }
    uint64_t k = rank_of(l->n, q);
    if (l->n <= l->sample_cap) {
        if (!l->sorted) {
            qsort(l->samples, (size_t)l->n, sizeof(l->samples[0]), cmp_u64);
            l->sorted = true;
        }
        return (double)l->samples[k - 1] / 1e3;
    }
    uint64_t seen = 0;
    for (size_t i = 0; i < LATENCY_BUCKETS; i++) {
        seen += l->buckets[i];
        if (seen >= k) {
            double mid = bucket_mid(i);
            double max = (double)l->max_ns;
            return (mid < max ? mid : max) / 1e3;
        }
    }
    return (double)l->max_ns / 1e3;
}

double bench_latency_max_us(const struct latency *l)
{
    return (double)l->max_ns / 1e3;
}
