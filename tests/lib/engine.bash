# shellcheck shell=bash
# Set-up for the engine's container tests: image.bash's temp store plus a
# runtime state dir, and a teardown that removes every container (running
# ones too: rm -f stops their monitors) before the store goes.
#
#   engine_setup PREFIX     in setup: T, R (store), RUNROOT
#   engine_teardown         in teardown
#   h ARGS...               husk on the test's store and run root

engine_setup() {
  image_setup "$1"
  RUNROOT=$T/run
}

engine_teardown() {
  local id d
  for id in $(h ps -aq 2>/dev/null); do h rm -f "$id" >/dev/null 2>&1 || true; done
  for d in "$RUNROOT"/*; do
    [ -d "$d" ] || continue
    "$RUNTIME_BIN" --root "$RUNROOT" delete --force "$(basename "$d")" >/dev/null 2>&1 || true
  done
  image_teardown
}

h() { "$HUSK" --root "$R" --runroot "$RUNROOT" "$@"; }
