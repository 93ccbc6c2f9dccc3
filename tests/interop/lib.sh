# SPDX-License-Identifier: Apache-2.0
# Shared by the interop scripts: the referee (which etcd, checked against
# the version asked for), free loopback ports, starting etcd and
# rafthttp-node, etcdctl, reading etcd's JSON log, failing with the logs.
# Source it after setting NODE, ETCD and ETCDCTL; everything lives in $work
# and is killed at exit.
#
# The referee: CTest runs every scenario once per etcd version and sets
# ETCD_EXPECT (3.4, 3.5); a scenario fails, never skips, when the etcd it
# was given is missing or of another version. etcd logs as zap JSON
# (--logger=zap, 3.5's default and 3.4's option): the scenarios read its
# entries with etcd_log.py, not capnslog's text.

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do { wait "$p"; } 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "${0##*/}: FAIL${ETCD_VERSION:+ (etcd $ETCD_VERSION)}: $*" >&2
  for f in "$work"/*.log "$work"/*.out; do
    [ -f "$f" ] && { echo "--- $f (last 40 lines)" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

# Under set -e a failing command would end a scenario silently: say which
# command it was, with the logs, instead.
set -E
on_err() { # the parent reports a failure inside $(...) once, whole
  local rc=$1 line=$2 cmd=$3
  [ "$BASH_SUBSHELL" -gt 0 ] && exit "$rc"
  fail "line $line of ${0##*/}: \"$cmd\" failed (status $rc)"
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

# referee ETCD ETCDCTL EXPECT: prints and returns (in ETCD_VERSION) the
# version of an etcd binary, failing when it is missing or not EXPECT.X.
referee() {
  local etcd=$1 etcdctl=$2 expect=$3 v
  [ -x "$etcd" ] || fail "etcd $expect was asked for, but $etcd is missing" \
    "(scripts/etcd35.sh fetches 3.5; Debian's etcd-server is 3.4)"
  [ -x "$etcdctl" ] || fail "etcdctl $expect was asked for, but $etcdctl is missing"
  v=$("$etcd" --version 2>/dev/null | sed -n 's/^etcd Version: //p')
  [ -n "$v" ] || fail "$etcd --version says no version"
  case "$v" in
    "$expect".* | "$expect") ;;
    *) fail "etcd $expect was asked for, but $etcd is etcd $v" ;;
  esac
  ETCD_VERSION=$v
}

ETCD_VERSION=
if [ -n "${ETCD_EXPECT:-}" ]; then
  referee "$ETCD" "$ETCDCTL" "$ETCD_EXPECT"
else
  ETCD_VERSION=$("$ETCD" --version 2>/dev/null | sed -n 's/^etcd Version: //p')
fi
echo "${0##*/}: against etcd ${ETCD_VERSION:-?} ($ETCD)"
# The C members announce the referee's version unless a scenario says
# otherwise (rafthttp-node --etcd-version).
NODE_ETCD_VERSION=${NODE_ETCD_VERSION-$ETCD_VERSION}

# free_ports N: N free loopback ports on one line.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
PY
}

# start_etcd NAME PEER_PORT CLIENT_PORT CLUSTER TOKEN [ARGS...]: sets
# etcd_pid. ETCD_BIN overrides $ETCD (a mixed cluster).
start_etcd() {
  local name=$1 pp=$2 cp=$3 cluster=$4 token=$5
  shift 5
  "${ETCD_BIN:-$ETCD}" --logger=zap --log-outputs=stderr \
    --name "$name" --data-dir "$work/$name" \
    --listen-peer-urls "http://127.0.0.1:$pp" \
    --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --listen-client-urls "http://127.0.0.1:$cp" \
    --advertise-client-urls "http://127.0.0.1:$cp" \
    --initial-cluster "$cluster" --initial-cluster-token "$token" \
    --initial-cluster-state new "$@" >>"$work/$name.log" 2>&1 &
  etcd_pid=$!
  pids+=("$etcd_pid")
}

