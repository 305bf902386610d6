#!/usr/bin/env bats
# Load: 200 containers created, started and deleted by 8 workers at once,
# through husk-runtime and through husk, with a few ids (names) every worker
# tries at the same time: every operation succeeds or fails with one clean
# message (a duplicate: "exists" / "already in use"), exactly one worker gets
# each contested id, no state file is ever torn (a reader parses them all
# while the load runs), and nothing is left (the file's leak check). The
# load held is printed as containers/s.

load runtime_common

N=200
WORKERS=8
DUPS=4

setup() {
  common_setup
  husk_bundle "$BUNDLE" true
  # The containers share the bundle: each gets the default cgroup (its id)
  # and a read-only view of the one rootfs.
  cfg 'del(.linux.cgroupsPath) | .root.readonly = true'
  mkdir -p "$T/log"
}

teardown() {
  local d
  [ -z "${READER:-}" ] || kill "$READER" 2>/dev/null || true
  if [ -n "${R:-}" ]; then
    for d in "$R"/containers/*/; do
      [ -d "$d" ] && eh rm -f "$(basename "$d")" >/dev/null 2>&1
    done
    for d in "$RUNROOT"/*; do
      [ -d "$d" ] && "$HUSK" --root "$RUNROOT" delete --force "$(basename "$d")" >/dev/null 2>&1
    done
  fi
  common_teardown
}

# husk (the engine) on this test's store and run root.
eh() { "$HUSK_BUILD_DIR/husk" --root "$R" --runroot "$RUNROOT" "$@"; }

# worker W OPS... : runs its share of the N containers (k = W, W+WORKERS, ...)
# and the DUPS contested ids; a line per operation in $T/log/W: "ok OP ID" or
# "fail OP ID STATUS: stderr" (stderr on one line, counted).
# OPS: create/start/delete as shell functions op_create ID etc. defined by
# the test (runtime or engine).
worker() {
  local w=$1 k id e rc
  local log=$T/log/$w
  record() {
    local op=$1 id=$2
    shift 2
    rc=0
    # stderr through a file: a created container's init holds it until start.
    "$@" >/dev/null 2>"$log.err" </dev/null || rc=$?
    e=$(cat "$log.err")
    if [ "$rc" -eq 0 ]; then
      echo "ok $op $id" >>"$log"
    else
      echo "fail $op $id $rc: $(printf '%s' "$e" | tr '\n' '|')" >>"$log"
    fi
  }
  for ((j = 0; j < DUPS; j++)); do
    record create "dup$j" op_create "dup$j"
  done
  for ((k = w; k < N; k += WORKERS)); do
    id=ld$k
    record create "$id" op_create "$id"
    record start "$id" op_start "$id"
    record delete "$id" op_delete "$id"
  done
}

# The load: WORKERS workers at once, a reader of every state file (READ_CMD
# FILE... must parse them) beside them. Prints containers/s on fd 3.
load_run() {
  local what=$1 glob=$2 start end w pids=()
  reader "$glob" 3>&- &
  READER=$!
  start=$(date +%s.%N)
  for ((w = 0; w < WORKERS; w++)); do
    worker "$w" 3>&- &
    pids+=($!)
  done
  for w in "${pids[@]}"; do wait "$w"; done
  end=$(date +%s.%N)
  kill "$READER"
  wait "$READER" 2>/dev/null || true
  READER=
  rate=$(awk -v n="$((N + DUPS))" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f containers/s (%d in %.2f s, %d workers)", n / (e - s), n, e - s, '"$WORKERS"' }')
  echo "# $what: $rate" >&3
}

# reader GLOB : parses every file GLOB matches, over and over; a file that
# exists and does not parse is written to $T/torn.
reader() {
  local f text
  while :; do
    for f in $1; do
      text=$(cat "$f" 2>/dev/null) || continue
      [ -n "$text" ] && jq -e . >/dev/null 2>&1 <<<"$text" && continue
      # Gone between the glob and the read: not torn.
      [ -e "$f" ] || continue
      printf '%s: [%s]\n' "$f" "$text" >>"$T/torn"
    done
  done
}

# Every operation succeeded, but the contested creates: one ok each, the
# rest failed with DUP_MSG alone.
assert_load_clean() {
  local dup_msg=$1 j all bad
  all=$(cat "$T"/log/[0-9])
  [ ! -s "$T/torn" ] || { echo "torn state files: $(head "$T/torn")" >&2; return 1; }
  bad=$(grep '^fail' <<<"$all" | grep -v '^fail create dup' || true)
  [ -z "$bad" ] || { echo "operations failed: $bad" >&2; return 1; }
  assert_eq "$((N * 3))" "$(grep -c '^ok [a-z]* ld' <<<"$all")" "operations that succeeded"
  for ((j = 0; j < DUPS; j++)); do
    assert_eq 1 "$(grep -c "^ok create dup$j\$" <<<"$all")" "creates of dup$j that won"
    assert_eq "$((WORKERS - 1))" "$(grep -c "^fail create dup$j " <<<"$all")" "creates of dup$j refused"
    # One line (no '|' joining lines), saying why.
    bad=$(grep "^fail create dup$j " <<<"$all" | grep -v "$dup_msg" || true)
    bad+=$(grep "^fail create dup$j " <<<"$all" | grep '|' || true)
    [ -z "$bad" ] || { echo "dup$j refused unclearly: $bad" >&2; return 1; }
  done
}

@test "load: husk-runtime: 200 containers created, started, deleted by 8 workers; duplicate ids refused cleanly" {
  op_create() { hk create --bundle "$BUNDLE" "$1"; }
  op_start() { hk start "$1"; }
  op_delete() { hk delete --force "$1"; }
  load_run husk-runtime "$ROOT/*/state.json"
  assert_load_clean "container with id exists"
  for ((j = 0; j < DUPS; j++)); do
    hrun hk delete --force "dup$j"
    assert_status 0
  done
  assert_eq "" "$(container_states "$ROOT")" "state dirs left"
  assert_eq "" "$(find /sys/fs/cgroup -maxdepth 3 \( -name 'ld[0-9]*' -o -name 'dup[0-9]' \))" "cgroups left"
}

@test "load: husk: 200 containers created, started, removed by 8 workers; duplicate names refused cleanly" {
  R=$T/store
  RUNROOT=$T/run
  eh image inspect busybox >/dev/null
  op_create() { eh create --name "$1" busybox true; }
  op_start() { eh start "$1"; }
  op_delete() { eh rm -f "$1"; }
  load_run husk "$R/containers/*/container.json $RUNROOT/*/state.json"
  assert_load_clean "is already in use"
  for ((j = 0; j < DUPS; j++)); do
    hrun eh rm -f "dup$j"
    assert_status 0
  done
  assert_eq "" "$(ls -A "$R/containers")" "containers left"
  assert_eq "" "$(container_states "$RUNROOT")" "runtime state left"
  assert_eq "" "$(_husk_mounts_under "$R")" "mounts left"
}
