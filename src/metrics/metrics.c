// SPDX-License-Identifier: Apache-2.0
/*
 * Metrics: what the transport counts, written out the way etcd's
 * operators already read it. Two texts come out of the same numbers:
 *
 * - The Prometheus text exposition (format 0.0.4) with the families of
 *   etcd's rafthttp/metrics.go: the same names, HELP strings, types,
 *   label names (Local/Remote, To, From) and histogram buckets, so
 *   existing dashboards and alerts work on a C member. Our own families
 *   (rafthttp_*) add what etcd hides: drops by reason and by message
 *   type, and per-peer queue depth. Families come sorted by name and each
 *   sample is `name{labels} value`, as client_golang's Gather and
 *   expfmt write them. Counters and integer gauges are written as
 *   integers (Go writes their float64, e.g. 1.234567e+06: the same value);
 *   histogram bounds and sums as strconv's shortest 'g', which is what Go
 *   writes ("0.0001", "3.2768", "10.1004").
 * - etcd's v2 leader stats JSON (v2stats/leader.go), with the numbers
 *   computed by the same float recurrences as FollowerStats.Succ and
 *   written as encoding/json writes float64 ('f' or 'e', shortest), so
 *   the text matches Go's byte for byte.
 *
 * Both are pure: the caller passes a copy of the numbers and a buffer.
 *
 * Failure modes:
 * 1. The buffer's limit or the allocator fails mid-text: the function
 *    returns the rh_buf error and cuts out back to its old length, so no
 *    half-written exposition is ever served.
 * 2. A deviation that rounding makes slightly negative would give NaN in
 *    Go (and then no JSON at all): it is clamped to 0.
 * 3. NaN or infinite latencies, which Go cannot encode, are written as 0;
 *    in Prometheus text they are legal and written as NaN, +Inf, -Inf.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

const double rh_rtt_bounds[16] = {
    0.0001, 0.0002, 0.0004, 0.0008, 0.0016, 0.0032, 0.0064, 0.0128,
    0.0256, 0.0512, 0.1024, 0.2048, 0.4096, 0.8192, 1.6384, 3.2768};
const double rh_snapshot_bounds[10] = {0.1, 0.2, 0.4,  0.8,  1.6,
                                       3.2, 6.4, 12.8, 25.6, 51.2};

/* ------------------------------------------------------------ numbers */

void rh_histogram_init(struct rh_histogram *h, const double *bounds,
                       size_t n_bounds)
{
    memset(h, 0, sizeof(*h));
    h->bounds = bounds;
    h->n_bounds =
        n_bounds > RH_HIST_MAX_BUCKETS ? RH_HIST_MAX_BUCKETS : n_bounds;
}

void rh_histogram_observe(struct rh_histogram *h, double v)
{
    /* Go's sort.SearchFloat64s: the first bound >= v; NaN goes to +Inf. */
    size_t i = 0;
    while (i < h->n_bounds && !(v <= h->bounds[i])) {
        i++;
    }
    h->counts[i]++;
    h->count++;
    h->sum += v;
}

void rh_follower_stats_init(struct rh_follower_stats *f)
{
    memset(f, 0, sizeof(*f));
    f->min_ms = 9223372036854775808.0; /* Go: Minimum = 1 << 63 */
}

/*
 * FollowerStats.Succ, step for step: Go keeps the mean and the mean of
 * squares and rebuilds the totals from them, so we do the same to land on
 * the same bits. Products stay in their own statements so that no
 * compiler fuses them into an FMA that Go's amd64 code does not use.
 */
void rh_follower_succ(struct rh_follower_stats *f, double latency_ms)
{
    double total = (double)f->success * f->average_ms;
    double total_sq = (double)f->success * f->avg_sq_ms;
    f->success++;
    f->current_ms = latency_ms;
    if (latency_ms > f->max_ms) {
        f->max_ms = latency_ms;
    }
    if (latency_ms < f->min_ms) {
        f->min_ms = latency_ms;
    }
    double square = latency_ms * latency_ms;
    f->average_ms = (total + latency_ms) / (double)f->success;
    f->avg_sq_ms = (total_sq + square) / (double)f->success;
    f->sum_sq_ms += square;
}

