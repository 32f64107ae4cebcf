#!/usr/bin/env bash
# `npm test`: install dependencies when missing, build, lint, check for import cycles,
# make sure the real services and the Debian test peers are there, then run every test
# with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/../.."

# A node_modules that is a link (shared between git worktrees) is someone else's to update.
if [ ! -d node_modules ] || { [ ! -L node_modules ] && [ package.json -nt node_modules/.package-lock.json ]; }; then
  echo "[test] installing npm dependencies"
  npm install --no-audit --no-fund --loglevel=error
fi

echo "[test] building (tsc: services, then the webapp's browser client)"
npm run build --silent

echo "[test] lint (biome check .) and import cycles"
npx biome check . --diagnostic-level=error
node --import tsx deploy/checks/import-cycles.ts common services bench deploy

# Debian packages the suite uses as real peers.
PEERS="python3-whisper graphite-web collectd-core munin-node munin munin-plugins-core rrdtool netcat-openbsd snmpd snmp libvirt-clients chromium fonts-dejavu-core iputils-ping redis-server python3-aiosmtpd prometheus-alertmanager"
bash deploy/local/ensure-services.sh $PEERS

mapfile -t FILES < <(find common services bench deploy -name '*.test.ts' -not -path '*/node_modules/*' | sort)
if [ $# -gt 0 ]; then FILES=("$@"); fi
echo "[test] running ${#FILES[@]} test files"
# A hung test fails after 5 minutes instead of holding the run until CI's limit.
exec node --import tsx --test --test-reporter=spec --test-concurrency=1 --test-timeout=300000 "${FILES[@]}"
