#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo's cluster (scripts/demo.sh runs this script): one real etcd
# member and two C members (rafthttp-node). etcd needs a C member's vote to
# lead and their acknowledgements to commit, so every key written through
# etcdctl crosses rafthttp-c. Prints what a person reads in the demo (the
# member list, a read, etcd's status, what the C members carried) and
# checks it: 100 keys written and read back, both C members stopping
# cleanly with messages processed. A legend before the C members' summary
# lines says how to read them.
#
# usage: [ETCD_DEMO_LOGS=DIR] etcd_demo.sh RAFTHTTP_NODE ETCD ETCDCTL
# With ETCD_DEMO_LOGS, the members' logs and outputs (e1.log, c1.out,
# c1.log...) are copied into DIR at exit, once the members are stopped;
# the work directory itself is removed as always.
set -euo pipefail
NODE=${1:?usage: etcd_demo.sh RAFTHTTP_NODE ETCD ETCDCTL}
ETCD=${2:?}
ETCDCTL=${3:?}
. "$(dirname "$0")/lib.sh"

if [ -n "${ETCD_DEMO_LOGS:-}" ]; then
  mkdir -p "$ETCD_DEMO_LOGS"
  keep_logs() { # stop the members (as cleanup does), copy, clean up
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    cp -p "$work"/*.log "$work"/*.out "$ETCD_DEMO_LOGS"/ 2>/dev/null || true
    cleanup
  }
  trap keep_logs EXIT
fi

read -r pe pc p1 p2 < <(free_ports 4)
cluster="e1=http://127.0.0.1:$pe,c1=http://127.0.0.1:$p1,c2=http://127.0.0.1:$p2"
ep=http://127.0.0.1:$pc
echo "== a cluster of one etcd $ETCD_VERSION member and two C members"
echo "   $cluster"
start_etcd e1 "$pe" "$pc" "$cluster" demo
start_node c1 "$p1" "$cluster" demo --data-dir "$work/c1-data"
c1=$node_pid
start_node c2 "$p2" "$cluster" demo --data-dir "$work/c2-data"
c2=$node_pid
wait_healthy "$ep"
ctl "$ep" member list -w table || fail "member list"

echo "== 100 writes and a read through etcd"
for i in $(seq 1 100); do
  ctl "$ep" put "demo-key-$i" "value-$i" >/dev/null || fail "put $i"
done
ctl "$ep" get demo-key-42 | tee "$work/get.out"
[ "$(sed -n 2p "$work/get.out")" = value-42 ] || fail "read demo-key-42"
ctl "$ep" endpoint status -w table || fail "endpoint status"

echo "== the C members, stopped (SIGTERM), report what they carried"
kill "$c1" "$c2"
wait "$c1" || fail "c1 exited with status $?"
wait "$c2" || fail "c2 exited with status $?"
cat <<'LEGEND'
   How to read the lines below (IDs in hex, as etcd prints them):
   summary member=ID cluster=ID ran_ms=N stopped_by=WHY
       this C member, its cluster, how long it ran, what stopped it
   summary peer=ID was_active=B active=B ... sent=N received=N dropped=N
       a peer as this member saw it: streams up at some time (was_active)
       and at the stop (active); messages sent to it, received from it
       (with the streams' keep-alive heartbeats, which raft never sees),
       and dropped on the way to it (queue full, no connection)
   summary transport sent=N received=N ... dropped=N ...
       the same counts for all peers together, drops by reason
   summary peer=ID processed total=N MsgApp=N MsgHeartbeat=N ...
       the messages from that peer the member's raft follower handled,
       by raft type: MsgApp appends log entries (every etcdctl put),
       MsgHeartbeat is the leader's heartbeat, MsgVote an election
LEGEND
for n in 1 2; do
  echo "-- c$n"
  grep -E "^summary (member|peer|transport)" "$work/c$n.out" |
    grep -v "processed" || fail "no summary from c$n"
  grep -E "^summary peer=.* processed" "$work/c$n.out" | cut -c1-160 ||
    fail "c$n processed nothing"
done
echo "etcd_demo: the demo's cluster with etcd $ETCD_VERSION: ok"
