#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop scenario 3: a real etcd leader sends a C member a snapshot. With
# --snapshot-count 100, etcd compacts its raft log once it is more than
# 5000 entries (SnapshotCatchUpEntries) past a snapshot. A C member that
# restarts with no log rejects the leader's appends with hint 0, as raft
# does; the entries it needs are gone, so etcd falls back to a snapshot,
# which arrives at /raft/snapshot, is stored as etcd names it, is a valid
# etcd database (etcdctl snapshot status), and etcd logs it as sent.
#
# usage: etcd_snapshot.sh RAFTHTTP_NODE ETCD ETCDCTL
set -euo pipefail
NODE=${1:?usage: etcd_snapshot.sh RAFTHTTP_NODE ETCD ETCDCTL}
ETCD=${2:?}
ETCDCTL=${3:?}
. "$(dirname "$0")/lib.sh"

read -r pe pc p1 p2 < <(free_ports 4)
cluster="e1=http://127.0.0.1:$pe,c1=http://127.0.0.1:$p1,c2=http://127.0.0.1:$p2"
ep=http://127.0.0.1:$pc
start_etcd e1 "$pe" "$pc" "$cluster" snap --snapshot-count 100
start_node c1 "$p1" "$cluster" snap --data-dir "$work/c1-data"
c1=$node_pid
start_node c2 "$p2" "$cluster" snap
wait_healthy "$ep"

# Past etcd's 5000 catch-up entries, so that its log gets compacted.
python3 - "$ep" <<'PY' || fail "puts through etcd failed"
import base64, json, sys, urllib.request
url = sys.argv[1] + "/v3/kv/put"
for i in range(5300):
    key = base64.b64encode(b"snap-%05d" % i).decode()
    body = json.dumps({"key": key, "value": key}).encode()
    req = urllib.request.Request(url, data=body,
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
PY
wait_log "$work/e1.log" "compacted Raft logs" --timeout 20
c1_id=$(node_member_id c1)

# c1 comes back with no log at all.
kill -9 "$c1"
wait "$c1" 2>/dev/null || true
start_node c1 "$p1" "$cluster" snap --data-dir "$work/c1-data"
# A new entry makes the leader append to c1, which rejects: no log here.
wait_grep "peer=.* active=true" "$work/c1.out" 20
ctl "$ep" put wake-up yes >/dev/null || fail "put after the restart"
wait_grep "snapshot received from=" "$work/c1.out" 60
path=$(grep -o 'snapshot received from=.* path=[^ ]*' "$work/c1.out" |
  head -n 1 | sed 's/.*path=//' || true)
case "$path" in
  */[0-9a-f]*.snap.db) ;;
  *) fail "snapshot stored as '$path', not <16 hex digits>.snap.db" ;;
esac
ETCDCTL_API=3 timeout 20 "$ETCDCTL" snapshot status "$path" -w table \
  >"$work/status.out" 2>&1 || fail "etcdctl does not accept $path"
wait_log "$work/e1.log" "sent database snapshot" "remote-peer-id=$c1_id" \
  --timeout 20
ctl "$ep" put after-snapshot yes >/dev/null || fail "put after the snapshot"
echo "etcd_snapshot: etcd $ETCD_VERSION's snapshot stored and valid: ok"
cat "$work/status.out"
