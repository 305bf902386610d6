# shellcheck shell=bash
# Set-up shared by the image tests: a store, a runtime state dir and bundles
# under one temp dir per test, all removed (and unmounted) afterwards.
#
#   image_file_setup              in setup_file: HUSK, RUNTIME_BIN; a leak snapshot
#   image_file_teardown           in teardown_file: fails listing what leaked
#                                 (tests/lib/leakcheck.bash); the default
#                                 teardown_file, which a file's own calls
#   image_setup PREFIX            in setup: T (temp dir), R (store), STATE
#   image_teardown                in teardown: deletes bundles' containers, unmounts, removes T
#   hk ARGS...                    husk on the test's store
#   run_bundle DIR                husk-runtime run of a bundle (id: the dir's name)
#   assert_store_empty WHAT       no layer, blob, short link or tmp entry in the store
#   assert_store_whole WHAT       nothing half-made: tmp empty, blobs verified, layers complete

load ../lib/leakcheck.bash

image_file_setup() {
  export HUSK="$HUSK_BUILD_DIR/husk"
  export RUNTIME_BIN
  RUNTIME_BIN=$(husk_runtime)
  [ -x "$HUSK" ] || husk_die "no $HUSK: build husk first"
  export HUSK_LEAK_SNAPSHOT="$BATS_FILE_TMPDIR/leak.before"
  leakcheck_snapshot "$HUSK_LEAK_SNAPSHOT"
}

image_file_teardown() {
  [ -z "${HUSK_LEAK_SNAPSHOT:-}" ] || leakcheck_compare "$HUSK_LEAK_SNAPSHOT"
}

teardown_file() { image_file_teardown; }

image_setup() {
  T=$(mktemp -d "/tmp/$1-XXXXXX")
  R=$T/store
  STATE=$T/state
}

image_teardown() {
  local b
  for b in "$T"/b*; do
    [ -d "$b" ] || continue
    "$RUNTIME_BIN" --root "$STATE" delete --force "$(basename "$b")" >/dev/null 2>&1 || true
  done
  husk_unmount_under "$T" || true
  rm -rf --one-file-system "$T"
}

hk() { "$HUSK" --root "$R" "$@"; }
run_bundle() { "$RUNTIME_BIN" --root "$STATE" run --bundle "$1" "$(basename "$1")"; }

# Nothing half-made in the store: tmp/ is empty, every blob hashes to its
# name, every layer is complete (layer.json, a live short link). Layers that
# a failed pull did finish stay (the next pull does not fetch them again)
# until prune.
assert_store_whole() {
  local b l
  assert_eq "" "$(ls -A "$R/tmp" 2>/dev/null)" "tmp/ after $1"
  for b in "$R"/blobs/sha256/*; do
    [ -e "$b" ] || continue
    assert_eq "$(basename "$b")" "$(sha256sum "$b" | cut -d' ' -f1)" "blob after $1"
  done
  for l in "$R"/layers/*; do
    [ -e "$l" ] || continue
    [ -f "$l/layer.json" ] || { echo "layer $l has no layer.json after $1" >&2; return 1; }
    local link
    link=$(jq -r '.link // empty' "$l/layer.json")
    [ -n "$link" ] && [ -d "$R/$link" ] || { echo "layer $l has no short link after $1" >&2; return 1; }
  done
}

# Nothing at all in the store: no layer, blob, short link or tmp entry.
assert_store_empty() {
  assert_eq "" "$(ls -A "$R/layers" "$R/blobs/sha256" "$R/tmp" "$R/l" 2>/dev/null | grep -v ':$' | grep -v '^$')" "store content after $1"
}
