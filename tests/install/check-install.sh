#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds and runs a
# consumer twice: through CMake's find_package and through pkg-config.
# usage: check-install.sh BUILD_DIR SCRATCH_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
scratch=$2
rm -rf "$scratch"
mkdir -p "$scratch"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null

cmake -S "$here" -B "$scratch/cmake" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$scratch/cmake" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'librafthttp.*' | head -n 1)")
LD_LIBRARY_PATH=$libdir "$scratch/cmake/consumer"

export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -o "$scratch/consumer-pc" "$here/consumer.c" \
  $(pkg-config --cflags --libs rafthttp libcurl libmicrohttpd libprotobuf-c openssl) -lm -pthread
LD_LIBRARY_PATH=$libdir "$scratch/consumer-pc"
