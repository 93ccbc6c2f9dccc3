#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the golden-vector program against Debian's etcd 3.4.23 sources
# (golang-etcd-server-dev) in GOPATH mode.
#
# usage: build.sh OUT_BINARY WORKDIR
#
# rafthttp's wire codecs are unexported, so WORKDIR/gopath gets a shadow copy
# of the rafthttp package (its non-test files, unchanged) plus
# export_rafthttp.go.in as zz_export.go, which exports thin wrappers. The
# shadow GOPATH comes first; every other import resolves to /usr/share/gocode.
# Re-running overwrites the shadow tree and the binary.
set -euo pipefail

if [ "$#" -ne 2 ]; then
	echo "usage: $0 OUT_BINARY WORKDIR" >&2
	exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
etcd_gopath=/usr/share/gocode
etcd_rafthttp=$etcd_gopath/src/go.etcd.io/etcd/etcdserver/api/rafthttp
if [ ! -f "$etcd_rafthttp/msgappv2_codec.go" ]; then
	echo "build.sh: $etcd_rafthttp not found (install golang-etcd-server-dev)" >&2
	exit 1
fi

mkdir -p "$2" "$(dirname "$1")"
work=$(cd "$2" && pwd)
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

gopath=$work/gopath
shadow=$gopath/src/go.etcd.io/etcd/etcdserver/api/rafthttp
prog=$gopath/src/rafthttpgolden
rm -rf "$shadow" "$prog"
mkdir -p "$shadow" "$prog"

for f in "$etcd_rafthttp"/*.go; do
	case "$f" in
	*_test.go) ;;
	*) cp "$f" "$shadow/" ;;
	esac
done
cp "$here/export_rafthttp.go.in" "$shadow/zz_export.go"
cp "$here"/*.go "$prog/"

cd "$work"
GO111MODULE=off GOPATH="$gopath:$etcd_gopath" GOCACHE="$work/gocache" GOFLAGS= \
	go build -o "$out" rafthttpgolden
