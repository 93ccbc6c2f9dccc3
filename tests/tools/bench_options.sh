#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Behaviour of rafthttp-bench (never its speed): every mode in one process
# with small counts gives one result that counts what it sent; --json
# parses and has the spec's keys, --csv has one header and a row per run;
# --version names the program, the library and the etcd releases; the
# sweep gives five stream rows and one rtt row (and a plot through
# gnuplot when it is installed, a clear error when it is not; its script
# names the implementations in full, gives the scale and the machine and
# starts the value axes at zero); bad
# arguments exit 2 (IDs are hex as etcd prints them, with the words the
# other tools use for a bad one); two processes (--role recv / --role
# send) agree on stream and rtt, also with hex IDs of their own; and the
# checker catches messages other than those sent (--corrupt-every): exit
# 1 and "bad" above 0. Peer TLS (etcd's --peer-* flags, a PKI made here by
# tests/tls/make_certs.sh): stream, rtt and a snapshot over https say
# "tls": true, --tls-compare gives a plain and a TLS row per run, two
# processes agree over mutual TLS, and URLs whose scheme does not match
# the flags exit 2.
#
# usage: bench_options.sh PATH/TO/rafthttp-bench
set -euo pipefail

bench=${1:?usage: bench_options.sh PATH/TO/rafthttp-bench}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$bench" ] || { echo "not executable: $bench" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench_options: needs python3" >&2; exit 1; }

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
  echo "bench_options: FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

# no_sanitizer_report FILE: fails on an ASan/UBSan report in FILE.
no_sanitizer_report() {
  if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$1"; then
    fail "sanitizer report in $1"
  fi
}

# run NAME EXPECTED_STATUS ARGS...: runs the bench into NAME.out/.err.
run() {
  local name=$1 want=$2 rc=0
  shift 2
  "$bench" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  no_sanitizer_report "$work/$name.err"
  [ "$rc" = "$want" ] || fail "$name: exit status $rc, want $want ($*)"
}

# json_check NAME PYTHON_EXPR: NAME.out is one JSON object per line; the
# last one, as j, must make the expression true. The spec's keys that
# every run has must be there.
json_check() {
  python3 - "$work/$1.out" "$2" <<'PY' || fail "$1: JSON check failed: $2"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
rows = [json.loads(l) for l in lines]
j = rows[-1]
for k in ("impl", "mode", "role", "count", "secs", "delivered", "dropped",
          "bad", "cpu_s", "cpu_us_per_msg", "peak_rss_kb"):
    if k not in j:
        sys.exit("missing key %s in %s" % (k, j))
if j["impl"] != "c":
    sys.exit("impl is %r" % j["impl"])
if not eval("(" + sys.argv[2] + ")", {}, {"j": j, "rows": rows}):
    sys.exit("false for %s" % j)
PY
}

# ---------------------------------------------------------- one process
run help 0 --help
grep -q '^usage: ' "$work/help.out" || fail "--help: no usage text"
run version 0 --version
grep -q '^rafthttp-bench (rafthttp-c [0-9]*\.[0-9]*\.[0-9]*)$' \
  "$work/version.out" || fail "--version: no name and library version"
grep -q 'etcd 3.4 and 3.5' "$work/version.out" ||
  fail "--version: no etcd versions"

run stream 0 --mode stream --size 100 --count 20000 --json
json_check stream 'j["mode"] == "stream" and j["role"] == "both" and
  j["tls"] is False and
  j["size"] == 100 and j["window"] == 512 and j["delivered"] == 20000 and
  j["bad"] == 0 and j["dropped"] == 0 and j["msgs_per_s"] > 0 and
  j["mb_per_s"] > 0 and 0 < j["p50_us"] <= j["p99_us"] <= j["p999_us"] <=
  j["max_us"] and "cpu_us_per_msg_send" in j and
  "cpu_us_per_msg_recv" in j and j["peak_rss_kb"] > 0'

# The window is clamped to the per-peer queue budget, and says so.
run clamp 0 --size 1M --count 20 --window 100 --json
json_check clamp 'j["window"] == 15 and j["delivered"] == 20'
grep -q 'window 100 clamped to 15' "$work/clamp.err" ||
  fail "the window clamp was not reported"

