/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probing: etcd's peer health probe (github.com/xiang90/probing), as pure
 * functions over a per-peer status. The probe driver (probe_driver.c) says
 * when a probe is due, and the client adapter GETs <url>/raft/probing;
 * each answer or failure updates the status (prober.c); a monitor decides
 * when to log and when to record the round-trip time.
 *
 * No I/O and no clock here: times are passed in.
 */
#ifndef RH_PROBER_H
#define RH_PROBER_H

#include "../common/common.h"

/* etcd's intervals (ConnReadTimeout 5 s): probe every 4 s. */
#define RH_PROBE_INTERVAL_MS 4000
/* The monitor looks every 5 s while unhealthy, every 30 s while healthy. */
#define RH_PROBE_MONITOR_UNHEALTHY_MS 5000
#define RH_PROBE_MONITOR_HEALTHY_MS 30000
/* A clock difference above this is logged as drift (etcd: 1 s). */
#define RH_PROBE_MAX_CLOCK_DIFF_S 1.0

/* One peer's probe state (probing.Status). */
struct rh_probe_status {
    double srtt_s;         /* smoothed RTT: 0.875 old + 0.125 new */
    double clock_diff_s;   /* local now - remote Now - srtt/2 */
    bool healthy;          /* the last probe succeeded */
    bool ever_ok;          /* srtt holds a real sample */
    uint64_t total;        /* probes made */
    uint64_t loss;         /* probes failed */
    size_t pinned;         /* index of the endpoint (URL) in use */
    int64_t next_probe_ms; /* monotonic: when to probe next */
    int64_t next_monitor_ms;
    /*
     * srtt and clock_diff in Go's integer nanoseconds (time.Duration): the
     * arithmetic runs on these, and the _s fields are derived from them.
     */
    int64_t srtt_ns;
    int64_t clock_diff_ns;
};

void rh_probe_init(struct rh_probe_status *st, int64_t now_ms);

/*
 * True when a probe should start at now_ms. It then moves next_probe_ms on
 * by whole intervals past now_ms, as Go's ticker does: ticks keep their
 * phase, and those missed while a slow probe ran collapse into this one.
 */
bool rh_probe_due(struct rh_probe_status *st, int64_t now_ms);

/*
 * Parses the probing answer body, Go's json.Encoder output of
 * {"OK":bool,"Now":"<RFC 3339 with up to 9 fraction digits>"}. Returns 0 and
 * sets *ok and *remote_ns (Unix nanoseconds), or RAFTHTTP_EPROTO.
 */
int rh_probe_parse(const char *body, size_t len, bool *ok, int64_t *remote_ns);

/* A good answer after rtt_s; local_ns is the wall clock when it came. */
void rh_probe_record_ok(struct rh_probe_status *st, double rtt_s,
                        int64_t remote_ns, int64_t local_ns);

/* A failed probe: moves on to the next of n_endpoints endpoints. */
void rh_probe_record_fail(struct rh_probe_status *st, size_t n_endpoints);

/* What the monitor should do at now_ms (flags, or 0 if not due). */
enum {
    RH_PROBE_OBSERVE_RTT = 1, /* record srtt in the RTT histogram */
    RH_PROBE_WARN_UNHEALTHY = 2,
    RH_PROBE_WARN_DRIFT = 4
};
int rh_probe_monitor(struct rh_probe_status *st, int64_t now_ms);

/* ------------------------------------------------------- probe driver */

/*
 * When to probe and what an answer means (probe_driver.c): the prober's
 * side of the peer driver, run under the transport lock.
 */

/* The tick also asks for a probe with this flag. */
enum { RH_PROBE_START = 8 };

/*
 * The prober's timer at now: RH_PROBE_START (unless a probe is still
 * under way) and the monitor's flags. *due_ms: when to tick again.
 */
int rh_probe_tick(struct rh_probe_status *st, bool probing, int64_t now_ms,
                  int64_t *due_ms);

/* The endpoint (index into the peer's URLs) the next probe goes to. */
size_t rh_probe_endpoint(const struct rh_probe_status *st, size_t n_urls);

/* How a probe ended, as the client saw it. */
struct rh_probe_end {
    bool transfer_ok; /* libcurl finished it without error */
    long status;
    const char *body; /* the answer's body (the first bytes of it) */
    size_t len;
    double rtt_s;     /* the whole exchange */
    int64_t local_ns; /* the wall clock when it ended */
};

/*
 * Records the answer (or the failure, moving to the next of n_urls
 * endpoints). Returns true when the peer answered {"OK":true}: it is
 * alive, and its idle streams are worth dialling at once.
 */
bool rh_probe_answered(struct rh_probe_status *st,
                       const struct rh_probe_end *end, size_t n_urls);

#endif /* RH_PROBER_H */
