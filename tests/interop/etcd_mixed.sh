#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A mixed cluster: an etcd 3.4 member, an etcd 3.5 member and a C member.
# Writes through both etcd members are committed; the cluster version
# stays 3.4 (the lowest member's); the C member is killed (kill -9) under
# writes, which go on with the two etcd members, and restarted: both etcd
# members see it active again and its four streams with each come back.
#
# usage: etcd_mixed.sh RAFTHTTP_NODE ETCD34 ETCDCTL34 ETCD35 ETCDCTL35
set -euo pipefail
NODE=${1:?usage: etcd_mixed.sh RAFTHTTP_NODE ETCD34 ETCDCTL34 ETCD35 ETCDCTL35}
ETCD=${2:?}
ETCDCTL=${3:?}
ETCD35=${4:?}
ETCDCTL35=${5:?}
ETCD_EXPECT=3.4
NODE_ETCD_VERSION="" # rafthttp-node's default, 3.4.23
. "$(dirname "$0")/lib.sh"
v34=$ETCD_VERSION
referee "$ETCD35" "$ETCDCTL35" 3.5
v35=$ETCD_VERSION
ETCD_VERSION="$v34 + $v35"
echo "etcd_mixed.sh: etcd $v34 and etcd $v35 ($ETCD35)"

read -r pe1 pc1 pe2 pc2 p1 < <(free_ports 5)
cluster="e1=http://127.0.0.1:$pe1,e2=http://127.0.0.1:$pe2,c1=http://127.0.0.1:$p1"
ep1=http://127.0.0.1:$pc1
ep2=http://127.0.0.1:$pc2
start_etcd e1 "$pe1" "$pc1" "$cluster" mixed
ETCD_BIN=$ETCD35 start_etcd e2 "$pe2" "$pc2" "$cluster" mixed
start_node c1 "$p1" "$cluster" mixed
c1=$node_pid
wait_healthy "$ep1"
wait_healthy "$ep2"
c1_id=$(node_member_id c1)
wait_streams "$work/e1.log" "$c1_id"
wait_streams "$work/e2.log" "$c1_id"
wait_cluster_version "$ep2" 3.4.0

writes() { # ROUND: 10 puts through each etcd member
  for i in $(seq 1 10); do
    ctl "$ep1" put "m$1-e1-$i" v >/dev/null || fail "put m$1-e1-$i via 3.4"
    ctl "$ep2" put "m$1-e2-$i" v >/dev/null || fail "put m$1-e2-$i via 3.5"
  done
}
writes 1
kill -9 "$c1"
wait "$c1" 2>/dev/null || true
writes 2 # two of three members are enough
seen1=$(log_count "$work/e1.log")
seen2=$(log_count "$work/e2.log")
start_node c1 "$p1" "$cluster" mixed
for f in e1:$seen1 e2:$seen2; do
  wait_log "$work/${f%%:*}.log" "peer became active" "peer-id=$c1_id" \
    --after "${f#*:}" --timeout 20
done
writes 3
e1_id=$(etcd_member_id "$work/e1.log")
e2_id=$(etcd_member_id "$work/e2.log")
for id in "$e1_id" "$e2_id"; do
  for _ in $(seq 1 100); do
    tail -n 5 "$work/c1.out" |
      grep -q "peer=$id active=true.*writers=msgapp,message readers=msgapp,message" &&
      break
    sleep 0.1
  done
  tail -n 5 "$work/c1.out" |
    grep -q "peer=$id active=true.*writers=msgapp,message readers=msgapp,message" ||
    fail "the restarted C member has not all four streams with $id"
done
for ep in "$ep1" "$ep2"; do
  n=$(ctl "$ep" get m --prefix --keys-only | grep -c '^m' || true)
  [ "$n" = 60 ] || fail "$ep holds $n of the 60 keys"
done
echo "etcd_mixed: etcd $v34, etcd $v35 and a C member, killed and restarted: ok"
