#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reads an etcd log written by --logger=zap: one JSON object per line,
with "msg" and the fields etcd attaches (etcd 3.4 and 3.5 log the same
messages this way; the scenarios start both with --logger=zap). Lines that
are not JSON (a panic, a Go runtime message) are skipped.

  etcd_log.py wait LOG MSG [FIELD=VALUE ...] [--timeout S] [--after N]
      waits until an entry with msg MSG and the fields has been logged
      (VALUE may be a shell pattern); exits 1 after S seconds (default 15),
      printing what it expected and the last entries it saw.
  etcd_log.py get LOG MSG FIELD [FIELD=VALUE ...]
      prints FIELD of the first such entry; exits 1 if there is none.
  etcd_log.py last-ts LOG MSG [FIELD=VALUE ...]
      prints the Unix time of the last such entry, or nothing.
  etcd_log.py count LOG
      prints the number of entries (for --after: only entries after them).
"""
import calendar
import fnmatch
import json
import sys
import time


def entries(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict) and "msg" in e:
            out.append(e)
    return out


def matches(e, msg, fields):
    if e.get("msg") != msg:
        return False
    for k, v in fields:
        if k not in e or not fnmatch.fnmatchcase(str(e[k]), v):
            return False
    return True


def parse_args(argv):
    fields, opts, rest = [], {"timeout": 15.0, "after": 0}, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--timeout", "--after"):
            opts[a[2:]] = float(argv[i + 1])
            i += 2
            continue
        if "=" in a and rest:
            k, v = a.split("=", 1)
            fields.append((k, v))
        else:
            rest.append(a)
        i += 1
    return rest, fields, opts


def describe(msg, fields):
    text = "msg=%r" % msg
    for k, v in fields:
        text += " %s=%r" % (k, v)
    return text


def excerpt(es, n=12):
    lines = []
    for e in es[-n:]:
        extra = {k: v for k, v in e.items()
                 if k not in ("level", "ts", "caller", "msg", "logger")}
        lines.append("  %s %s %s" % (e.get("level", "?"), e.get("msg"),
                                     json.dumps(extra)[:200]))
    return "\n".join(lines) or "  (no JSON entries)"


def ts_seconds(e):
    ts = e.get("ts")
    if isinstance(ts, (int, float)):
        return float(ts)
    if isinstance(ts, str):  # 2026-12-08T00:50:14.025837Z
        base = ts[:19]
        frac = ts[19:].rstrip("Z").lstrip(".") or "0"
        return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + \
            float("0." + frac.split("+")[0].split("-")[0])
    return 0.0


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    rest, fields, opts = parse_args(sys.argv[2:])
    path = rest[0]
    if cmd == "count":
        print(len(entries(path)))
        return
    msg = rest[1] if len(rest) > 1 else sys.exit(__doc__)
    if cmd == "wait":
        deadline = time.time() + opts["timeout"]
        while True:
            es = entries(path)[int(opts["after"]):]
            if any(matches(e, msg, fields) for e in es):
                return
            if time.time() > deadline:
                sys.stderr.write(
                    "expected an entry %s in %s within %g s; last entries:\n%s\n"
                    % (describe(msg, fields), path, opts["timeout"],
                       excerpt(es)))
                sys.exit(1)
            time.sleep(0.1)
    found = [e for e in entries(path) if matches(e, msg, fields)]
    if cmd == "get":
        key = rest[2] if len(rest) > 2 else sys.exit(__doc__)
        for e in found:
            if key in e:
                print(e[key])
                return
        sys.stderr.write("no entry %s with %s in %s; last entries:\n%s\n" %
                         (describe(msg, fields), key, path,
                          excerpt(entries(path))))
        sys.exit(1)
    if cmd == "last-ts":
        if found:
            print(int(ts_seconds(found[-1])))
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main()