void rh_follower_fail(struct rh_follower_stats *f)
{
    f->fail++;
}

/* sqrt(avg(x^2) - avg(x)^2), as Succ computes it, never NaN. */
static double follower_stddev(const struct rh_follower_stats *f)
{
    double mean_sq = f->average_ms * f->average_ms;
    double var = f->avg_sq_ms - mean_sq;
    return var > 0 ? sqrt(var) : 0;
}

void rh_peer_metrics_init(struct rh_peer_metrics *m, uint64_t id)
{
    memset(m, 0, sizeof(*m));
    m->id = id;
    rh_histogram_init(&m->rtt, rh_rtt_bounds, 16);
    rh_histogram_init(&m->snap_send_s, rh_snapshot_bounds, 10);
    rh_histogram_init(&m->snap_recv_s, rh_snapshot_bounds, 10);
    rh_follower_stats_init(&m->follower);
}

/* ------------------------------------------------------ float to text */

/* A finite v > 0 as 0.D * 10^dp, D the shortest digits that read back. */
struct decimal {
    char d[24]; /* digits, no trailing zeros */
    int nd;     /* how many */
    int dp;     /* decimal point position */
};

/* What "D e exp10" reads back as (no '.', so no locale is involved). */
static double decimal_value(const struct decimal *dec, int exp10)
{
    char buf[48];
    snprintf(buf, sizeof(buf), "%.*se%d", dec->nd, dec->d,
             exp10 - (dec->nd - 1));
    return strtod(buf, NULL);
}

/*
 * Splits printf's "%.*e" text into digits and exponent. The character
 * between the first two digits is the locale's decimal point; it is
 * skipped, whatever it is.
 */
static void decimal_from_e(const char *s, struct decimal *dec, int *exp10)
{
    dec->nd = 0;
    for (; *s != '\0' && *s != 'e'; s++) {
        if (*s >= '0' && *s <= '9' && dec->nd < (int)sizeof(dec->d)) {
            dec->d[dec->nd++] = *s;
        }
    }
    *exp10 = (int)strtol(*s == 'e' ? s + 1 : s, NULL, 10);
}

/* The next decimal up with as many digits ("199" to "200", "99" to "10"). */
static void decimal_next_up(struct decimal *dec, int *exp10)
{
    int i = dec->nd - 1;
    while (i >= 0 && dec->d[i] == '9') {
        dec->d[i--] = '0';
    }
    if (i >= 0) {
        dec->d[i]++;
    } else {
        dec->d[0] = '1';
        (*exp10)++;
    }
}

/*
 * Go's strconv shortest digits: the fewest that read back as v. printf
 * gives the nearest p digits; when that misses, the next p-digit decimal
 * up may still hit, because below a power of two the gap to the next
 * double down is half the gap up (2^-1017 is 7.120236347223045e-307,
 * where the nearest 16 digits miss). 17 digits always hit.
 */
static void decimal_shortest(double v, struct decimal *dec)
{
    char buf[48];
    int exp10 = 0;
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
        decimal_from_e(buf, dec, &exp10);
        double back = decimal_value(dec, exp10);
        if (back == v) {
            break;
        }
        if (back < v) {
            decimal_next_up(dec, &exp10);
            if (decimal_value(dec, exp10) == v) {
                break;
            }
        }
    }
    while (dec->nd > 1 && dec->d[dec->nd - 1] == '0') {
        dec->nd--;
    }
    dec->dp = exp10 + 1;
}

/* A short text being built. */
struct numtext {
    char s[64];
    size_t n;
};

static void num_putc(struct numtext *t, char c)
{
    if (t->n < sizeof(t->s) - 1) {
        t->s[t->n++] = c;
    }
}

