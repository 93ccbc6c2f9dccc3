#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds gopeer in GOPATH mode against Debian's etcd 3.4.23 sources.
# usage: build.sh OUT_BINARY WORKDIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$2/src/gopeer" "$(dirname "$1")"
work=$(cd "$2" && pwd)
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cp "$here/main.go" "$work/src/gopeer/"
cd "$work"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="$work/gocache" \
  GOFLAGS= go build -o "$out" gopeer
