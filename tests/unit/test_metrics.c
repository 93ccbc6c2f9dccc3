// SPDX-License-Identifier: Apache-2.0
/*
 * Metrics and stats text: histogram buckets as client_golang fills them
 * (a value equal to a bound goes in that bound's bucket), the Prometheus
 * exposition of two peers checked line by line by a small parser here
 * (shape of every line, HELP and TYPE per family, label names, cumulative
 * buckets ending in +Inf equal to _count, the exact list of family names)
 * and byte for byte against what client_golang's expfmt writes for the
 * same numbers, and etcd's v2 leader stats JSON: the example of
 * wire-protocol.md 8.3, FollowerStats arithmetic and Go's float64 text,
 * all checked against output of the Go code.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testlib.h"
#include "metrics/metrics.h"

/*
 * client_golang 1.x (Debian's, the one etcd 3.4 builds with) with etcd's
 * metric definitions, after the updates make_peers() below makes, written
 * by expfmt.MetricFamilyToText for each gathered family. Counters and
 * gauges stay under 1e6, where Go's float text and our integers agree.
 */
static const char go_exposition[] =
    "# HELP etcd_network_active_peers The current number of active peer conne"
    "ctions.\n"
    "# TYPE etcd_network_active_peers gauge\n"
    "etcd_network_active_peers{Local=\"1\",Remote=\"2\"} 1\n"
    "etcd_network_active_peers{Local=\"1\",Remote=\"3\"} 0\n"
    "# HELP etcd_network_disconnected_peers_total The total number of disconn"
    "ected peers.\n"
    "# TYPE etcd_network_disconnected_peers_total counter\n"
    "etcd_network_disconnected_peers_total{Local=\"1\",Remote=\"2\"} 1\n"
    "etcd_network_disconnected_peers_total{Local=\"1\",Remote=\"3\"} 4\n"
    "# HELP etcd_network_peer_received_bytes_total The total number of bytes "
    "received from peers.\n"
    "# TYPE etcd_network_peer_received_bytes_total counter\n"
    "etcd_network_peer_received_bytes_total{From=\"2\"} 654321\n"
    "etcd_network_peer_received_bytes_total{From=\"3\"} 77\n"
    "# HELP etcd_network_peer_received_failures_total The total number of rec"
    "eive failures from peers.\n"
    "# TYPE etcd_network_peer_received_failures_total counter\n"
    "etcd_network_peer_received_failures_total{From=\"2\"} 3\n"
    "etcd_network_peer_received_failures_total{From=\"3\"} 0\n"
    "# HELP etcd_network_peer_round_trip_time_seconds Round-Trip-Time histogr"
    "am between peers\n"
    "# TYPE etcd_network_peer_round_trip_time_seconds histogram\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0001\"}"
    " 0\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0002\"}"
    " 0\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0004\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0008\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0016\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0032\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0064\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0128\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0256\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.0512\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.1024\"}"
    " 2\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.2048\"}"
    " 2\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.4096\"}"
    " 2\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"0.8192\"}"
    " 2\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"1.6384\"}"
    " 2\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"3.2768\"}"
    " 2\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"2\",le=\"+Inf\"} 3"
    "\n"
    "etcd_network_peer_round_trip_time_seconds_sum{To=\"2\"} 10.1004\n"
    "etcd_network_peer_round_trip_time_seconds_count{To=\"2\"} 3\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0001\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0002\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0004\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0008\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0016\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0032\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0064\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0128\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0256\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.0512\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.1024\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.2048\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.4096\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"0.8192\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"1.6384\"}"
    " 1\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"3.2768\"}"
    " 2\n"
    "etcd_network_peer_round_trip_time_seconds_bucket{To=\"3\",le=\"+Inf\"} 2"
    "\n"
    "etcd_network_peer_round_trip_time_seconds_sum{To=\"3\"} 3.27690000000000"
    "04\n"
    "etcd_network_peer_round_trip_time_seconds_count{To=\"3\"} 2\n"
    "# HELP etcd_network_peer_sent_bytes_total The total number of bytes sent"
    " to peers.\n"
    "# TYPE etcd_network_peer_sent_bytes_total counter\n"
    "etcd_network_peer_sent_bytes_total{To=\"2\"} 123456\n"
    "etcd_network_peer_sent_bytes_total{To=\"3\"} 0\n"
    "# HELP etcd_network_peer_sent_failures_total The total number of send fa"
    "ilures from peers.\n"
    "# TYPE etcd_network_peer_sent_failures_total counter\n"
    "etcd_network_peer_sent_failures_total{To=\"2\"} 2\n"
    "etcd_network_peer_sent_failures_total{To=\"3\"} 0\n"
    "# HELP etcd_network_snapshot_receive_failures Total number of snapshot r"
    "eceive failures\n"
    "# TYPE etcd_network_snapshot_receive_failures counter\n"
    "etcd_network_snapshot_receive_failures{From=\"2\"} 1\n"
    "etcd_network_snapshot_receive_failures{From=\"3\"} 0\n"
    "# HELP etcd_network_snapshot_receive_inflights_total Total number of inf"
    "light snapshot receives\n"
    "# TYPE etcd_network_snapshot_receive_inflights_total gauge\n"
    "etcd_network_snapshot_receive_inflights_total{From=\"2\"} 0\n"
    "etcd_network_snapshot_receive_inflights_total{From=\"3\"} 0\n"
    "# HELP etcd_network_snapshot_receive_success Total number of successful "
    "snapshot receives\n"
    "# TYPE etcd_network_snapshot_receive_success counter\n"
    "etcd_network_snapshot_receive_success{From=\"2\"} 2\n"
    "etcd_network_snapshot_receive_success{From=\"3\"} 0\n"
    "# HELP etcd_network_snapshot_receive_total_duration_seconds Total latenc"
    "y distributions of v3 snapshot receives\n"
    "# TYPE etcd_network_snapshot_receive_total_duration_seconds histogram\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"0.1\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"0.2\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"0.4\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"0.8\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"1.6\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"3.2\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"6.4\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"12.8\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"25.6\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"51.2\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"2\",l"
    "e=\"+Inf\"} 1\n"
    "etcd_network_snapshot_receive_total_duration_seconds_sum{From=\"2\"} 60"
    "\n"
    "etcd_network_snapshot_receive_total_duration_seconds_count{From=\"2\"} 1"
    "\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"0.1\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"0.2\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"0.4\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"0.8\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"1.6\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"3.2\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"6.4\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"12.8\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"25.6\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"51.2\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_bucket{From=\"3\",l"
    "e=\"+Inf\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_sum{From=\"3\"} 0\n"
    "etcd_network_snapshot_receive_total_duration_seconds_count{From=\"3\"} 0"
    "\n"
    "# HELP etcd_network_snapshot_send_failures Total number of snapshot send"
    " failures\n"
    "# TYPE etcd_network_snapshot_send_failures counter\n"
    "etcd_network_snapshot_send_failures{To=\"2\"} 0\n"
    "etcd_network_snapshot_send_failures{To=\"3\"} 0\n"
    "# HELP etcd_network_snapshot_send_inflights_total Total number of inflig"
    "ht snapshot sends\n"
    "# TYPE etcd_network_snapshot_send_inflights_total gauge\n"
    "etcd_network_snapshot_send_inflights_total{To=\"2\"} 1\n"
    "etcd_network_snapshot_send_inflights_total{To=\"3\"} 0\n"
    "# HELP etcd_network_snapshot_send_success Total number of successful sna"
    "pshot sends\n"
    "# TYPE etcd_network_snapshot_send_success counter\n"
    "etcd_network_snapshot_send_success{To=\"2\"} 1\n"
    "etcd_network_snapshot_send_success{To=\"3\"} 0\n"
    "# HELP etcd_network_snapshot_send_total_duration_seconds Total latency d"
    "istributions of v3 snapshot sends\n"
    "# TYPE etcd_network_snapshot_send_total_duration_seconds histogram\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"0"
    ".1\"} 1\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"0"
    ".2\"} 1\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"0"
    ".4\"} 1\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"0"
    ".8\"} 1\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"1"
    ".6\"} 1\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"3"
    ".2\"} 1\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"6"
    ".4\"} 2\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"1"
    "2.8\"} 2\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"2"
    "5.6\"} 2\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"5"
    "1.2\"} 2\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"2\",le=\"+"
    "Inf\"} 2\n"
    "etcd_network_snapshot_send_total_duration_seconds_sum{To=\"2\"} 3.4\n"
    "etcd_network_snapshot_send_total_duration_seconds_count{To=\"2\"} 2\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"0"
    ".1\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"0"
    ".2\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"0"
    ".4\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"0"
    ".8\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"1"
    ".6\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"3"
    ".2\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"6"
    ".4\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"1"
    "2.8\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"2"
    "5.6\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"5"
    "1.2\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_bucket{To=\"3\",le=\"+"
    "Inf\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_sum{To=\"3\"} 0\n"
    "etcd_network_snapshot_send_total_duration_seconds_count{To=\"3\"} 0\n";