/* strconv's fmtE: d.ddde+XX or d.ddde-XX with prec digits after the point. */
static void num_fmt_e(struct numtext *t, const struct decimal *dec, int prec)
{
    num_putc(t, dec->d[0]);
    if (prec > 0) {
        num_putc(t, '.');
        for (int i = 1; i <= prec; i++) {
            num_putc(t, i < dec->nd ? dec->d[i] : '0');
        }
    }
    int exp = dec->dp - 1;
    num_putc(t, 'e');
    num_putc(t, exp < 0 ? '-' : '+');
    exp = exp < 0 ? -exp : exp;
    if (exp >= 100) {
        num_putc(t, (char)('0' + exp / 100));
    }
    num_putc(t, (char)('0' + exp / 10 % 10));
    num_putc(t, (char)('0' + exp % 10));
}

/* strconv's fmtF: the integer part, then prec digits after the point. */
static void num_fmt_f(struct numtext *t, const struct decimal *dec, int prec)
{
    if (dec->dp > 0) {
        for (int i = 0; i < dec->dp; i++) {
            num_putc(t, i < dec->nd ? dec->d[i] : '0');
        }
    } else {
        num_putc(t, '0');
    }
    if (prec > 0) {
        num_putc(t, '.');
        for (int i = 0; i < prec; i++) {
            int j = dec->dp + i;
            num_putc(t, j >= 0 && j < dec->nd ? dec->d[j] : '0');
        }
    }
}

/* expfmt's writeFloat: strconv.FormatFloat(v, 'g', -1, 64) and specials. */
static void num_go_g(struct numtext *t, double v)
{
    t->n = 0;
    if (v != v) {
        num_putc(t, 'N');
        num_putc(t, 'a');
        num_putc(t, 'N');
    } else if (v == 0) {
        num_putc(t, '0');
    } else if (isinf(v)) {
        num_putc(t, v > 0 ? '+' : '-');
        num_putc(t, 'I');
        num_putc(t, 'n');
        num_putc(t, 'f');
    } else {
        struct decimal dec;
        if (v < 0) {
            num_putc(t, '-');
        }
        decimal_shortest(fabs(v), &dec);
        int exp = dec.dp - 1;
        if (exp < -4 || exp >= 6) { /* Go's eprec for shortest 'g' */
            num_fmt_e(t, &dec, dec.nd - 1);
        } else {
            num_fmt_f(t, &dec, dec.nd > dec.dp ? dec.nd - dec.dp : 0);
        }
    }
    t->s[t->n] = '\0';
}

/* encoding/json's floatEncoder for float64 ('f', or 'e' when far out). */
static void num_go_json(struct numtext *t, double v)
{
    t->n = 0;
    if (v != v || isinf(v) || v == 0) {
        if (v == 0 && signbit(v)) {
            num_putc(t, '-');
        }
        num_putc(t, '0');
        t->s[t->n] = '\0';
        return;
    }
    struct decimal dec;
    if (v < 0) {
        num_putc(t, '-');
    }
    double a = fabs(v);
    decimal_shortest(a, &dec);
    if (a < 1e-6 || a >= 1e21) {
        num_fmt_e(t, &dec, dec.nd - 1);
        /* json's clean-up: e-07 becomes e-7. */
        if (t->n >= 4 && t->s[t->n - 4] == 'e' && t->s[t->n - 3] == '-' &&
            t->s[t->n - 2] == '0') {
            t->s[t->n - 2] = t->s[t->n - 1];
            t->n--;
        }
    } else {
        num_fmt_f(t, &dec, dec.nd > dec.dp ? dec.nd - dec.dp : 0);
    }
    t->s[t->n] = '\0';
}

/* ------------------------------------------------------------- output */

/* An append target whose first error sticks, so callers check once. */
struct out {
    struct rh_buf *b;
    int err;
};

static void put(struct out *o, const char *s)
{
    if (o->err == 0) {
        o->err = rh_buf_append(o->b, s, strlen(s));
    }
}

static void put_u64(struct out *o, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    put(o, buf);
}

static void put_g(struct out *o, double v)
{
    struct numtext t;
    num_go_g(&t, v);
    put(o, t.s);
}

static void put_json_num(struct out *o, double v)
{
    struct numtext t;
    num_go_json(&t, v);
    put(o, t.s);
}

