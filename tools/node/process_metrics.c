// SPDX-License-Identifier: Apache-2.0
/*
 * The process metrics of rafthttp-node's /metrics (see process_metrics.h).
 *
 * /proc/self/stat gives, after the command name in parentheses (which may
 * hold spaces and parentheses itself, hence the last ')'), the fields
 * proc(5) numbers from 3: utime (14) and stime (15) in clock ticks,
 * starttime (22) in ticks since boot, vsize (23) in bytes and rss (24) in
 * pages. The start time is the boot time (/proc/stat's btime) plus
 * starttime, as the Go client computes it. The open descriptors are
 * counted as the Go client counts them, the directory's own descriptor
 * included.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "process_metrics.h"

/* What /proc/self/stat and /proc/stat say about us. */
struct proc_stat {
    double cpu_s;       /* utime + stime */
    double start_s;     /* Unix time */
    uint64_t vsize;     /* bytes */
    uint64_t rss_bytes; /* rss pages times the page size */
};

/* Field numbers of proc(5), counted from the state field (3). */
#define STAT_FIRST 3
#define STAT_UTIME 14
#define STAT_STIME 15
#define STAT_STARTTIME 22
#define STAT_VSIZE 23
#define STAT_RSS 24

/* The fields of /proc/self/stat from 4 up to STAT_RSS, in f[number]. */
static int read_stat_fields(uint64_t f[STAT_RSS + 1])
{
    char buf[1024];
    FILE *in = fopen("/proc/self/stat", "r");
    if (in == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    fclose(in);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ' || p[2] == '\0') {
        return -1;
    }
    p += 3; /* the state: one letter, then a space */
    for (int i = STAT_FIRST + 1; i <= STAT_RSS; i++) {
        char *end = NULL;
        f[i] = (uint64_t)strtoll(p, &end, 10);
        if (end == p) {
            return -1;
        }
        p = end;
    }
    return 0;
}

/* The boot time, seconds since the Unix epoch (/proc/stat's btime). */
static int read_boot_time(uint64_t *btime)
{
    FILE *in = fopen("/proc/stat", "r");
    char line[256];
    int rv = -1;
    if (in == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), in) != NULL) {
        if (strncmp(line, "btime ", 6) == 0) {
            *btime = strtoull(line + 6, NULL, 10);
            rv = 0;
            break;
        }
    }
    fclose(in);
    return rv;
}

static int read_proc_stat(struct proc_stat *ps)
{
    uint64_t f[STAT_RSS + 1];
    uint64_t btime;
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    if (ticks <= 0 || page <= 0 || read_stat_fields(f) != 0 ||
        read_boot_time(&btime) != 0) {
        return -1;
    }
    ps->cpu_s = (double)(f[STAT_UTIME] + f[STAT_STIME]) / (double)ticks;
    ps->start_s = (double)btime + (double)f[STAT_STARTTIME] / (double)ticks;
    ps->vsize = f[STAT_VSIZE];
    ps->rss_bytes = f[STAT_RSS] * (uint64_t)page;
    return 0;
}

/* Entries of /proc/self/fd, or -1. */
static long count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    long n = 0;
    if (d == NULL) {
        return -1;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}

/*
 * Appends one metric (HELP, TYPE, sample) to buf at *at (< cap), the
 * value as text; a metric that does not fit is left out.
 */
static void put(char *buf, size_t cap, size_t *at, const char *name,
                const char *type, const char *help, const char *value)
{
    int n =
        snprintf(buf + *at, cap - *at, "# HELP %s %s\n# TYPE %s %s\n%s %s\n",
                 name, help, name, type, name, value);
    if (n < 0 || (size_t)n >= cap - *at) {
        buf[*at] = '\0'; /* no room: left out whole */
        return;
    }
    *at += (size_t)n;
}

/* The fd limits: the soft RLIMIT_NOFILE, unlimited as Go prints it. */
static void put_fds(char *buf, size_t cap, size_t *at)
{
    char v[32];
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur == RLIM_INFINITY) {
            snprintf(v, sizeof(v), "1.8446744073709552e+19");
        } else {
            snprintf(v, sizeof(v), "%" PRIu64, (uint64_t)rl.rlim_cur);
        }
        put(buf, cap, at, "process_max_fds", "gauge",
            "Maximum number of open file descriptors.", v);
    }
    long open_fds = count_open_fds();
    if (open_fds >= 0) {
        snprintf(v, sizeof(v), "%ld", open_fds);
        put(buf, cap, at, "process_open_fds", "gauge",
            "Number of open file descriptors.", v);
    }
}

size_t node_process_metrics(char *buf, size_t cap)
{
    struct proc_stat ps;
    bool have_stat = read_proc_stat(&ps) == 0;
    char v[64];
    size_t at = 0;
    if (cap == 0) {
        return 0;
    }
    buf[0] = '\0';
    if (have_stat) {
        snprintf(v, sizeof(v), "%.2f", ps.cpu_s);
        put(buf, cap, &at, "process_cpu_seconds_total", "counter",
            "Total user and system CPU time spent in seconds.", v);
    }
    put_fds(buf, cap, &at);
    if (have_stat) {
        snprintf(v, sizeof(v), "%" PRIu64, ps.rss_bytes);
        put(buf, cap, &at, "process_resident_memory_bytes", "gauge",
            "Resident memory size in bytes.", v);
        snprintf(v, sizeof(v), "%.2f", ps.start_s);
        put(buf, cap, &at, "process_start_time_seconds", "gauge",
            "Start time of the process since unix epoch in seconds.", v);
        snprintf(v, sizeof(v), "%" PRIu64, ps.vsize);
        put(buf, cap, &at, "process_virtual_memory_bytes", "gauge",
            "Virtual memory size in bytes.", v);
    }
    return at;
}
