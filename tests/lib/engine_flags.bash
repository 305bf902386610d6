# shellcheck shell=bash
# Set-up shared by the tests of husk's run flags (engine_limits.bats,
# engine_security.bats), which load only this file: its setup_file, setup
# and teardown give each test a store and a run root, every container
# deleted and unmounted afterwards (and skip the file without cgroup v1
# controllers); its helpers look at a container's cgroup from the host.
#
#   hk ARGS...                  husk on the test's store and run root
#   cpid ID                     the host pid of container ID's init
#   cgfile CONTROLLER ID FILE   FILE of container ID's cgroup in CONTROLLER's (v1) hierarchy
#   assert_nothing_left         no container dir, mount or runtime state remains
#   refused STATUS REGEX ARGS.. husk ARGS fails so, and leaves nothing

load ../lib/engine.bash

setup_file() {
  image_file_setup
  # The host is cgroup v1 or hybrid: the controllers' own hierarchies.
  [ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ] ||
    husk_skip_file "these tests read cgroup v1 files; this host's layout is $(husk_cgroup_layout)" || return 0
}

setup() {
  husk_check_skip_file
  engine_setup husk-flags
}

teardown() { engine_teardown; }

hk() { h "$@"; }

cpid() { "$RUNTIME_BIN" --root "$RUNROOT" state "$1" | jq -r .pid; }

cgfile() {
  local ctrl=$1 id=$2 file=$3 pid path
  pid=$(cpid "$id") || return 1
  path=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
    "/proc/$pid/cgroup")
  [ -n "$path" ] || { echo "no $ctrl cgroup for container $id (pid $pid)" >&2; return 1; }
  cat "/sys/fs/cgroup/$ctrl$path/$file"
}

assert_nothing_left() {
  assert_eq "" "$(ls -A "$R/containers" 2>/dev/null)" "container dirs"
  assert_eq "" "$(_husk_mounts_under "$R")" "mounts"
  assert_eq "" "$(container_states "$RUNROOT")" "runtime state"
}

# refused EXPECTED_STATUS MESSAGE_REGEX HUSK_ARGS... : husk fails with the
# status and message, and leaves nothing.
refused() {
  local status=$1 pattern=$2
  shift 2
  run hk "$@"
  assert_status "$status"
  assert_match "$pattern" "$output"
  assert_nothing_left
}
