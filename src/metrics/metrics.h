/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics: the numbers the transport keeps for operators, and their text:
 * Prometheus exposition with etcd's metric names and labels
 * (etcdserver/api/rafthttp/metrics.go), and etcd's v2 stats JSON shapes
 * for the leader's followers (etcdserver/api/v2stats).
 *
 * Pure data and formatting; the transport updates the counters under its
 * lock and formats a copy.
 */
#ifndef RH_METRICS_H
#define RH_METRICS_H

#include "../common/common.h"

/* A Prometheus histogram with fixed upper bounds (le) and a +Inf bucket. */
#define RH_HIST_MAX_BUCKETS 16
struct rh_histogram {
    const double *bounds; /* upper bounds, ascending, n_bounds of them */
    size_t n_bounds;
    uint64_t counts[RH_HIST_MAX_BUCKETS + 1]; /* per bucket, last: +Inf */
    uint64_t count;
    double sum;
};

/* etcd's buckets: RTT 0.0001 * 2^k (k = 0..15); snapshots 0.1 * 2^k (0..9). */
extern const double rh_rtt_bounds[16];
extern const double rh_snapshot_bounds[10];

void rh_histogram_init(struct rh_histogram *h, const double *bounds,
                       size_t n_bounds);
void rh_histogram_observe(struct rh_histogram *h, double v);

/* etcd's FollowerStats: latency in ms of successful appends, counts. */
struct rh_follower_stats {
    double current_ms;
    double average_ms;
    double sum_sq_ms; /* for the standard deviation */
    double avg_sq_ms; /* Go's averageSquare: what the deviation uses */
    double min_ms;    /* 2^63 as etcd's fresh follower shows */
    double max_ms;
    uint64_t success;
    uint64_t fail;
};

void rh_follower_stats_init(struct rh_follower_stats *f);
/*
 * A successful append that took latency_ms; pass duration_ns / 1e6, the
 * float Go's Succ computes, to get Go's numbers to the last bit.
 */
void rh_follower_succ(struct rh_follower_stats *f, double latency_ms);
void rh_follower_fail(struct rh_follower_stats *f);

/* Everything kept per peer (label values are its hex ID). */
struct rh_peer_metrics {
    uint64_t id;
    bool active;                 /* etcd_network_active_peers */
    uint64_t disconnects;        /* ..._disconnected_peers_total */
    uint64_t sent_bytes;         /* ..._peer_sent_bytes_total */
    uint64_t received_bytes;     /* ..._peer_received_bytes_total */
    uint64_t sent_failures;      /* ..._peer_sent_failures_total */
    uint64_t received_failures;  /* ..._peer_received_failures_total */
    uint64_t snap_send_success;  /* ..._snapshot_send_success */
    uint64_t snap_send_failures; /* ..._snapshot_send_failures */
    uint64_t snap_send_inflight; /* ..._snapshot_send_inflights_total */
    uint64_t snap_recv_success;  /* ..._snapshot_receive_success */
    uint64_t snap_recv_failures; /* ..._snapshot_receive_failures */
    uint64_t snap_recv_inflight; /* ..._snapshot_receive_inflights_total */
    struct rh_histogram rtt;     /* ..._peer_round_trip_time_seconds */
    struct rh_histogram
        snap_send_s; /* ..._snapshot_send_total_duration_seconds */
    struct rh_histogram
        snap_recv_s; /* ..._snapshot_receive_total_duration_seconds */
    /* Queue gauges and drops (ours; field-notes T4). */
    size_t queued_bytes;
    uint64_t queued_msgs;
    size_t msgapp_queued;  /* bytes on the msgapp stream */
    size_t message_queued; /* bytes on the message stream */
    uint64_t dropped;
    struct rh_follower_stats follower;
};

void rh_peer_metrics_init(struct rh_peer_metrics *m, uint64_t id);

/*
 * Appends the Prometheus text exposition (version 0.0.4) of n peers'
 * metrics, plus the transport-wide drop counters
 * (rafthttp_dropped_messages_total{reason} and
 * rafthttp_dropped_messages_by_type_total{type}), to out. local is this
 * member's ID (label Local of the peer gauges). Returns 0 or an rh_buf
 * error.
 *
 * Families come in name order, each with HELP and TYPE, one sample per
 * peer in the order given; with n == 0 the per-peer families are left
 * out (as Go leaves out a vector with no children), and with stats NULL
 * the transport-wide ones. On error out is left as it was.
 */
struct rafthttp_stats;
int rh_metrics_format(const struct rh_peer_metrics *peers, size_t n,
                      uint64_t local, const struct rafthttp_stats *stats,
                      struct rh_buf *out);

/* One transport's numbers, for rh_metrics_format_many. */
struct rh_metrics_source {
    uint64_t local;                      /* the member's ID */
    const struct rh_peer_metrics *peers; /* n_peers of them */
    size_t n_peers;
    const struct rafthttp_stats *stats; /* NULL: no transport-wide ones */
};

/*
 * Several transports in one exposition: each family's HELP and TYPE once,
 * then the samples of every source in the order given. With more than one
 * source every sample that lacks it gets a first label Local="<member>",
 * so that two members of one process never write the same series; with
 * one the text is rh_metrics_format's. As rh_metrics_format otherwise.
 */
int rh_metrics_format_many(const struct rh_metrics_source *src, size_t n,
                           struct rh_buf *out);

/*
 * Appends etcd's leader stats JSON:
 * {"leader":"<hex>","followers":{"<hex>":{"latency":{"current":..,
 * "average":..,"standardDeviation":..,"minimum":..,"maximum":..},
 * "counts":{"fail":..,"success":..}},...}}
 * Numbers as Go's encoding/json writes float64. Followers come in the
 * order of their keys, as Go sorts map keys; a repeated ID is written
 * once. A non-finite number, which Go refuses to encode at all, is
 * written as 0. On error out is left as it was.
 */
int rh_leader_stats_format(uint64_t leader, const struct rh_peer_metrics *peers,
                           size_t n, struct rh_buf *out);

#endif /* RH_METRICS_H */
