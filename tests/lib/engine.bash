# shellcheck shell=bash
# Set-up for the engine's container tests (tests/integration/engine*.bats):
# image.bash's temp store plus a runtime state dir, and a teardown that
# leaves nothing of a test, passed or failed: every container removed
# (rm -f stops running ones and their monitors), whatever the runtime still
# has force-deleted, any monitor left killed, then the store unmounted and
# removed. It fails the test if the run root still holds an address lease
# once every container is gone (tests/lib/leakcheck.bash). Loading this file
# loads assert, fixtures, image and leakcheck too.
#
#   engine_setup PREFIX     in setup: T, R (store), RUNROOT
#   engine_teardown         in teardown
#   h ARGS...               husk on the test's store and run root

load ../lib/assert.bash
load ../lib/fixtures.bash
load ../lib/image.bash

bats_require_minimum_version 1.5.0

engine_setup() {
  image_setup "$1"
  RUNROOT=$T/run
}

engine_teardown() {
  local f p d leased=0
  local monitors=()
  for f in "$R"/containers/*/monitor.pid; do
    [ -f "$f" ] && monitors+=("$(cat "$f")")
  done
  for d in "$R"/containers/*/; do
    [ -d "$d" ] && h rm -f "$(basename "$d")" >/dev/null 2>&1 || true
  done
  # The engine's own address leases (under RUNROOT/.net, beside the
  # runtime's state dirs), before image_teardown removes the run root.
  leakcheck_leases "$RUNROOT" || leased=1
  for d in "$RUNROOT"/*; do
    [ -d "$d" ] && "$RUNTIME_BIN" --root "$RUNROOT" delete --force "$(basename "$d")" >/dev/null 2>&1 || true
  done
  for p in "${monitors[@]}"; do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = husk-monitor ] && kill -9 "$p" 2>/dev/null || true
  done
  image_teardown
  return "$leased"
}

h() { "$HUSK" --root "$R" --runroot "$RUNROOT" "$@"; }

# --userns=remap|auto add "husk" ranges to /etc/subuid and /etc/subgid when
# they have none: a file that uses them saves the host's files in
# setup_file (subids_save) and puts them back in teardown_file (subids_restore).
subids_save() {
  local f
  for f in subuid subgid; do
    if [ -e /etc/$f ]; then cp -a /etc/$f "$BATS_FILE_TMPDIR/$f.orig"; fi
  done
}

subids_restore() {
  local f
  for f in subuid subgid; do
    if [ -e "$BATS_FILE_TMPDIR/$f.orig" ]; then cp -a "$BATS_FILE_TMPDIR/$f.orig" /etc/$f; else rm -f /etc/$f; fi
  done
}
