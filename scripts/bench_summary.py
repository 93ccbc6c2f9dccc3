#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Collects and summarises the CSV rows of rafthttp-bench and gobench.

scripts/bench.sh uses it three ways:

  bench_summary.py append FILE [--set COL=VALUE ...] < tool-output
      Appends the rows a tool printed with --csv (one header line per
      invocation, then its rows) to FILE, adding the --set columns (rep,
      exit status, the pair of a cross run) to each; a --set column the
      tool printed itself (impl, mode, size, role: what the run was meant
      to be) keeps the tool's value. FILE keeps one header,
      the union of every column seen so far: rafthttp-bench prints more
      columns than gobench, so the file is rewritten when a new one shows
      up. With no rows on stdin (the tool died or timed out before
      printing) one row of the --set columns records the run.

  bench_summary.py medians FILE... > medians.csv
      The median row (see below) per (impl, mode, role, size, pair), as
      CSV, e.g. for rafthttp-bench --plot-with.

  bench_summary.py summary DIR > summary.md
      The markdown tables of bench.sh's result files in DIR.

Rows over peer TLS (rafthttp-bench's last column, tls, "true") form
groups of their own; a row without the column (gobench, older files) is
plain HTTP. When any row is over TLS, the tables get a tls column and the
plain and TLS rows of a workload sit next to each other.

The median row of a group is the row of median throughput (msgs_per_s,
or mb_per_s for snapshots; the lower middle one of an even number), so
every number in a table line comes from the same run. Only good rows
count: no bad or dropped messages, and an exit status of 0 (or, in a
sweep, where one exit status covers several rows, all messages delivered).
"""

import csv
import io
import os
import sys

GROUP = ("impl", "mode", "role", "size", "pair", "tls")


def read_rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path, columns, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    os.replace(tmp, path)


def parse_tool_csv(text):
    """Rows from a tool's --csv output; a line starting 'impl,' is a header."""
    rows, header = [], None
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = next(csv.reader([line]))
        if fields and fields[0] == "impl":
            header = fields
        elif header is not None:
            rows.append(dict(zip(header, fields)))
    return rows, header or []


def cmd_append(args):
    if not args:
        sys.exit("usage: bench_summary.py append FILE [--set COL=VALUE ...]")
    path, sets = args[0], {}
    rest = args[1:]
    while rest:
        if rest[0] != "--set" or len(rest) < 2 or "=" not in rest[1]:
            sys.exit("bench_summary.py append: want --set COL=VALUE")
        k, v = rest[1].split("=", 1)
        sets[k] = v
        rest = rest[2:]
    new, header = parse_tool_csv(sys.stdin.read())
    if not new:
        new = [{}]
    for r in new:
        for k, v in sets.items():
            if not r.get(k):
                r[k] = v
    old_rows = read_rows(path)
    columns = []
    if old_rows:
        with open(path, newline="") as f:
            columns = next(csv.reader(f))
    for c in list(sets) + header:
        if c not in columns:
            columns.append(c)
    write_rows(path, columns, old_rows + new)


def num(r, k, default=None):
    try:
        return float(r.get(k) or "")
    except ValueError:
        return default


def good(r):
    if (num(r, "bad", 0) or 0) > 0 or (num(r, "dropped", 0) or 0) > 0:
        return False
    if r.get("impl", "") == "":
        return False  # the run printed nothing
    if r.get("exit", "0") == "0":
        return True
    count, delivered = num(r, "count"), num(r, "delivered")
    return (r.get("mode") in ("stream", "rtt", "pipeline") and
            count is not None and delivered == count)


def is_tls(r):
    return r.get("tls", "") == "true"


def key_of(r):
    return tuple(("true" if is_tls(r) else "false") if k == "tls" else r.get(k, "")
                 for k in GROUP)


def any_tls(meds):
    return any(k[5] == "true" for k in meds)


def with_tls(show, head_or_line, k=None, at=2):
    """Inserts the tls column at index at (after impl) if show; k: the group key."""
    if not show:
        return head_or_line
    cell = "tls" if k is None else ("yes" if k[5] == "true" else "no")
    return head_or_line[:at] + [cell] + head_or_line[at:]


def throughput(r):
    k = "mb_per_s" if r.get("mode") == "snapshot" else "msgs_per_s"
    return num(r, k, 0.0)


def median_rows(rows):
    """{group key: (median row or None, good runs, all runs)}, in first-seen order."""
    groups = {}
    for r in rows:
        groups.setdefault(key_of(r), []).append(r)
    out = {}
    for k, rs in groups.items():
        ok = sorted((r for r in rs if good(r)), key=throughput)
        out[k] = (ok[(len(ok) - 1) // 2] if ok else None, len(ok), len(rs))
    return out


def cmd_medians(paths):
    rows, columns = [], []
    for p in paths:
        rows += read_rows(p)
        if os.path.exists(p):
            with open(p, newline="") as f:
                for c in next(csv.reader(f), []):
                    if c not in columns:
                        columns.append(c)
    meds = [m for m, _, _ in median_rows(rows).values() if m is not None]
    w = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    for r in meds:
        w.writerow(r)


# ------------------------------------------------------------- markdown

def fmt(v, prec=1):
    if v is None:
        return "-"
    if abs(v) >= 1000 and prec <= 1:
        return f"{v:,.0f}"
    return f"{v:,.{prec}f}"


def size_name(s):
    s = int(float(s)) if s not in ("", None) else None
    if s is None:
        return "-"
    for unit, n in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if s >= n and s % n == 0:
            return f"{s // n} {unit}"
    return f"{s} B"


def table(out, head, lines):
    out.write("| " + " | ".join(head) + " |\n")
    out.write("|" + "|".join("---" for _ in head) + "|\n")
    for line in lines:
        out.write("| " + " | ".join(line) + " |\n")
    out.write("\n")


def col(m, k, prec=1):
    return fmt(num(m, k), prec) if m is not None else "-"


def runs(ok, total):
    return f"{ok}/{total}"


def cpu_split(m):
    """C's per-member CPU split (sender/receiver), '-' for gobench."""
    if m is None or not m.get("cpu_us_per_msg_send") and not m.get("cpu_us_per_msg_recv"):
        return "-"
    return f"{col(m, 'cpu_us_per_msg_send', 2)} / {col(m, 'cpu_us_per_msg_recv', 2)}"


def section_msgs(out, title, rows, note=""):
    meds = median_rows(rows)
    if not meds:
        return
    out.write(f"### {title}\n\n{note}")
    head = ["size", "impl", "msgs/s", "MB/s", "p50 us", "p99 us", "p999 us",
            "cpu us/msg", "send / recv cpu us/msg", "window", "peak RSS KiB", "good runs"]
    lines = []
    order = sorted(meds, key=lambda k: (k[1] != "stream" and k[1] != "pipeline",
                                        float(k[3] or 0), k[0], k[5]))
    show = any_tls(meds)
    for k in order:
        if k[1] == "rtt":
            continue
        m, ok, total = meds[k]
        lines.append(with_tls(show, [
            size_name(k[3]), k[0], col(m, "msgs_per_s"), col(m, "mb_per_s"),
            col(m, "p50_us"), col(m, "p99_us"), col(m, "p999_us"),
            col(m, "cpu_us_per_msg", 2), cpu_split(m),
            m.get("window", "-") if m else "-", col(m, "peak_rss_kb", 0),
            runs(ok, total)], k))
    table(out, with_tls(show, head), lines)


def section_rtt(out, title, rows):
    meds = {k: v for k, v in median_rows(rows).items() if k[1] == "rtt"}
    if not meds:
        return
    out.write(f"### {title}\n\n")
    head = ["impl", "count", "round trips/s", "p50 us", "p99 us", "p999 us", "max us",
            "cpu us/rt", "send / recv cpu us/rt", "good runs"]
    lines = []
    show = any_tls(meds)
    for k in sorted(meds):
        m, ok, total = meds[k]
        lines.append(with_tls(show, [
            k[0], m.get("count", "-") if m else "-", col(m, "msgs_per_s"),
            col(m, "p50_us"), col(m, "p99_us"), col(m, "p999_us"),
            col(m, "max_us"), col(m, "cpu_us_per_msg", 2), cpu_split(m),
            runs(ok, total)], k, at=1))
    table(out, with_tls(show, head, at=1), lines)


def section_snapshot(out, rows):
    meds = median_rows(rows)
    if not meds:
        return
    out.write("### Snapshot (one process, receiver fsyncs)\n\n")
    head = ["size", "impl", "secs", "MB/s", "cpu s", "peak RSS KiB", "good runs"]
    lines = []
    show = any_tls(meds)
    for k in sorted(meds):
        m, ok, total = meds[k]
        lines.append(with_tls(show, [
            size_name(k[3]), k[0], col(m, "secs", 3), col(m, "mb_per_s"),
            col(m, "cpu_s", 3), col(m, "peak_rss_kb", 0), runs(ok, total)], k))
    table(out, with_tls(show, head), lines)


def section_mixed(out, rows):
    meds = median_rows(rows)
    if not meds:
        return
    out.write("### Mixed (C only): heartbeats while a 16 KiB MsgApp stream and a "
              "snapshot share the peer\n\n")
    head = ["snapshot", "impl", "secs", "heartbeats", "hb p50 us", "hb p99 us",
            "hb max us", "MsgApp/s", "MsgApp MB/s", "snapshot MB/s", "cpu s", "good runs"]
    lines = []
    show = any_tls(meds)
    for k in sorted(meds):
        m, ok, total = meds[k]
        lines.append(with_tls(show, [
            size_name(k[3]), k[0], col(m, "secs", 2), m.get("count", "-") if m else "-",
            col(m, "p50_us"), col(m, "p99_us"), col(m, "max_us"),
            col(m, "msgs_per_s"), col(m, "mb_per_s"), col(m, "snap_mb_per_s"),
            col(m, "cpu_s", 3), runs(ok, total)], k))
    table(out, with_tls(show, head), lines)


def section_cross(out, rows):
    if not rows:
        return
    meds = median_rows(rows)
    out.write("### Cross pairs, two processes (sender -> receiver)\n\n"
              "Rates and latency are the sender's (latency: send -> ack); CPU is "
              "each process's own (user+sys) per message or round trip.\n\n")
    head = ["pair", "workload", "msgs/s", "MB/s", "p50 us", "p99 us",
            "sender cpu us/msg", "receiver cpu us/msg", "sender RSS KiB",
            "receiver RSS KiB", "good runs (send, recv)"]
    pairs = []
    for k in meds:
        if (k[4], k[1], k[3], k[5]) not in pairs:
            pairs.append((k[4], k[1], k[3], k[5]))
    show = any_tls(meds)
    lines = []
    for pair, mode, size, tls in pairs:
        s = r = None
        sok = stot = rok = rtot = 0
        for k, (m, ok, total) in meds.items():
            if (k[4], k[1], k[3], k[5]) != (pair, mode, size, tls):
                continue
            if k[2] == "send":
                s, sok, stot = m, ok, total
            elif k[2] == "recv":
                r, rok, rtot = m, ok, total
        work = "rtt" if mode == "rtt" else f"{mode} {size_name(size)}"
        lines.append(with_tls(show, [pair, work, col(s, "msgs_per_s"),
                      "-" if mode == "rtt" else col(s, "mb_per_s"),
                      col(s, "p50_us"), col(s, "p99_us"), col(s, "cpu_us_per_msg", 2),
                      col(r, "cpu_us_per_msg", 2), col(s, "peak_rss_kb", 0),
                      col(r, "peak_rss_kb", 0), f"{runs(sok, stot)}, {runs(rok, rtot)}"],
                              (None, None, None, None, None, tls)))
    table(out, with_tls(show, head), lines)


def cmd_summary(args):
    if len(args) != 1:
        sys.exit("usage: bench_summary.py summary DIR")
    d = args[0]

    def rows(name):
        return read_rows(os.path.join(d, name))

    out = io.StringIO()
    out.write("## rafthttp benchmark: C (rafthttp-c) vs Go (etcd 3.4.23 rafthttp)\n\n"
              "Median run of each group (by throughput); \"good runs\" counts the "
              "runs without bad, dropped or missing messages over all runs.\n\n")
    sweep = rows("c-sweep.csv") + rows("go-sweep.csv")
    section_msgs(out, "Stream mode by entry size (one process)", sweep,
                 "rafthttp-bench clamps its window to 16 MiB / (size + 64); "
                 "gobench keeps 512 (see the window column).\n\n")
    section_rtt(out, "Round trips in the sweep (one process)", sweep)
    section_msgs(out, "Pipeline mode (every message a POST /raft, one process)",
                 rows("pipeline.csv"))
    section_rtt(out, "Round trips (one process)", rows("rtt.csv"))
    section_snapshot(out, rows("snapshot.csv"))
    section_mixed(out, rows("mixed.csv"))
    section_cross(out, rows("cross.csv"))
    p = os.path.join(d, "failures.txt")
    if os.path.exists(p):
        with open(p) as f:
            out.write("### Failed runs (exit 124: timed out)\n\n```\n"
                      f"{f.read().strip()}\n```\n\n")
    for name in ("disk.txt",):
        p = os.path.join(d, name)
        if os.path.exists(p):
            with open(p) as f:
                out.write(f"### {name}\n\n```\n{f.read().strip()}\n```\n\n")
    sys.stdout.write(out.getvalue())


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "append":
        cmd_append(args)
    elif cmd == "medians":
        cmd_medians(args)
    elif cmd == "summary":
        cmd_summary(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
