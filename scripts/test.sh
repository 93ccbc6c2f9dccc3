#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the dependencies, builds rafthttp-c twice and runs every test:
#   1. gcc, warnings as errors;
#   2. clang with AddressSanitizer + UndefinedBehaviorSanitizer and the
#      libFuzzer targets (bounded runs);
#   3. clang with ThreadSanitizer, for the tests that run threads.
# Both builds run the golden vectors against etcd's own Go code and the
# interop scenarios against real etcd 3.4 and 3.5 members.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# The second interop referee, etcd 3.5 (Debian trixie's packages, unpacked
# into .cache without touching the machine's apt configuration).
etcd35=$(scripts/etcd35.sh)
jobs=$(nproc)

run_build() { # DIR CTEST-ARGS -- CMAKE-ARGS
  local dir=$1
  shift
  local ctest_args=()
  while [ "$1" != "--" ]; do ctest_args+=("$1"); shift; done
  shift
  cmake -S . -B "$dir" -G Ninja -DRAFTHTTP_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" -j "$jobs" --output-on-failure --no-tests=error \
    "${ctest_args[@]}"
}

echo "== gcc build, warnings as errors"
CC=gcc run_build build/gcc -- -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRAFTHTTP_GOLDEN=ON -DRAFTHTTP_INTEROP=ON -DRAFTHTTP_ETCD35_DIR="$etcd35"
echo "== clang build, ASan + UBSan + libFuzzer"
CC=clang run_build build/asan -- -DCMAKE_BUILD_TYPE=Debug \
  -DRAFTHTTP_GOLDEN=ON -DRAFTHTTP_INTEROP=ON -DRAFTHTTP_ETCD35_DIR="$etcd35" \
  -DRAFTHTTP_SANITIZE=ON -DRAFTHTTP_FUZZ=ON
echo "== clang build, ThreadSanitizer (threaded tests)"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" CC=clang \
  run_build build/tsan -L integration -- -DCMAKE_BUILD_TYPE=Debug \
  -DRAFTHTTP_GOLDEN=OFF -DRAFTHTTP_INTEROP=OFF -DRAFTHTTP_TSAN=ON
