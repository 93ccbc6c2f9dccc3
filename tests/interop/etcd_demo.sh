#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo's cluster (scripts/demo.sh runs this script): one real etcd
# member and two C members (rafthttp-node). etcd needs a C member's vote to
# lead and their acknowledgements to commit, so every key written through
# etcdctl crosses rafthttp-c. Prints what a person reads in the demo (the
# member list, a read, etcd's status, what the C members carried) and
# checks it: 100 keys written and read back, both C members stopping
# cleanly with messages processed.
#
# usage: etcd_demo.sh RAFTHTTP_NODE ETCD ETCDCTL
set -euo pipefail
NODE=${1:?usage: etcd_demo.sh RAFTHTTP_NODE ETCD ETCDCTL}
ETCD=${2:?}
ETCDCTL=${3:?}
. "$(dirname "$0")/lib.sh"

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
for n in 1 2; do
  echo "-- c$n"
  grep -E "^summary (member|peer|transport)" "$work/c$n.out" |
    grep -v "processed" || fail "no summary from c$n"
  grep -E "^summary peer=.* processed" "$work/c$n.out" | cut -c1-160 ||
    fail "c$n processed nothing"
done
echo "etcd_demo: the demo's cluster with etcd $ETCD_VERSION: ok"
