#!/usr/bin/env bats
# husk killed (SIGKILL, HUSK_FAULT=STEP: src/base/fault.hpp) where a container
# is half-made, half-run or half-removed: `ps -a` and `inspect` still work and
# tell the truth, no container.json is torn, `rm -f` cleans up, and nothing
# of the container remains (record, bundle, overlay mount, runtime state,
# cgroup, monitor, container process).

load ../lib/engine.bash

# With image.bash's teardown_file: the leak check of the whole file.
setup_file() { image_file_setup; }

setup() {
  engine_setup husk-faults
  # The default image, made once before any fault.
  h image inspect busybox >/dev/null
}

teardown() { engine_teardown; }

# crash STEP ARGS... : husk ARGS under HUSK_FAULT=STEP must die of SIGKILL.
crash() {
  local step=$1
  shift
  # Through a file: a container init left waiting holds husk's stdout and
  # stderr (as runc's does), and bats' run would wait for their end.
  run bash -c '"$@" >"$0" 2>&1 </dev/null' "$T/crash.out" env HUSK_FAULT="$step" "$HUSK" --root "$R" --runroot "$RUNROOT" "$@"
  output=$(cat "$T/crash.out")
  if [ "$status" -ne 137 ]; then
    printf 'expected death by SIGKILL (137) at %s, got %s: %s\n' "$step" "$status" "$output" >&2
    return 1
  fi
}

# monitor_crash STEP ARGS... : a run whose STEP happens in the container's
# monitor (every run's start does, foreground too): the monitor dies of
# SIGKILL there, and husk says so with 125.
monitor_crash() {
  local step=$1
  shift
  run bash -c '"$@" >"$0" 2>&1 </dev/null' "$T/crash.out" env HUSK_FAULT="$step" "$HUSK" --root "$R" --runroot "$RUNROOT" "$@"
  output=$(cat "$T/crash.out")
  if [ "$status" -ne 125 ] || [ "$output" != "husk: the container's monitor ended before the container started" ]; then
    printf 'expected the monitor to die at %s (125), got %s: %s\n' "$step" "$status" "$output" >&2
    return 1
  fi
}

# Every record parses; ps -a and inspect work on every container.
assert_consistent() {
  local f id
  for f in "$R"/containers/*/container.json; do
    [ -e "$f" ] || continue
    jq -e . "$f" >/dev/null || { echo "torn record $f: $(cat "$f")" >&2; return 1; }
  done
  run h ps -a --no-trunc --format json
  assert_status 0
  while IFS= read -r id; do
    [ -n "$id" ] || continue
    h inspect "$id" | jq -e '.[0].State.Status' >/dev/null || { echo "inspect $id failed" >&2; return 1; }
  done < <(jq -r .ID <<<"$output")
}

# The id of the only container ps -a lists (its state in STATE_OUT).
only_container() {
  local all
  all=$(h ps -a --no-trunc --format json)
  assert_eq 1 "$(grep -c . <<<"$all")" "containers listed: $all" || return 1
  ID=$(jq -r .ID <<<"$all")
  STATE_OUT=$(jq -r .State <<<"$all")
}

# rm -f ID works; nothing of ID is left; a container named NAME can be made again.
assert_cleans_up() {
  local name=${1:-c1}
  run h rm -f "$ID"
  assert_status 0
  assert_container_gone "$ID"
  run h run --rm --name "$name" busybox true
  assert_status 0
  assert_container_gone "$ID"
}

assert_container_gone() {
  local id=$1 p st
  [ ! -e "$R/containers/$id" ] || { echo "containers/$id remains: $(ls -A "$R/containers/$id")" >&2; return 1; }
  [ -z "$(_husk_mounts_under "$R")" ] || { echo "mounts remain: $(_husk_mounts_under "$R")" >&2; return 1; }
  [ ! -e "$RUNROOT/$id" ] || { echo "runtime state of $id remains" >&2; return 1; }
  [ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id" 2>/dev/null)" ] || { echo "cgroup of $id remains" >&2; return 1; }
  p=$(grep -lsF -- "$id" /proc/[0-9]*/cmdline | cut -d/ -f3 | grep -vx "$$\|$BASHPID" || true)
  for p in $p; do
    # Gone meanwhile (grep itself), or a zombie: not left.
    st=$(awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    case "$st" in "" | Z | X) continue ;; esac
    echo "a process of $id remains: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
    return 1
  done
  [ -z "$(ls -A "$R/tmp" 2>/dev/null)" ] || sleep 1  # --rm's detached deleter
}

