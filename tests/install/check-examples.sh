#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds and runs examples/ as a new user would, against an installed
# rafthttp (examples/README.md says how):
#   1. installs the build tree into a scratch prefix;
#   2. builds examples/ as its own CMake project against that prefix
#      (find_package(rafthttp), CMAKE_PREFIX_PATH), -Wall -Wextra -Werror;
#   3. builds each example again with its `cc ... $(pkg-config ...)` line,
#      read from examples/README.md so that the README stays true;
#   4. runs every binary of both builds, each under a time limit with a
#      TMPDIR of its own, which must be empty afterwards; and
#      `metrics --serve` answering curl, and each log_sinks sink.
# The examples bind 127.0.0.1 port 0 only, so this may run next to
# anything else.
# usage: check-examples.sh BUILD_DIR SCRATCH_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
examples=$(cd "$here/../../examples" && pwd)
build=$1
scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
prefix=$scratch/prefix
warnings="-Wall -Wextra -Werror"
limit=30 # seconds for one run of one example (each bounds its waits to 10)

fail() {
  echo "check-examples: $*" >&2
  exit 1
}
step() { echo "== $*"; }
now_ms() { date +%s%3N; }

# run NAME [VAR=VALUE...] COMMAND...: runs it, bounded, in a fresh TMPDIR.
run() {
  local name=$1
  shift
  local tmp=$scratch/tmp/$name out=$scratch/out/$name.log start
  start=$(now_ms)
  mkdir -p "$tmp" "$scratch/out"
  local status=0
  timeout "$limit" env TMPDIR="$tmp" "$@" >"$out" 2>&1 || status=$?
  if [ $status -ne 0 ]; then
    cat "$out" >&2
    [ $status -eq 124 ] && fail "$name: still running after $limit s"
    fail "$name: exit status $status"
  fi
  if [ -n "$(ls -A "$tmp")" ]; then
    ls -laR "$tmp" >&2
    fail "$name: left files in its TMPDIR"
  fi
  echo "$name: ok, $(($(now_ms) - start)) ms"
}

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name rafthttp.pc -print -quit)
[ -n "$pc" ] || fail "no rafthttp.pc installed"
libdir=$(dirname "$(dirname "$pc")")

step "(2) CMake: cmake -S examples -DCMAKE_PREFIX_PATH=$prefix"
cmake -S "$examples" -B "$scratch/cmake" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$warnings" >/dev/null
cmake --build "$scratch/cmake"

step "(3) pkg-config: the cc lines of examples/README.md"
export PKG_CONFIG_PATH=$libdir/pkgconfig
mapfile -t lines < <(grep -E '^cc .* -o [a-z_]+$' "$examples/README.md")
mkdir -p "$scratch/pkg-config"
cp "$examples"/*.c "$scratch/pkg-config/"
names=()
for line in "${lines[@]}"; do
  echo "$line"
  names+=("${line##* }")
  (cd "$scratch/pkg-config" && eval "${line/#cc /cc $warnings }")
done
for c in "$examples"/*.c; do
  name=$(basename "$c" .c)
  [[ " ${names[*]} " == *" $name "* ]] ||
    fail "examples/README.md has no cc line for $name.c"
done

step "(4) run them"
for name in "${names[@]}"; do
  args=()
  [ "$name" = log_sinks ] && args=(json "$scratch/out/log_sinks.json")
  run "$name" "$scratch/cmake/$name" "${args[@]}"
  run "$name-pkg-config" LD_LIBRARY_PATH="$libdir" \
    "$scratch/pkg-config/$name" "${args[@]}"
done
python3 -c 'import json, sys
for line in open(sys.argv[1]): json.loads(line)' "$scratch/out/log_sinks.json" ||
  fail "log_sinks json wrote a line that is not JSON"
for sink in syslog stderr; do
  run "log_sinks-$sink" "$scratch/cmake/log_sinks" "$sink"
done
grep -q '^{"level":"info",.*"msg":"started rafthttp transport"' \
  "$scratch/out/log_sinks-stderr.log" ||
  fail "log_sinks stderr: no JSON line from the built-in sink"

# metrics --serve: the URL it prints answers curl, and SIGTERM ends it
# (SIGINT too, from a terminal; a script's background job ignores SIGINT).
out=$scratch/out/metrics-serve.log
timeout "$limit" "$scratch/cmake/metrics" --serve >"$out" 2>&1 &
pid=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/metrics' "$out" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || fail "metrics --serve printed no URL: $(cat "$out")"
curl -fsS --max-time 10 -o "$scratch/out/scrape.txt" "$url" ||
  fail "metrics --serve: curl $url failed"
grep -q '^etcd_network_active_peers{' "$scratch/out/scrape.txt" ||
  fail "metrics --serve: $url has no etcd_network_active_peers"
kill -TERM $pid
wait $pid || fail "metrics --serve: exit status $? after SIGTERM"
echo "metrics --serve: ok, $url"
echo "check-examples: ok"