/* ------------------------------------------------------------ fixtures */

/* The two peers behind go_exposition; this member is 1. */
static void make_peers(struct rh_peer_metrics p[2])
{
    rh_peer_metrics_init(&p[0], 2);
    p[0].active = true;
    p[0].disconnects = 1;
    p[0].sent_bytes = 123456;
    p[0].received_bytes = 654321;
    p[0].sent_failures = 2;
    p[0].received_failures = 3;
    p[0].snap_send_success = 1;
    p[0].snap_send_inflight = 1;
    p[0].snap_recv_success = 2;
    p[0].snap_recv_failures = 1;
    rh_histogram_observe(&p[0].rtt, 0.0004);
    rh_histogram_observe(&p[0].rtt, 0.1);
    rh_histogram_observe(&p[0].rtt, 10);
    rh_histogram_observe(&p[0].snap_send_s, 0.1);
    rh_histogram_observe(&p[0].snap_send_s, 3.3);
    rh_histogram_observe(&p[0].snap_recv_s, 60);
    p[0].queued_bytes = 4096;
    p[0].queued_msgs = 2;
    p[0].dropped = 11;
    rh_peer_metrics_init(&p[1], 3);
    p[1].disconnects = 4;
    p[1].received_bytes = 77;
    rh_histogram_observe(&p[1].rtt, 0.0001);
    rh_histogram_observe(&p[1].rtt, 3.2768);
    p[1].queued_msgs = 3;
}

