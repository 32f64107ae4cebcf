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
  npm install --no-audit --no-fund --loglevel=error
fi
step "building (tsc)"
if ! npx tsc -p tsconfig.json; then
  # tsc still writes dist/ when only types are wrong: start what was built, but say so.
  for service in poller storage webapp; do
    [ -f "dist/services/$service/src/main.js" ] || { step "ERROR: the build failed (above) and dist/services/$service is missing"; exit 1; }
  done
  [ -f dist/deploy/local/stack/start.js ] || { step "ERROR: the build failed (above)"; exit 1; }
  step "WARNING: tsc reported type errors (above); starting the JavaScript it emitted anyway"
fi
# The webapp's browser client has a tsconfig of its own (DOM, ES modules for the browser).
if [ -f services/webapp/tsconfig.client.json ]; then
  step "building the webapp's browser client"
  npx tsc -p services/webapp/tsconfig.client.json || step "WARNING: the browser client did not build cleanly (above)"
fi
step "checking RabbitMQ, Redis and MariaDB"
bash deploy/local/ensure-services.sh
exec node dist/deploy/local/stack/start.js