static void put_json_id(struct out *o, uint64_t id)
{
    char buf[RAFTHTTP_ID_STRLEN];
    put(o, "\"");
    put(o, rafthttp_id_format(id, buf));
    put(o, "\"");
}

/* ------------------------------------------------------- Prometheus */

enum fam_type { FAM_COUNTER, FAM_GAUGE, FAM_HISTOGRAM };

/* Whose samples a family holds, and under which labels. */
enum fam_labels {
    LABELS_LOCAL_REMOTE, /* one per peer: Local=<us>, Remote=<peer> */
    LABELS_TO,           /* one per peer: To=<peer> */
    LABELS_FROM,         /* one per peer: From=<peer> */
    LABELS_REASON,       /* transport-wide, one per drop reason */
    LABELS_MSG_TYPE      /* transport-wide, one per message type */
};

/* Which number of struct rh_peer_metrics a family shows. */
enum fam_value {
    V_ACTIVE,
    V_DISCONNECTS,
    V_RECEIVED_BYTES,
    V_RECEIVED_FAILURES,
    V_RTT,
    V_SENT_BYTES,
    V_SENT_FAILURES,
    V_SNAP_RECV_FAILURES,
    V_SNAP_RECV_INFLIGHT,
    V_SNAP_RECV_SUCCESS,
    V_SNAP_RECV_S,
    V_SNAP_SEND_FAILURES,
    V_SNAP_SEND_INFLIGHT,
    V_SNAP_SEND_SUCCESS,
    V_SNAP_SEND_S,
    V_DROPPED,
    V_QUEUED_BYTES,
    V_QUEUED_MSGS,
    V_MSGAPP_QUEUED,
    V_MESSAGE_QUEUED,
    V_NONE
};

struct family {
    const char *name;
    const char *help; /* etcd's words for etcd's families */
    enum fam_type type;
    enum fam_labels labels;
    enum fam_value value;
};

/* In name order, as Gather sorts them. */
static const struct family families[] = {
    {"etcd_network_active_peers",
     "The current number of active peer connections.", FAM_GAUGE,
     LABELS_LOCAL_REMOTE, V_ACTIVE},
    {"etcd_network_disconnected_peers_total",
     "The total number of disconnected peers.", FAM_COUNTER,
     LABELS_LOCAL_REMOTE, V_DISCONNECTS},
    {"etcd_network_peer_received_bytes_total",
     "The total number of bytes received from peers.", FAM_COUNTER, LABELS_FROM,
     V_RECEIVED_BYTES},
    {"etcd_network_peer_received_failures_total",
     "The total number of receive failures from peers.", FAM_COUNTER,
     LABELS_FROM, V_RECEIVED_FAILURES},
    {"etcd_network_peer_round_trip_time_seconds",
     "Round-Trip-Time histogram between peers", FAM_HISTOGRAM, LABELS_TO,
     V_RTT},
    {"etcd_network_peer_sent_bytes_total",
     "The total number of bytes sent to peers.", FAM_COUNTER, LABELS_TO,
     V_SENT_BYTES},
    {"etcd_network_peer_sent_failures_total",
     "The total number of send failures from peers.", FAM_COUNTER, LABELS_TO,
     V_SENT_FAILURES},
    {"etcd_network_snapshot_receive_failures",
     "Total number of snapshot receive failures", FAM_COUNTER, LABELS_FROM,
     V_SNAP_RECV_FAILURES},
    {"etcd_network_snapshot_receive_inflights_total",
     "Total number of inflight snapshot receives", FAM_GAUGE, LABELS_FROM,
     V_SNAP_RECV_INFLIGHT},
    {"etcd_network_snapshot_receive_success",
     "Total number of successful snapshot receives", FAM_COUNTER, LABELS_FROM,
     V_SNAP_RECV_SUCCESS},
    {"etcd_network_snapshot_receive_total_duration_seconds",
     "Total latency distributions of v3 snapshot receives", FAM_HISTOGRAM,
     LABELS_FROM, V_SNAP_RECV_S},
    {"etcd_network_snapshot_send_failures",
     "Total number of snapshot send failures", FAM_COUNTER, LABELS_TO,
     V_SNAP_SEND_FAILURES},
    {"etcd_network_snapshot_send_inflights_total",
     "Total number of inflight snapshot sends", FAM_GAUGE, LABELS_TO,
     V_SNAP_SEND_INFLIGHT},
    {"etcd_network_snapshot_send_success",
     "Total number of successful snapshot sends", FAM_COUNTER, LABELS_TO,
     V_SNAP_SEND_SUCCESS},
    {"etcd_network_snapshot_send_total_duration_seconds",
     "Total latency distributions of v3 snapshot sends", FAM_HISTOGRAM,
     LABELS_TO, V_SNAP_SEND_S},
    {"rafthttp_dropped_messages_by_type_total",
     "Total number of raft messages dropped, by message type.", FAM_COUNTER,
     LABELS_MSG_TYPE, V_NONE},
    {"rafthttp_dropped_messages_total",
     "Total number of raft messages dropped, by reason.", FAM_COUNTER,
     LABELS_REASON, V_NONE},
    {"rafthttp_message_stream_queued_bytes",
     "Bytes queued on the message stream to a peer, not yet written.",
     FAM_GAUGE, LABELS_TO, V_MESSAGE_QUEUED},
    {"rafthttp_msgapp_stream_queued_bytes",
     "Bytes queued on the msgapp stream to a peer, not yet written.", FAM_GAUGE,
     LABELS_TO, V_MSGAPP_QUEUED},
    {"rafthttp_peer_dropped_messages_total",
     "Total number of messages to a peer that were dropped.", FAM_COUNTER,
     LABELS_TO, V_DROPPED},
    {"rafthttp_peer_queued_bytes",
     "Bytes queued for a peer and not yet written.", FAM_GAUGE, LABELS_TO,
     V_QUEUED_BYTES},
    {"rafthttp_peer_queued_messages",
     "Messages queued for a peer and not yet written.", FAM_GAUGE, LABELS_TO,
     V_QUEUED_MSGS},

};

