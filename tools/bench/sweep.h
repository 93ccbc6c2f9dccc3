/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The standard sweep (stream mode at 64 B, 1 KiB, 16 KiB, 256 KiB and
 * 1 MiB, then one rtt run) and its plot through gnuplot.
 */
#ifndef RH_BENCH_SWEEP_H
#define RH_BENCH_SWEEP_H

#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "report.h"

/*
 * Runs the sweep, printing each row to out as it ends, and the plot if
 * o->plot. Returns EXIT_OK or EXIT_FAIL (some run failed, or the plot).
 */
int bench_sweep_run(const struct bench_opts *o, FILE *out);

/*
 * Writes the plot of the stream rows of res (and of the CSV o->plot_with,
 * if not NULL) to o->plot, with its data file and gnuplot script beside
 * it (plot.h). Returns 0, or -1 after saying why on stderr (gnuplot
 * missing, an unreadable CSV...).
 */
int bench_plot_write(const struct bench_opts *o, const struct bench_result *res,
                     size_t n);

#endif /* RH_BENCH_SWEEP_H */
