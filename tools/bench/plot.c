// SPDX-License-Identifier: Apache-2.0
/*
 * The sweep's plot, its data half (see plot.h): throughput against entry
 * size, a series per implementation, named in full: this run's stream
 * rows as "rafthttp-c", and the stream rows of --plot-with's CSV (a
 * gobench sweep, or an older rafthttp-bench one) by their impl column:
 * "go" is etcd's Go rafthttp, "etcd 3.4.23 rafthttp (Go)" when the
 * version is known (--plot-with-version, or an impl such as go-3.4.23),
 * else "etcd rafthttp (Go)"; "c" is an older rafthttp-c run, named with
 * its file. Rows over TLS (a tls column of "true") make series of their
 * own, "TLS" in the name. The points go to FILE.dat beside the PNG, one
 * gnuplot index per series, with each size's x category in the last
 * column.
 *
 * Failure modes: a CSV without the columns needed, a file name gnuplot
 * cannot quote, and those of plot_script.c (gnuplot missing or failing).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "plot.h"
#include "sweep.h"

#define MAX_COLUMNS 64
#define C_NAME "rafthttp-c"
#define GO_NAME "rafthttp (Go" /* and ")" or ", TLS)" */

static struct plot_series *series_of(struct plot_data *d, const char *label)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->s[i].label, label) == 0) {
            return &d->s[i];
        }
    }
    if (d->n == PLOT_MAX_SERIES) {
        return NULL;
    }
    struct plot_series *s = &d->s[d->n++];
    snprintf(s->label, sizeof(s->label), "%s", label);
    for (char *p = s->label; *p != '\0'; p++) {
        *p = *p == '\'' || *p == '\\' ? '_' : *p; /* gnuplot quotes it */
    }
    return s;
}

static void add_point(struct plot_data *d, const char *label, double size,
                      double msgs, double mb)
{
    struct plot_series *s = series_of(d, label);
    if (s == NULL || s->n == PLOT_MAX_POINTS) {
        return;
    }
    s->size[s->n] = size;
    s->msgs_per_s[s->n] = msgs;
    s->mb_per_s[s->n] = mb;
    s->n++;
}

/* ------------------------------------------------------------ CSV input */

