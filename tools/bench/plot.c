/*
 * The sweep's plot: throughput against entry size (log x), MB/s in the
 * top panel and msgs/s in the bottom one, a line per implementation: this
 * run's stream rows as "c", and the stream rows of --plot-with's CSV (a
 * gobench sweep, or an older rafthttp-bench one) labelled by their impl
 * column. The points go to a data file beside the PNG (FILE.dat for
 * FILE.png), one gnuplot index per line, and stay there; gnuplot reads
 * the script from a pipe. Rows over TLS (a tls column of "true") make a
 * series of their own, "c tls", beside the plain one.
 *
 * Failure modes: gnuplot missing (said plainly, with the package to
 * install), a CSV without the columns needed, a file name gnuplot cannot
 * quote, gnuplot failing or writing nothing.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "bench.h"
#include "sweep.h"

#define MAX_SERIES 8
#define MAX_POINTS 64
#define MAX_COLUMNS 64
#define LABEL_LEN 64

struct series {
    char label[LABEL_LEN];
    size_t n;
    double size[MAX_POINTS];
    double msgs_per_s[MAX_POINTS];
    double mb_per_s[MAX_POINTS];
};

struct plot_data {
    struct series s[MAX_SERIES];
    size_t n;
};

static struct series *series_of(struct plot_data *d, const char *label)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->s[i].label, label) == 0) {
            return &d->s[i];
        }
    }
    if (d->n == MAX_SERIES) {
        return NULL;
    }
    struct series *s = &d->s[d->n++];
    snprintf(s->label, sizeof(s->label), "%s", label);
    for (char *p = s->label; *p != '\0'; p++) {
        *p = *p == '\'' || *p == '\\' ? '_' : *p; /* gnuplot quotes it */
    }
    return s;
}

