// SPDX-License-Identifier: Apache-2.0
/*
 * The sweep's plot, its gnuplot half (see plot.h). The script, FILE.gp,
 * draws two panels over one x axis: MB/s on top, messages/s below, a line
 * per series. Every value axis is linear and starts at zero, so that the
 * heights of two lines compare as they stand (a log axis cannot start at
 * zero). The entry sizes are categories, evenly spaced in ascending
 * order: 64 B to 1 MiB are a factor of 16 apart, and on a linear byte
 * axis four of the five would share the first 2% of the width. The title
 * says what was measured, at what scale (the messages of each size, from
 * the sweep scale or --count) and on which machine (/proc/cpuinfo's model
 * name, the CPUs online), which a reader of the PNG alone needs to weigh
 * the numbers.
 *
 * gnuplot is fed "load 'FILE.gp'" on a pipe, so no shell sees a file
 * name. Failure modes: the script cannot be written; gnuplot is missing
 * (said plainly, with the package to install; the data and the script
 * stay); gnuplot fails or writes nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "bench.h"
#include "plot.h"

#define TEXT_LEN 512

/* Writes s as a gnuplot double-quoted string: \ " and newlines escaped. */
static void gp_quoted(FILE *gp, const char *s)
{
    fputc('"', gp);
    for (; *s != '\0'; s++) {
        if (*s == '\n') {
            fputs("\\n", gp);
        } else if (*s == '"' || *s == '\\') {
            fprintf(gp, "\\%c", *s);
        } else if ((unsigned char)*s >= ' ') {
            fputc(*s, gp);
        }
    }
    fputc('"', gp);
}

/* The value of the first "key : value" line of /proc/cpuinfo for key. */
static bool cpuinfo_value(const char *key, char *buf, size_t cap)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    bool found = false;
    size_t klen = strlen(key);
    if (f == NULL) {
        return false;
    }
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        const char *colon = strchr(line, ':');
        if (strncmp(line, key, klen) != 0 || colon == NULL ||
            line[klen + strspn(line + klen, " \t")] != ':') {
            continue;
        }
        const char *v = colon + 1 + strspn(colon + 1, " \t");
        size_t len = strcspn(v, "\r\n");
        found = len > 0;
        snprintf(buf, cap, "%.*s", (int)len, v);
    }
    fclose(f);
    return found;
}

/* "machine: MODEL, N CPUs" (x86's model name, or ARM's and others'). */
static void machine_text(char *buf, size_t cap)
{
    static const char *const keys[] = {"model name", "Model", "Hardware",
                                       "cpu model",  "uarch", "cpu"};
    char model[256] = "unknown CPU";
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (cpuinfo_value(keys[i], model, sizeof(model))) {
            break;
        }
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(buf, cap, "machine: %s, %ld CPU%s", model, cpus,
             cpus == 1 ? "" : "s");
}

/*
 * This run's scale: "rafthttp-c, sweep scale 0.01: 64 B x 20000, 1 KiB x
 * 10000, ... messages", or "rafthttp-c, --count 1000: 1000 messages per
 * size".
 */
static void scale_text(const struct bench_result *res, size_t n,
                       const struct bench_opts *o, char *buf, size_t cap)
{
    size_t at = 0;
    if (o->count_given) {
        snprintf(buf, cap,
                 "rafthttp-c, --count %" PRIu64 ": %" PRIu64
                 " messages per size",
                 o->count, o->count);
        return;
    }
    at += (size_t)snprintf(buf, cap,
                           "rafthttp-c, sweep scale %g:", o->sweep_scale);
    uint64_t last = UINT64_MAX;
    for (size_t i = 0; i < n && at < cap; i++) {
        if (res[i].mode != MODE_STREAM || res[i].size == last) {
            continue; /* the TLS row of the same size */
        }
        char size[32];
        bench_plot_size_label((double)res[i].size, size, sizeof(size));
        at +=
            (size_t)snprintf(buf + at, cap - at, "%s %s x %" PRIu64,
                             last == UINT64_MAX ? "" : ",", size, res[i].count);
        last = res[i].size;
    }
    if (at < cap) {
        snprintf(buf + at, cap - at, " messages");
    }
}

