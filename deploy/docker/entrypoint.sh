#!/bin/sh
# Runs one numeter service; configuration comes from NUMETER_<SERVICE>_<SECTION>_<KEY>
# environment variables (and an optional /etc/numeter/numeter_<service>.cfg).
set -e
service="${1:-storage}"
[ $# -gt 0 ] && shift
case "$service" in
  storage|webapp|poller) exec node "/app/dist/services/$service/src/main.js" "$@" ;;
  *) echo "usage: numeter storage|webapp|poller [options]" >&2; exit 2 ;;
esac
