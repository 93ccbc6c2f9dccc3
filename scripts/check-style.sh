#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# House rules a compiler does not check (../shared/docs/style.md): the tree
# is formatted by its .clang-format (clang-format 14, as Debian ships it), no
# banned functions in the library, no raw malloc/free outside
# src/common/alloc.c, and an SPDX license line at the top of every file. scripts/check-layers.py checks the shape of the built
# objects (layers, adapters, tool prefixes).
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
banned='\b(strcpy|strcat|strncpy|sprintf|vsprintf|gets|atoi|atol|strtok)\('
if grep -rnE "$banned" src include; then
  echo "check-style: banned function in src/ or include/ (see style.md)"
  status=1
fi
raw='(^|[^_a-z])(malloc|calloc|realloc|free)\('
if grep -rnE "$raw" src --include='*.c' | grep -v '^src/common/alloc.c:' |
   grep -vE '(->|\.)(malloc|realloc|free)\('; then
  echo "check-style: raw allocation outside src/common/alloc.c"
  status=1
fi
if ! command -v clang-format >/dev/null; then
  echo "check-style: clang-format is not installed (scripts/deps.sh installs it)"
  status=1
else
  # Generated code and Go's golden files are not ours to format.
  mapfile -t sources < <(git ls-files '*.c' '*.h' 2>/dev/null ||
    find src include tools tests examples -name '*.[ch]')
  unformatted=()
  if ! clang-format --dry-run --Werror "${sources[@]}" >/dev/null 2>&1; then
    for f in "${sources[@]}"; do
      if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        unformatted+=("$f")
      fi
    done
  fi
  if [ ${#unformatted[@]} -gt 0 ]; then
    echo "check-style: not formatted (run clang-format -i on them):"
    printf '  %s\n' "${unformatted[@]}"
    status=1
  fi
fi
# Every tracked file we wrote names its license in its first lines.
missing=$(git ls-files 2>/dev/null | grep -vE '^(LICENSE|NOTICE)$|\.(md|png)$' |
  while read -r f; do
    head -n 3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' ||
      echo "$f"
  done)
if [ -n "$missing" ]; then
  echo "check-style: no SPDX-License-Identifier line in the first 3 lines:"
  printf '  %s\n' $missing
  status=1
fi
[ $status -eq 0 ] && echo "check-style: ok"
exit $status
