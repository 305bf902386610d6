#!/usr/bin/env bats
# podman's cgroup options through the OCI runtime under test: the values it
# writes for --memory/--cpus/--pids-limit and `podman update` are the ones
# runc writes for the same podman command (read inside the container and
# from the host), and `podman pause` really freezes the processes.
#
#   bats tests/integration/podman_cgroups.bats
#   RUNTIME=/path/to/runtime bats tests/integration/podman_cgroups.bats
#
# The comparison runs need runc (/usr/sbin/runc, or HUSK_REFERENCE_RUNTIME).
# An isolated podman (tests/lib/podman.bash); the file checks afterwards that
# no mount, cgroup or container process was left on the host.

# runtime_common for the cg_* cgroup file helpers (it loads fixtures, assert
# and leakcheck too).
load runtime_common
load ../lib/podman

REFERENCE=${HUSK_REFERENCE_RUNTIME:-$(command -v runc || echo /usr/sbin/runc)}
MiB=1048576

setup_file() {
  podman_file_setup || return 0
  [ -x "$REFERENCE" ] || husk_skip_file "runc not installed: nothing to compare with"
}

teardown_file() {
  # Containers made with the reference runtime are removed with it.
  PODMAN_RUNTIME=$REFERENCE hpodman rm --all --force --time 0 >/dev/null 2>&1 || true
  podman_file_teardown
}

setup() {
  husk_check_skip_file
}

teardown() {
  PODMAN_RUNTIME=$REFERENCE hpodman rm --all --force --time 0 >/dev/null 2>&1 || true
  hpodman rm --all --force --time 0 >/dev/null 2>&1 || true
}

# with RUNTIME CMD... : CMD with podman driving RUNTIME instead.
with() {
  PODMAN_RUNTIME=$1 "${@:2}"
}

# The container's cgroup (podman's cgroupfs manager: /<parent>/libpod-<id>).
cgroup_of() {
  hpodman inspect --format '{{.State.CgroupPath}}' "$1"
}

# The files podman's limits land in, on this host's layout: one
# "CONTROLLER V1FILE V2FILE" per line.
LIMIT_FILES="memory memory.limit_in_bytes memory.max
memory memory.memsw.limit_in_bytes memory.swap.max
cpu cpu.cfs_quota_us cpu.max
cpu cpu.cfs_period_us cpu.max
pids pids.max pids.max"

# limits_of NAME : "FILE=VALUE" for each of LIMIT_FILES, read from the host,
# then from inside (podman exec); printed as two blocks.
limits_of() {
  local name=$1 cg ctrl v1 v2 p paths=() host="" inside
  cg=$(cgroup_of "$name") || return 1
  while read -r ctrl v1 v2; do
    p=$(cg_path "$ctrl" "$v1" "$v2" "$cg") || return 1
    host+="${p##*/}=$(cat "$p")"$'\n'
    paths+=("$(cg_in "$ctrl" "$v1" "$v2")")
  done <<<"$LIMIT_FILES"
  # podman on v1 shares the host's cgroup namespace, but the runtime
  # mounts the container's own cgroup directories on /sys/fs/cgroup/*;
  # on v2 podman makes a cgroup namespace.
  inside=$(hpodman exec "$name" sh -c 'for f; do echo "${f##*/}=$(cat "$f")"; done' - "${paths[@]}") || return 1
  printf 'host:\n%sinside:\n%s\n' "$host" "$inside"
}

# expected_limits MEMORY SWAP_TOTAL QUOTA PERIOD PIDS : what limits_of
# must print for those values (OCI's swap is memory+swap).
expected_limits() {
  local block
  if cg_v2; then
    block="memory.max=$1
memory.swap.max=$(($2 - $1))
cpu.max=$3 $4
cpu.max=$3 $4
pids.max=$5"
  else
    block="memory.limit_in_bytes=$1
memory.memsw.limit_in_bytes=$2
cpu.cfs_quota_us=$3
cpu.cfs_period_us=$4
pids.max=$5"
  fi
  printf 'host:\n%s\ninside:\n%s\n' "$block" "$block"
}

