#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what rafthttp-c needs to build and test, from Debian's packages.
# Runs apt-get only when something is missing; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libcurl4-openssl-dev libmicrohttpd-dev libprotobuf-c-dev
  protobuf-c-compiler libssl-dev libgnutls28-dev libcmocka-dev
  golang-go golang-etcd-server-dev etcd-server etcd-client curl python3
  openssl
  gnuplot-nox
  clang-format
  doxygen
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
