#!/usr/bin/env bash
# Fresh machine -> a running container, no network needed: installs the
# Debian packages, builds husk, makes a busybox bundle from Debian's
# busybox-static and runs it with husk-runtime.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
"$src/scripts/build.sh"
build=${HUSK_BUILD_DIR:-$src/build}

bundle=$(mktemp -d /tmp/husk-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs"/{proc,sys,dev,tmp,etc,root}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$bundle/rootfs/bin/$applet"
done
"$build/husk-runtime" spec --bundle "$bundle"
# A non-interactive demo: no terminal, a command that shows the isolation.
sed -i -e 's/"terminal": true/"terminal": false/' \
  -e 's#"sh"$#"sh", "-c", "echo hello from $(hostname): I am PID $$ and see $(ls /proc | grep -c \x27^[0-9]\x27) processes"#' \
  "$bundle/config.json"
"$build/husk-runtime" --root /run/husk-demo run --bundle "$bundle" "demo-$$"