static void make_stats(struct rafthttp_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->dropped[RAFTHTTP_DROP_QUEUE_BYTES] = 5;
    st->dropped[RAFTHTTP_DROP_RECV_FULL] = 6;
    st->dropped_by_type[RAFTHTTP_MSG_APP] = 7;
    st->dropped_by_type[RAFTHTTP_MSG_PRE_VOTE_RESP] = 9;
    st->dropped_by_type[19] = 8;
}

/* A buffer's contents as a new NUL-terminated string; closes the buffer. */
static char *take_text(struct rh_buf *b)
{
    char *s = malloc(b->len + 1);
    assert_non_null(s);
    if (b->len > 0) {
        memcpy(s, b->data, b->len);
    }
    s[b->len] = '\0';
    rh_buf_close(b);
    return s;
}

static char *format_text(const struct rh_peer_metrics *p, size_t n,
                         const struct rafthttp_stats *st)
{
    struct rh_buf b;
    rh_buf_init(&b, NULL, 1 << 20);
    assert_int_equal(rh_metrics_format(p, n, 1, st, &b), 0);
    return take_text(&b);
}

static char *leader_json(uint64_t leader, const struct rh_peer_metrics *p,
                         size_t n)
{
    struct rh_buf b;
    rh_buf_init(&b, NULL, 1 << 20);
    assert_int_equal(rh_leader_stats_format(leader, p, n, &b), 0);
    return take_text(&b);
}

/* ------------------------------------------------- what etcd exposes */

/* etcd's families (metrics.go) and ours, in name order. */
struct fam_spec {
    const char *name;
    const char *type;
    const char *labels[2]; /* label names of a series, le aside */
    size_t n_labels;
    bool per_peer; /* else transport-wide */
};

static const struct fam_spec fam_specs[] = {
    {"etcd_network_active_peers", "gauge", {"Local", "Remote"}, 2, true},
    {"etcd_network_disconnected_peers_total",
     "counter",
     {"Local", "Remote"},
     2,
     true},
    {"etcd_network_peer_received_bytes_total", "counter", {"From"}, 1, true},
    {"etcd_network_peer_received_failures_total", "counter", {"From"}, 1, true},
    {"etcd_network_peer_round_trip_time_seconds", "histogram", {"To"}, 1, true},
    {"etcd_network_peer_sent_bytes_total", "counter", {"To"}, 1, true},
    {"etcd_network_peer_sent_failures_total", "counter", {"To"}, 1, true},
    {"etcd_network_snapshot_receive_failures", "counter", {"From"}, 1, true},
    {"etcd_network_snapshot_receive_inflights_total",
     "gauge",
     {"From"},
     1,
     true},
    {"etcd_network_snapshot_receive_success", "counter", {"From"}, 1, true},
    {"etcd_network_snapshot_receive_total_duration_seconds",
     "histogram",
     {"From"},
     1,
     true},
    {"etcd_network_snapshot_send_failures", "counter", {"To"}, 1, true},
    {"etcd_network_snapshot_send_inflights_total", "gauge", {"To"}, 1, true},
    {"etcd_network_snapshot_send_success", "counter", {"To"}, 1, true},
    {"etcd_network_snapshot_send_total_duration_seconds",
     "histogram",
     {"To"},
     1,
     true},
    {"rafthttp_dropped_messages_by_type_total", "counter", {"type"}, 1, false},
    {"rafthttp_dropped_messages_total", "counter", {"reason"}, 1, false},
    {"rafthttp_message_stream_queued_bytes", "gauge", {"To"}, 1, true},
    {"rafthttp_msgapp_stream_queued_bytes", "gauge", {"To"}, 1, true},
    {"rafthttp_peer_dropped_messages_total", "counter", {"To"}, 1, true},
    {"rafthttp_peer_queued_bytes", "gauge", {"To"}, 1, true},
    {"rafthttp_peer_queued_messages", "gauge", {"To"}, 1, true},
};
#define N_FAMS (sizeof(fam_specs) / sizeof(fam_specs[0]))

static const char *const drop_reasons[] = {
    "queue_bytes", "queue_msgs", "no_connection", "paused",
    "removed",     "recv_full",  "unknown_peer"};

/* raftpb MessageType names (raft.pb.go), then ours for the rest. */
static const char *const type_names[] = {
    "MsgHup",           "MsgBeat",           "MsgProp",        "MsgApp",
    "MsgAppResp",       "MsgVote",           "MsgVoteResp",    "MsgSnap",
    "MsgHeartbeat",     "MsgHeartbeatResp",  "MsgUnreachable", "MsgSnapStatus",
    "MsgCheckQuorum",   "MsgTransferLeader", "MsgTimeoutNow",  "MsgReadIndex",
    "MsgReadIndexResp", "MsgPreVote",        "MsgPreVoteResp", "other"};

/* le as Go's client prints ExponentialBuckets(0.0001, 2, 16) and (0.1,..). */
static const char *const rtt_le[] = {
    "0.0001", "0.0002", "0.0004", "0.0008", "0.0016", "0.0032",
    "0.0064", "0.0128", "0.0256", "0.0512", "0.1024", "0.2048",
    "0.4096", "0.8192", "1.6384", "3.2768", "+Inf"};
static const char *const snap_le[] = {"0.1",  "0.2",  "0.4", "0.8",
                                      "1.6",  "3.2",  "6.4", "12.8",
                                      "25.6", "51.2", "+Inf"};

/* ------------------------------------------------- exposition parser */