@test "faults: engine.create.dir: containers/ID made, no record: ps -a shows it dead, rm -f removes it" {
  crash engine.create.dir create --name c1 busybox sleep 100
  assert_consistent
  only_container
  assert_eq dead "$STATE_OUT" "state"
  # Its name was never recorded: it is free.
  assert_cleans_up c1
}

@test "faults: engine.create.overlay: the root mounted, no config: rm -f unmounts and removes it" {
  crash engine.create.overlay create --name c1 busybox sleep 100
  [ -n "$(_husk_mounts_under "$R")" ]
  assert_consistent
  only_container
  run h start "$ID"
  [ "$status" -ne 0 ]
  assert_cleans_up
}

@test "faults: engine.create.bundle: the bundle made, no record: rm -f unmounts and removes it" {
  crash engine.create.bundle create --name c1 busybox sleep 100
  assert_consistent
  only_container
  assert_cleans_up
}

@test "faults: engine.run.record: the record says running, nothing runs: ps -a says exited, rm removes it" {
  monitor_crash engine.run.record run --name c1 busybox sleep 100
  assert_consistent
  only_container
  assert_eq exited "$STATE_OUT" "state"
  run h wait c1
  [ "$status" -ne 0 ]
  # Not running: a plain rm does it.
  run h rm "$ID"
  assert_status 0
  assert_container_gone "$ID"
}

@test "faults: engine.run.monitor: husk dies after spawning the monitor: the container runs on, rm -f stops it" {
  crash engine.run.monitor run -d --name c1 busybox sleep 100
  assert_consistent
  wait_for 10 sh -c "\"$HUSK\" --root \"$R\" --runroot \"$RUNROOT\" ps --format '{{.State}}' | grep -qx running"
  only_container
  assert_cleans_up
}

@test "faults: engine.monitor.running: the monitor dies with the container running: stop and rm -f still work" {
  run env HUSK_FAULT=engine.monitor.running "$HUSK" --root "$R" --runroot "$RUNROOT" run -d --name c1 busybox sleep 100
  assert_status 0
  only_container
  mpid=$(cat "$R/containers/$ID/monitor.pid")
  wait_for 5 sh -c "! kill -0 $mpid 2>/dev/null"
  assert_consistent
  assert_eq running "$STATE_OUT" "state"
  run h stop -t 1 c1
  assert_status 0
  assert_consistent
  assert_cleans_up
}

@test "faults: engine.rm.runtime: rm -f dies with the runtime's state gone: ps -a says exited, rm -f finishes" {
  run h run -d --name c1 busybox sleep 100
  assert_status 0
  only_container
  crash engine.rm.runtime rm -f c1
  assert_consistent
  only_container
  assert_eq exited "$STATE_OUT" "state"
  assert_cleans_up
}

@test "faults: engine.rm.unmounted: rm dies with the root unmounted, the files left: rm -f finishes" {
  run h create --name c1 busybox true
  assert_status 0
  only_container
  crash engine.rm.unmounted rm c1
  assert_consistent
  [ -z "$(_husk_mounts_under "$R")" ]
  assert_cleans_up
}