run pipeline 0 --mode pipeline --size 256 --count 500 --json
json_check pipeline 'j["mode"] == "pipeline" and j["window"] <= 64 and
  j["delivered"] + j["dropped"] == 500 and j["bad"] == 0'

run rtt 0 --mode rtt --count 200 --json
json_check rtt 'j["mode"] == "rtt" and j["delivered"] == 200 and
  j["bad"] == 0 and "size" not in j and "window" not in j and
  0 < j["p50_us"] <= j["p99_us"] <= j["p999_us"] <= j["max_us"]'

run snapshot 0 --mode snapshot --size 3M --json
json_check snapshot 'j["mode"] == "snapshot" and j["size"] == 3 << 20 and
  j["delivered"] == 1 and j["bad"] == 0 and j["mb_per_s"] > 0'
run snapshot_nofsync 0 --mode snapshot --size 1M --no-fsync --json
json_check snapshot_nofsync 'j["delivered"] == 1 and j["bad"] == 0'

# The older form that scripts/demo.sh uses.
run snapshot_old 0 --snapshot 1M --json
json_check snapshot_old 'j["mode"] == "snapshot" and j["size"] == 1 << 20'

run mixed 0 --mode mixed --size 4M --bulk-size 1K --count 20 --json
json_check mixed 'j["mode"] == "mixed" and j["count"] >= 20 and
  j["delivered"] > 0 and j["bad"] == 0 and j["snap_bytes"] == 4 << 20 and
  j["snap_secs"] > 0 and j["p99_us"] > 0 and j["mb_per_s"] > 0'

# The human table: a header and a row.
run table 0 --count 1000
grep -q '^mode  *role  *tls  *size' "$work/table.out" || fail "table: no header"
grep -q '^stream  *both  *no ' "$work/table.out" || fail "table: no stream row"

# CSV: a header, then a row with as many columns.
run csv 0 --count 1000 --csv
python3 - "$work/csv.out" <<'PY' || fail "csv: bad shape"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert len(rows) == 2, rows
assert rows[0][:3] == ["impl", "mode", "role"], rows[0]
assert len(rows[1]) == len(rows[0]), rows
r = dict(zip(rows[0], rows[1]))
assert r["impl"] == "c" and r["delivered"] == "1000" and r["bad"] == "0", r
assert rows[0][-1] == "tls" and r["tls"] == "false", r  # tls: the last column
PY

# ---------------------------------------------------------------- sweep
run sweep 0 --sweep --sweep-scale 0.01 --csv
python3 - "$work/sweep.out" <<'PY' || fail "sweep: want a header, 5 stream rows, 1 rtt row"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sizes = [r["size"] for r in rows if r["mode"] == "stream"]
assert sizes == ["64", "1024", "16384", "262144", "1048576"], sizes
assert [r["mode"] for r in rows].count("rtt") == 1, rows
assert all(r["bad"] == "0" and r["impl"] == "c" for r in rows), rows
assert all(r["tls"] == "false" for r in rows), rows
assert rows[0]["count"] == "20000", rows[0]["count"]
PY

# Without gnuplot on PATH, --plot says so and fails, keeping the data.
mkdir -p "$work/empty-path"
rc=0
PATH="$work/empty-path" "$bench" --sweep --sweep-scale 0.001 \
  --plot "$work/none.png" >"$work/noplot.out" 2>"$work/noplot.err" || rc=$?
[ "$rc" = 1 ] || fail "--plot without gnuplot: exit status $rc, want 1"
grep -q 'needs gnuplot' "$work/noplot.err" ||
  fail "--plot without gnuplot: no clear message"
[ -s "$work/none.dat" ] || fail "--plot without gnuplot: no data file"
[ -s "$work/none.gp" ] || fail "--plot without gnuplot: no gnuplot script"

