#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Behaviour of rafthttp-dump's command line: --help and --version exit 0,
# each kind of body decodes a small hand-made input (hex text), LOCAL and
# REMOTE are hex IDs as etcd prints them (leading zeros and either case
# taken; "0x", 17 significant digits and 0 refused with the words the
# other tools use), and bad arguments exit 2, input that does not decode 1.
#
# usage: dump_options.sh PATH/TO/rafthttp-dump
set -euo pipefail

dump=${1:?usage: dump_options.sh PATH/TO/rafthttp-dump}
[ -x "$dump" ] || { echo "not executable: $dump" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "dump_options: FAIL: $*" >&2
  for f in "$work"/out "$work"/err; do
    [ -s "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}

# run WANT_STATUS HEX_INPUT ARGS...: runs the dump on the input.
run() {
  local want=$1 input=$2 rc=0
  shift 2
  printf '%s' "$input" | "$dump" "$@" >"$work/out" 2>"$work/err" || rc=$?
  if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$work/err"; then
    fail "sanitizer report ($*)"
  fi
  [ "$rc" = "$want" ] || fail "exit status $rc, want $want ($*)"
}

run 0 '' --help
grep -q '^usage: rafthttp-dump ' "$work/out" || fail "--help: no usage text"
grep -q 'hex IDs as etcd prints them' "$work/out" ||
  fail "--help does not say LOCAL and REMOTE are hex"
run 0 '' --version
grep -q '^rafthttp-dump (rafthttp-c [0-9][0-9.]*)$' "$work/out" ||
  fail "--version: no name and library version"
grep -q 'etcd 3.4 and 3.5' "$work/out" || fail "--version: no etcd versions"

# A POST /raft body: MsgHeartbeat (8) to 2 from 1, term 5.
run 0 '08 08 10 02 18 01 20 05' --hex pipeline
grep -q '^MsgHeartbeat from=1 to=2 term=5 ' "$work/out" ||
  fail "pipeline: not decoded"
# A message stream: one frame (BE64 length 8) of the same message.
run 0 '0000000000000008 0808100218012005' --hex message
grep -q '^MsgHeartbeat from=1 to=2 term=5 ' "$work/out" ||
  fail "message: not decoded"
# A msgappv2 stream: one link heartbeat (type 0); the IDs in hex.
run 0 '00' --hex msgapp a1 00B2
grep -qx 'link-heartbeat' "$work/out" || fail "msgapp: not decoded"
run 1 '0000000000000008 0808' --hex message
grep -q 'rafthttp-dump: ' "$work/err" || fail "truncated input: no message"

# expect_usage WHAT WHY ARGS...: status 2 and WHY on stderr.
expect_usage() {
  local what=$1 why=$2
  shift 2
  run 2 '' "$@"
  grep -qF "$why" "$work/err" || fail "$what: stderr does not say '$why'"
}
expect_usage "no kind" "missing"
expect_usage "unknown kind" "bogus: unknown kind" bogus
expect_usage "msgapp without IDs" "wants LOCAL REMOTE" msgapp
expect_usage "0x prefix" "LOCAL '0x1': not a hex ID (1 to 16 hex digits)" \
  msgapp 0x1 2
expect_usage "decimal beyond 64 bits" \
  "REMOTE '18446744073709551616': not a hex ID (1 to 16 hex digits)" \
  msgapp 1 18446744073709551616
expect_usage "ID 0" "LOCAL '0': the ID must not be 0" msgapp 0 2
expect_usage "extra argument" "takes no further arguments" pipeline 1

echo "dump_options: ok"
