#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo: a loopback cluster of one real etcd member (Debian's etcd 3.4)
# and two C members (rafthttp-node). etcd needs a C member's vote to lead
# and their acknowledgements to commit, so every key written through
# etcdctl below crosses rafthttp-c. Then the C members' peer status and
# message counts, the codec round trip against etcd's own Go encoder, and
# the throughput tool.
#
# Everything it writes besides what it prints stays in one folder, named
# at the end: DEMO_LOGS, or build/gcc/demo-logs/<date>-<time>. It holds
# the build log, the cluster's logs and outputs (cluster/: etcd's e1.log,
# the C members' c1.out and c1.log...), the tools' stderr, and the
# throughput plot (throughput.png, with its .dat and .gp).
set -euo pipefail
cd "$(dirname "$0")/.."

logs=${DEMO_LOGS:-build/gcc/demo-logs/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)

scripts/deps.sh
echo "== building rafthttp-c (build/gcc, RelWithDebInfo, with the Go" \
  "golden tools; log: $logs/build.log)"
t0=$(date +%s)
if ! { cmake -S . -B build/gcc -G Ninja -DRAFTHTTP_GOLDEN=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
  cmake --build build/gcc -j "$(nproc)"; } >"$logs/build.log" 2>&1; then
  tail -n 20 "$logs/build.log"
  echo "demo: the build failed (log: $logs/build.log)"
  exit 1
fi
echo "   built in $(($(date +%s) - t0)) s"

# The demo's cluster: one etcd member (Debian's etcd 3.4; ETCD=path/etcd
# ETCDCTL=path/etcdctl for another, e.g. scripts/etcd35.sh's 3.5) and two
# C members. The same script runs in CI against etcd 3.4 and 3.5.
ETCD_DEMO_LOGS="$logs/cluster" tests/interop/etcd_demo.sh \
  build/gcc/tools/rafthttp-node \
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
# bench NAME ARGS...: rafthttp-bench, its stderr kept in NAME.err.
bench() {
  local name=$1
  shift
  if ! build/gcc/tools/rafthttp-bench "$@" 2>"$logs/$name.err"; then
    tail -n 20 "$logs/$name.err"
    echo "demo: rafthttp-bench $* failed (log: $logs/$name.err)"
    exit 1
  fi
}
bench bench-sweep --sweep --sweep-scale 0.3 --plot "$logs/throughput.png"
bench bench-snapshot --mode snapshot --size 268435456

echo "== the demo's logs and outputs are in $logs"
find "$logs" -type f | sort | sed "s|^$logs/|   |"
