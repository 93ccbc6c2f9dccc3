#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop scenario 5: the rest of the peer port. A new etcd member joins a
# running cluster of one etcd member and one C member. etcd's joiner reads
# /members from the first peer URL in sorted order, which the ports make the
# C member's: the C member keeps that list current from the committed
# ConfChange, so the joiner finds itself and the IDs etcd assigned, starts,
# and serves. The C member also takes the new member as a peer.
#
# usage: etcd_join.sh RAFTHTTP_NODE ETCD ETCDCTL
set -euo pipefail
NODE=${1:?usage: etcd_join.sh RAFTHTTP_NODE ETCD ETCDCTL}
ETCD=${2:?}
ETCDCTL=${3:?}
. "$(dirname "$0")/lib.sh"

# Sorted as strings, the C member's peer URL comes first.
read -r pc1 pe1 pe2 < <(free_ports 3 | tr ' ' '\n' | sort | paste -sd' ')
read -r cl1 cl2 < <(free_ports 2)
cluster="e1=http://127.0.0.1:$pe1,c1=http://127.0.0.1:$pc1"
ep1=http://127.0.0.1:$cl1
start_etcd e1 "$pe1" "$cl1" "$cluster" join
start_node c1 "$pc1" "$cluster" join
wait_healthy "$ep1"
sleep 6 # etcd's strict reconfiguration check: members connected for 5 s

ctl "$ep1" member add e2 --peer-urls "http://127.0.0.1:$pe2" \
  >"$work/add.out" || fail "member add"
for _ in $(seq 1 100); do
  curl -s "http://127.0.0.1:$pc1/members" | grep -q "127.0.0.1:$pe2" && break
  sleep 0.1
done
curl -s "http://127.0.0.1:$pc1/members" >"$work/members.json"
grep -q "127.0.0.1:$pe2" "$work/members.json" ||
  fail "the C member's /members never listed e2: $(cat "$work/members.json")"

"$ETCD" --logger=zap --log-outputs=stderr --name e2 --data-dir "$work/e2" \
  --listen-peer-urls "http://127.0.0.1:$pe2" \
  --initial-advertise-peer-urls "http://127.0.0.1:$pe2" \
  --listen-client-urls "http://127.0.0.1:$cl2" \
  --advertise-client-urls "http://127.0.0.1:$cl2" \
  --initial-cluster "$cluster,e2=http://127.0.0.1:$pe2" \
  --initial-cluster-token join --initial-cluster-state existing \
  >>"$work/e2.log" 2>&1 &
pids+=($!)
wait_healthy "http://127.0.0.1:$cl2"
ctl "http://127.0.0.1:$cl2" put joined yes >/dev/null || fail "put via e2"
[ "$(ctl "$ep1" get joined --print-value-only)" = yes ] || fail "read via e1"
# e2 is "started" once its name, published through raft, is applied.
for _ in $(seq 1 50); do
  ctl "$ep1" member list >"$work/members.txt" || true
  grep -q "started, e2" "$work/members.txt" && break
  sleep 0.2
done
grep -q "started, e2" "$work/members.txt" ||
  fail "etcd's member list never showed e2 started: $(cat "$work/members.txt")"
# e2's readers get streams from the C member only if it took e2 as a peer.
c1_id=$(node_member_id c1)
wait_log "$work/e2.log" "established TCP streaming connection with remote peer" \
  "remote-peer-id=$c1_id" "stream-reader-type=stream Message"
echo "etcd_join: an etcd $ETCD_VERSION member joined through the C member's /members: ok"
