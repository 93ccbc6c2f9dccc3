// SPDX-License-Identifier: Apache-2.0
/*
 * The probe driver: etcd's prober loop (probing.Prober's ticker and
 * rafthttp's monitorProbingStatus) as two events. The tick says when a
 * GET /raft/probing is due (one at a time; ticks missed while one runs
 * collapse, as Go's ticker) and what the monitor wants logged or recorded;
 * an answer updates the status and says whether the peer is alive. The
 * peer driver logs and dials; the client adapter does the GET with a
 * deadline of one probe interval.
 */
#include "prober.h"

int rh_probe_tick(struct rh_probe_status *st, bool probing, int64_t now_ms,
                  int64_t *due_ms)
{
    int todo = 0;
    if (!probing && rh_probe_due(st, now_ms)) {
        todo |= RH_PROBE_START;
    }
    todo |= rh_probe_monitor(st, now_ms);
    *due_ms = st->next_monitor_ms < st->next_probe_ms ? st->next_monitor_ms
                                                      : st->next_probe_ms;
    return todo;
}

size_t rh_probe_endpoint(const struct rh_probe_status *st, size_t n_urls)
{
    return n_urls > 0 ? st->pinned % n_urls : 0;
}

bool rh_probe_answered(struct rh_probe_status *st,
                       const struct rh_probe_end *end, size_t n_urls)
{
    bool ok = false;
    int64_t remote_ns = 0;
    if (end->transfer_ok && end->status == 200 &&
        rh_probe_parse(end->body, end->len, &ok, &remote_ns) == 0 && ok) {
        rh_probe_record_ok(st, end->rtt_s, remote_ns, end->local_ns);
        return true;
    }
    rh_probe_record_fail(st, n_urls);
    return false;
}