static void write_xtics(FILE *gp, const struct plot_data *d)
{
    char label[32];
    fprintf(gp, "set xtics (");
    for (size_t k = 0; k < d->n_sizes; k++) {
        bench_plot_size_label(d->sizes[k], label, sizeof(label));
        fprintf(gp, "%s'%s' %zu", k > 0 ? ", " : "", label, k);
    }
    fprintf(gp, ")\nset xrange [-0.5:%zu.5]\n",
            d->n_sizes > 0 ? d->n_sizes - 1 : 0);
}

static void plot_panel(FILE *gp, const struct plot_data *d, const char *dat,
                       int column, const char *ylabel, const char *key)
{
    fprintf(gp, "set ylabel '%s'\nset key %s\nset yrange [0:*]\nplot ", ylabel,
            key);
    for (size_t i = 0; i < d->n; i++) {
        fprintf(gp,
                "%s'%s' index %zu using 4:%d with linespoints lw 2 "
                "title '%s'",
                i > 0 ? ", " : "", dat, i, column, d->s[i].label);
    }
    fputc('\n', gp);
}

static void write_script(FILE *gp, const struct plot_data *d, const char *png,
                         const char *dat, const char *title)
{
    fprintf(gp,
            "# rafthttp-bench --sweep --plot: redraw with gnuplot FILE.gp\n"
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo noenhanced size 1000,960\n"
            "} else {\n"
            "  set terminal png noenhanced size 1000,960\n"
            "}\n"
            "set output '%s'\n"
            "set multiplot layout 2,1 title ",
            png);
    gp_quoted(gp, title);
    fprintf(gp, "\nset grid\nset xlabel 'entry size (one entry per MsgApp)'\n");
    write_xtics(gp, d);
    fprintf(gp, "set format y '%%g'\n");
    plot_panel(gp, d, dat, 3, "MB/s", "top left");
    fprintf(gp, "set format y '%%.0f'\n");
    plot_panel(gp, d, dat, 2, "messages/s", "top right");
    fprintf(gp, "unset multiplot\n");
}

int bench_plot_script_write(const char *gp_path, const struct plot_data *d,
                            const char *png, const char *dat,
                            const struct bench_result *res, size_t n,
                            const struct bench_opts *o)
{
    char scale[TEXT_LEN];
    char machine[TEXT_LEN];
    char title[3 * TEXT_LEN];
    scale_text(res, n, o, scale, sizeof(scale));
    machine_text(machine, sizeof(machine));
    snprintf(title, sizeof(title),
             "rafthttp stream mode: throughput by entry size\n%s\n%s", scale,
             machine);
    FILE *gp = fopen(gp_path, "w");
    if (gp == NULL) {
        fprintf(stderr, PROG ": %s: ", gp_path);
        perror(NULL);
        return -1;
    }
    write_script(gp, d, png, dat, title);
    return fclose(gp) == 0 ? 0 : -1;
}

static bool gnuplot_found(void)
{
    const char *path = getenv("PATH");
    char dir[4096];
    while (path != NULL && *path != '\0') {
        size_t len = strcspn(path, ":");
        snprintf(dir, sizeof(dir), "%.*s/gnuplot", (int)len, path);
        if (access(dir, X_OK) == 0) {
            return true;
        }
        path += len + (path[len] == ':' ? 1 : 0);
    }
    return false;
}

int bench_plot_run(const char *gp_path, const char *png, const char *dat)
{
    if (!gnuplot_found()) {
        fprintf(stderr,
                PROG ": --plot needs gnuplot, which is not installed "
                     "(Debian: apt-get install gnuplot-nox); the data are "
                     "in %s, the script in %s\n",
                dat, gp_path);
        return -1;
    }
    remove(png); /* a PNG left from before must not pass for this one */
    FILE *gp = popen("gnuplot", "w");
    if (gp == NULL) {
        perror(PROG ": gnuplot");
        return -1;
    }
    fprintf(gp, "load '%s'\n", gp_path);
    int status = pclose(gp);
    struct stat st;
    if (status != 0 || stat(png, &st) != 0 || st.st_size == 0) {
        fprintf(stderr, PROG ": gnuplot failed to write %s (script: %s)\n", png,
                gp_path);
        return -1;
    }
    return 0;
}