/* One sample line: name{l1="v1",...} value. */
struct sample {
    char name[96];
    char lname[3][16];
    char lvalue[3][32];
    size_t n_labels;
    char value[48];
};

/* Copies [p, p + n) into dst of size cap; false if it does not fit. */
static bool copy_span(char *dst, size_t cap, const char *p, size_t n)
{
    if (n == 0 || n >= cap) {
        return false;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
    return true;
}

static size_t span_of(const char *p, const char *set)
{
    return strspn(p, set);
}

#define NAME_CHARS                                                             \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:"

/* l="v" pairs after '{' up to and past '}'. */
static bool parse_labels(const char **pp, struct sample *s)
{
    const char *p = *pp;
    do {
        size_t n = span_of(p, NAME_CHARS);
        if (s->n_labels == 3 ||
            !copy_span(s->lname[s->n_labels], sizeof(s->lname[0]), p, n) ||
            p[n] != '=' || p[n + 1] != '"') {
            return false;
        }
        p += n + 2;
        n = strcspn(p, "\"\\\n");
        if (p[n] != '"' ||
            !copy_span(s->lvalue[s->n_labels], sizeof(s->lvalue[0]), p, n)) {
            return false;
        }
        s->n_labels++;
        p += n + 1;
    } while (*p++ == ',');
    *pp = p;
    return p[-1] == '}';
}

/* A Prometheus value: a float in Go's or C's text, or NaN, +Inf, -Inf. */
static bool is_value(const char *v)
{
    if (strcmp(v, "NaN") == 0 || strcmp(v, "+Inf") == 0 ||
        strcmp(v, "-Inf") == 0) {
        return true;
    }
    char *end;
    strtod(v, &end);
    return end != v && *end == '\0' && v[0] != ' ';
}

static bool parse_sample(const char *line, struct sample *s)
{
    memset(s, 0, sizeof(*s));
    const char *p = line;
    size_t n = span_of(p, NAME_CHARS);
    if ((*p >= '0' && *p <= '9') ||
        !copy_span(s->name, sizeof(s->name), p, n)) {
        return false;
    }
    p += n;
    if (*p == '{') {
        p++;
        if (!parse_labels(&p, s)) {
            return false;
        }
    }
    if (*p++ != ' ') {
        return false;
    }
    n = strcspn(p, " \n");
    return p[n] == '\0' && copy_span(s->value, sizeof(s->value), p, n) &&
           is_value(s->value);
}

/* ------------------------------------------------ exposition checker */

enum hist_stage { H_BUCKET, H_SUM, H_COUNT };

/* Where the checker is in the text. */
struct checker {
    const struct rh_peer_metrics *peers;
    size_t n_peers;
    bool with_stats;
    size_t next_fam;            /* index in fam_specs to look for next */
    const struct fam_spec *fam; /* family being read; NULL before one */
    bool typed;                 /* its TYPE line came */
    size_t series;              /* complete series read in it */
    enum hist_stage stage;      /* inside a histogram series */
    size_t bucket;              /* buckets read in that series */
    uint64_t cumulative;        /* count of the last bucket */
    size_t families_seen;
};

static bool fam_expected(const struct checker *c, const struct fam_spec *f)
{
    return f->per_peer ? c->n_peers > 0 : c->with_stats;
}

/* Series a family must have. */
static size_t fam_series(const struct checker *c, const struct fam_spec *f)
{
    if (f->per_peer) {
        return c->n_peers;
    }
    return strcmp(f->labels[0], "reason") == 0 ? RAFTHTTP_DROP_REASONS
                                               : RAFTHTTP_MSG_TYPE_COUNT + 1;
}

/* The value label `series` must carry at position i. */
static void expected_label(const struct checker *c, size_t i, char *buf)
{
    const struct fam_spec *f = c->fam;
    if (!f->per_peer) {
        const char *const *names =
            strcmp(f->labels[0], "reason") == 0 ? drop_reasons : type_names;
        snprintf(buf, RAFTHTTP_ID_STRLEN + 16, "%s", names[c->series]);
    } else if (strcmp(f->labels[i], "Local") == 0) {
        rafthttp_id_format(1, buf);
    } else {
        rafthttp_id_format(c->peers[c->series].id, buf);
    }
}

static void check_labels(const struct checker *c, const struct sample *s,
                         bool with_le)
{
    char want[RAFTHTTP_ID_STRLEN + 16];
    assert_int_equal(s->n_labels, c->fam->n_labels + (with_le ? 1 : 0));
    for (size_t i = 0; i < c->fam->n_labels; i++) {
        assert_string_equal(s->lname[i], c->fam->labels[i]);
        expected_label(c, i, want);
        assert_string_equal(s->lvalue[i], want);
    }
    if (with_le) {
        assert_string_equal(s->lname[c->fam->n_labels], "le");
    }
}

static uint64_t value_u64(const struct sample *s)
{
    char *end;
    unsigned long long v = strtoull(s->value, &end, 10);
    assert_true(*end == '\0' && s->value[0] != '-');
    return (uint64_t)v;
}

/* The family name with a suffix, for histogram sample names. */
static void suffixed(const struct checker *c, const char *suffix, char *buf,
                     size_t cap)
{
    snprintf(buf, cap, "%s%s", c->fam->name, suffix);
}

/* The histogram of the current series, for its bucket counts. */
static const struct rh_histogram *series_histogram(const struct checker *c)
{
    const struct rh_peer_metrics *m = &c->peers[c->series];
    if (strstr(c->fam->name, "round_trip") != NULL) {
        return &m->rtt;
    }
    return strstr(c->fam->name, "_send_") != NULL ? &m->snap_send_s
                                                  : &m->snap_recv_s;
}

/* What bucket k of the current series must hold: counts up to k. */
static uint64_t cumulative_count(const struct checker *c, size_t k)
{
    const struct rh_histogram *h = series_histogram(c);
    uint64_t sum = 0;
    for (size_t i = 0; i <= k; i++) {
        sum += h->counts[i];
    }
    return sum;
}

/* _bucket lines (le in order, counts cumulative), +Inf, _sum, _count. */
static void check_histogram_sample(struct checker *c, const struct sample *s)
{
    char want[128];
    bool rtt = strstr(c->fam->name, "round_trip") != NULL;
    const char *const *les = rtt ? rtt_le : snap_le;
    size_t n_le = rtt ? 17 : 11;
    const char *suffix = c->stage == H_BUCKET ? "_bucket"
                         : c->stage == H_SUM  ? "_sum"
                                              : "_count";
    suffixed(c, suffix, want, sizeof(want));
    assert_string_equal(s->name, want);
    check_labels(c, s, c->stage == H_BUCKET);
    if (c->stage == H_BUCKET) {
        assert_string_equal(s->lvalue[c->fam->n_labels], les[c->bucket]);
        uint64_t v = value_u64(s);
        assert_true(c->bucket == 0 || v >= c->cumulative);
        assert_int_equal(v, cumulative_count(c, c->bucket));
        c->cumulative = v;
        c->stage = ++c->bucket == n_le ? H_SUM : H_BUCKET;
    } else if (c->stage == H_SUM) {
        c->stage = H_COUNT;
    } else {
        assert_int_equal(value_u64(s), c->cumulative); /* +Inf == _count */
        c->stage = H_BUCKET;
        c->bucket = 0;
        c->series++;
    }
}

static void check_sample(struct checker *c, const char *line)
{
    struct sample s;
    assert_true(parse_sample(line, &s));
    assert_non_null(c->fam);
    assert_true(c->typed);
    assert_true(c->series < fam_series(c, c->fam));
    if (strcmp(c->fam->type, "histogram") == 0) {
        check_histogram_sample(c, &s);
        return;
    }
    assert_string_equal(s.name, c->fam->name);
    check_labels(c, &s, false);
    (void)value_u64(&s); /* counters and gauges are whole numbers */
    c->series++;
}

/* The family before a new HELP (or the end) must be complete. */
static void finish_family(const struct checker *c)
{
    if (c->fam != NULL) {
        assert_int_equal(c->series, fam_series(c, c->fam));
        assert_int_equal(c->stage, H_BUCKET);
        assert_int_equal(c->bucket, 0);
    }
}

static void check_help(struct checker *c, const char *line)
{
    finish_family(c);
    while (c->next_fam < N_FAMS && !fam_expected(c, &fam_specs[c->next_fam])) {
        c->next_fam++;
    }
    assert_true(c->next_fam < N_FAMS);
    c->fam = &fam_specs[c->next_fam++];
    size_t n = strlen(c->fam->name);
    assert_memory_equal(line, c->fam->name, n);
    assert_true(line[n] == ' ' && line[n + 1] != '\0');
    c->typed = false;
    c->series = 0;
    c->families_seen++;
}

static void check_type(struct checker *c, const char *line)
{
    char want[128];
    assert_non_null(c->fam);
    assert_false(c->typed);
    snprintf(want, sizeof(want), "%s %s", c->fam->name, c->fam->type);
    assert_string_equal(line, want);
    c->typed = true;
}

/* Checks a whole exposition; line by line, then the families as a set. */
static void check_exposition(const char *text,
                             const struct rh_peer_metrics *peers, size_t n,
                             bool with_stats)
{
    struct checker c = {peers, n,        with_stats, 0, NULL, false,
                        0,     H_BUCKET, 0,          0, 0};
    char line[256];
    size_t len = strlen(text);
    assert_true(len == 0 || text[len - 1] == '\n');
    for (const char *p = text; *p != '\0';) {
        size_t k = strcspn(p, "\n");
        assert_true(k < sizeof(line));
        memcpy(line, p, k);
        line[k] = '\0';
        p += k + 1;
        if (strncmp(line, "# HELP ", 7) == 0) {
            check_help(&c, line + 7);
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            check_type(&c, line + 7);
        } else {
            assert_true(line[0] != '#');
            check_sample(&c, line);
        }
    }
    finish_family(&c);
    size_t want = 0;
    for (size_t i = 0; i < N_FAMS; i++) {
        want += fam_expected(&c, &fam_specs[i]) ? 1 : 0;
    }
    assert_int_equal(c.families_seen, want);
}

/* ---------------------------------------------------------- histograms */

/* Our bounds are the very doubles ExponentialBuckets computes. */
static void test_bounds_match_go(void **state)
{
    (void)state;
    double b = 0.0001;
    for (size_t i = 0; i < 16; i++, b *= 2) {
        assert_true(rh_rtt_bounds[i] == b);
    }
    b = 0.1;
    for (size_t i = 0; i < 10; i++, b *= 2) {
        assert_true(rh_snapshot_bounds[i] == b);
    }
}

/* A value equal to a bound goes in that bound's bucket (le means <=). */
static void test_histogram_buckets(void **state)
{
    (void)state;
    struct rh_histogram h;
    rh_histogram_init(&h, rh_rtt_bounds, 16);
    for (size_t i = 0; i < 16; i++) {
        rh_histogram_observe(&h, rh_rtt_bounds[i]);
        assert_int_equal(h.counts[i], 1);
        /* Just above a bound is the next bucket (or +Inf). */
        rh_histogram_observe(&h, nextafter(rh_rtt_bounds[i], 1e9));
        assert_int_equal(h.counts[i + 1], 1);
        h.counts[i + 1] = 0;
        h.count--;
    }
    rh_histogram_observe(&h, 0);
    rh_histogram_observe(&h, -1);
    assert_int_equal(h.counts[0], 3);
    rh_histogram_observe(&h, 1e9);
    assert_int_equal(h.counts[16], 1);
    assert_int_equal(h.count, 19);
    /* NaN lands in +Inf, as sort.SearchFloat64s puts it past the end. */
    rh_histogram_observe(&h, NAN);
    assert_int_equal(h.counts[16], 2);
    assert_true(isnan(h.sum));

    rh_histogram_init(&h, rh_snapshot_bounds, 10);
    rh_histogram_observe(&h, 0.1);
    rh_histogram_observe(&h, 51.2);
    rh_histogram_observe(&h, 51.200001);
    rh_histogram_observe(&h, 3.3);
    assert_int_equal(h.counts[0], 1);
    assert_int_equal(h.counts[9], 1);
    assert_int_equal(h.counts[10], 1);
    assert_int_equal(h.counts[6], 1); /* (3.2, 6.4] */
    assert_int_equal(h.count, 4);
    assert_true(h.sum == 0.1 + 51.2 + 51.200001 + 3.3);
}

/* ---------------------------------------------------------- exposition */

static void test_exposition_two_peers(void **state)
{
    (void)state;
    struct rh_peer_metrics p[2];
    struct rafthttp_stats st;
    make_peers(p);
    make_stats(&st);
    char *text = format_text(p, 2, &st);
    check_exposition(text, p, 2, true);
    /* The etcd part is exactly what Go writes; ours follows it. */
    size_t n = strlen(go_exposition);
    assert_memory_equal(text, go_exposition, n);
    assert_true(strncmp(text + n, "# HELP rafthttp_", 16) == 0);
    static const char *const lines[] = {
        "rafthttp_dropped_messages_total{reason=\"queue_bytes\"} 5\n",
        "rafthttp_dropped_messages_total{reason=\"no_connection\"} 0\n",
        "rafthttp_dropped_messages_total{reason=\"recv_full\"} 6\n",
        "rafthttp_dropped_messages_by_type_total{type=\"MsgApp\"} 7\n",
        "rafthttp_dropped_messages_by_type_total{type=\"MsgPreVoteResp\"} 9\n",
        "rafthttp_dropped_messages_by_type_total{type=\"other\"} 8\n",
        "rafthttp_peer_dropped_messages_total{To=\"2\"} 11\n",
        "rafthttp_peer_queued_bytes{To=\"2\"} 4096\n",
        "rafthttp_peer_queued_bytes{To=\"3\"} 0\n",
        "rafthttp_peer_queued_messages{To=\"3\"} 3\n",
        "# TYPE rafthttp_peer_queued_bytes gauge\n",
        "# TYPE rafthttp_dropped_messages_total counter\n",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        assert_non_null(strstr(text, lines[i]));
    }
    free(text);
}

/* Counts the lines of text that start with prefix. */
static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0;
    for (const char *l = text; l != NULL && *l != '\0';) {
        n += strncmp(l, prefix, strlen(prefix)) == 0;
        l = strchr(l, '\n');
        l = l != NULL ? l + 1 : NULL;
    }
    return n;
}

