#!/usr/bin/env bash
# Fresh machine -> a running container, no network needed: installs the
# Debian packages, builds husk, and runs the default image (busybox, made in
# the image store from Debian's busybox-static on first use) with `husk run`:
# an overlay root from the store, the container made by the runtime library.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
"$src/scripts/build.sh"
build=${HUSK_BUILD_DIR:-$src/build}

# A non-interactive demo: no terminal, a command that shows the isolation.
# --network none: the demo leaves this machine's network as it was (the
# default, as docker's, would make the bridge husk0 and its nftables table).
exec "$build/husk" run --rm --network none busybox \
  sh -c 'echo hello from $(hostname): I am PID $$ and see $(ls /proc | grep -c "^[0-9]") processes'
