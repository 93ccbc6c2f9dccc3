#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Smoke test of the example member program: two rafthttp-node processes on
# loopback find each other, print status lines, stop on their own and print
# a summary that shows the peer active; meanwhile node 1 sends node 2 a
# 3 MiB snapshot database (--send-snapshot), which must land byte for byte
# in node 2's --data-dir, and serves its metrics (--metrics-listen; the
# transport's, then the process_* ones of Go's Prometheus client), which
# are fetched while it runs (node 2 takes etcd's flag names); a third
# listens at two URLs of one --listen-peer-urls, announces the etcd
# version it is given at /version, logs zap's JSON to a file and stderr
# (--logger, --log-outputs) and stops cleanly on SIGTERM; bad
# arguments exit with status 2 (IDs are hex as etcd prints them: 0x or a
# long decimal are refused), as does a --data-dir that is not a
# writable directory; --help and --version exit 0.
#
# usage: node_smoke.sh PATH/TO/rafthttp-node
set -euo pipefail

node=${1:?usage: node_smoke.sh PATH/TO/rafthttp-node}
[ -x "$node" ] || { echo "not executable: $node" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "node_smoke: FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}

# Two free loopback ports: the kernel's choice, else random ones (a clash
# shows up as "cannot bind" and is retried below).
free_ports() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c '
import socket
a = socket.socket(); a.bind(("127.0.0.1", 0))
b = socket.socket(); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])'
  else
    local p=$((20000 + RANDOM % 20000))
    echo "$p" $((p + 1))
  fi
}

# http_get URL FILE: the body of URL into FILE; prints the HTTP status (0
# or 000 if there was no answer), or "skip" when there is no HTTP client.
http_get() {
  if command -v curl >/dev/null 2>&1; then
    curl -s -m 5 -o "$2" -w '%{http_code}' "$1" || true
  elif command -v python3 >/dev/null 2>&1; then
    python3 - "$1" "$2" <<'PY'
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        body, code = r.read(), r.status
except urllib.error.HTTPError as e:
    body, code = e.read(), e.code
except Exception:
    body, code = b"", 0
with open(sys.argv[2], "wb") as f:
    f.write(body)
print(code)
PY
  else
    echo skip
  fi
}

# wait_line FILE REGEX SECONDS: true once a line of FILE matches, false
# after SECONDS.
wait_line() {
  local ticks=$(($3 * 10))
  while [ "$ticks" -gt 0 ]; do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
    ticks=$((ticks - 1))
  done
  return 1
}

# fetch_metrics: node 1's /metrics, /v2/stats/leader and a wrong path,
# once it has reported the snapshot sent (or after 5 s). Sets
# code_metrics, code_leader and code_missing: HTTP statuses, "skip"
# without an HTTP client, "none" if node 1 printed no metrics URL.
fetch_metrics() {
  local url
  code_metrics=none code_leader=none code_missing=none
  wait_line "$work/n1.out" '^snapshot sent ' 5 || true
  url=$(sed -n 's/^metrics url=//p' "$work/n1.out")
  [ -n "$url" ] || return 0
  code_metrics=$(http_get "$url/metrics" "$work/metrics.txt")
  code_leader=$(http_get "$url/v2/stats/leader" "$work/leader.json")
  code_missing=$(http_get "$url/nope" "$work/missing.txt")
}