/* The label pairs of one sample, without the closing brace. */
struct labels {
    const char *name[2];
    const char *value[2];
    size_t n;
};

static void put_labels_open(struct out *o, const struct labels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        put(o, i == 0 ? "{" : ",");
        put(o, l->name[i]);
        put(o, "=\"");
        put(o, l->value[i]);
        put(o, "\"");
    }
}

static void put_sample(struct out *o, const char *name, const char *suffix,
                       const struct labels *l, uint64_t v)
{
    put(o, name);
    put(o, suffix);
    put_labels_open(o, l);
    put(o, l->n > 0 ? "} " : " ");
    put_u64(o, v);
    put(o, "\n");
}

/* _bucket lines (cumulative, le as Go prints it, +Inf last), _sum, _count. */
static void put_histogram(struct out *o, const char *name,
                          const struct labels *l, const struct rh_histogram *h)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i < h->n_bounds; i++) {
        cumulative += h->counts[i];
        put(o, name);
        put(o, "_bucket");
        put_labels_open(o, l);
        put(o, ",le=\"");
        put_g(o, h->bounds[i]);
        put(o, "\"} ");
        put_u64(o, cumulative);
        put(o, "\n");
    }
    put(o, name);
    put(o, "_bucket");
    put_labels_open(o, l);
    put(o, ",le=\"+Inf\"} ");
    put_u64(o, h->count);
    put(o, "\n");
    put(o, name);
    put(o, "_sum");
    put_labels_open(o, l);
    put(o, "} ");
    put_g(o, h->sum);
    put(o, "\n");
    put_sample(o, name, "_count", l, h->count);
}

static const struct rh_histogram *
peer_histogram(const struct rh_peer_metrics *m, enum fam_value v)
{
    switch (v) {
    case V_RTT:
        return &m->rtt;
    case V_SNAP_RECV_S:
        return &m->snap_recv_s;
    default:
        return &m->snap_send_s;
    }
}

