#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reruns the whole benchmark set, C (rafthttp-bench) against Go (gobench,
# etcd 3.4.23's own rafthttp), and writes the results into a directory:
#
#   scripts/bench.sh [OUTDIR]          (default: bench-results/ at the repo root)
#
# Environment: REPEAT (runs of each benchmark, default 3), BENCH_TIMEOUT
# (seconds a single run may take, default 120; sweeps, snapshots and the
# mixed run get 3 times that), RTT_COUNT (round trips of the rtt runs,
# default 100000, the spec's), PIPELINE_COUNT (default 100000).
#
# Writes, in OUTDIR:
#   c-sweep.csv go-sweep.csv   stream 64 B .. 1 MiB and rtt, one process
#   pipeline.csv rtt.csv snapshot.csv mixed.csv
#   cross.csv                  two processes, C/Go x C/Go, both sides' rows
#   throughput.png (+ .dat,    a fresh C sweep (plot-c-sweep.csv) against
#     .gp: data, script)       the Go sweep's medians (go-sweep-medians.csv),
#                              named with the etcd version gobench builds on
#   disk.txt machine.txt       where and on what it ran
#   summary.md                 median tables (scripts/bench_summary.py)
#   logs/                      the build log, every run's stderr
#   failures.txt               the runs that failed (absent if none)
# Every CSV row carries rep and exit (the run's exit status; 124 = timed
# out); cross.csv also pair ("c->go": C sends, Go receives).
#
# A failed run is recorded and the rest go on; the script then exits 1.
# With REPEAT=3 it takes about 7 minutes on a 2-core machine.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)

out=${1:-bench-results}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
repeat=${REPEAT:-3}
tmo=${BENCH_TIMEOUT:-120}
rtt_count=${RTT_COUNT:-100000}
pipe_count=${PIPELINE_COUNT:-100000}
summary=(python3 "$root/scripts/bench_summary.py")
build=build/bench

# The sweep's sizes and counts, as tools/bench/sweep.c has them.
sweep=("64 2000000" "1024 1000000" "16384 150000" "262144 12000" "1048576 3000")
sweep_rtt=20000
snap_size=$((256 * 1024 * 1024))
# Cross pairs: the sweep's counts for 64 B (halved) and 16 KiB.
# Each: a name, mode and size (for the rows of runs that print nothing),
# the flags.
cross_runs=("stream-64 stream 64 --mode stream --size 64 --count 1000000"
  "stream-16k stream 16384 --mode stream --size 16384 --count 150000"
  "rtt rtt - --mode rtt --count $sweep_rtt")

