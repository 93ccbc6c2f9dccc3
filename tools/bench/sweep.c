// SPDX-License-Identifier: Apache-2.0
/*
 * The sweep: counts are chosen so that each run lasts one to three
 * seconds on a 2-core machine; --sweep-scale multiplies them (tests use
 * 0.01) and --count replaces them all. Every run is a fresh pair of
 * transports, as a single run is, so the rows compare with single runs.
 * With the TLS flags every item runs over TLS; with --tls-compare too,
 * each runs over plain HTTP and then over TLS, the two rows together.
 */
#include <math.h>

#include "run.h"
#include "sweep.h"

#define SWEEP_RTT_COUNT 20000

static const struct {
    uint64_t size;
    uint64_t count;
} sweep_sizes[] = {
    {64, 2000000},   {1024, 1000000}, {16384, 150000},
    {262144, 12000}, {1048576, 3000},
};

#define N_SIZES (sizeof(sweep_sizes) / sizeof(sweep_sizes[0]))

static uint64_t scaled(const struct bench_opts *o, uint64_t count)
{
    if (o->count_given) {
        return o->count;
    }
    double n = round((double)count * o->sweep_scale);
    return n < 1 ? 1 : (uint64_t)n;
}

int bench_sweep_run(const struct bench_opts *o, FILE *out)
{
    struct bench_result res[2 * (N_SIZES + 1)]; /* plain and TLS */
    size_t n = 0;
    size_t ran;
    int status = EXIT_OK;
    bench_report_begin(out, o->format);
    for (size_t i = 0; i < N_SIZES; i++) {
        uint64_t count = scaled(o, sweep_sizes[i].count);
        if (bench_run_variants(o, MODE_STREAM, sweep_sizes[i].size, count, out,
                               &res[n], &ran) != EXIT_OK) {
            status = EXIT_FAIL;
        }
        n += ran;
    }
    if (bench_run_variants(o, MODE_RTT, 0, scaled(o, SWEEP_RTT_COUNT), out,
                           &res[n], &ran) != EXIT_OK) {
        status = EXIT_FAIL;
    }
    n += ran;
    if (o->plot != NULL && bench_plot_write(o, res, n) != 0) {
        status = EXIT_FAIL;
    }
    return status;
}
