#!/usr/bin/env bats
# husk-runtime killed (SIGKILL, HUSK_FAULT=STEP: src/base/fault.hpp) at each
# step where a container is half-made or half-removed: the next command sees
# a consistent state (state/list work and tell the truth, every state file
# parses), `delete --force` cleans up, and nothing of the container remains
# (state dir, cgroup, mount, process; the file's leak check covers the rest).

load runtime_common

setup() {
  common_setup
  mkbundle "$BUNDLE" sleep 1000
}

# crash STEP CMD... : CMD under HUSK_FAULT=STEP must die of SIGKILL.
crash() {
  local step=$1
  shift
  HUSK_FAULT=$step hrun "$@"
  if [ "$status" -ne 137 ]; then
    printf 'expected death by SIGKILL (137) at %s, got %s: %s\n' "$step" "$status" "$output" >&2
    return 1
  fi
}

# Every state.json under ROOT parses, and list agrees with state.
assert_consistent() {
  local f
  for f in "$ROOT"/*/state.json; do
    [ -e "$f" ] || continue
    jq -e . "$f" >/dev/null || { echo "torn state file $f: $(cat "$f")" >&2; return 1; }
  done
  hrun hk list --format json
  assert_status 0
  jq -e . <<<"$stdout" >/dev/null || { echo "list --format json: $stdout" >&2; return 1; }
}

# The listed status of ID ("" when list does not show it).
listed_status() {
  hk list --format json | jq -r --arg id "$1" '.[]? | select(.id == $id) | .status'
}

# delete --force cleans up, nothing is left, and the id can be used again.
assert_cleans_up() {
  hrun hk delete --force "$ID"
  assert_status 0
  assert_nothing_left "$ID"
  hk_create "$ID" "$BUNDLE"
  hrun hk delete --force "$ID"
  assert_status 0
  assert_nothing_left "$ID"
}

# PID is dead (a zombie waits for a reaper that is not ours).
gone_or_zombie() {
  local st
  st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 0
  [ -z "$st" ] || [ "$st" = Z ]
}

cgroup_exists() {
  [ -n "$(husk_cgroup_dirs "$CG_PARENT/bundle")" ]
}

@test "faults: every fault point of src/base/fault.hpp has a test here or in faults_engine/faults_pull" {
  local step missing=""
  while read -r step; do
    grep -qFw -- "$step" "$BATS_TEST_DIRNAME"/faults_*.bats || missing+=" $step"
  done < <(grep -o 'X([a-z_]*, "[a-z.]*")' "$HUSK_SOURCE_DIR/src/base/fault.hpp" | cut -d'"' -f2)
  assert_eq "" "$missing" "fault points without a test"
  # And the list is read at all (23 steps when this was written).
  [ "$(grep -c 'X([a-z_]*, "' "$HUSK_SOURCE_DIR/src/base/fault.hpp")" -ge 20 ]
}

@test "faults: runtime.create.dir: the state dir alone; state says no such container, delete --force removes it" {
  crash runtime.create.dir hk create --bundle "$BUNDLE" "$ID"
  [ -d "$ROOT/$ID" ]
  [ ! -e "$ROOT/$ID/state.json" ]
  assert_consistent
  hrun hk state "$ID"
  assert_failed_cleanly "does not exist"
  assert_eq "" "$(listed_status "$ID")" "listed"
  # A second create is refused while the leftover is there (runc's rule).
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_failed_cleanly "exists"
  assert_cleans_up
}

@test "faults: runtime.create.cgroup: the cgroup made; state says creating, delete --force removes the cgroup" {
  crash runtime.create.cgroup hk create --bundle "$BUNDLE" "$ID"
  cgroup_exists
  assert_consistent
  assert_eq creating "$(state_of "$ID" status)" "state"
  assert_eq creating "$(listed_status "$ID")" "listed"
  assert_cleans_up
}

@test "faults: runtime.create.init: the init cloned; it dies with the runtime, delete --force removes the cgroup" {
  crash runtime.create.init hk create --bundle "$BUNDLE" "$ID"
  cgroup_exists
  assert_consistent
  hrun hk state "$ID"
  assert_status 0
  assert_cleans_up
}

@test "faults: runtime.create.state: the init recorded; it dies with the runtime, state says stopped" {
  crash runtime.create.state hk create --bundle "$BUNDLE" "$ID"
  cgroup_exists
  assert_consistent
  wait_status "$ID" stopped
  assert_eq stopped "$(listed_status "$ID")" "listed"
  assert_cleans_up
}

@test "faults: runtime.create.rootfs: the init killed with its mounts made: create fails cleanly and leaves nothing" {
  hrun env HUSK_FAULT=runtime.create.rootfs "$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ] && [ "$status" -ne 137 ] || { echo "create: $status $output" >&2; return 1; }
  assert_eq 1 "$(printf '%s\n' "$stderr" | grep -c .)" "error lines"
  assert_nothing_left "$ID"
  assert_consistent
  hrun hk state "$ID"
  assert_failed_cleanly "does not exist"
}

@test "faults: runtime.create.ready: the init set up, waiting; state says creating, delete --force kills it" {
  crash runtime.create.ready hk create --bundle "$BUNDLE" "$ID"
  assert_consistent
  assert_eq creating "$(state_of "$ID" status)" "state"
  pid=$(state_of "$ID" pid)
  kill -0 "$pid"
  hrun hk start "$ID"
  [ "$status" -ne 0 ]
  assert_cleans_up
  wait_for 5 gone_or_zombie "$pid"
}

@test "faults: runtime.start.woken: the init woken before running is recorded: state says running, delete --force stops it" {
  hk_create "$ID" "$BUNDLE"
  crash runtime.start.woken hk start "$ID"
  assert_consistent
  wait_status "$ID" running
  assert_eq running "$(listed_status "$ID")" "listed"
  hrun hk delete "$ID"
  assert_failed_cleanly "not stopped"
  assert_cleans_up
}

@test "faults: runtime.exec.joined: the exec'd process, in the cgroup, dies with the runtime; the container runs on" {
  hk_create_start "$ID" "$BUNDLE"
  crash runtime.exec.joined hk exec "$ID" sleep 999
  assert_consistent
  # Only the init remains in the container.
  wait_for 5 test "$(hk ps "$ID" --format json | jq length)" = 1
  assert_eq running "$(state_of "$ID" status)" "state"
  hrun hk exec "$ID" true
  assert_status 0
  assert_cleans_up
}

@test "faults: runtime.delete.killed: the init killed, its cgroup and state left: state says stopped, delete removes them" {
  hk_create_start "$ID" "$BUNDLE"
  crash runtime.delete.killed hk delete --force "$ID"
  assert_consistent
  wait_status "$ID" stopped
  cgroup_exists
  # Stopped: a plain delete does it.
  hrun hk delete "$ID"
  assert_status 0
  assert_nothing_left "$ID"
  assert_cleans_up
}

@test "faults: runtime.delete.cgroup: the cgroup removed, the state left: state says stopped, delete --force finishes" {
  hk_create_start "$ID" "$BUNDLE"
  crash runtime.delete.cgroup hk delete --force "$ID"
  assert_consistent
  ! cgroup_exists
  assert_eq stopped "$(state_of "$ID" status)" "state"
  assert_cleans_up
}

@test "faults: husk-runtime run killed at each create step leaves nothing after delete --force" {
  for step in runtime.create.cgroup runtime.create.init runtime.create.state runtime.create.ready; do
    crash "$step" hk run -d --bundle "$BUNDLE" "$ID"
    assert_consistent
    assert_cleans_up
  done
}
