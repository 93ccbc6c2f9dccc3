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

# The demo's cluster: one etcd member (Debian's etcd 3.4; ETCD=path/etcd
# ETCDCTL=path/etcdctl for another, e.g. scripts/etcd35.sh's 3.5) and two
# C members. The same script runs in CI against etcd 3.4 and 3.5.
tests/interop/etcd_demo.sh build/gcc/tools/rafthttp-node \
  "${ETCD:-$(command -v etcd)}" "${ETCDCTL:-$(command -v etcdctl)}" |
  grep -v '^status '

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