# start_node NAME PORT CLUSTER TOKEN [ARGS...]: sets node_pid. It listens
# on ${NODE_SCHEME:-http}://127.0.0.1:PORT.
start_node() {
  local name=$1 port=$2 cluster=$3 token=$4
  shift 4
  local version=()
  [ -n "$NODE_ETCD_VERSION" ] && version=(--etcd-version "$NODE_ETCD_VERSION")
  "$NODE" --name "$name" --initial-cluster "$cluster" \
    --initial-cluster-token "$token" \
    --listen "${NODE_SCHEME:-http}://127.0.0.1:$port" \
    --status-interval 1 "${version[@]}" "$@" \
    >>"$work/$name.out" 2>>"$work/$name.log" &
  node_pid=$!
  pids+=("$node_pid")
}

# ctl ENDPOINT ARGS...: etcdctl v3 with a bound.
ctl() {
  local ep=$1
  shift
  ETCDCTL_API=3 timeout 10 "$ETCDCTL" --endpoints "$ep" "$@"
}

# wait_healthy ENDPOINT: bounded wait for etcd to serve.
wait_healthy() {
  for _ in $(seq 1 150); do
    ctl "$1" endpoint health >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "etcd at $1 never became healthy"
}

# wait_grep PATTERN FILE [SECONDS]: bounded wait for a line.
wait_grep() {
  local limit=$((${3:-15} * 10))
  for _ in $(seq 1 "$limit"); do
    grep -q -- "$1" "$2" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "no line matching '$1' in ${2##*/}"
}

# etcd's JSON log (etcd_log.py). wait_log LOG MSG [FIELD=VALUE...]
# [--timeout S] [--after N]: bounded wait for an entry, failing with what
# was expected and the entries seen.
ETCD_LOG="$(dirname "${BASH_SOURCE[0]}")/etcd_log.py"
wait_log() {
  local file=$1
  shift
  python3 "$ETCD_LOG" wait "$file" "$@" ||
    fail "etcd never logged what was expected in ${file##*/} (above)"
}

# log_get LOG MSG FIELD [FIELD=VALUE...]: a field of the first such entry.
log_get() {
  python3 "$ETCD_LOG" get "$@" || fail "no such entry in ${1##*/} (above)"
}

# log_count LOG: entries so far (for wait_log --after).
log_count() {
  python3 "$ETCD_LOG" count "$1"
}

# etcd_member_id LOG: the member ID an etcd logged at start.
etcd_member_id() {
  wait_log "$1" "starting local member" --timeout 20
  log_get "$1" "starting local member" local-member-id
}

# node_member_id NAME: the member ID a rafthttp-node printed.
node_member_id() {
  local id
  for _ in $(seq 1 50); do
    id=$(grep -o 'member=[0-9a-f]*' "$work/$1.out" 2>/dev/null | head -n 1 |
      cut -d= -f2 || true)
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.1
  done
  fail "$1 printed no member ID"
}

# wait_streams LOG PEER: etcd's four streams with PEER are up (its two
# writers and two readers), as its log says. (Not "set message encoder":
# etcd 3.4 logs its own ID as "to" there.)
wait_streams() {
  local s k
  for s in "stream MsgApp v2" "stream Message"; do
    for k in writer reader; do
      wait_log "$1" "established TCP streaming connection with remote peer" \
        "remote-peer-id=$2" "stream-$k-type=$s"
    done
  done
}

# cluster_version ENDPOINT: the cluster version etcd reports (/version).
cluster_version() {
  curl -s --max-time 5 "$1/version" | python3 -c \
    'import json,sys; print(json.load(sys.stdin).get("etcdcluster",""))'
}

# wait_cluster_version ENDPOINT X.Y.Z [SECONDS]: etcd's leader decides the
# cluster version from every member's /version (every 4 s or so).
wait_cluster_version() {
  local v=""
  for _ in $(seq 1 $((${3:-20} * 5))); do
    v=$(cluster_version "$1" 2>/dev/null || true)
    [ "$v" = "$2" ] && return 0
    sleep 0.2
  done
  fail "cluster version at $1 is '$v', want $2"
}
