#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches etcd 3.5, the second referee of the interop suite, without
# touching the machine's packages or apt configuration: Debian trixie's
# etcd-server and etcd-client are downloaded by apt-get into a private apt
# state directory (its own sources file, lists, cache and status), from the
# mirror the machine's own Debian source names with only the suite changed,
# and unpacked with dpkg-deb -x. The binaries need only libc.
#
# Prints the folder that holds etcd and etcdctl. Does nothing when the cache
# already holds an etcd 3.5.
#
# usage: scripts/etcd35.sh [CACHE_DIR]   (default: .cache/etcd-3.5)
set -euo pipefail
cd "$(dirname "$0")/.."

suite=${ETCD35_SUITE:-trixie}
cache=${1:-${RAFTHTTP_CACHE:-$PWD/.cache}/etcd-3.5}
bin=$cache/root/usr/bin

is_35() {
  [ -x "$1/etcd" ] && [ -x "$1/etcdctl" ] &&
    "$1/etcd" --version 2>/dev/null | grep -q '^etcd Version: 3\.5\.'
}
if is_35 "$bin"; then
  echo "$bin"
  exit 0
fi

say() { echo "etcd35: $*" >&2; }

# The machine's Debian mirror and its keyring: the first source of type deb
# whose suites include the release's own codename (deb822 or one-line form).
read -r mirror keyring < <(python3 - <<'PY'
import glob, re
codename = ""
for line in open("/etc/os-release"):
    if line.startswith("VERSION_CODENAME="):
        codename = line.split("=", 1)[1].strip().strip('"')
default_key = "/usr/share/keyrings/debian-archive-keyring.gpg"
found = []
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        f = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            k, v = line.split(":", 1)
            f[k.strip().lower()] = v.strip()
        if "deb" in f.get("types", "").split() and \
                codename in f.get("suites", "").split():
            found.append((f["uris"].split()[0], f.get("signed-by", "")))
for path in ["/etc/apt/sources.list"] + \
        sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        m = re.match(r"\s*deb\s+(\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
        if m and m.group(3) == codename:
            key = re.search(r"signed-by=(\S+?)\]?(\s|$)", m.group(1) or "")
            found.append((m.group(2), key.group(1) if key else ""))
if found:
    uri, key = found[0]
    print(uri, key if key.startswith("/") else default_key)
PY
)
if [ -z "${mirror:-}" ]; then
  say "no Debian source for this release in /etc/apt: cannot find a mirror"
  exit 1
fi
say "downloading etcd-server and etcd-client from $mirror ($suite)"

apt=$cache/apt
rm -rf "$apt" "$cache/root"
mkdir -p "$apt/etc/sources.list.d" "$apt/etc/preferences.d" \
  "$apt/state/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
: >"$apt/state/status"
echo "deb [signed-by=$keyring] $mirror $suite main" >"$apt/etc/sources.list"
opts=(-q -o "Dir::Etc::SourceList=$apt/etc/sources.list"
  -o "Dir::Etc::SourceParts=$apt/etc/sources.list.d"
  -o "Dir::Etc::Preferences=$apt/etc/preferences"
  -o "Dir::Etc::PreferencesParts=$apt/etc/preferences.d"
  -o "Dir::State=$apt/state" -o "Dir::State::status=$apt/state/status"
  -o "Dir::Cache=$apt/cache" -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=$(id -un)")
if ! apt-get "${opts[@]}" update >"$apt/update.log" 2>&1; then
  tail -5 "$apt/update.log" >&2
  say "apt-get update of $suite failed (log: $apt/update.log)"
  exit 1
fi
if ! (cd "$apt/debs" && apt-get "${opts[@]}" download etcd-server \
  etcd-client >"$apt/download.log" 2>&1); then
  tail -5 "$apt/download.log" >&2
  say "apt-get download failed (log: $apt/download.log)"
  exit 1
fi
for deb in "$apt"/debs/*.deb; do
  dpkg-deb -x "$deb" "$cache/root"
done
if ! is_35 "$bin"; then
  say "the unpacked packages hold no etcd 3.5 in $bin"
  exit 1
fi
say "$("$bin/etcd" --version | head -n 1) in $bin"
echo "$bin"