static void add_point(struct plot_data *d, const char *label, double size,
                      double msgs, double mb)
{
    struct series *s = series_of(d, label);
    if (s == NULL || s->n == MAX_POINTS) {
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

/*
 * Our label for another file's impl: "c" again gets the file's name;
 * rows over TLS get " tls".
 */
static void csv_label(const char *impl, bool tls, const char *path, char *buf,
                      size_t cap)
{
    const char *base = strrchr(path, '/');
    const char *t = tls ? " tls" : "";
    base = base != NULL ? base + 1 : path;
    if (impl == NULL || impl[0] == '\0') {
        snprintf(buf, cap, "%s%s", base, t);
    } else if (strcmp(impl, BENCH_IMPL) == 0) {
        snprintf(buf, cap, "%s%s (%s)", impl, t, base);
    } else {
        snprintf(buf, cap, "%s%s", impl, t);
    }
}

static void csv_row(struct plot_data *d, const struct csv_columns *c,
                    char **cols, size_t n, const char *path)
{
    int need = c->size > c->msgs ? c->size : c->msgs;
    need = need > c->mb ? need : c->mb;
    need = need > c->mode ? need : c->mode;
    need = need > c->impl ? need : c->impl;
    if ((size_t)need >= n || cols[c->size][0] == '\0' ||
        (c->mode >= 0 && strcmp(cols[c->mode], "stream") != 0)) {
        return; /* not a stream row: rtt, or short */
    }
    char label[LABEL_LEN];
    bool tls =
        c->tls >= 0 && (size_t)c->tls < n && strcmp(cols[c->tls], "true") == 0;
    csv_label(c->impl >= 0 ? cols[c->impl] : NULL, tls, path, label,
              sizeof(label));
    add_point(d, label, strtod(cols[c->size], NULL),
              strtod(cols[c->msgs], NULL), strtod(cols[c->mb], NULL));
}

static int read_csv(struct plot_data *d, const char *path)
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
            csv_row(d, &c, cols, n, path);
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
        const struct series *s = &d->s[i];
        fprintf(f, "%s# %s\n# size msgs_per_s mb_per_s\n", i > 0 ? "\n\n" : "",
                s->label);
        for (size_t j = 0; j < s->n; j++) {
            fprintf(f, "%.0f %.1f %.3f\n", s->size[j], s->msgs_per_s[j],
                    s->mb_per_s[j]);
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

static void plot_panel(FILE *gp, const struct plot_data *d, const char *dat,
                       int column, const char *ylabel)
{
    fprintf(gp, "set ylabel '%s'\nplot ", ylabel);
    for (size_t i = 0; i < d->n; i++) {
        fprintf(gp,
                "%s'%s' index %zu using 1:%d with linespoints lw 2 "
                "title '%s'",
                i > 0 ? ", " : "", dat, i, column, d->s[i].label);
    }
    fputc('\n', gp);
}

static void write_script(FILE *gp, const struct plot_data *d, const char *png,
                         const char *dat)
{
    fprintf(gp,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size 900,900\n"
            "} else {\n"
            "  set terminal png size 900,900\n"
            "}\n"
            "set output '%s'\n"
            "set multiplot layout 2,1 title "
            "'rafthttp stream mode: throughput by entry size'\n"
            "set logscale x 2\nset xrange [40:1700000]\nset grid\n"
            "set key top left\n"
            "set xtics ('64 B' 64, '1 KiB' 1024, '16 KiB' 16384, "
            "'256 KiB' 262144, '1 MiB' 1048576)\n"
            "set xlabel 'entry size'\n",
            png);
    plot_panel(gp, d, dat, 3, "MB/s");
    fprintf(gp, "set logscale y 10\n");
    plot_panel(gp, d, dat, 2, "msgs/s");
    fprintf(gp, "unset multiplot\n");
}

/* True if name can stand inside a gnuplot single-quoted string. */
static bool quotable(const char *name)
{
    return strchr(name, '\'') == NULL && strchr(name, '\n') == NULL;
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

static int run_gnuplot(const struct plot_data *d, const char *png,
                       const char *dat)
{
    FILE *gp = popen("gnuplot", "w");
    if (gp == NULL) {
        perror(PROG ": gnuplot");
        return -1;
    }
    write_script(gp, d, png, dat);
    int status = pclose(gp);
    struct stat st;
    if (status != 0 || stat(png, &st) != 0 || st.st_size == 0) {
        fprintf(stderr, PROG ": gnuplot failed to write %s\n", png);
        return -1;
    }
    return 0;
}

/* FILE.png -> FILE.dat; any other name gets ".dat" added. */
static void data_path(const char *png, char *buf, size_t cap)
{
    size_t len = strlen(png);
    if (len > 4 && strcmp(png + len - 4, ".png") == 0) {
        len -= 4;
    }
    snprintf(buf, cap, "%.*s.dat", (int)len, png);
}

int bench_plot_write(const char *png, const struct bench_result *res, size_t n,
                     const char *with_csv)
{
    static struct plot_data d; /* 8 series of 64 points: not the stack */
    char dat[4096];
    memset(&d, 0, sizeof(d));
    data_path(png, dat, sizeof(dat));
    if (!quotable(png) || !quotable(dat)) {
        fprintf(stderr, PROG ": --plot %s: no quotes in the name\n", png);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (res[i].mode == MODE_STREAM) {
            add_point(&d, res[i].tls ? BENCH_IMPL " tls" : BENCH_IMPL,
                      (double)res[i].size, res[i].msgs_per_s, res[i].mb_per_s);
        }
    }
    if ((with_csv != NULL && read_csv(&d, with_csv) != 0) ||
        write_data(&d, dat) != 0) {
        return -1;
    }
    if (!gnuplot_found()) {
        fprintf(stderr,
                PROG ": --plot needs gnuplot, which is not installed "
                     "(Debian: apt-get install gnuplot-nox); the data are "
                     "in %s\n",
                dat);
        return -1;
    }
    return run_gnuplot(&d, png, dat);
}