# Where the snapshots go: rafthttp-bench uses $TMPDIR if set and shorter
# than 32 bytes, else /tmp; gobench (os.MkdirTemp) $TMPDIR or /tmp.
snapdir=/tmp
if [ -n "${TMPDIR:-}" ] && [ ${#TMPDIR} -lt 32 ]; then snapdir=$TMPDIR; fi

rm -rf "$out/logs"
rm -f "$out"/*.csv "$out"/*.txt "$out"/summary.md "$out"/throughput.png \
  "$out"/throughput.dat "$out"/throughput.gp
mkdir -p "$out/logs"
t_start=$(date +%s)

say() { echo "bench [$(($(date +%s) - t_start)) s]: $*"; }
failed() { # WHAT (also from a background run: the file is the record)
  echo "$*" >>"$out/failures.txt"
  say "FAILED: $*"
}

# run CSV NAME TIMEOUT SET... -- CMD...: one benchmark run, its rows
# appended to CSV with the SET columns (COL=VALUE) and exit=STATUS.
run() {
  local csv=$1 name=$2 limit=$3
  shift 3
  local sets=()
  while [ "$1" != "--" ]; do sets+=(--set "$1"); shift; done
  shift
  local o="$out/logs/$name.out" rc
  echo "+ $*" >>"$out/logs/$name.err"
  timeout -k 10 "$limit" "$@" >"$o" 2>>"$out/logs/$name.err"
  rc=$?
  # A cross pair's two sides end together: one append at a time.
  flock "$out/logs/.lock" "${summary[@]}" append "$out/$csv" "${sets[@]}" \
    --set "exit=$rc" <"$o" || failed "$name: its output could not be recorded"
  rm -f "$o"
  [ $rc -eq 0 ] || failed "$name (exit $rc): $*"
  return $rc
}

free_ports() {
  python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
}

# pair LABEL SENDER RECEIVER REP WORKLOAD MODE SIZE ARGS...: one
# two-process run, both sides' rows into cross.csv.
pair() {
  local label=$1 sender=$2 receiver=$3 rep=$4 work=$5 mode=$6 size=$7
  shift 7
  [ "$size" = - ] && size=
  local ps pr name recv_pid
  read -r ps pr < <(free_ports)
  name="cross-${label/->/-to-}-$work"
  run cross.csv "$name-recv" "$tmo" pair="$label" rep="$rep" \
    impl="${label#*->}" role=recv mode="$mode" size="$size" -- \
    "$receiver" --role recv --listen "http://127.0.0.1:$pr" \
    --peer-url "http://127.0.0.1:$ps" "$@" --csv &
  recv_pid=$!
  sleep 0.2
  run cross.csv "$name-send" "$tmo" pair="$label" rep="$rep" \
    impl="${label%->*}" role=send mode="$mode" size="$size" -- \
    "$sender" --role send --listen "http://127.0.0.1:$ps" \
    --peer-url "http://127.0.0.1:$pr" "$@" --csv
  wait "$recv_pid"
}

# ------------------------------------------------------------------ build

say "deps and build ($build)"
if ! scripts/deps.sh >"$out/logs/build.log" 2>&1; then
  tail -20 "$out/logs/build.log"
  say "scripts/deps.sh failed"
  exit 1
fi
if ! { cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRAFTHTTP_GOLDEN=OFF -DRAFTHTTP_INTEROP=OFF &&
  cmake --build "$build" -j "$(nproc)" --target rafthttp-bench &&
  if ninja -C "$build" -t targets all | grep -q '^gobench_go:'; then
    cmake --build "$build" -j "$(nproc)" --target gobench_go
  fi; } >>"$out/logs/build.log" 2>&1; then
  tail -20 "$out/logs/build.log"
  say "build failed (log: $out/logs/build.log)"
  exit 1
fi
C=$root/$build/tools/rafthttp-bench
G=$root/$build/tools/gobench
have_go=true
bin() { if [ "$1" = c ]; then echo "$C"; else echo "$G"; fi; }
if [ ! -x "$G" ]; then
  have_go=false
  failed "gobench was not built (Go or golang-etcd-server-dev missing): Go runs skipped"
fi

# ----------------------------------------------------------- the machine

{
  echo "date:        $(date -Is)"
  echo "nproc:       $(nproc)"
  echo "cpu:         $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "kernel:      $(uname -r)"
  echo "gcc:         $(gcc --version | head -1)"
  echo "curl:        $(curl-config --version)"
  echo "microhttpd:  $(pkg-config --modversion libmicrohttpd)"
  echo "go:          $(go version 2>/dev/null || echo none)"
  echo "etcd (deb):  $(dpkg-query -W -f='${Package} ${Version}  ' \
    etcd-server golang-etcd-server-dev 2>/dev/null)"
  echo "git:         $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo ' (dirty tree)')"
  echo "REPEAT=$repeat BENCH_TIMEOUT=$tmo RTT_COUNT=$rtt_count PIPELINE_COUNT=$pipe_count"
  echo "load:        $(cat /proc/loadavg)"
  echo
  free -g
} >"$out/machine.txt" 2>&1

# ------------------------------------------------------------------ runs

for rep in $(seq 1 "$repeat"); do
  say "rep $rep/$repeat: stream sweep (C, Go)"
  run c-sweep.csv "c-sweep" $((tmo * 3)) rep="$rep" impl=c mode=stream \
    role=both -- "$C" --sweep --csv
  if $have_go; then
    for sc in "${sweep[@]}"; do
      read -r size count <<<"$sc"
      run go-sweep.csv "go-sweep-$size" "$tmo" rep="$rep" \
        impl=go mode=stream role=both size="$size" -- \
        "$G" --mode stream --size "$size" --count "$count" --csv
    done
    run go-sweep.csv "go-sweep-rtt" "$tmo" rep="$rep" \
      impl=go mode=rtt role=both -- \
      "$G" --mode rtt --count "$sweep_rtt" --csv
  fi

  say "rep $rep/$repeat: pipeline 64 B, rtt, snapshot 256 MiB, mixed"
  impls=("$C")
  $have_go && impls+=("$G")
  for bin in "${impls[@]}"; do
    impl=go
    [ "$bin" = "$C" ] && impl=c
    id=(rep="$rep" impl="$impl" role=both)
    run pipeline.csv "$impl-pipeline" "$tmo" "${id[@]}" mode=pipeline size=64 -- \
      "$bin" --mode pipeline --size 64 --count "$pipe_count" --csv
    run rtt.csv "$impl-rtt" "$tmo" "${id[@]}" mode=rtt -- \
      "$bin" --mode rtt --count "$rtt_count" --csv
    run snapshot.csv "$impl-snapshot" $((tmo * 3)) "${id[@]}" \
      mode=snapshot size="$snap_size" -- \
      "$bin" --mode snapshot --size "$snap_size" --csv
  done
  run mixed.csv "c-mixed" $((tmo * 3)) rep="$rep" impl=c mode=mixed \
    role=both -- "$C" --mode mixed --csv

  say "rep $rep/$repeat: cross pairs, two processes"
  pairs=("c c")
  $have_go && pairs+=("c go" "go c" "go go")
  for p in "${pairs[@]}"; do
    read -r s r <<<"$p"
    for args in "${cross_runs[@]}"; do
      read -ra a <<<"$args"
      pair "$s->$r" "$(bin "$s")" "$(bin "$r")" "$rep" "${a[@]}"
    done
  done
done

# ---------------------------------------------------- plot, disk, summary

say "plot (one more C sweep against the Go sweep's medians)"
plot_with=()
if $have_go; then
  "${summary[@]}" medians "$out/go-sweep.csv" >"$out/go-sweep-medians.csv"
  plot_with=(--plot-with "$out/go-sweep-medians.csv")
  # gobench is built on Debian's golang-etcd-server-dev: its upstream
  # version (epoch and Debian revision cut) names the Go line.
  go_etcd=$(dpkg-query -W -f='${Version}' golang-etcd-server-dev \
    2>/dev/null | sed 's/^[0-9]*://; s/[-+~].*//') || go_etcd=
  if [ -n "$go_etcd" ]; then
    plot_with+=(--plot-with-version "$go_etcd")
  fi
fi
run plot-c-sweep.csv "plot-sweep" $((tmo * 3)) -- \
  "$C" --sweep --csv --plot "$out/throughput.png" "${plot_with[@]}"

say "disk (dd 1 GiB with fsync in $snapdir)"
ddfile=$(mktemp "$snapdir/bench-dd.XXXXXX")
{
  echo "snapshot directory: $snapdir (rafthttp-bench: \$TMPDIR if shorter than 32 bytes, else /tmp; gobench: \$TMPDIR or /tmp)"
  df -h "$snapdir" | tail -1
  echo "+ dd if=/dev/zero of=$ddfile bs=1M count=1024 conv=fsync"
  timeout -k 10 "$tmo" dd if=/dev/zero of="$ddfile" bs=1M count=1024 \
    conv=fsync 2>&1 | tail -1
} >"$out/disk.txt" 2>&1 || failed "dd (disk.txt)"
rm -f "$ddfile"

"${summary[@]}" summary "$out" >"$out/summary.md" || failed "bench_summary.py summary"
secs=$(($(date +%s) - t_start))
echo "elapsed: ${secs} s" >>"$out/machine.txt"
say "done in ${secs} s: $out/summary.md"
if [ -s "$out/failures.txt" ]; then
  say "$(wc -l <"$out/failures.txt") failed (see $out/failures.txt and $out/logs/)"
  exit 1
fi