static uint64_t peer_value(const struct rh_peer_metrics *m, enum fam_value v)
{
    switch (v) {
    case V_ACTIVE:
        return m->active ? 1 : 0;
    case V_DISCONNECTS:
        return m->disconnects;
    case V_RECEIVED_BYTES:
        return m->received_bytes;
    case V_RECEIVED_FAILURES:
        return m->received_failures;
    case V_SENT_BYTES:
        return m->sent_bytes;
    case V_SENT_FAILURES:
        return m->sent_failures;
    case V_SNAP_RECV_FAILURES:
        return m->snap_recv_failures;
    case V_SNAP_RECV_INFLIGHT:
        return m->snap_recv_inflight;
    case V_SNAP_RECV_SUCCESS:
        return m->snap_recv_success;
    case V_SNAP_SEND_FAILURES:
        return m->snap_send_failures;
    case V_SNAP_SEND_INFLIGHT:
        return m->snap_send_inflight;
    case V_SNAP_SEND_SUCCESS:
        return m->snap_send_success;
    case V_DROPPED:
        return m->dropped;
    case V_QUEUED_BYTES:
        return (uint64_t)m->queued_bytes;
    case V_QUEUED_MSGS:
        return m->queued_msgs;
    case V_MSGAPP_QUEUED:
        return (uint64_t)m->msgapp_queued;
    case V_MESSAGE_QUEUED:
        return (uint64_t)m->message_queued;
    default:
        return 0;
    }
}

/* Starts l with Local="<local>" when samples need it (several members). */
static void label_local(struct labels *l, bool needed, const char *us)
{
    l->n = 0;
    if (needed) {
        l->name[0] = "Local";
        l->value[0] = us;
        l->n = 1;
    }
}

/* One peer's sample(s) of family f. */
static void put_peer(struct out *o, const struct family *f,
                     const struct rh_peer_metrics *m, uint64_t local,
                     bool several)
{
    char us[RAFTHTTP_ID_STRLEN];
    char them[RAFTHTTP_ID_STRLEN];
    struct labels l;
    rafthttp_id_format(local, us);
    rafthttp_id_format(m->id, them);
    if (f->labels == LABELS_LOCAL_REMOTE) {
        l = (struct labels){{"Local", "Remote"}, {us, them}, 2};
    } else {
        label_local(&l, several, us);
        l.name[l.n] = f->labels == LABELS_TO ? "To" : "From";
        l.value[l.n++] = them;
    }
    if (f->type == FAM_HISTOGRAM) {
        put_histogram(o, f->name, &l, peer_histogram(m, f->value));
    } else {
        put_sample(o, f->name, "", &l, peer_value(m, f->value));
    }
}

/* The transport-wide drop counters of family f. */
static void put_drops(struct out *o, const struct family *f,
                      const struct rafthttp_stats *st, uint64_t local,
                      bool several)
{
    char us[RAFTHTTP_ID_STRLEN];
    rafthttp_id_format(local, us);
    bool by_reason = f->labels == LABELS_REASON;
    int n = by_reason ? RAFTHTTP_DROP_REASONS : RAFTHTTP_MSG_TYPE_COUNT + 1;
    for (int i = 0; i < n; i++) {
        const char *name =
            by_reason ? rh_drop_reason_name(i) : rh_msg_type_name(i);
        struct labels l;
        label_local(&l, several, us);
        l.name[l.n] = by_reason ? "reason" : "type";
        l.value[l.n++] = name != NULL ? name : "other";
        put_sample(o, f->name, "", &l,
                   by_reason ? st->dropped[i] : st->dropped_by_type[i]);
    }
}

static const char *fam_type_name(enum fam_type t)
{
    return t == FAM_COUNTER ? "counter"
           : t == FAM_GAUGE ? "gauge"
                            : "histogram";
}

/* Whether any source has samples for family f. */
static bool family_has_samples(const struct family *f,
                               const struct rh_metrics_source *src, size_t n)
{
    bool global = f->labels == LABELS_REASON || f->labels == LABELS_MSG_TYPE;
    for (size_t i = 0; i < n; i++) {
        if (global ? src[i].stats != NULL : src[i].n_peers > 0) {
            return true;
        }
    }
    return false;
}

