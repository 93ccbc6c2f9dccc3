#!/usr/bin/env bash
# Installs the dependencies, builds rafthttp-c twice and runs every test:
#   1. gcc, warnings as errors;
#   2. clang with AddressSanitizer + UndefinedBehaviorSanitizer and the
#      libFuzzer targets (bounded runs).
# Both builds run the golden vectors against etcd's own Go code.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
jobs=$(nproc)

run_build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DRAFTHTTP_WERROR=ON -DRAFTHTTP_GOLDEN=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" -j "$jobs" --output-on-failure --no-tests=error
}

echo "== gcc build, warnings as errors"
CC=gcc run_build build/gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "== clang build, ASan + UBSan + libFuzzer"
CC=clang run_build build/asan -DCMAKE_BUILD_TYPE=Debug \
  -DRAFTHTTP_SANITIZE=ON -DRAFTHTTP_FUZZ=ON