# The plot's script (FILE.gp, kept beside the PNG) names the
# implementations in full, states the run's scale and the machine, and
# starts every value axis at zero (linear; sizes are categories).
gp=$work/none.gp
grep -qF "title 'rafthttp-c'" "$gp" || fail "plot: no series 'rafthttp-c'"
grep -qF 'rafthttp-c, sweep scale 0.001: 64 B x 2000, 1 KiB x 1000, ' "$gp" ||
  fail "plot: the title does not give the sweep scale and counts"
grep -qE 'machine: .+, [0-9]+ CPUs?"' "$gp" ||
  fail "plot: the title does not name the machine"
[ "$(grep -c '^set yrange \[0:\*\]$' "$gp")" = 2 ] ||
  fail "plot: the value axes do not both start at zero"
grep -q 'logscale' "$gp" && fail "plot: a log axis cannot start at zero"
grep -qF "set xtics ('64 B' 0, '1 KiB' 1, '16 KiB' 2, '256 KiB' 3, '1 MiB' 4)" \
  "$gp" || fail "plot: the sizes are not the x axis's categories"

if command -v gnuplot >/dev/null 2>&1; then
  printf 'impl,mode,size,msgs_per_s,mb_per_s\ngo,stream,64,1000,0.064\n' \
    >"$work/other.csv"
  printf 'go,stream,1024,900,0.92\ngo,rtt,,20000,\n' >>"$work/other.csv"
  run plot 0 --sweep --sweep-scale 0.001 --plot "$work/sweep.png" \
    --plot-with "$work/other.csv"
  [ -s "$work/sweep.png" ] || fail "--plot: no PNG"
  [ "$(head -c 4 "$work/sweep.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] ||
    fail "--plot: not a PNG"
  grep -q '^# etcd rafthttp (Go)$' "$work/sweep.dat" ||
    fail "--plot-with: impl go is not named etcd rafthttp (Go)"
  grep -qF "title 'etcd rafthttp (Go)'" "$work/sweep.gp" ||
    fail "--plot-with: no series 'etcd rafthttp (Go)' in the script"
  # The etcd version, from a flag or from the impl column.
  run plot_version 0 --sweep --count 100 --plot "$work/v.png" \
    --plot-with "$work/other.csv" --plot-with-version 3.4.23
  grep -qF "title 'etcd 3.4.23 rafthttp (Go)'" "$work/v.gp" ||
    fail "--plot-with-version: not in the series name"
  grep -qF 'rafthttp-c, --count 100: 100 messages per size' "$work/v.gp" ||
    fail "plot: the title does not give --count"
  sed 's/^go,/go-3.4.23,/' "$work/other.csv" >"$work/other-v.csv"
  run plot_impl_version 0 --sweep --count 100 --plot "$work/iv.png" \
    --plot-with "$work/other-v.csv"
  grep -qF "title 'etcd 3.4.23 rafthttp (Go)'" "$work/iv.gp" ||
    fail "--plot-with: impl go-3.4.23 not named etcd 3.4.23 rafthttp (Go)"
  [ -s "$work/iv.png" ] || fail "--plot: no PNG"
else
  echo "bench_options: gnuplot not installed: --plot PNG check skipped" >&2
fi

# -------------------------------------------------------- bad arguments
expect_usage() {
  local what=$1 rc=0
  shift
  "$bench" "$@" >"$work/bad.out" 2>"$work/bad.err" || rc=$?
  [ "$rc" = 2 ] || fail "$what: exit status $rc, want 2"
  grep -q 'rafthttp-bench: ' "$work/bad.err" || fail "$what: no message"
}
expect_usage "unknown option" --frobnicate
expect_usage "missing value" --count
expect_usage "unknown mode" --mode bogus
expect_usage "bad size" --size 12x
expect_usage "count 0" --count 0
expect_usage "negative count" --count -5
expect_usage "window 0" --window 0
expect_usage "entry too large" --size 32M
expect_usage "json and csv" --json --csv
expect_usage "role without peer" --role send
expect_usage "peer without role" --peer-url http://127.0.0.1:1 \
  --listen http://127.0.0.1:2
expect_usage "peer without listen" --role send --peer-url http://127.0.0.1:1
expect_usage "bad role" --role both --peer-url http://127.0.0.1:1 \
  --listen http://127.0.0.1:2
