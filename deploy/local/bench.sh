#!/usr/bin/env bash
# `npm run bench [NAME...]`: runs bench/<NAME>/main.ts (all of them by default).
# Each benchmark measures a reference in the same run and prints ratios against it.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d node_modules ] || npm install --no-audit --no-fund --loglevel=error
bash deploy/local/ensure-services.sh python3-whisper >/dev/null
if [ $# -gt 0 ]; then NAMES=("$@"); else mapfile -t NAMES < <(ls bench); fi
for name in "${NAMES[@]}"; do
  [ -f "bench/$name/main.ts" ] || continue
  echo "=== bench/$name"
  node --import tsx "bench/$name/main.ts"
done
