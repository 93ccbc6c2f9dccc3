#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop scenario 6: bad peers. A C member with the wrong cluster ID is
# refused by etcd (412 "cluster ID mismatch") and says so; a C member that
# etcd has removed is refused with 410 on its stream dials, which reaches
# its critical-error callback, and it stops (exit status 1) instead of
# retrying forever.
#
# usage: etcd_bad_peers.sh RAFTHTTP_NODE ETCD ETCDCTL
set -euo pipefail
NODE=${1:?usage: etcd_bad_peers.sh RAFTHTTP_NODE ETCD ETCDCTL}
ETCD=${2:?}
ETCDCTL=${3:?}
. "$(dirname "$0")/lib.sh"

read -r pe pc p1 p2 p3 < <(free_ports 5)
cluster="e1=http://127.0.0.1:$pe,c1=http://127.0.0.1:$p1,c2=http://127.0.0.1:$p2"
ep=http://127.0.0.1:$pc
start_etcd e1 "$pe" "$pc" "$cluster" bad
start_node c1 "$p1" "$cluster" bad
start_node c2 "$p2" "$cluster" bad
c2=$node_pid
wait_healthy "$ep"
ctl "$ep" put before yes >/dev/null || fail "first put"

# A stranger with the wrong cluster ID, posing as a member etcd knows.
e1_id=$(etcd_member_id "$work/e1.log")
c1_id=$(node_member_id c1)
"$NODE" --id "$c1_id" --cluster-id 1234 --listen "http://127.0.0.1:$p3" \
  --peer "$e1_id=http://127.0.0.1:$pe" --duration 4 --log-level info \
  >"$work/stranger.out" 2>"$work/stranger.log" &
pids+=($!)
wait_grep "cluster ID mismatch" "$work/stranger.log" 10

# etcd removes c2: its dials get 410, and it stops. (etcd's strict
# reconfiguration check wants members connected for 5 s first.)
sleep 6
c2_id=$(node_member_id c2)
ctl "$ep" member remove "$c2_id" >/dev/null || fail "member remove"
status=0
for _ in $(seq 1 150); do
  kill -0 "$c2" 2>/dev/null || break
  sleep 0.1
done
wait "$c2" || status=$?
[ "$status" = 1 ] || fail "removed c2 exited with status $status, want 1"
grep -q "stopped_by=removed" "$work/c2.out" || fail "c2 did not say it was removed"
ctl "$ep" put after yes >/dev/null || fail "put after the removal"
echo "etcd_bad_peers: cluster ID mismatch and removal, etcd $ETCD_VERSION: ok"