@test "faults: the monitor of husk run -d / run killed at each runtime create step: rm -f leaves nothing" {
  local step
  for step in runtime.create.dir runtime.create.cgroup runtime.create.init runtime.create.state runtime.create.ready; do
    # In the foreground: the monitor dies, and husk says so.
    monitor_crash "$step" run --name c1 busybox sleep 100
    assert_consistent
    only_container
    assert_cleans_up
    # Detached, its monitor dies and husk says so.
    run env HUSK_FAULT="$step" "$HUSK" --root "$R" --runroot "$RUNROOT" run -d --name c1 busybox sleep 100
    assert_status 125
    assert_consistent
    only_container
    assert_cleans_up
  done
}

@test "faults: husk start and rm -f killed at the runtime's start and delete steps: rm -f leaves nothing" {
  local step
  for step in runtime.start.woken runtime.delete.killed runtime.delete.cgroup; do
    run h create --name c1 busybox sleep 100
    assert_status 0
    only_container
    if [ "$step" = runtime.start.woken ]; then
      # The monitor starts it, and dies; husk start says so.
      run env HUSK_FAULT="$step" "$HUSK" --root "$R" --runroot "$RUNROOT" start c1
      [ "$status" -ne 0 ] && [ "$status" -ne 137 ] || { echo "start: $status $output" >&2; return 1; }
    else
      run h start c1
      assert_status 0
      crash "$step" rm -f c1
    fi
    assert_consistent
    assert_cleans_up
  done
}

# The test's own network namespace (ctest's) is the host here: what a
# container got on its networks, seen from it.
net_leftovers() {
  ip -o link show | awk -F': ' '$2 ~ /^husk[0-9a-f]{11}/ { print "veth " $2 }'
  nft list map ip husk published 2>/dev/null | grep -q 'elements = ' && echo "published ports"
  nft list map ip husk published_any 2>/dev/null | grep -q 'elements = ' && echo "published ports (any address)"
  grep -hv '^last ' "$RUNROOT"/.net/networks/*/leases 2>/dev/null | sed 's/^/lease /'
  ls -A "$RUNROOT/.net/netns" "$RUNROOT/.net/endpoints" "$RUNROOT/.net/ports" "$RUNROOT/.net/resolvers" 2>/dev/null | grep -v ':$' | grep -v '^lock$' | grep . | sed 's/^/state /'
  ls -A "$RUNROOT"/.net/dns/*/hosts 2>/dev/null | grep -v ':$' | grep . | sed 's/^/name /'
  pgrep -f "dnsmasq.*--pid-file=$RUNROOT/" >/dev/null && echo "name server"
  true
}
no_net_leftovers() { [ -z "$(net_leftovers)" ]; }

@test "faults: a run's monitor killed at each network step (namespace, wired, published): rm -f leaves no veth, lease, port, name or name server" {
  local step
  h network create faultnet >/dev/null
  # On two networks with names: the container's own name server too.
  h network create faultnet2 >/dev/null
  for step in engine.net.netns engine.net.wired engine.net.published; do
    monitor_crash "$step" run --name c1 --network faultnet --network faultnet2 -p 8080:80 busybox sleep 100
    assert_consistent
    only_container
    assert_cleans_up
    # The kernel lets a veth go shortly after its namespace (bounded).
    wait_for 5 no_net_leftovers || { net_leftovers >&2; false; }
    # Detached: its monitor dies there, and the port is free again.
    run env HUSK_FAULT="$step" "$HUSK" --root "$R" --runroot "$RUNROOT" run -d --name c1 --network faultnet --network faultnet2 -p 8080:80 busybox sleep 100
    assert_status 125
    only_container
    assert_cleans_up
    wait_for 5 no_net_leftovers || { net_leftovers >&2; false; }
  done
  run h run -d --name c2 --network faultnet -p 8080:80 busybox sleep 100
  assert_status 0
  h rm -f c2 >/dev/null
  h network rm faultnet faultnet2 >/dev/null
  wait_for 5 no_net_leftovers || { net_leftovers >&2; false; }
}
