/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line of rafthttp-bench, parsed into plain data. Strings point
 * into argv (borrowed for the life of the program).
 */
#ifndef RH_BENCH_OPTIONS_H
#define RH_BENCH_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rafthttp.h"

#include "bench.h"

/* Limits that keep a run inside the library's default budgets. */
#define BENCH_MAX_MSG_SIZE (16u << 20) /* half the per-peer queue */
#define BENCH_MAX_COUNT 1000000000ull
#define BENCH_MAX_WINDOW 1000000ull
#define BENCH_MAX_SNAPSHOT (1ull << 40)
#define BENCH_DEFAULT_BULK_SIZE 16384u /* mixed: MsgApp entry bytes */
#define BENCH_DEFAULT_MIXED_SIZE (1ull << 30)
#define BENCH_DEFAULT_MIXED_COUNT 100u /* mixed: least round trips */

struct bench_opts {
    enum bench_mode mode;
    enum bench_role role; /* ROLE_BOTH unless --peer-url */
    enum bench_format format;
    uint64_t size;        /* entry or snapshot bytes */
    uint64_t count;       /* messages, round trips (rtt, mixed) */
    bool count_given;     /* --count was given (the sweep keeps it) */
    uint64_t window;      /* as asked; the run may clamp it */
    uint64_t bulk_size;   /* mixed: the MsgApp stream's entry bytes */
    const char *listen;   /* external mode: our URL */
    const char *peer_url; /* external mode: the other side's URL */
    uint64_t local_id;
    uint64_t peer_id;
    uint64_t cluster_id;
    bool fsync;    /* the receiver syncs snapshots (not --no-fsync) */
    bool progress; /* a progress line on stderr */
    bool sweep;
    double sweep_scale;            /* multiplies the sweep's counts */
    const char *plot;              /* --plot FILE.png, or NULL */
    const char *plot_with;         /* --plot-with CSV, or NULL */
    const char *plot_with_version; /* its etcd version, or NULL */
    /*
     * Peer TLS (etcd's --peer-* flags): tls.cert_file is set when
     * --peer-cert-file was given, and then every run of this process is
     * over https (--tls-compare: each also over plain HTTP first).
     */
    struct rafthttp_tls tls;
    bool tls_compare;
    uint64_t corrupt_every; /* hidden: every Nth MsgApp gets a wrong index */
    bool help;              /* --help: nothing else was checked */
    bool version;           /* --version: the same */
};

/*
 * Parses argv into *o (defaults first) and checks the combination.
 * Returns 0, or -1 after printing why on stderr (exit with EXIT_USAGE).
 */
int bench_options_parse(struct bench_opts *o, int argc, char **argv);

/* True if the TLS flags were given (--peer-cert-file). */
bool bench_options_tls(const struct bench_opts *o);

/* Prints the usage text. */
void bench_options_usage(FILE *out);

#endif /* RH_BENCH_OPTIONS_H */
