# Shared by the interop scripts: free loopback ports, starting etcd and
# rafthttp-node, etcdctl, failing with the logs. Source it after setting
# NODE, ETCD and ETCDCTL; everything lives in $work and is killed at exit.

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
  echo "${0##*/}: FAIL: $*" >&2
  for f in "$work"/*.log "$work"/*.out; do
    [ -f "$f" ] && { echo "--- $f (last 40 lines)" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

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

# start_etcd NAME PEER_PORT CLIENT_PORT CLUSTER TOKEN: sets etcd_pid.
start_etcd() {
  "$ETCD" --name "$1" --data-dir "$work/$1" \
    --listen-peer-urls "http://127.0.0.1:$2" \
    --initial-advertise-peer-urls "http://127.0.0.1:$2" \
    --listen-client-urls "http://127.0.0.1:$3" \
    --advertise-client-urls "http://127.0.0.1:$3" \
    --initial-cluster "$4" --initial-cluster-token "$5" \
    --initial-cluster-state new >>"$work/$1.log" 2>&1 &
  etcd_pid=$!
  pids+=("$etcd_pid")
}

# start_node NAME PORT CLUSTER TOKEN [ARGS...]: sets node_pid. It listens
# on ${NODE_SCHEME:-http}://127.0.0.1:PORT.
start_node() {
  local name=$1 port=$2 cluster=$3 token=$4
  shift 4
  "$NODE" --name "$name" --initial-cluster "$cluster" \
    --initial-cluster-token "$token" \
    --listen "${NODE_SCHEME:-http}://127.0.0.1:$port" \
    --status-interval 1 "$@" >>"$work/$name.out" 2>>"$work/$name.log" &
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