/*
 * Two members of one process: HELP and TYPE once per family, every sample
 * told apart by a first Local label; one source alone is the plain text.
 */
static void test_exposition_several_members(void **state)
{
    (void)state;
    struct rh_peer_metrics p[2];
    struct rafthttp_stats st;
    make_peers(p); /* peers 2 and 3 */
    make_stats(&st);
    struct rh_metrics_source src[2] = {{1, p, 2, &st}, {4, p, 1, &st}};
    struct rh_buf b;
    rh_buf_init(&b, NULL, 1 << 20);
    assert_int_equal(rh_metrics_format_many(src, 1, &b), 0);
    char *one = take_text(&b);
    char *plain = format_text(p, 2, &st);
    assert_string_equal(one, plain);
    rh_buf_init(&b, NULL, 1 << 20);
    assert_int_equal(rh_metrics_format_many(src, 2, &b), 0);
    char *text = take_text(&b);
    assert_int_equal(count_lines(text, "# HELP etcd_network_peer_sent_bytes"),
                     1);
    assert_int_equal(count_lines(text, "# TYPE rafthttp_dropped_messages_"
                                       "total "),
                     1);
    static const char *const lines[] = {
        "etcd_network_active_peers{Local=\"1\",Remote=\"2\"} ",
        "etcd_network_active_peers{Local=\"4\",Remote=\"2\"} ",
        "etcd_network_peer_sent_bytes_total{Local=\"1\",To=\"3\"} ",
        "etcd_network_peer_sent_bytes_total{Local=\"4\",To=\"2\"} ",
        "etcd_network_peer_round_trip_time_seconds_bucket{Local=\"4\",To="
        "\"2\",le=\"0.0001\"} ",
        "rafthttp_dropped_messages_total{Local=\"4\",reason=\"queue_bytes\"} "
        "5\n",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        assert_non_null(strstr(text, lines[i]));
    }
    assert_null(strstr(text, "{To=")); /* nothing left unlabelled */
    assert_null(strstr(text, "{reason="));
    /* Member 4 has no peer 3. */
    assert_null(strstr(text, "Local=\"4\",To=\"3\""));
    free(text);
    free(one);
    free(plain);
}

