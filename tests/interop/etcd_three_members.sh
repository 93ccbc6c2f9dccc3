#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop scenario 2: one etcd member and two C members. A C member is
# killed under write load and restarted: writes go on, etcd sees it go
# inactive then active again, and its streams come back. Then the etcd
# member is restarted and both C members reconnect to it. The C members
# announce rafthttp-node's default version (3.4.23) here: the cluster
# version stays 3.4 next to them, whatever the etcd member's version.
#
# usage: etcd_three_members.sh RAFTHTTP_NODE ETCD ETCDCTL
set -euo pipefail
NODE=${1:?usage: etcd_three_members.sh RAFTHTTP_NODE ETCD ETCDCTL}
ETCD=${2:?}
ETCDCTL=${3:?}
NODE_ETCD_VERSION="" # rafthttp-node's own default
. "$(dirname "$0")/lib.sh"

read -r pe pc p1 p2 < <(free_ports 4)
cluster="e1=http://127.0.0.1:$pe,c1=http://127.0.0.1:$p1,c2=http://127.0.0.1:$p2"
ep=http://127.0.0.1:$pc
start_etcd e1 "$pe" "$pc" "$cluster" three
etcd1=$etcd_pid
start_node c1 "$p1" "$cluster" three
c1=$node_pid
start_node c2 "$p2" "$cluster" three
wait_healthy "$ep"

# Writes go on through the kill and the restart of c1 (2 of 3 remain).
writes_ok=0
for round in 1 2 3; do
  for i in $(seq 1 20); do
    ctl "$ep" put "k$round-$i" v >/dev/null && writes_ok=$((writes_ok + 1))
  done
  if [ "$round" = 1 ]; then
    c1_id=$(node_member_id c1)
    kill -9 "$c1"
    wait_log "$work/e1.log" "peer became inactive (message send to peer failed)" \
      "peer-id=$c1_id" --timeout 20
  elif [ "$round" = 2 ]; then
    seen=$(log_count "$work/e1.log")
    start_node c1 "$p1" "$cluster" three
    wait_log "$work/e1.log" "peer became active" "peer-id=$c1_id" \
      --after "$seen" --timeout 20
  fi
done
[ "$writes_ok" = 60 ] || fail "only $writes_ok of 60 writes succeeded"
wait_grep "writers=msgapp,message readers=msgapp,message" "$work/c1.out" 10
wait_cluster_version "$ep" 3.4.0

# The etcd member restarts from its data dir; both C members come back.
e1_id=$(etcd_member_id "$work/e1.log")
kill "$etcd1"
wait "$etcd1" 2>/dev/null || true
lines1=$(wc -l <"$work/c1.out")
lines2=$(wc -l <"$work/c2.out")
start_etcd e1 "$pe" "$pc" "$cluster" three
wait_healthy "$ep"
ctl "$ep" put after-restart yes >/dev/null || fail "put after the restart"
for n in 1 2; do
  lines_var="lines$n"
  for _ in $(seq 1 100); do
    tail -n +"$((${!lines_var} + 1))" "$work/c$n.out" |
      grep -q "peer=$e1_id active=true.*readers=msgapp,message" && break
    sleep 0.1
  done
  tail -n +"$((${!lines_var} + 1))" "$work/c$n.out" |
    grep -q "peer=$e1_id active=true.*readers=msgapp,message" ||
    fail "c$n did not reconnect to the restarted etcd member"
done
[ "$(ctl "$ep" get after-restart --print-value-only)" = yes ] ||
  fail "read after the restart"
echo "etcd_three_members: kill/restart of a C member and of etcd $ETCD_VERSION: ok"