expect_usage "bad URL" --role send --peer-url 127.0.0.1:1 \
  --listen http://127.0.0.1:2
expect_usage "ID 0" --role send --peer-url http://127.0.0.1:1 \
  --listen http://127.0.0.1:2 --local-id 0
# IDs are hex as etcd prints them (as rafthttp-node's and rafthttp-dump's),
# with the same words for a bad one: no 0x, no decimal past 16 digits.
expect_usage "0x ID" --role send --peer-url http://127.0.0.1:1 \
  --listen http://127.0.0.1:2 --cluster-id 0x1000
grep -qF -e "--cluster-id '0x1000': not a hex ID (1 to 16 hex digits)" \
  "$work/bad.err" || fail "0x ID: not the hex ID error"
expect_usage "decimal-looking ID" --role send --peer-url http://127.0.0.1:1 \
  --listen http://127.0.0.1:2 --peer-id 18446744073709551615
grep -qF "rafthttp-bench: --peer-id '18446744073709551615': not a hex ID" \
  "$work/bad.err" || fail "decimal-looking ID: not the hex ID error"
expect_usage "mixed external" --mode mixed --role send \
  --peer-url http://127.0.0.1:1 --listen http://127.0.0.1:2
expect_usage "plot without sweep" --plot x.png
expect_usage "plot version without plot-with" --sweep --plot x.png \
  --plot-with-version 3.4.23
expect_usage "bad plot version" --sweep --plot x.png --plot-with x.csv \
  --plot-with-version 3.4
expect_usage "sweep scale 0" --sweep --sweep-scale 0
expect_usage "snapshot count" --mode snapshot --count 3

# ------------------------------------------------------ the checker works
run corrupt 1 --count 1000 --corrupt-every 100 --json
json_check corrupt 'j["bad"] == 10 and j["delivered"] == 1000'
grep -q 'bad MsgApp' "$work/corrupt.err" || fail "corrupt: no mismatch printed"
run corrupt_rtt 1 --mode rtt --count 100 --corrupt-every 50 --json
json_check corrupt_rtt 'j["bad"] == 2'

# ------------------------------------------------------- two processes
free_ports() {
  python3 -c '
import socket
a = socket.socket(); a.bind(("127.0.0.1", 0))
b = socket.socket(); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])'
}

# wait_exit PID SECONDS: the exit status of PID, or 124 (killed).
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

# pair NAME ARGS...: a receiver and a sender process with ARGS; sets
# rc_recv and rc_send. A port taken under us is retried. The URLs are
# $scheme:// (http unless set); recv_args and send_args are each side's
# own extra arguments (its certificate).
scheme=http
recv_args=()
send_args=()
pair() {
  local name=$1 attempt p1 p2
  shift
  for attempt in 1 2 3; do
    read -r p1 p2 < <(free_ports)
    rc_recv=0
    rc_send=0
    "$bench" --role recv --listen "$scheme://127.0.0.1:$p2" \
      --peer-url "$scheme://127.0.0.1:$p1" --json "$@" \
      ${recv_args[@]+"${recv_args[@]}"} \
      >"$work/$name-recv.out" 2>"$work/$name-recv.err" &
    local pid=$!
    pids+=("$pid")
    "$bench" --role send --listen "$scheme://127.0.0.1:$p1" \
      --peer-url "$scheme://127.0.0.1:$p2" --json "$@" \
      ${send_args[@]+"${send_args[@]}"} \
      >"$work/$name-send.out" 2>"$work/$name-send.err" || rc_send=$?
    wait_exit "$pid" 30 || rc_recv=$?
    no_sanitizer_report "$work/$name-recv.err"
    no_sanitizer_report "$work/$name-send.err"
    grep -qs 'cannot start' "$work/$name"-*.err || return 0
  done
}

pair ext_stream --count 5000 --size 200
[ "$rc_send" = 0 ] && [ "$rc_recv" = 0 ] ||
  fail "two-process stream: exit $rc_send (send), $rc_recv (recv)"