# wait_exit PID SECONDS: the exit status of PID, or 124 (killed) after
# SECONDS.
wait_exit() {
  local pid=$1 ticks=$(($2 * 10))
  while kill -0 "$pid" 2>/dev/null && [ "$ticks" -gt 0 ]; do
    sleep 0.1
    ticks=$((ticks - 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 124
  fi
  local rc=0
  wait "$pid" || rc=$?
  return "$rc"
}

# Node 1 runs two seconds longer than node 2, so node 2 still sees node 1
# active when it stops; node 1 then sees node 2 gone and reports it
# was_active=true, active=false. Node 1 sends the snapshot as soon as it
# sees node 2 active; its metrics are fetched while both run. Node 2 is
# given etcd's names for its flags.
# Sets rc1 and rc2, and the code_* of fetch_metrics.
run_pair() {
  local p1=$1 p2=$2
  rc1=0
  rc2=0
  rm -rf "$work/data1" "$work/data2" "$work"/*.out "$work"/*.err
  "$node" --id 1 --cluster-id 1000 --listen "http://127.0.0.1:$p1" \
    --peer "2=http://127.0.0.1:$p2" --duration 6 --status-interval 1 \
    --data-dir "$work/data1" --send-snapshot "2=$work/snap.db" \
    --metrics-listen http://127.0.0.1:0 >"$work/n1.out" 2>"$work/n1.err" &
  local pid1=$!
  pids+=("$pid1")
  "$node" --id 2 --cluster-id 1000 --listen-peer-urls "http://127.0.0.1:$p2" \
    --initial-advertise-peer-urls "http://127.0.0.1:$p2" \
    --initial-cluster-state new \
    --peer "1=http://127.0.0.1:$p1" --duration 4 --status-interval 1 \
    --data-dir "$work/data2" >"$work/n2.out" 2>"$work/n2.err" &
  local pid2=$!
  pids+=("$pid2")
  fetch_metrics
  wait_exit "$pid2" 30 || rc2=$?
  wait_exit "$pid1" 30 || rc1=$?
}

head -c $((3 * 1024 * 1024)) /dev/urandom >"$work/snap.db"

attempt=0
while :; do
  attempt=$((attempt + 1))
  read -r port1 port2 < <(free_ports)
  run_pair "$port1" "$port2"
  if [ "$rc1" = 0 ] && [ "$rc2" = 0 ]; then
    break
  fi
  if [ "$attempt" -lt 3 ] && grep -qs 'cannot bind' "$work"/n*.err; then
    continue # a port was taken under us
  fi
  fail "two-node run exited $rc1 and $rc2 (want 0 and 0)"
done

grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$work"/n*.err &&
  fail "sanitizer report"
grep -q '^status peer=2 active=true ' "$work/n1.out" ||
  fail "node 1 never printed peer 2 active in a status line"
grep -q '^status peer=1 active=true ' "$work/n2.out" ||
  fail "node 2 never printed peer 1 active in a status line"
grep -q '^summary peer=2 was_active=true ' "$work/n1.out" ||
  fail "node 1's summary does not show peer 2 as having been active"
grep -q '^summary peer=1 was_active=true active=true ' "$work/n2.out" ||
  fail "node 2's summary does not show peer 1 active"
grep -q '^summary member=1 .* stopped_by=duration' "$work/n1.out" ||
  fail "node 1's summary header is missing"
grep -q '^summary transport ' "$work/n2.out" ||
  fail "node 2's transport summary is missing"
[ -d "$work/data1" ] || fail "--data-dir was not created"

# The snapshot: sent, received, and saved whole in node 2's --data-dir.
grep -q '^snapshot sent to=2 result=ok ' "$work/n1.out" ||
  fail "node 1 did not report the snapshot sent"
grep -q '^snapshot received from=1 index=1 .* bytes=3145728$' \
  "$work/n2.out" || fail "node 2 did not report the snapshot received"
saved=("$work"/data2/*.snap.db)
if [ "${#saved[@]}" != 1 ] || [ ! -f "${saved[0]}" ]; then
  fail "want one .snap.db in node 2's --data-dir: ${saved[*]}"
fi
[ "$(wc -c <"${saved[0]}")" = "$(wc -c <"$work/snap.db")" ] ||
  fail "saved snapshot size differs from the source"
cmp -s "${saved[0]}" "$work/snap.db" ||
  fail "saved snapshot content differs from the source"

# The metrics, as fetched while node 1 ran.
if [ "$code_metrics" = skip ]; then
  echo "node_smoke: no curl or python3: metrics checks skipped" >&2
else
  grep -q '^metrics url=http://127.0.0.1:[1-9][0-9]*$' "$work/n1.out" ||
    fail "node 1 did not print its metrics URL"
  [ "$code_metrics" = 200 ] || fail "GET /metrics: status $code_metrics"
  grep -q '^etcd_network_active_peers' "$work/metrics.txt" ||
    fail "/metrics has no etcd_network_active_peers"
  grep -qF 'etcd_network_snapshot_send_success{To="2"} 1' \
    "$work/metrics.txt" || fail "/metrics does not count the snapshot"
  # Process metrics as Go's Prometheus client serves them, after the
  # transport's: each with HELP, TYPE and a plausible value.
  for m in process_cpu_seconds_total:counter process_max_fds:gauge \
    process_open_fds:gauge process_resident_memory_bytes:gauge \
    process_start_time_seconds:gauge process_virtual_memory_bytes:gauge; do
    name=${m%%:*}
    grep -q "^# HELP $name [A-Z]" "$work/metrics.txt" &&
      grep -q "^# TYPE $name ${m#*:}\$" "$work/metrics.txt" &&
      grep -qE "^$name [0-9]+(\.[0-9]+)?\$" "$work/metrics.txt" ||
      fail "/metrics: no $name with HELP, TYPE and a value"
  done
  awk -v now="$(date +%s)" '
    /^process_open_fds / && $2 < 3 { bad = bad " open_fds" }
    /^process_max_fds / && $2 < 3 { bad = bad " max_fds" }
    /^process_resident_memory_bytes / && $2 < 1e5 { bad = bad " rss" }
    /^process_virtual_memory_bytes / && $2 < 1e5 { bad = bad " vsize" }
    /^process_start_time_seconds / && ($2 < now - 600 || $2 > now + 5) {
      bad = bad " start_time" }
    /^process_/ && first_process == 0 { first_process = NR }
    /^[a-z]/ && !/^process_/ { last_transport = NR }
    END {
      if (last_transport > first_process) bad = bad " order"
      if (bad != "") { print "implausible:" bad; exit 1 }
    }' "$work/metrics.txt" || fail "/metrics: process metrics implausible"
  [ "$code_leader" = 200 ] || fail "GET /v2/stats/leader: status $code_leader"
  grep -q '"leader":"1"' "$work/leader.json" ||
    fail "/v2/stats/leader does not name member 1"
  [ "$code_missing" = 404 ] || fail "GET /nope: status $code_missing"
fi

# A lone node announces the etcd version it is given (/version, as etcd's
# leader reads it) and stops cleanly on SIGTERM. It listens at two URLs
# given as one etcd --listen-peer-urls list, and serves its metrics at
# etcd's --listen-metrics-urls. It logs as etcd's --logger zap does, to a
# file and to stderr (--log-outputs).
read -r port1 port2 < <(free_ports)
"$node" --id 3 --cluster-id BEEF \
  --listen-peer-urls "http://127.0.0.1:$port1,http://127.0.0.1:$port2" \
  --listen-metrics-urls http://127.0.0.1:0 --initial-cluster-state existing \
  --peer "4=http://127.0.0.1:1" --etcd-version 3.5.16 \
  --logger zap --log-outputs "$work/n3.log,stderr" \
  --cluster-version 3.4.0 >"$work/n3.out" 2>"$work/n3.err" &
pid3=$!
pids+=("$pid3")
wait_line "$work/n3.out" '^metrics url=' 5 || true
grep -q "^listen url=http://127.0.0.1:$port1 port=$port1\$" "$work/n3.out" &&
  grep -q "^listen url=http://127.0.0.1:$port2 port=$port2\$" "$work/n3.out" ||
  fail "--listen-peer-urls A,B: not listening at both"
grep -q '^metrics url=http://127.0.0.1:[1-9][0-9]*$' "$work/n3.out" ||
  fail "--listen-metrics-urls: no metrics URL"
sleep 0.5
code_version=$(http_get "http://127.0.0.1:$port1/version" "$work/version.json")
if [ "$code_version" != skip ]; then
  [ "$code_version" = 200 ] || fail "GET /version: status $code_version"
  grep -qF '{"etcdserver":"3.5.16","etcdcluster":"3.4.0"}' \
    "$work/version.json" ||
    fail "GET /version: $(cat "$work/version.json"), want 3.5.16 / 3.4.0"
fi
kill -TERM "$pid3"
rc3=0
wait_exit "$pid3" 30 || rc3=$?
[ "$rc3" = 0 ] || fail "SIGTERM: exit status $rc3, want 0"
grep -q '^summary member=3 .* stopped_by=SIGTERM' "$work/n3.out" ||
  fail "SIGTERM: no summary"
grep -q '^start member=3 cluster=beef ' "$work/n3.out" ||
  fail "--cluster-id BEEF is not the hex ID beef"
# zap's JSON lines, the same in the file and on stderr.
zap_start='^{"level":"info","ts":"[0-9T:.-]*Z","msg":"started rafthttp transport","local-member-id":"3","cluster-id":"beef"}$'
grep -q "$zap_start" "$work/n3.log" ||
  fail "--logger zap: no JSON start line in the --log-outputs file"
grep -q "$zap_start" "$work/n3.err" ||
  fail "--log-outputs FILE,stderr: no JSON start line on stderr"
if grep -v '^{"level":"[a-z]*","ts":"[^"]*","msg":"[^"]*","local-member-id":"3"' \
  "$work/n3.log" | grep -q .; then
  fail "--logger zap: a line that is not zap's JSON: $(head -3 "$work/n3.log")"
fi

# expect_usage WHAT ARGS...: exit status 2 and a message on stderr.
expect_usage() {
  local what=$1 rc=0
  shift
  "$node" "$@" >"$work/bad.out" 2>"$work/bad.err" || rc=$?
  [ "$rc" = 2 ] || fail "$what: exit status $rc, want 2"
  grep -q 'rafthttp-node: ' "$work/bad.err" || fail "$what: no message"
}

ok=(--cluster-id 1000 --listen http://127.0.0.1:1)
expect_usage "unknown option" --id 1 "${ok[@]}" --frobnicate
expect_usage "missing value" --id 1 "${ok[@]}" --peer
expect_usage "bad hex ID" --id xyz "${ok[@]}"
# IDs are hex as etcd prints them: no 0x, and a decimal number past 16
# digits is refused with the words every tool uses.
expect_usage "0x ID" --id 0x1 "${ok[@]}"
grep -qF "rafthttp-node: --id '0x1': not a hex ID (1 to 16 hex digits)" \
  "$work/bad.err" || fail "0x ID: not the hex ID error"
expect_usage "decimal-looking ID" --id 1 --listen http://127.0.0.1:1 \
  --cluster-id 18446744073709551615
grep -qF "rafthttp-node: --cluster-id '18446744073709551615': not a hex ID" \
  "$work/bad.err" || fail "decimal-looking ID: not the hex ID error"
expect_usage "decimal-looking peer ID" --id 1 "${ok[@]}" \
  --peer 99999999999999999=http://127.0.0.1:2
grep -qF "'99999999999999999': not a hex ID" "$work/bad.err" ||
  fail "decimal-looking peer ID: not the hex ID error"
expect_usage "ID 0" --id 0 "${ok[@]}"
expect_usage "missing --id" "${ok[@]}"
expect_usage "invalid URL" --id 1 --cluster-id 1000 --listen 127.0.0.1:1
expect_usage "duplicate peer" --id 1 "${ok[@]}" \
  --peer 2=http://127.0.0.1:2 --peer 2=http://127.0.0.1:3
expect_usage "peer is self" --id 1 "${ok[@]}" --peer 1=http://127.0.0.1:2
expect_usage "bad duration" --id 1 "${ok[@]}" --duration -1
peer2=(--peer "2=http://127.0.0.1:2")
expect_usage "missing snapshot file" --id 1 "${ok[@]}" "${peer2[@]}" \
  --send-snapshot "2=$work/no-such-file"
expect_usage "snapshot file is a directory" --id 1 "${ok[@]}" "${peer2[@]}" \
  --send-snapshot "2=$work"
expect_usage "snapshot to a non-peer" --id 1 "${ok[@]}" "${peer2[@]}" \
  --send-snapshot "3=$work/snap.db"
expect_usage "bad snapshot ID" --id 1 "${ok[@]}" "${peer2[@]}" \
  --send-snapshot "xyz=$work/snap.db"
expect_usage "two snapshots" --id 1 "${ok[@]}" "${peer2[@]}" \
  --send-snapshot "2=$work/snap.db" --send-snapshot "2=$work/snap.db"
expect_usage "bad metrics URL" --id 1 "${ok[@]}" \
  --metrics-listen 127.0.0.1:0
expect_usage "bad etcd version" --id 1 "${ok[@]}" --etcd-version 3.5
expect_usage "bad cluster version" --id 1 "${ok[@]}" --cluster-version v3
# --data-dir must be (or become) a directory we can write in, checked at
# start by writing DIR/.touch as etcd does.
touch "$work/plain-file"
expect_usage "--data-dir is a file" --id 1 "${ok[@]}" \
  --data-dir "$work/plain-file"
grep -qF -e "--data-dir '$work/plain-file': not a directory" "$work/bad.err" ||
  fail "--data-dir is a file: not said"
expect_usage "--data-dir under a file" --id 1 "${ok[@]}" \
  --data-dir "$work/plain-file/snap"
grep -qF "cannot create $work/plain-file/snap" "$work/bad.err" ||
  fail "--data-dir under a file: not said"
if [ "$(id -u)" != 0 ]; then
  mkdir -p "$work/read-only"
  chmod 0500 "$work/read-only"
  expect_usage "--data-dir read-only" --id 1 "${ok[@]}" \
    --data-dir "$work/read-only"
  chmod 0700 "$work/read-only"
elif [ -d /proc/self ]; then # root writes anywhere, but not in /proc
  expect_usage "--data-dir read-only" --id 1 "${ok[@]}" --data-dir /proc/self
fi
grep -qF ": not writable: " "$work/bad.err" ||
  fail "--data-dir read-only: not said"
[ ! -e "$work/data1/.touch" ] || fail "--data-dir: .touch left behind"

# etcd's names: the option named is the one given.
expect_usage "empty URL in --listen-peer-urls" --id 1 --cluster-id 1000 \
  --listen-peer-urls "http://127.0.0.1:1,"
grep -qF -e "--listen-peer-urls 'http://127.0.0.1:1,': empty URL" \
  "$work/bad.err" || fail "--listen-peer-urls: not named in the error"
expect_usage "bad URL in --initial-advertise-peer-urls" --id 1 "${ok[@]}" \
  --initial-advertise-peer-urls "http://127.0.0.1:1,127.0.0.1:2"
grep -qF -e "--initial-advertise-peer-urls '127.0.0.1:2': invalid URL" \
  "$work/bad.err" || fail "--initial-advertise-peer-urls: not named"
expect_usage "two --listen-metrics-urls" --id 1 "${ok[@]}" \
  --listen-metrics-urls "http://127.0.0.1:0,http://127.0.0.1:1"
expect_usage "bad --initial-cluster-state" --id 1 "${ok[@]}" \
  --initial-cluster-state old
grep -qF "want new or existing" "$work/bad.err" ||
  fail "--initial-cluster-state old: no reason given"

expect_usage "bad --logger" --id 1 "${ok[@]}" --logger json
grep -qF "want zap or capnslog" "$work/bad.err" ||
  fail "--logger json: no reason given"
expect_usage "unopenable --log-outputs" --id 1 "${ok[@]}" \
  --log-outputs "stderr,$work/no/such/dir/log"
grep -qF -e "--log-outputs: cannot open $work/no/such/dir/log: No such file" \
  "$work/bad.err" || fail "--log-outputs: the failed output is not named"

rc=0
"$node" --help >"$work/help.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "--help: exit status $rc, want 0"
grep -q '^usage: ' "$work/help.out" || fail "--help: no usage text"

# --version: the program, the library's version, the etcd releases.
rc=0
"$node" --version >"$work/version.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "--version: exit status $rc, want 0"
grep -q '^rafthttp-node (rafthttp-c [0-9]*\.[0-9]*\.[0-9]*)$' \
  "$work/version.out" || fail "--version: no name and library version"
grep -q 'etcd 3.4 and 3.5' "$work/version.out" ||
  fail "--version: no etcd versions"

echo "node_smoke: ok"
