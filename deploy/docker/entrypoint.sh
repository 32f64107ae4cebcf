#!/bin/sh
# Runs one numeter service; configuration comes from NUMETER_<SERVICE>_<SECTION>_<KEY>
# environment variables (and an optional /etc/numeter/numeter_<service>.cfg).
set -e
service="${1:-storage}"
[ $# -gt 0 ] && shift
case "$service" in
  storage|webapp|poller)
    main="/app/dist/services/$service/src/main.js"
    # The node flags of the service's shebang (#!/usr/bin/env -S node --flag...): its V8
    # heap settings (docs/poller.md "Memory"), which `node main.js` would not apply.
    flags=$(head -n 1 "$main" | sed -n 's|^#!/usr/bin/env -S node||p')
    # shellcheck disable=SC2086 # the flags are separate words
    exec node $flags "$main" "$@" ;;
  *) echo "usage: numeter storage|webapp|poller [options]" >&2; exit 2 ;;
esac