json_check ext_stream-send 'j["role"] == "send" and j["delivered"] == 5000 and
  "cpu_us_per_msg_send" in j and "cpu_us_per_msg_recv" not in j'
json_check ext_stream-recv 'j["role"] == "recv" and j["delivered"] == 5000 and
  j["bad"] == 0 and "cpu_us_per_msg_recv" in j'

pair ext_rtt --mode rtt --count 100
[ "$rc_send" = 0 ] && [ "$rc_recv" = 0 ] ||
  fail "two-process rtt: exit $rc_send (send), $rc_recv (recv)"
json_check ext_rtt-send 'j["delivered"] == 100 and j["bad"] == 0 and
  j["p50_us"] > 0'
json_check ext_rtt-recv 'j["delivered"] == 100'

# Hex IDs (as etcd prints them) on both sides: the sender is a1, the
# receiver 0B2 (leading zero, upper case), the cluster ff.
send_args=(--local-id a1 --peer-id 0B2)
recv_args=(--local-id b2 --peer-id A1)
pair ext_hex --count 1000 --cluster-id ff
[ "$rc_send" = 0 ] && [ "$rc_recv" = 0 ] ||
  fail "two-process stream, hex IDs: exit $rc_send (send), $rc_recv (recv)"
json_check ext_hex-recv 'j["delivered"] == 1000 and j["bad"] == 0'
send_args=()
recv_args=()

# The receiver process sees the corrupted messages.
pair ext_corrupt --count 1000 --corrupt-every 250
[ "$rc_recv" = 1 ] || fail "two-process corrupt: receiver exit $rc_recv, want 1"
json_check ext_corrupt-recv 'j["bad"] == 4 and j["delivered"] == 1000'

# ------------------------------------------------------------- peer TLS
if ! command -v openssl >/dev/null 2>&1; then
  echo "bench_options: openssl not installed: TLS checks skipped" >&2
  echo "bench_options: ok"
  exit 0
fi
pki=$work/pki
bash "$here/../tls/make_certs.sh" "$pki" >/dev/null ||
  fail "make_certs.sh failed"
# One process: both members present m1's certificate.
tls=(--peer-cert-file "$pki/m1.pem" --peer-key-file "$pki/m1.key"
  --peer-trusted-ca-file "$pki/ca.pem")

run tls_stream 0 --size 100 --count 5000 --json "${tls[@]}"
json_check tls_stream 'j["tls"] is True and j["mode"] == "stream" and
  j["delivered"] == 5000 and j["bad"] == 0 and j["dropped"] == 0'
run tls_rtt 0 --mode rtt --count 200 --json "${tls[@]}" \
  --peer-client-cert-auth --peer-cert-allowed-cn member-1
json_check tls_rtt 'j["tls"] is True and j["delivered"] == 200 and
  j["bad"] == 0 and j["p50_us"] > 0'
run tls_snapshot 0 --mode snapshot --size 3M --json "${tls[@]}" \
  --peer-client-cert-auth
json_check tls_snapshot 'j["tls"] is True and j["delivered"] == 1 and
  j["bad"] == 0 and j["size"] == 3 << 20'

# --tls-compare: each run over plain HTTP, then over TLS.
run tls_compare 0 --count 2000 --csv --tls-compare "${tls[@]}" \
  --peer-client-cert-auth=true
python3 - "$work/tls_compare.out" <<'PY' || fail "--tls-compare: want a plain and a TLS row"
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0][-1] == "tls", rows[0]
r = [dict(zip(rows[0], x)) for x in rows[1:]]
assert [x["tls"] for x in r] == ["false", "true"], r
assert all(x["delivered"] == "2000" and x["bad"] == "0" for x in r), r
PY
run tls_table 0 --count 1000 --tls-compare "${tls[@]}"
grep -q '^stream  *both  *no ' "$work/tls_table.out" &&
  grep -q '^stream  *both  *yes ' "$work/tls_table.out" ||
  fail "--tls-compare table: want a no and a yes row"

