#!/usr/bin/env bash
# The demo: a loopback cluster of one real etcd member (Debian's etcd 3.4)
# and two C members (rafthttp-node). etcd needs a C member's vote to lead
# and their acknowledgements to commit, so every key written through
# etcdctl below crosses rafthttp-c. Then the C members' peer status and
# message counts, the codec round trip against etcd's own Go encoder, and
# the throughput tool.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build/gcc -G Ninja -DRAFTHTTP_GOLDEN=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/gcc -j "$(nproc)" >/dev/null

node=build/gcc/tools/rafthttp-node
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

read -r pe pc p1 p2 < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
)
cluster="e1=http://127.0.0.1:$pe,c1=http://127.0.0.1:$p1,c2=http://127.0.0.1:$p2"
endpoint=http://127.0.0.1:$pc

echo "== a cluster of one etcd member and two C members"
echo "   $cluster"
etcd --name e1 --data-dir "$work/e1" \
  --listen-peer-urls "http://127.0.0.1:$pe" \
  --initial-advertise-peer-urls "http://127.0.0.1:$pe" \
  --listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
  --initial-cluster "$cluster" --initial-cluster-token demo \
  >"$work/etcd.log" 2>&1 &
pids+=($!)
for n in 1 2; do
  port_var="p$n"
  "$node" --name "c$n" --initial-cluster "$cluster" \
    --initial-cluster-token demo --listen "http://127.0.0.1:${!port_var}" \
    --data-dir "$work/c$n" >"$work/c$n.out" 2>"$work/c$n.log" &
  pids+=($!)
done

ctl() { ETCDCTL_API=3 etcdctl --endpoints "$endpoint" "$@"; }
for _ in $(seq 1 150); do
  ctl endpoint health >/dev/null 2>&1 && break
  sleep 0.2
done
ctl member list -w table
echo "== 100 writes and a read through etcd"
for i in $(seq 1 100); do ctl put "demo-key-$i" "value-$i" >/dev/null; done
ctl get demo-key-42
ctl endpoint status -w table

echo "== the C members, stopped (SIGTERM), report what they carried"
for n in 2 3; do kill "${pids[$((n - 1))]}"; done
wait "${pids[1]}" "${pids[2]}" 2>/dev/null || true
for n in 1 2; do
  echo "-- c$n"
  grep -E "^summary (member|peer|transport)" "$work/c$n.out" |
    grep -v "processed" || true
  grep -E "^summary peer=.* processed" "$work/c$n.out" | cut -c1-160 || true
done
kill "${pids[0]}" 2>/dev/null || true

echo "== codec round trip against etcd's own Go encoder and decoder"
dir=build/gcc/tests/interop
"$dir/golden" gen "$dir/vectors-go.txt"
"$dir/golden_c" "$dir/vectors-go.txt" "$dir/vectors-c.txt"
"$dir/golden" verify "$dir/vectors-go.txt" "$dir/vectors-c.txt"

echo "== throughput and round trip between two transports (rafthttp-bench)"
# A shortened sweep (scripts/bench.sh runs the full set and etcd's Go
# rafthttp beside it; BENCHMARKS.md has the numbers).
build/gcc/tools/rafthttp-bench --sweep --sweep-scale 0.3 2>/dev/null
build/gcc/tools/rafthttp-bench --mode snapshot --size 268435456 2>/dev/null
