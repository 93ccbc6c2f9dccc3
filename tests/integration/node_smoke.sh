#!/usr/bin/env bash
# Smoke test of the example member program: two rafthttp-node processes on
# loopback find each other, print status lines, stop on their own and print
# a summary that shows the peer active; a third stops cleanly on SIGTERM;
# bad arguments exit with status 2.
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
# was_active=true, active=false.
# Sets rc1 and rc2.
run_pair() {
  local p1=$1 p2=$2
  rc1=0
  rc2=0
  "$node" --id 1 --cluster-id 1000 --listen "http://127.0.0.1:$p1" \
    --peer "2=http://127.0.0.1:$p2" --duration 6 --status-interval 1 \
    --data-dir "$work/data1" >"$work/n1.out" 2>"$work/n1.err" &
  local pid1=$!
  pids+=("$pid1")
  "$node" --id 2 --cluster-id 1000 --listen "http://127.0.0.1:$p2" \
    --peer "1=http://127.0.0.1:$p1" --duration 4 --status-interval 1 \
    >"$work/n2.out" 2>"$work/n2.err" &
  local pid2=$!
  pids+=("$pid2")
  wait_exit "$pid2" 30 || rc2=$?
  wait_exit "$pid1" 30 || rc1=$?
}

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

# A lone node stops cleanly on SIGTERM.
read -r port1 _ < <(free_ports)
"$node" --id 3 --cluster-id 1000 --listen "http://127.0.0.1:$port1" \
  --peer "4=http://127.0.0.1:1" >"$work/n3.out" 2>"$work/n3.err" &
pid3=$!
pids+=("$pid3")
sleep 1
kill -TERM "$pid3"
rc3=0
wait_exit "$pid3" 30 || rc3=$?
[ "$rc3" = 0 ] || fail "SIGTERM: exit status $rc3, want 0"
grep -q '^summary member=3 .* stopped_by=SIGTERM' "$work/n3.out" ||
  fail "SIGTERM: no summary"

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
expect_usage "ID 0" --id 0 "${ok[@]}"
expect_usage "missing --id" "${ok[@]}"
expect_usage "invalid URL" --id 1 --cluster-id 1000 --listen 127.0.0.1:1
expect_usage "duplicate peer" --id 1 "${ok[@]}" \
  --peer 2=http://127.0.0.1:2 --peer 2=http://127.0.0.1:3
expect_usage "peer is self" --id 1 "${ok[@]}" --peer 1=http://127.0.0.1:2
expect_usage "bad duration" --id 1 "${ok[@]}" --duration -1

rc=0
"$node" --help >"$work/help.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "--help: exit status $rc, want 0"
grep -q '^usage: ' "$work/help.out" || fail "--help: no usage text"

echo "node_smoke: ok"