/* Large IDs, large counters (as integers) and Go's 'g' for sums. */
static void test_exposition_numbers(void **state)
{
    (void)state;
    static const struct {
        double sum;
        const char *text; /* strconv.FormatFloat(sum, 'g', -1, 64) */
    } sums[] = {
        {1234567.5, "1.2345675e+06"},
        {123456, "123456"},
        {1e-05, "1e-05"},
        {0.0001, "0.0001"},
        {-2.5, "-2.5"},
        {-0.0, "0"},
        {NAN, "NaN"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
        {0.1 + 0.2, "0.30000000000000004"},
    };
    struct rh_peer_metrics p;
    rh_peer_metrics_init(&p, UINT64_C(0x8e9e05c52164694d));
    p.sent_bytes = UINT64_MAX;
    char want[160];
    for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++) {
        p.rtt.sum = sums[i].sum;
        char *text = format_text(&p, 1, NULL);
        check_exposition(text, &p, 1, false);
        snprintf(want, sizeof(want),
                 "etcd_network_peer_round_trip_time_seconds_sum"
                 "{To=\"8e9e05c52164694d\"} %s\n",
                 sums[i].text);
        assert_non_null(strstr(text, want));
        assert_non_null(strstr(text, "etcd_network_peer_sent_bytes_total"
                                     "{To=\"8e9e05c52164694d\"} "
                                     "18446744073709551615\n"));
        free(text);
    }
}