run tls_sweep 0 --sweep --sweep-scale 0.001 --tls-compare --csv "${tls[@]}"
python3 - "$work/tls_sweep.out" <<'PY' || fail "--sweep --tls-compare: want pairs of rows"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
got = [(r["mode"], r["size"], r["tls"]) for r in rows]
want = []
for size in ("64", "1024", "16384", "262144", "1048576"):
    want += [("stream", size, "false"), ("stream", size, "true")]
want += [("rtt", "", "false"), ("rtt", "", "true")]
assert got == want, got
assert all(r["bad"] == "0" for r in rows), rows
PY
run tls_sweep_only 0 --sweep --sweep-scale 0.001 --csv "${tls[@]}"
python3 - "$work/tls_sweep_only.out" <<'PY' || fail "--sweep with TLS flags: want TLS rows only"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 6 and all(r["tls"] == "true" for r in rows), rows
PY

# scripts/bench_summary.py keeps plain and TLS rows apart, in a tls column.
summary=$here/../../scripts/bench_summary.py
mkdir -p "$work/summary"
PYTHONDONTWRITEBYTECODE=1 python3 "$summary" append \
  "$work/summary/c-sweep.csv" --set rep=1 --set exit=0 \
  <"$work/tls_sweep.out" || fail "bench_summary.py append"
PYTHONDONTWRITEBYTECODE=1 python3 "$summary" summary "$work/summary" \
  >"$work/summary.md" || fail "bench_summary.py summary"
grep -q '^| size | impl | tls | msgs/s' "$work/summary.md" &&
  grep -q '^| 16 KiB | c | no | ' "$work/summary.md" &&
  grep -q '^| 16 KiB | c | yes | ' "$work/summary.md" ||
  fail "bench_summary.py: no tls column or rows"

# Two processes over mutual TLS, each with its own certificate, bound to
# its member ID.
scheme=https
recv_args=(--peer-cert-file "$pki/m2.pem" --peer-key-file "$pki/m2.key")
send_args=(--peer-cert-file "$pki/m1.pem" --peer-key-file "$pki/m1.key")
pair ext_tls --count 3000 --size 200 --peer-trusted-ca-file "$pki/ca.pem" \
  --peer-client-cert-auth --peer-bind-member-id
[ "$rc_send" = 0 ] && [ "$rc_recv" = 0 ] ||
  fail "two-process TLS stream: exit $rc_send (send), $rc_recv (recv)"
json_check ext_tls-send 'j["tls"] is True and j["role"] == "send" and
  j["delivered"] == 3000'
json_check ext_tls-recv 'j["tls"] is True and j["role"] == "recv" and
  j["delivered"] == 3000 and j["bad"] == 0'
scheme=http
recv_args=()
send_args=()

expect_usage "TLS flags, http --listen" "${tls[@]}" --role send \
  --listen http://127.0.0.1:1 --peer-url https://127.0.0.1:2
expect_usage "TLS flags, http --peer-url" "${tls[@]}" --role recv \
  --listen https://127.0.0.1:1 --peer-url http://127.0.0.1:2
expect_usage "https without TLS flags" --role send \
  --listen https://127.0.0.1:1 --peer-url https://127.0.0.1:2
expect_usage "bind member ID in one process" "${tls[@]}" --peer-bind-member-id
expect_usage "key without certificate" --peer-key-file "$pki/m1.key"
expect_usage "certificate without key" --peer-cert-file "$pki/m1.pem"
expect_usage "missing certificate" --peer-cert-file "$pki/none.pem" \
  --peer-key-file "$pki/m1.key"
expect_usage "client cert auth without CA" --peer-cert-file "$pki/m1.pem" \
  --peer-key-file "$pki/m1.key" --peer-client-cert-auth
expect_usage "tls-compare without TLS" --tls-compare
expect_usage "tls-compare external" "${tls[@]}" --tls-compare --role send \
  --listen https://127.0.0.1:1 --peer-url https://127.0.0.1:2
expect_usage "bad bool" "${tls[@]}" --peer-client-cert-auth=maybe
grep -q 'peer-cert-file' "$work/help.out" &&
  grep -q 'tls-compare' "$work/help.out" || fail "--help: no TLS flags"

echo "bench_options: ok"
