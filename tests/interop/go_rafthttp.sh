#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop scenario 4: etcd's own Go rafthttp.Transport (gopeer) and a C
# transport (peer_go) exchange every message type over both streams, a
# MsgSnap through the pipeline and a snapshot each way; each side checks
# what it got and both must say ok.
# usage: go_rafthttp.sh GOPEER PEER_GO
set -euo pipefail
gopeer=${1:?usage: go_rafthttp.sh GOPEER PEER_GO}
peer_go=${2:?}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
read -r pg pc < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$work/go-snap" "$work/c-snap"
timeout 60 "$gopeer" "http://127.0.0.1:$pg" "http://127.0.0.1:$pc" \
  "$work/go-snap" >"$work/go.out" 2>"$work/go.log" &
go_pid=$!
c_status=0
timeout 60 "$peer_go" "http://127.0.0.1:$pc" "http://127.0.0.1:$pg" \
  "$work/c-snap" >"$work/c.out" 2>"$work/c.log" || c_status=$?
go_status=0
wait "$go_pid" || go_status=$?
cat "$work/go.out" "$work/c.out"
if [ "$go_status" != 0 ] || [ "$c_status" != 0 ]; then
  echo "go_rafthttp: FAIL: gopeer $go_status, peer_go $c_status" >&2
  tail -n 20 "$work/go.log" "$work/c.log" >&2
  exit 1
fi