/* No peers: only the transport-wide families; nothing at all without. */
static void test_exposition_no_peers(void **state)
{
    (void)state;
    struct rafthttp_stats st;
    make_stats(&st);
    char *text = format_text(NULL, 0, &st);
    check_exposition(text, NULL, 0, true);
    assert_true(strncmp(text, "# HELP rafthttp_dropped_messages_by_type_total ",
                        47) == 0);
    free(text);
    text = format_text(NULL, 0, NULL);
    assert_string_equal(text, "");
    free(text);
}

/* A full buffer or a failed allocation leaves the output as it was. */
static void test_format_errors(void **state)
{
    (void)state;
    struct rh_peer_metrics p[2];
    struct rafthttp_stats st;
    make_peers(p);
    make_stats(&st);
    struct rh_buf b;
    rh_buf_init(&b, NULL, 4096);
    assert_int_equal(rh_buf_append(&b, "keep", 4), 0);
    assert_int_equal(rh_metrics_format(p, 2, 1, &st, &b), RAFTHTTP_ETOOBIG);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "keep", 4);
    b.limit = 300;
    assert_int_equal(rh_leader_stats_format(1, p, 2, &b), RAFTHTTP_ETOOBIG);
    assert_int_equal(b.len, 4);
    rh_buf_close(&b);
    for (long k = 1;; k++) {
        struct tl_alloc t;
        tl_alloc_init(&t, k);
        rh_buf_init(&b, &t.a, 1 << 20);
        int rv = rh_metrics_format(p, 2, 1, &st, &b);
        assert_true(rv == 0 || rv == RAFTHTTP_ENOMEM);
        assert_true(rv == 0 || b.len == 0);
        rh_buf_close(&b);
        assert_int_equal(t.live, 0);
        if (rv == 0) {
            break;
        }
    }
}

/* ----------------------------------------------------------- v2 stats */

/* wire-protocol.md 8.3, verified against the Go code. */
static const char leader_example[] =
    "{\"leader\":\"117b9266988c4966\",\"followers\":{\"1d022bfa869d1d4\":"
    "{\"latency\":{\"current\":0.5,\"average\":1,\"standardDeviation\":0.5,"
    "\"minimum\":0.5,\"maximum\":1.5},\"counts\":{\"fail\":1,\"success\":2}}}}";

/*
 * The example is Succ(1.5 ms), Succ(0.5 ms) and one Fail: current is the
 * last latency, the mean 1, the mean of squares (2.25 + 0.25) / 2 = 1.25,
 * so the deviation is sqrt(1.25 - 1) = 0.5.
 */
static void test_leader_example(void **state)
{
    (void)state;
    struct rh_peer_metrics p;
    rh_peer_metrics_init(&p, UINT64_C(0x1d022bfa869d1d4));
    rh_follower_succ(&p.follower, 1500000 / 1e6);
    rh_follower_succ(&p.follower, 500000 / 1e6);
    rh_follower_fail(&p.follower);
    assert_true(p.follower.current_ms == 0.5);
    assert_true(p.follower.average_ms == 1);
    assert_true(p.follower.avg_sq_ms == 1.25);
    assert_true(p.follower.sum_sq_ms == 2.5);
    char *json = leader_json(UINT64_C(0x117b9266988c4966), &p, 1);
    assert_string_equal(json, leader_example);
    free(json);
}

