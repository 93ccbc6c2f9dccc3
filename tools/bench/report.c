// SPDX-License-Identifier: Apache-2.0
/*
 * One table of fields drives both machine formats: each field formats its
 * value or says it does not apply, the JSON writer leaves those out and
 * the CSV writer leaves them empty, so the two never disagree on names or
 * on what applies. The human table is its own layout.
 *
 * "tls" came after the spec's fields and stays last, so that a CSV
 * consumer that knows the columns by position keeps reading them (JSON:
 * true or false, unquoted; CSV: the same words).
 */
#include <inttypes.h>
#include <stdio.h>

#include "report.h"

/* Formats a field into buf; false when it does not apply to the run. */
typedef bool (*field_fmt_fn)(const struct bench_result *r, char *buf,
                             size_t cap);

struct field {
    const char *name;
    bool quoted; /* a JSON string */
    field_fmt_fn fmt;
};

static bool fmt_u64(uint64_t v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%" PRIu64, v);
    return true;
}

static bool fmt_double(double v, int decimals, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*f", decimals, v);
    return true;
}

static double per_msg_us(double secs, uint64_t msgs)
{
    return msgs > 0 ? secs * 1e6 / (double)msgs : 0;
}

static bool f_impl(const struct bench_result *r, char *buf, size_t cap)
{
    (void)r;
    snprintf(buf, cap, "%s", BENCH_IMPL);
    return true;
}

static bool f_mode(const struct bench_result *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", bench_mode_name(r->mode));
    return true;
}

static bool f_role(const struct bench_result *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", bench_role_name(r->role));
    return true;
}

static bool f_size(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_size && fmt_u64(r->size, buf, cap);
}

static bool f_count(const struct bench_result *r, char *buf, size_t cap)
{
    return fmt_u64(r->count, buf, cap);
}

static bool f_window(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_window && fmt_u64(r->window, buf, cap);
}

static bool f_secs(const struct bench_result *r, char *buf, size_t cap)
{
    return fmt_double(r->secs, 4, buf, cap);
}

static bool f_delivered(const struct bench_result *r, char *buf, size_t cap)
{
    return fmt_u64(r->delivered, buf, cap);
}

static bool f_dropped(const struct bench_result *r, char *buf, size_t cap)
{
    return fmt_u64(r->dropped, buf, cap);
}

static bool f_bad(const struct bench_result *r, char *buf, size_t cap)
{
    return fmt_u64(r->bad, buf, cap);
}

static bool f_msgs_per_s(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_rate && fmt_double(r->msgs_per_s, 1, buf, cap);
}

static bool f_mb_per_s(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_mb && fmt_double(r->mb_per_s, 2, buf, cap);
}

static bool f_p50(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_latency && fmt_double(r->p50_us, 1, buf, cap);
}

static bool f_p99(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_latency && fmt_double(r->p99_us, 1, buf, cap);
}

static bool f_p999(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_latency && fmt_double(r->p999_us, 1, buf, cap);
}

static bool f_max(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_latency && fmt_double(r->max_us, 1, buf, cap);
}

static bool f_cpu_s(const struct bench_result *r, char *buf, size_t cap)
{
    return fmt_double(r->cpu_s, 3, buf, cap);
}

static bool f_cpu_msg(const struct bench_result *r, char *buf, size_t cap)
{
    return fmt_double(per_msg_us(r->cpu_s, r->cpu_msgs), 3, buf, cap);
}

static bool f_cpu_send(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_cpu_send &&
           fmt_double(per_msg_us(r->cpu_send_s, r->cpu_msgs), 3, buf, cap);
}

static bool f_cpu_recv(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_cpu_recv &&
           fmt_double(per_msg_us(r->cpu_recv_s, r->cpu_msgs), 3, buf, cap);
}

static bool f_rss(const struct bench_result *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%ld", r->peak_rss_kb);
    return true;
}

static bool f_snap_bytes(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_snap && fmt_u64(r->snap_bytes, buf, cap);
}

static bool f_snap_secs(const struct bench_result *r, char *buf, size_t cap)
{
    return r->has_snap && fmt_double(r->snap_secs, 4, buf, cap);
}

static bool f_tls(const struct bench_result *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", r->tls ? "true" : "false");
    return true;
}

static bool f_snap_mb(const struct bench_result *r, char *buf, size_t cap)
{
    double rate =
        r->snap_secs > 0 ? (double)r->snap_bytes / r->snap_secs / 1e6 : 0;
    return r->has_snap && fmt_double(rate, 2, buf, cap);
}

static const struct field fields[] = {
    {"impl", true, f_impl},
    {"mode", true, f_mode},
    {"role", true, f_role},
    {"size", false, f_size},
    {"count", false, f_count},
    {"window", false, f_window},
    {"secs", false, f_secs},
    {"delivered", false, f_delivered},
    {"dropped", false, f_dropped},
    {"bad", false, f_bad},
    {"msgs_per_s", false, f_msgs_per_s},
    {"mb_per_s", false, f_mb_per_s},
    {"p50_us", false, f_p50},
    {"p99_us", false, f_p99},
    {"p999_us", false, f_p999},
    {"max_us", false, f_max},
    {"cpu_s", false, f_cpu_s},
    {"cpu_us_per_msg", false, f_cpu_msg},
    {"cpu_us_per_msg_send", false, f_cpu_send},
    {"cpu_us_per_msg_recv", false, f_cpu_recv},
    {"peak_rss_kb", false, f_rss},
    {"snap_bytes", false, f_snap_bytes},
    {"snap_secs", false, f_snap_secs},
    {"snap_mb_per_s", false, f_snap_mb},
    {"tls", false, f_tls},
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static void json_row(FILE *out, const struct bench_result *r)
{
    char buf[64];
    const char *sep = "";
    fputc('{', out);
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (!fields[i].fmt(r, buf, sizeof(buf))) {
            continue;
        }
        const char *q = fields[i].quoted ? "\"" : "";
        fprintf(out, "%s\"%s\":%s%s%s", sep, fields[i].name, q, buf, q);
        sep = ",";
    }
    fputs("}\n", out);
}

