#!/usr/bin/env bash
# `npm start`: the whole stack on this machine (docs/quickstart.md).
# Installs npm dependencies when missing, builds, makes sure RabbitMQ, Redis and MariaDB
# run (deploy/local/ensure-services.sh), then hands over to the TypeScript orchestrator
# (deploy/local/stack/start.ts), which starts storage, webapp and a local poller and stops
# them in reverse order on Ctrl-C. State (data, logs, generated passwords) lives in .numeter/.
set -euo pipefail
cd "$(dirname "$0")/../.."
step() { printf 'numeter: %s\n' "$*"; }

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  step "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error || npm install --no-audit --no-fund --loglevel=error
fi
step "building (tsc)"
npx tsc -p tsconfig.json
step "checking RabbitMQ, Redis and MariaDB"
bash deploy/local/ensure-services.sh
exec node dist/deploy/local/stack/start.js