/*
 * FollowerStats arithmetic and map order against Go: Follower("a") after
 * Succ of 1234567, 2345678, 345678, 7 and 99999999 ns and two Fails, with
 * fresh followers "10" and "2" (keys sorted as strings: "10" < "2" < "a").
 */
static const char leader_go[] =
    "{\"leader\":\"1\",\"followers\":{\"10\":{\"latency\":{\"current\":0,"
    "\"average\":0,\"standardDeviation\":0,\"minimum\":9223372036854776000,"
    "\"maximum\":0},\"counts\":{\"fail\":0,\"success\":0}},\"2\":{\"latency\":"
    "{\"current\":0,\"average\":0,\"standardDeviation\":0,\"minimum\":"
    "9223372036854776000,\"maximum\":0},\"counts\":{\"fail\":0,\"success\":0}}"
    ",\"a\":{\"latency\":{\"current\":99.999999,\"average\":20.7851858,"
    "\"standardDeviation\":39.61571887656287,\"minimum\":0.000007,"
    "\"maximum\":99.999999},\"counts\":{\"fail\":2,\"success\":5}}}}";

static void test_follower_arithmetic(void **state)
{
    (void)state;
    static const int64_t durations_ns[] = {1234567, 2345678, 345678, 7,
                                           99999999};
    struct rh_peer_metrics p[4];
    rh_peer_metrics_init(&p[0], 0xa);
    rh_peer_metrics_init(&p[1], 0x2);
    rh_peer_metrics_init(&p[2], 0x10);
    rh_peer_metrics_init(&p[3], 0x2); /* the same follower again */
    for (size_t i = 0; i < 5; i++) {
        rh_follower_succ(&p[0].follower, (double)durations_ns[i] / 1e6);
    }
    rh_follower_fail(&p[0].follower);
    rh_follower_fail(&p[0].follower);
    assert_true(p[1].follower.min_ms == 9223372036854775808.0);
    char *json = leader_json(1, p, 4);
    assert_string_equal(json, leader_go);
    free(json);
    json = leader_json(1, NULL, 0);
    assert_string_equal(json, "{\"leader\":\"1\",\"followers\":{}}");
    free(json);
}

/* The five latency numbers of one follower as JSON text. */
static void latency_text(const struct rh_follower_stats *f, char *out,
                         size_t cap)
{
    struct rh_peer_metrics p;
    rh_peer_metrics_init(&p, 5);
    p.follower = *f;
    char *json = leader_json(6, &p, 1);
    const char *start = strstr(json, "\"latency\":{") + 11;
    size_t n = strcspn(start, "}");
    assert_true(n < cap);
    memcpy(out, start, n);
    out[n] = '\0';
    free(json);
}

/* encoding/json's float64 text: 'f' in [1e-6, 1e21), else 'e' cleaned up. */
static void test_json_numbers(void **state)
{
    (void)state;
    struct rh_follower_stats f;
    char text[256];
    rh_follower_stats_init(&f);
    f.current_ms = 1e-7;
    f.average_ms = 1e21;
    f.min_ms = 123456789.125;
    f.max_ms = 1.0 / 3;
    latency_text(&f, text, sizeof(text));
    assert_string_equal(text, "\"current\":1e-7,\"average\":1e+21,"
                              "\"standardDeviation\":0,"
                              "\"minimum\":123456789.125,"
                              "\"maximum\":0.3333333333333333");
    f.current_ms = 1e-6;
    f.average_ms = 1e20;
    f.min_ms = 12345678901234567890.0;
    f.max_ms = 5e-324;
    latency_text(&f, text, sizeof(text));
    assert_string_equal(text, "\"current\":0.000001,"
                              "\"average\":100000000000000000000,"
                              "\"standardDeviation\":0,"
                              "\"minimum\":12345678901234567000,"
                              "\"maximum\":5e-324");
    /* Go cannot encode these at all; we write 0 (and -0 as Go does). */
    f.current_ms = NAN;
    f.average_ms = INFINITY;
    f.min_ms = -0.0;
    f.max_ms = -1.5e-7;
    latency_text(&f, text, sizeof(text));
    assert_string_equal(text, "\"current\":0,\"average\":0,"
                              "\"standardDeviation\":0,"
                              "\"minimum\":-0,\"maximum\":-1.5e-7");
}

/* Rounding must not turn the deviation into NaN (Go would, then fail). */
static void test_stddev_never_nan(void **state)
{
    (void)state;
    struct rh_follower_stats f;
    rh_follower_stats_init(&f);
    for (int i = 0; i < 10; i++) {
        rh_follower_succ(&f, 0.1);
    }
    f.avg_sq_ms = f.average_ms * f.average_ms * (1 - 1e-15);
    char text[256];
    latency_text(&f, text, sizeof(text));
    assert_non_null(strstr(text, "\"standardDeviation\":0,"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_match_go),
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_exposition_two_peers),
        cmocka_unit_test(test_exposition_numbers),
        cmocka_unit_test(test_exposition_no_peers),
        cmocka_unit_test(test_exposition_several_members),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_leader_example),
        cmocka_unit_test(test_follower_arithmetic),
        cmocka_unit_test(test_json_numbers),
        cmocka_unit_test(test_stddev_never_nan),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
