#!/usr/bin/env bash
# Fresh machine -> every test passed: installs the Debian packages, builds
# husk and runs all unit and integration tests (as root: they run real containers).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
"$src/scripts/build.sh"
build=${HUSK_BUILD_DIR:-$src/build}
cd "$build"
ctest --output-on-failure "$@"
