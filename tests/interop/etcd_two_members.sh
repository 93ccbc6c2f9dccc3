#!/usr/bin/env bash
# Interop scenario 1: one real etcd member (Debian's etcd 3.4) and one C
# member (rafthttp-node) form a two-member cluster. etcd can elect itself
# only with the C member's vote and commit only with its acknowledgements,
# so 1000 puts that succeed prove the C member carries etcd's raft traffic.
# Checks: the puts and reads through etcd, all four streams up on both
# sides (etcd's log and the node's status), /version served to etcd's
# leader (no "cannot get the version" after the C member is up), and a
# clean stop of both.
#
# usage: etcd_two_members.sh RAFTHTTP_NODE ETCD ETCDCTL
set -euo pipefail

node=${1:?usage: etcd_two_members.sh RAFTHTTP_NODE ETCD ETCDCTL}
etcd=${2:?}
etcdctl=${3:?}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "etcd_two_members: FAIL: $*" >&2
  for f in "$work"/*.log "$work"/*.out; do
    [ -f "$f" ] && { echo "--- $f (last 40 lines)" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

# Four free loopback ports.
read -r p_peer p_client p_node p_spare < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
)
e_peer=http://127.0.0.1:$p_peer
e_client=http://127.0.0.1:$p_client
c_peer=http://127.0.0.1:$p_node
cluster="e1=$e_peer,c1=$c_peer"
token=rafthttp-interop

"$etcd" --name e1 --data-dir "$work/e1" \
  --listen-peer-urls "$e_peer" --initial-advertise-peer-urls "$e_peer" \
  --listen-client-urls "$e_client" --advertise-client-urls "$e_client" \
  --initial-cluster "$cluster" --initial-cluster-token "$token" \
  --initial-cluster-state new >"$work/etcd.log" 2>&1 &
pids+=($!)

"$node" --name c1 --initial-cluster "$cluster" \
  --initial-cluster-token "$token" --listen "$c_peer" \
  --status-interval 1 --duration 60 >"$work/node.out" 2>"$work/node.log" &
node_pid=$!
pids+=($node_pid)

ctl() { ETCDCTL_API=3 timeout 10 "$etcdctl" --endpoints "$e_client" "$@"; }

# etcd becomes healthy only once the C member has voted for it.
for _ in $(seq 1 150); do
  ctl endpoint health >/dev/null 2>&1 && break
  sleep 0.2
done
ctl endpoint health >/dev/null 2>&1 || fail "etcd never became healthy"
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
count=$(ctl get key- --prefix --keys-only | grep -c '^key-' || true)
[ "$count" = 1000 ] || fail "etcd holds $count keys, want 1000"
[ "$(ctl get key-0999 --print-value-only)" = v999 ] || fail "read key-0999"
ctl put last one >/dev/null || fail "a put after the loop"

# Both of etcd's streams to the C member and both of ours to etcd.
for s in "stream MsgApp v2 writer" "stream Message writer" \
         "stream MsgApp v2 reader" "stream Message reader"; do
  grep -q "established a TCP streaming connection with peer.*($s)" \
    "$work/etcd.log" || fail "etcd never established its $s"
done
sleep 1.5 # one more status line
grep -q "writers=msgapp,message readers=msgapp,message" "$work/node.out" ||
  fail "the C member never had all four streams"

# etcd polls /version every 4 s: no complaint once the C member is up.
sleep 5
last=$(grep "cannot get the version of member" "$work/etcd.log" | tail -n 1 ||
  true)
if [ -n "$last" ]; then
  stamp=$(date -d "$(echo "$last" | cut -c1-19)" +%s 2>/dev/null || echo 0)
  [ "$stamp" -lt "$up_at" ] || fail "etcd could not read /version: $last"
fi

kill "$node_pid"
wait "$node_pid" || fail "rafthttp-node exited with status $?"
grep -q "^summary member=" "$work/node.out" || fail "no summary from the node"
echo "etcd_two_members: 1000 keys through etcd with a C member: ok"