static void csv_header(FILE *out)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        fprintf(out, "%s%s", i > 0 ? "," : "", fields[i].name);
    }
    fputc('\n', out);
}

static void csv_row(FILE *out, const struct bench_result *r)
{
    char buf[64];
    for (size_t i = 0; i < N_FIELDS; i++) {
        bool applies = fields[i].fmt(r, buf, sizeof(buf));
        fprintf(out, "%s%s", i > 0 ? "," : "", applies ? buf : "");
    }
    fputc('\n', out);
}

/* 64B, 16KiB, 1GiB; other sizes in bytes. */
static void human_size(uint64_t v, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    while (u + 1 < sizeof(units) / sizeof(units[0]) && v >= 1024 &&
           v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    snprintf(buf, cap, "%" PRIu64 "%s", v, units[u]);
}

static void table_header(FILE *out)
{
    fprintf(out,
            "%-8s %-4s %-3s %7s %9s %5s %8s %11s %9s %8s %8s %8s %8s %8s "
            "%8s %8s %8s %6s %5s\n",
            "mode", "role", "tls", "size", "count", "win", "secs", "msgs/s",
            "MB/s", "p50_us", "p99_us", "p999_us", "max_us", "cpu_s",
            "us/m_snd", "us/m_rcv", "rss_MiB", "drop", "bad");
}

/* A cell of the table: value or "-". */
static const char *cell(bool applies, double v, int decimals, char *buf,
                        size_t cap)
{
    if (!applies) {
        return "-";
    }
    snprintf(buf, cap, "%.*f", decimals, v);
    return buf;
}

static void table_row(FILE *out, const struct bench_result *r)
{
    char size[24] = "-";
    char c[9][32];
    if (r->has_size) {
        human_size(r->size, size, sizeof(size));
    }
    fprintf(out,
            "%-8s %-4s %-3s %7s %9" PRIu64
            " %5s %8.3f %11s %9s %8s %8s %8s %8s "
            "%8.3f %8s %8s %8.1f %6" PRIu64 " %5" PRIu64 "\n",
            bench_mode_name(r->mode), bench_role_name(r->role),
            r->tls ? "yes" : "no", size, r->count,
            cell(r->has_window, (double)r->window, 0, c[0], sizeof(c[0])),
            r->secs, cell(r->has_rate, r->msgs_per_s, 0, c[1], sizeof(c[1])),
            cell(r->has_mb, r->mb_per_s, 1, c[2], sizeof(c[2])),
            cell(r->has_latency, r->p50_us, 1, c[3], sizeof(c[3])),
            cell(r->has_latency, r->p99_us, 1, c[4], sizeof(c[4])),
            cell(r->has_latency, r->p999_us, 1, c[5], sizeof(c[5])),
            cell(r->has_latency, r->max_us, 1, c[6], sizeof(c[6])), r->cpu_s,
            cell(r->has_cpu_send, per_msg_us(r->cpu_send_s, r->cpu_msgs), 2,
                 c[7], sizeof(c[7])),
            cell(r->has_cpu_recv, per_msg_us(r->cpu_recv_s, r->cpu_msgs), 2,
                 c[8], sizeof(c[8])),
            (double)r->peak_rss_kb / 1024.0, r->dropped, r->bad);
}

/* Mixed mode's second line: what the latencies were measured under. */
static void table_mixed(FILE *out, const struct bench_result *r)
{
    char size[24];
    human_size(r->snap_bytes, size, sizeof(size));
    fprintf(out,
            "  meanwhile: MsgApp %" PRIu64 " delivered (%.0f msgs/s, "
            "%.1f MB/s); snapshot %s in %.3f s (%.1f MB/s)\n",
            r->delivered, r->msgs_per_s, r->mb_per_s, size, r->snap_secs,
            r->snap_secs > 0 ? (double)r->snap_bytes / r->snap_secs / 1e6 : 0);
}

void bench_report_begin(FILE *out, enum bench_format format)
{
    if (format == FORMAT_TABLE) {
        table_header(out);
    } else if (format == FORMAT_CSV) {
        csv_header(out);
    }
    fflush(out);
}

void bench_report_row(FILE *out, enum bench_format format,
                      const struct bench_result *res)
{
    switch (format) {
    case FORMAT_JSON:
        json_row(out, res);
        break;
    case FORMAT_CSV:
        csv_row(out, res);
        break;
    case FORMAT_TABLE:
        table_row(out, res);
        if (res->has_snap) {
            table_mixed(out, res);
        }
        break;
    }
    fflush(out);
}
