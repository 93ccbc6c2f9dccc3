#!/usr/bin/env bash
# House rules a compiler does not check (../shared/docs/style.md): no banned
# functions in the library, and no raw malloc/free outside src/common/alloc.c.
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
[ $status -eq 0 ] && echo "check-style: ok"
exit $status
