#!/usr/bin/env bash
# Fresh machine -> a running container, no network needed: installs the
# Debian packages, builds husk, makes the default image (busybox, from
# Debian's busybox-static) in the image store, turns it into a bundle on an
# overlay and runs it with husk-runtime.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
"$src/scripts/build.sh"
build=${HUSK_BUILD_DIR:-$src/build}

dir=$(mktemp -d /tmp/husk-demo.XXXXXX)
cleanup() {
  "$build/husk" image unbundle "$dir/bundle" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
# A non-interactive demo: no terminal, a command that shows the isolation.
"$build/husk" image bundle --name "demo-$$" busybox "$dir/bundle" \
  sh -c 'echo hello from $(hostname): I am PID $$ and see $(ls /proc | grep -c "^[0-9]") processes'
"$build/husk-runtime" --root /run/husk-demo run --bundle "$dir/bundle" "demo-$$"
