/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The result of one run and its three renderings: a human table (a row
 * per run under one header), one JSON object per line, or CSV (a header
 * line, then a row per run). Keys and columns are the shared spec's, so
 * that gobench's output reads the same; fields that do not apply to a
 * mode are left out of the JSON and empty in the CSV.
 */
#ifndef RH_BENCH_REPORT_H
#define RH_BENCH_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

struct bench_result {
    enum bench_mode mode;
    enum bench_role role;
    bool tls;      /* over https (peer TLS) */
    bool has_size; /* size applies (not rtt) */
    uint64_t size;
    uint64_t count;
    bool has_window; /* stream, pipeline, mixed */
    uint64_t window; /* as used, after any clamp */
    double secs;
    uint64_t delivered;
    uint64_t dropped;
    uint64_t bad;
    bool has_rate; /* msgs_per_s applies */
    double msgs_per_s;
    bool has_mb; /* mb_per_s applies */
    double mb_per_s;
    bool has_latency;
    double p50_us;
    double p99_us;
    double p999_us;
    double max_us;
    double cpu_s;      /* process user+sys during the run */
    uint64_t cpu_msgs; /* what "per message" divides by */
    bool has_cpu_send;
    double cpu_send_s;
    bool has_cpu_recv;
    double cpu_recv_s;
    long peak_rss_kb;
    bool has_snap; /* mixed: the snapshot that ran meanwhile */
    uint64_t snap_bytes;
    double snap_secs;
};

/* Before the first row: the table's or the CSV's header. */
void bench_report_begin(FILE *out, enum bench_format format);
void bench_report_row(FILE *out, enum bench_format format,
                      const struct bench_result *res);

#endif /* RH_BENCH_REPORT_H */
