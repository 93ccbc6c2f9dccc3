#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop scenario 1: one real etcd member (3.4 or 3.5, see lib.sh) and one
# C member (rafthttp-node) form a two-member cluster. etcd can elect itself
# only with the C member's vote and commit only with its acknowledgements,
# so 1000 puts that succeed prove the C member carries etcd's raft traffic.
# Checks: the puts and reads through etcd, etcd's pipeline used while no
# stream is up, all four streams up on both sides (etcd's log and the
# node's status), /version served to etcd's leader (no "failed to get
# version" after the C member is up) and the cluster version it decides
# from it (the C member announces the referee's version, so the cluster
# reaches the referee's X.Y), pre-vote (3.5's default, not 3.4's), and a
# clean stop of both.
#
# usage: etcd_two_members.sh RAFTHTTP_NODE ETCD ETCDCTL
set -euo pipefail

NODE=${1:?usage: etcd_two_members.sh RAFTHTTP_NODE ETCD ETCDCTL}
ETCD=${2:?}
ETCDCTL=${3:?}
. "$(dirname "$0")/lib.sh"

read -r p_peer p_client p_node < <(free_ports 3)
e_client=http://127.0.0.1:$p_client
cluster="e1=http://127.0.0.1:$p_peer,c1=http://127.0.0.1:$p_node"
start_etcd e1 "$p_peer" "$p_client" "$cluster" rafthttp-interop
# For its first 2 s the C member has no peers, so no streams: what etcd
# sends meanwhile must come by the pipeline (POST /raft).
start_node c1 "$p_node" "$cluster" rafthttp-interop --duration 60 \
  --peer-delay 2
node_pid_c1=$node_pid

# etcd becomes healthy only once the C member has voted for it.
wait_healthy "$e_client"
up_at=$(date +%s)

python3 - "$e_client" <<'PY' || fail "puts through etcd failed"
import base64, json, sys, urllib.request
url = sys.argv[1] + "/v3/kv/put"
def b64(s):
    return base64.b64encode(s.encode()).decode()
for i in range(1000):
    body = json.dumps({"key": b64("key-%04d" % i), "value": b64("v%d" % i)})
    req = urllib.request.Request(url, data=body.encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 200:
            sys.exit("put %d: status %d" % (i, r.status))
PY
count=$(ctl "$e_client" get key- --prefix --keys-only | grep -c '^key-' ||
  true)
[ "$count" = 1000 ] || fail "etcd holds $count keys, want 1000"
[ "$(ctl "$e_client" get key-0999 --print-value-only)" = v999 ] ||
  fail "read key-0999"
ctl "$e_client" put last one >/dev/null || fail "a put after the loop"

# Both of etcd's streams to the C member and both of ours to etcd.
c1_id=$(node_member_id c1)
wait_streams "$work/e1.log" "$c1_id"
sleep 1.5 # one more status line
grep -q "writers=msgapp,message readers=msgapp,message" "$work/c1.out" ||
  fail "the C member never had all four streams"

# etcd polls /version every 4 s: no complaint once the C member is up,
# and the cluster reaches the version both announce.
wait_cluster_version "$e_client" "$(echo "$ETCD_VERSION" | cut -d. -f1,2).0"
sleep 5
stamp=$(python3 "$ETCD_LOG" last-ts "$work/e1.log" "failed to get version" \
  "remote-member-id=$c1_id")
if [ -n "$stamp" ] && [ "$stamp" -ge "$up_at" ]; then
  fail "etcd could not read the C member's /version at $stamp (after $up_at)"
fi

kill "$node_pid_c1"
wait "$node_pid_c1" || fail "rafthttp-node exited with status $?"
grep -q "^summary member=" "$work/c1.out" || fail "no summary from the node"
piped=$(grep -o 'received_pipeline=[0-9]*' "$work/c1.out" | cut -d= -f2 ||
  true)
[ "${piped:-0}" -gt 0 ] || fail "nothing from etcd came by the pipeline"
# etcd 3.5 runs pre-vote by default, 3.4 does not: a 3.5 member's first
# election asks the C member with MsgPreVote first.
prevotes=$(grep -o 'MsgPreVote=[0-9]*' "$work/c1.out" | head -n 1 | cut -d= -f2 ||
  true)
case "$ETCD_VERSION" in
  3.4.*) [ -z "$prevotes" ] || fail "etcd 3.4 sent $prevotes MsgPreVote" ;;
  *) [ "${prevotes:-0}" -gt 0 ] || fail "etcd $ETCD_VERSION sent no MsgPreVote" ;;
esac
echo "etcd_two_members: 1000 keys through etcd $ETCD_VERSION with a C member: ok"
