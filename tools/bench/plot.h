/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sweep's plot, in two halves: plot.c gathers the points (this run's
 * stream rows and those of --plot-with's CSV) into named series and writes
 * them to FILE.dat; plot_script.c writes the gnuplot script FILE.gp that
 * draws them (titles, axes, the run's scale and the machine) and runs
 * gnuplot on it. Both files stay beside FILE.png, so a plot can be redrawn
 * or restyled by hand (gnuplot FILE.gp, from the same directory).
 */
#ifndef RH_BENCH_PLOT_H
#define RH_BENCH_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"
#include "report.h"

#define PLOT_MAX_SERIES 8
#define PLOT_MAX_POINTS 64
#define PLOT_LABEL_LEN 64

struct plot_series {
    char label[PLOT_LABEL_LEN]; /* as the key shows it; no ' or \ */
    size_t n;
    double size[PLOT_MAX_POINTS];
    double msgs_per_s[PLOT_MAX_POINTS];
    double mb_per_s[PLOT_MAX_POINTS];
};

struct plot_data {
    struct plot_series s[PLOT_MAX_SERIES];
    size_t n;
    /* Every size of every series, ascending: the x axis's categories. */
    double sizes[PLOT_MAX_POINTS];
    size_t n_sizes;
};

/* The category (0, 1, ...) of size on the x axis. */
size_t bench_plot_category(const struct plot_data *d, double size);

/* "64 B", "1 KiB", "16 KiB", "1 MiB", else bytes. */
void bench_plot_size_label(double size, char *buf, size_t cap);

/*
 * Writes the gnuplot script for d to gp_path: png is the picture, dat the
 * data file, res and n this run's results (their counts), o the options
 * (sweep scale, --count). Returns 0, or -1 after saying why on stderr.
 */
int bench_plot_script_write(const char *gp_path, const struct plot_data *d,
                            const char *png, const char *dat,
                            const struct bench_result *res, size_t n,
                            const struct bench_opts *o);

/*
 * Runs gnuplot on the script at gp_path, which writes png. Returns 0, or
 * -1 after saying why (gnuplot missing: the data and script stay).
 */
int bench_plot_run(const char *gp_path, const char *png, const char *dat);

#endif /* RH_BENCH_PLOT_H */