/* Splits line at commas in place; returns the number of fields. */
static size_t split_csv(char *line, char **cols, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < max;) {
        cols[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL) {
            break;
        }
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

/* The columns the plot needs, as indexes; -1 when absent. */
struct csv_columns {
    int impl;
    int mode;
    int size;
    int msgs;
    int mb;
    int tls; /* optional */
};

static const struct csv_columns no_columns = {-1, -1, -1, -1, -1, -1};

static struct csv_columns find_columns(char **cols, size_t n)
{
    struct csv_columns c = no_columns;
    for (size_t i = 0; i < n; i++) {
        int idx = (int)i;
        c.impl = strcmp(cols[i], "impl") == 0 ? idx : c.impl;
        c.mode = strcmp(cols[i], "mode") == 0 ? idx : c.mode;
        c.size = strcmp(cols[i], "size") == 0 ? idx : c.size;
        c.msgs = strcmp(cols[i], "msgs_per_s") == 0 ? idx : c.msgs;
        c.mb = strcmp(cols[i], "mb_per_s") == 0 ? idx : c.mb;
        c.tls = strcmp(cols[i], "tls") == 0 ? idx : c.tls;
    }
    return c;
}

/* Digits and dots, starting with a digit: "3.4.23". */
static bool version_like(const char *v)
{
    if (v[0] < '0' || v[0] > '9' || strlen(v) > 32) {
        return false;
    }
    return v[strspn(v, "0123456789.")] == '\0';
}

/*
 * True if impl names etcd's Go rafthttp: "go", or "go" or "etcd" and a
 * version ("go-3.4.23", "etcd 3.4.23", "go-v3.4.23"), or "etcd". The
 * version, or "", goes to ver.
 */
static bool go_impl(const char *impl, char *ver, size_t cap)
{
    size_t k = 0;
    if (strncmp(impl, "go", 2) == 0) {
        k = 2;
    } else if (strncmp(impl, "etcd", 4) == 0) {
        k = 4;
    } else {
        return false;
    }
    const char *v = impl + k;
    v += strchr("- _@", *v) != NULL && *v != '\0' ? 1 : 0;
    v += *v == 'v' ? 1 : 0;
    if (*v != '\0' && !version_like(v)) {
        return false; /* "golang-foo": not ours to name */
    }
    snprintf(ver, cap, "%s", v);
    return true;
}

/*
 * The series name for a row of the CSV at path: Go's rafthttp with its
 * etcd version (version, else the impl's, else none), an older rafthttp-c
 * run with the file's name, anything else as its impl says.
 */
static void csv_label(const char *impl, bool tls, const char *path,
                      const char *version, char *buf, size_t cap)
{
    const char *base = strrchr(path, '/');
    char ver[40];
    base = base != NULL ? base + 1 : path;
    if (impl == NULL || impl[0] == '\0') {
        snprintf(buf, cap, "%s%s", base, tls ? " (TLS)" : "");
    } else if (strcmp(impl, BENCH_IMPL) == 0) {
        snprintf(buf, cap, C_NAME " (%s%s)", tls ? "TLS, " : "", base);
    } else if (go_impl(impl, ver, sizeof(ver))) {
        const char *v = version != NULL ? version : ver;
        snprintf(buf, cap, "etcd %s%s" GO_NAME "%s", v, v[0] != '\0' ? " " : "",
                 tls ? ", TLS)" : ")");
    } else {
        snprintf(buf, cap, "%s%s", impl, tls ? " (TLS)" : "");
    }
}

static void csv_row(struct plot_data *d, const struct csv_columns *c,
                    char **cols, size_t n, const char *path,
                    const char *version)
{
    int need = c->size > c->msgs ? c->size : c->msgs;
    need = need > c->mb ? need : c->mb;
    need = need > c->mode ? need : c->mode;
    need = need > c->impl ? need : c->impl;
    if ((size_t)need >= n || cols[c->size][0] == '\0' ||
        (c->mode >= 0 && strcmp(cols[c->mode], "stream") != 0)) {
        return; /* not a stream row: rtt, or short */
    }
    char label[PLOT_LABEL_LEN];
    bool tls =
        c->tls >= 0 && (size_t)c->tls < n && strcmp(cols[c->tls], "true") == 0;
    csv_label(c->impl >= 0 ? cols[c->impl] : NULL, tls, path, version, label,
              sizeof(label));
    add_point(d, label, strtod(cols[c->size], NULL),
              strtod(cols[c->msgs], NULL), strtod(cols[c->mb], NULL));
}

static int read_csv(struct plot_data *d, const char *path, const char *version)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, PROG ": --plot-with %s: ", path);
        perror(NULL);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    char *cols[MAX_COLUMNS];
    struct csv_columns c = no_columns;
    bool header = true;
    while (getline(&line, &cap, f) > 0) {
        size_t n = split_csv(line, cols, MAX_COLUMNS);
        if (header) {
            c = find_columns(cols, n);
            header = false;
        } else if (c.size >= 0 && c.msgs >= 0 && c.mb >= 0) {
            csv_row(d, &c, cols, n, path, version);
        }
    }
    free(line);
    fclose(f);
    if (c.size < 0 || c.msgs < 0 || c.mb < 0) {
        fprintf(stderr,
                PROG ": --plot-with %s: no size, msgs_per_s and mb_per_s "
                     "columns in its header\n",
                path);
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------- categories */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Fills d->sizes with every size of every series, once, ascending. */
static void collect_sizes(struct plot_data *d)
{
    d->n_sizes = 0;
    for (size_t i = 0; i < d->n; i++) {
        for (size_t j = 0; j < d->s[i].n; j++) {
            double size = d->s[i].size[j];
            bool seen = false;
            for (size_t k = 0; k < d->n_sizes && !seen; k++) {
                seen = d->sizes[k] == size;
            }
            if (!seen && d->n_sizes < PLOT_MAX_POINTS) {
                d->sizes[d->n_sizes++] = size;
            }
        }
    }
    qsort(d->sizes, d->n_sizes, sizeof(d->sizes[0]), cmp_double);
}

size_t bench_plot_category(const struct plot_data *d, double size)
{
    for (size_t k = 0; k < d->n_sizes; k++) {
        if (d->sizes[k] == size) {
            return k;
        }
    }
    return d->n_sizes; /* not collected: past the last one */
}

void bench_plot_size_label(double size, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB"};
    size_t u = 0;
    double v = size;
    while (u + 1 < sizeof(units) / sizeof(units[0]) && v >= 1024 &&
           (double)(uint64_t)(v / 1024) == v / 1024) {
        v /= 1024;
        u++;
    }
    snprintf(buf, cap, "%.0f %s", v, units[u]);
}

/* --------------------------------------------------------------- output */

static int write_data(const struct plot_data *d, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, PROG ": %s: ", path);
        perror(NULL);
        return -1;
    }
    for (size_t i = 0; i < d->n; i++) {
        const struct plot_series *s = &d->s[i];
        fprintf(f, "%s# %s\n# size msgs_per_s mb_per_s x\n",
                i > 0 ? "\n\n" : "", s->label);
        for (size_t j = 0; j < s->n; j++) {
            fprintf(f, "%.0f %.1f %.3f %zu\n", s->size[j], s->msgs_per_s[j],
                    s->mb_per_s[j], bench_plot_category(d, s->size[j]));
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* True if name can stand inside a gnuplot single-quoted string. */
static bool quotable(const char *name)
{
    return strchr(name, '\'') == NULL && strchr(name, '\n') == NULL;
}

/* FILE.png -> FILE.ext; any other name gets ".ext" added. */
static void beside(const char *png, const char *ext, char *buf, size_t cap)
{
    size_t len = strlen(png);
    if (len > 4 && strcmp(png + len - 4, ".png") == 0) {
        len -= 4;
    }
    snprintf(buf, cap, "%.*s.%s", (int)len, png, ext);
}

int bench_plot_write(const struct bench_opts *o, const struct bench_result *res,
                     size_t n)
{
    static struct plot_data d; /* 8 series of 64 points: not the stack */
    char dat[4096];
    char gp[4096];
    memset(&d, 0, sizeof(d));
    beside(o->plot, "dat", dat, sizeof(dat));
    beside(o->plot, "gp", gp, sizeof(gp));
    if (!quotable(o->plot) || !quotable(dat)) {
        fprintf(stderr, PROG ": --plot %s: no quotes in the name\n", o->plot);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (res[i].mode == MODE_STREAM) {
            add_point(&d, res[i].tls ? C_NAME " (TLS)" : C_NAME,
                      (double)res[i].size, res[i].msgs_per_s, res[i].mb_per_s);
        }
    }
    if (o->plot_with != NULL &&
        read_csv(&d, o->plot_with, o->plot_with_version) != 0) {
        return -1;
    }
    collect_sizes(&d);
    if (write_data(&d, dat) != 0 ||
        bench_plot_script_write(gp, &d, o->plot, dat, res, n, o) != 0) {
        return -1;
    }
    return bench_plot_run(gp, o->plot, dat);
}