@test "podman run --memory 100m --cpus 0.5 --pids-limit 50: the runtime writes what runc writes" {
  local husk ref
  husk=$(husk_unique_name pcg)
  ref=$(husk_unique_name pcgref)
  run hpodman run -d --network none --name "$husk" --memory 100m --cpus 0.5 --pids-limit 50 "$PODMAN_IMAGE" sleep 1000
  assert_status 0
  run with "$REFERENCE" hpodman run -d --network none --name "$ref" --memory 100m --cpus 0.5 --pids-limit 50 "$PODMAN_IMAGE" sleep 1000
  assert_status 0

  got_husk=$(limits_of "$husk")
  got_ref=$(with "$REFERENCE" limits_of "$ref")
  # podman gives --memory-swap twice --memory by default.
  want=$(expected_limits $((100 * MiB)) $((200 * MiB)) 50000 100000 50)
  assert_eq "$want" "$got_ref" "runc's values (the reference itself)"
  assert_eq "$got_ref" "$got_husk" "the runtime's values, compared with runc's"
}

@test "podman update --memory --cpus: the runtime writes what runc writes" {
  local husk ref
  husk=$(husk_unique_name pup)
  ref=$(husk_unique_name pupref)
  run hpodman run -d --network none --name "$husk" --memory 100m --cpus 0.5 --pids-limit 50 "$PODMAN_IMAGE" sleep 1000
  assert_status 0
  run with "$REFERENCE" hpodman run -d --network none --name "$ref" --memory 100m --cpus 0.5 --pids-limit 50 "$PODMAN_IMAGE" sleep 1000
  assert_status 0

  # podman hands the runtime `update --resources=FILE`.
  run hpodman update --memory 200m --cpus 0.25 "$husk"
  assert_status 0
  run with "$REFERENCE" hpodman update --memory 200m --cpus 0.25 "$ref"
  assert_status 0

  got_husk=$(limits_of "$husk")
  got_ref=$(with "$REFERENCE" limits_of "$ref")
  want=$(expected_limits $((200 * MiB)) $((400 * MiB)) 25000 100000 50)
  assert_eq "$want" "$got_ref" "runc's values after update (the reference itself)"
  assert_eq "$got_ref" "$got_husk" "the runtime's values after update, compared with runc's"

  # The container kept running through it.
  run hpodman exec "$husk" echo alive
  assert_output alive
}

@test "podman pause freezes the container's processes (no CPU used); unpause thaws them" {
  local name cg u0 u1
  name=$(husk_unique_name ppause)
  run hpodman run -d --network none --name "$name" "$PODMAN_IMAGE" sh -c 'while :; do :; done'
  assert_status 0
  cg=$(cgroup_of "$name")

  run hpodman pause "$name"
  assert_status 0
  run hpodman inspect --format '{{.State.Status}}' "$name"
  assert_output paused
  if cg_v2; then
    assert_contains "$(cg_read freezer - cgroup.events "$cg")" "frozen 1" cgroup.events
  else
    assert_eq FROZEN "$(cg_read freezer freezer.state - "$cg")" freezer.state
  fi
  u0=$(cg_cpu_usage_ns "$cg")
  sleep 1
  u1=$(cg_cpu_usage_ns "$cg")
  # Frozen tasks do not run (1 ms of slack for the counter's flush).
  [ $((u1 - u0)) -le 1000000 ] || { echo "the paused hog used $((u1 - u0)) ns of CPU in 1 s" >&2; return 1; }

  run hpodman unpause "$name"
  assert_status 0
  run hpodman inspect --format '{{.State.Status}}' "$name"
  assert_output running
  if ! cg_v2; then
    assert_eq THAWED "$(cg_read freezer freezer.state - "$cg")" freezer.state
  fi
  u0=$(cg_cpu_usage_ns "$cg")
  sleep 1
  u1=$(cg_cpu_usage_ns "$cg")
  [ $((u1 - u0)) -ge 200000000 ] || { echo "the hog used only $((u1 - u0)) ns of CPU in 1 s after unpause" >&2; return 1; }
}
