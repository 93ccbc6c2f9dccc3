#!/usr/bin/env bash
# The demo: etcd's own Go code (etcd 3.4.23) encodes raft messages and
# streams; rafthttp-c decodes every vector, re-encodes it byte for byte, and
# etcd's code decodes what rafthttp-c wrote. Then rafthttp-dump shows a few of
# etcd's streams as rafthttp-c reads them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build/gcc -G Ninja -DRAFTHTTP_GOLDEN=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/gcc -j "$(nproc)" >/dev/null

dir=build/gcc/tests/interop
golden=$dir/golden
echo "== etcd's Go encoder writes the golden vectors"
"$golden" gen "$dir/vectors-go.txt"
echo "== rafthttp-c decodes and re-encodes them"
build/gcc/tests/interop/golden_c "$dir/vectors-go.txt" "$dir/vectors-c.txt"
echo "== etcd's Go decoder reads what rafthttp-c wrote"
"$golden" verify "$dir/vectors-go.txt" "$dir/vectors-c.txt"

dump=build/gcc/tools/rafthttp-dump
show() { # KIND NAME DUMP-ARGS...
  local kind=$1 name=$2
  shift 2
  echo "== $name, as rafthttp-c reads etcd's bytes"
  awk -v k="$kind" -v n="$name" '$1 == k && $2 == n { print $4 }' \
    "$dir/vectors-go.txt" | "$dump" --hex "$@"
}
show msgappv2 app2.etcd_test msgapp 2 1
show msgstream stream.mixed message
show snapbody body.full_confstate_db_8192 snapshot