static void put_family(struct out *o, const struct family *f,
                       const struct rh_metrics_source *src, size_t n)
{
    bool global = f->labels == LABELS_REASON || f->labels == LABELS_MSG_TYPE;
    bool several = n > 1;
    put(o, "# HELP ");
    put(o, f->name);
    put(o, " ");
    put(o, f->help);
    put(o, "\n# TYPE ");
    put(o, f->name);
    put(o, " ");
    put(o, fam_type_name(f->type));
    put(o, "\n");
    for (size_t i = 0; i < n; i++) {
        const struct rh_metrics_source *s = &src[i];
        if (global && s->stats != NULL) {
            put_drops(o, f, s->stats, s->local, several);
        }
        for (size_t k = 0; !global && k < s->n_peers; k++) {
            put_peer(o, f, &s->peers[k], s->local, several);
        }
    }
}

int rh_metrics_format_many(const struct rh_metrics_source *src, size_t n,
                           struct rh_buf *out)
{
    struct out o = {out, 0};
    size_t start = out->len;
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        if (family_has_samples(&families[i], src, n)) {
            put_family(&o, &families[i], src, n);
        }
    }
    if (o.err != 0) {
        out->len = start;
    }
    return o.err;
}

int rh_metrics_format(const struct rh_peer_metrics *peers, size_t n,
                      uint64_t local, const struct rafthttp_stats *stats,
                      struct rh_buf *out)
{
    struct rh_metrics_source one = {local, peers, n, stats};
    return rh_metrics_format_many(&one, 1, out);
}

/* --------------------------------------------------------- leader JSON */

static void put_follower(struct out *o, const struct rh_follower_stats *f)
{
    put(o, "{\"latency\":{\"current\":");
    put_json_num(o, f->current_ms);
    put(o, ",\"average\":");
    put_json_num(o, f->average_ms);
    put(o, ",\"standardDeviation\":");
    put_json_num(o, follower_stddev(f));
    put(o, ",\"minimum\":");
    put_json_num(o, f->min_ms);
    put(o, ",\"maximum\":");
    put_json_num(o, f->max_ms);
    put(o, "},\"counts\":{\"fail\":");
    put_u64(o, f->fail);
    put(o, ",\"success\":");
    put_u64(o, f->success);
    put(o, "}}");
}

/*
 * The peer whose hex key comes first after prev (NULL: the very first),
 * in byte order as Go sorts map keys; NULL when none is left. Quadratic,
 * which is nothing for a cluster's handful of members and needs no memory.
 */
static const struct rh_peer_metrics *
next_by_key(const struct rh_peer_metrics *peers, size_t n, const char *prev,
            char key[RAFTHTTP_ID_STRLEN])
{
    const struct rh_peer_metrics *best = NULL;
    char cand[RAFTHTTP_ID_STRLEN];
    for (size_t i = 0; i < n; i++) {
        rafthttp_id_format(peers[i].id, cand);
        if (prev != NULL && strcmp(cand, prev) <= 0) {
            continue;
        }
        if (best == NULL || strcmp(cand, key) < 0) {
            best = &peers[i];
            memcpy(key, cand, sizeof(cand));
        }
    }
    return best;
}

int rh_leader_stats_format(uint64_t leader, const struct rh_peer_metrics *peers,
                           size_t n, struct rh_buf *out)
{
    struct out o = {out, 0};
    size_t start = out->len;
    char prev[RAFTHTTP_ID_STRLEN];
    char key[RAFTHTTP_ID_STRLEN];
    put(&o, "{\"leader\":");
    put_json_id(&o, leader);
    put(&o, ",\"followers\":{");
    const struct rh_peer_metrics *m = next_by_key(peers, n, NULL, key);
    for (bool first = true; m != NULL; first = false) {
        put(&o, first ? "\"" : ",\"");
        put(&o, key);
        put(&o, "\":");
        put_follower(&o, &m->follower);
        memcpy(prev, key, sizeof(prev));
        m = next_by_key(peers, n, prev, key);
    }
    put(&o, "}}");
    if (o.err != 0) {
        out->len = start;
    }
    return o.err;
}
