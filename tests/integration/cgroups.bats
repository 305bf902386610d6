#!/usr/bin/env bats
# cgroup resource limits of husk-runtime (issue 3), as runc 1.1 applies them:
# linux.resources at create, `update`, `events`, enforcement (CPU quota,
# memory OOM, pids, freezer), killing and removing a cgroup with many
# processes, nested and relative cgroupsPath.
#
# Values are read from the host (the container's cgroup directory) and from
# inside the container (its own cgroup namespace at /sys/fs/cgroup).  Every
# test knows both layouts: v1/hybrid hosts (separate v1 hierarchies, cgroup2
# on /sys/fs/cgroup/unified) and pure cgroup v2 (tests/vm runs this file in a
# v2 VM).  The cg_* helpers are in runtime_common.bash.
#
#   bats tests/integration/cgroups.bats
#   RUNTIME=/usr/sbin/runc bats tests/integration/cgroups.bats

load runtime_common

# ---- helpers ---------------------------------------------------------------

MiB=1048576

# mkres RESOURCES_JSON [ARGS...] : $BUNDLE running ARGS (default sleep 1000)
# in its own cgroup namespace, with linux.resources = RESOURCES_JSON.
mkres() {
  local res=$1
  shift
  [ $# -gt 0 ] || set -- sleep 1000
  mkbundle "$BUNDLE" "$@" || return 1
  # (runc spec on a v2 host already has a cgroup namespace)
  cfg 'if any(.linux.namespaces[]; .type == "cgroup") then . else .linux.namespaces += [{type: "cgroup"}] end
       | .linux.resources += $r' --argjson r "$res"
}

# start_res RESOURCES_JSON [ARGS...] : mkres, then create and start $ID.
start_res() {
  mkres "$@" || return 1
  hk_create_start "$ID" "$BUNDLE"
}

# Queued checks of one file each, seen from the host and from inside:
#   expect_cg CONTROLLER V1FILE V2FILE WANT   checks the host's file now
#   check_inside                              one exec reads every queued file
EXPECT_IN=()
EXPECT_WANT=()
expect_cg() {
  local p got
  p=$(cg_path "$1" "$2" "$3") || return 1
  got=$(cat "$p") || return 1
  assert_eq "$4" "$got" "$p (host)" || return 1
  EXPECT_IN+=("$(cg_in "$1" "$2" "$3")")
  EXPECT_WANT+=("$4")
}

check_inside() {
  local want
  want=$(printf '%s\n' "${EXPECT_WANT[@]}")
  hrun hk exec "$ID" cat "${EXPECT_IN[@]}"
  assert_status 0 || return 1
  assert_eq "$want" "$stdout" "inside: cat ${EXPECT_IN[*]}"
}

# cpu_percent SECONDS : percent of one CPU the container's cgroup used over
# the next SECONDS (a measurement window, not a wait).
cpu_percent() {
  local u0 u1 t0 t1
  u0=$(cg_cpu_usage_ns) && t0=$EPOCHREALTIME || return 1
  sleep "$1"
  u1=$(cg_cpu_usage_ns) && t1=$EPOCHREALTIME || return 1
  awk -v u="$((u1 - u0))" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d\n", u / ((t1 - t0) * 1e9) * 100 }'
}

# assert_between LOW HIGH VALUE WHAT
assert_between() {
  if [ "$3" -lt "$1" ] || [ "$3" -gt "$2" ]; then
    printf '%s: %s is not within [%s, %s]\n' "$4" "$3" "$1" "$2" >&2
    return 1
  fi
}

# The highest-numbered online CPU (so a cpuset differs from the default).
last_cpu() {
  local online
  read -r online </sys/devices/system/cpu/online
  online=${online##*,}
  echo "${online##*-}"
}

# MAJ:MIN of a block device for the throttle tests (a real disk first).
block_dev() {
  local d
  for d in /sys/block/*; do
    case ${d##*/} in loop* | ram* | zram*) continue ;; esac
    [ -r "$d/dev" ] && { cat "$d/dev"; return 0; }
  done
  for d in /sys/block/*; do
    [ -r "$d/dev" ] && { cat "$d/dev"; return 0; }
  done
  return 1
}

# hkt ARGS... : hk with a time limit, for commands run while `events` runs
# beside them: a runtime that locks the container for as long as `events`
# lasts must fail the test, not hang it.
hkt() {
  timeout 20 "$HUSK" --root "$ROOT" "$@"
}

# status_now ID STATUS : the container's status is STATUS (with hkt).
status_now() {
  local got
  got=$(hkt state "$1" | jq -r .status)
  [ "$got" = "$2" ] || { echo "container $1: status [$got], expected [$2]" >&2; return 1; }
}

# True when the process is gone (or a zombie nobody reaped yet).
proc_gone() {
  local state
  [ -e "/proc/$1" ] || return 0
  state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
  [ -z "$state" ] || [ "$state" = Z ]
}

file_has() {
  grep -q -- "$2" "$1" 2>/dev/null
}

file_exists() {
  [ -e "$1" ]
}

# memory in use by the container's cgroup, in bytes
mem_usage() {
  cg_read memory memory.usage_in_bytes memory.current
}

# cgroup2_dir : the container's directory in the cgroup2 hierarchy.
cgroup2_dir() {
  if cg_v2; then
    echo "/sys/fs/cgroup/$CG_PARENT/${BUNDLE##*/}"
  else
    echo "/sys/fs/cgroup/unified/$CG_PARENT/${BUNDLE##*/}"
  fi
}

# Whether a cgroup of this host has a blkio/io weight file: BFQ puts
# blkio.bfq.weight (io.bfq.weight) in non-root cgroups only, so look in one.
weight_file() {
  local d f
  if cg_v2; then
    d=/sys/fs/cgroup/$CG_PARENT
    mkdir -p "$d"
    # What a runtime does for the container anyway (tests/vm enables it).
    grep -qw io /sys/fs/cgroup/cgroup.controllers &&
      echo +io >/sys/fs/cgroup/cgroup.subtree_control
    for f in io.bfq.weight io.weight; do
      [ -e "$d/$f" ] && { echo "$f"; return 0; }
    done
  else
    d=/sys/fs/cgroup/blkio/$CG_PARENT
    mkdir -p "$d"
    for f in blkio.weight blkio.bfq.weight; do
      [ -e "$d/$f" ] && { echo "$f"; return 0; }
    done
  fi
  return 1
}

# cgroup_file_dir FILE : the container's directory holding FILE.
cgroup_file_dir() {
  case "$1" in
    blkio.*) echo "/sys/fs/cgroup/blkio/$CG_PARENT/${BUNDLE##*/}" ;;
    *) cgroup2_dir ;;
  esac
}

# ---- linux.resources applied at create ---------------------------------------

@test "resources: memory limit, reservation and swap (memory+swap) at create" {
  start_res "{\"memory\": {\"limit\": $((64 * MiB)), \"reservation\": $((32 * MiB)), \"swap\": $((96 * MiB))}}"
  expect_cg memory memory.limit_in_bytes memory.max $((64 * MiB))
  expect_cg memory memory.soft_limit_in_bytes memory.low $((32 * MiB))
  # OCI's swap is memory+swap (v1 memsw); v2's memory.swap.max is swap alone.
  if cg_v2; then
    expect_cg memory - memory.swap.max $((32 * MiB))
  else
    expect_cg memory memory.memsw.limit_in_bytes - $((96 * MiB))
  fi
  check_inside
}

@test "resources: memory swap -1 is unlimited swap (v2 memory.swap.max max)" {
  start_res "{\"memory\": {\"limit\": $((64 * MiB)), \"swap\": -1}}"
  expect_cg memory memory.limit_in_bytes memory.max $((64 * MiB))
  if cg_v2; then
    expect_cg memory - memory.swap.max max
  else
    # v1 shows "unlimited" as the largest page-aligned value.
    expect_cg memory memory.memsw.limit_in_bytes - "$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes)"
  fi
  check_inside
}

@test "resources: cpu shares and quota/period (runc's cpu.weight and cpu.max on v2)" {
  start_res '{"cpu": {"shares": 512, "quota": 50000, "period": 100000}}'
  if cg_v2; then
    # weight = 1 + ((shares - 2) * 9999) / 262142 = 20
    expect_cg cpu - cpu.weight 20
    expect_cg cpu - cpu.max "50000 100000"
  else
    expect_cg cpu cpu.shares - 512
    expect_cg cpu cpu.cfs_quota_us - 50000
    expect_cg cpu cpu.cfs_period_us - 100000
  fi
  check_inside
}

@test "resources: cpu quota -1 is unlimited (v2 cpu.max \"max PERIOD\")" {
  start_res '{"cpu": {"quota": -1, "period": 50000}}'
  if cg_v2; then
    expect_cg cpu - cpu.max "max 50000"
  else
    expect_cg cpu cpu.cfs_quota_us - -1
    expect_cg cpu cpu.cfs_period_us - 50000
  fi
  check_inside
}

@test "resources: pids limit 42, and -1 means max" {
  start_res '{"pids": {"limit": 42}}'
  expect_cg pids pids.max pids.max 42
  check_inside
  hk delete --force "$ID"
  EXPECT_IN=() EXPECT_WANT=()

  start_res '{"pids": {"limit": -1}}'
  expect_cg pids pids.max pids.max max
  check_inside
}

@test "resources: cpuset cpus and mems, and the process may only run there" {
  cpu=$(last_cpu)
  start_res "{\"cpu\": {\"cpus\": \"$cpu\", \"mems\": \"0\"}}"
  expect_cg cpuset cpuset.cpus cpuset.cpus "$cpu"
  expect_cg cpuset cpuset.mems cpuset.mems 0
  check_inside
  hrun hk exec "$ID" awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status
  assert_eq "$cpu" "$stdout" "Cpus_allowed_list of a process inside"
}

@test "resources: blockIO throttle -> blkio.throttle.* (v1) or io.max (v2)" {
  dev=$(block_dev) || skip "no block device on this machine: throttling needs one"
  major=${dev%:*} minor=${dev#*:}
  start_res "{\"blockIO\": {
      \"throttleReadBpsDevice\": [{\"major\": $major, \"minor\": $minor, \"rate\": 1048576}],
      \"throttleWriteBpsDevice\": [{\"major\": $major, \"minor\": $minor, \"rate\": 2097152}],
      \"throttleReadIOPSDevice\": [{\"major\": $major, \"minor\": $minor, \"rate\": 100}],
      \"throttleWriteIOPSDevice\": [{\"major\": $major, \"minor\": $minor, \"rate\": 200}]}}"
  if cg_v2; then
    expect_cg io - io.max "$dev rbps=1048576 wbps=2097152 riops=100 wiops=200"
  else
    expect_cg blkio blkio.throttle.read_bps_device - "$dev 1048576"
    expect_cg blkio blkio.throttle.write_bps_device - "$dev 2097152"
    expect_cg blkio blkio.throttle.read_iops_device - "$dev 100"
    expect_cg blkio blkio.throttle.write_iops_device - "$dev 200"
  fi
  check_inside
}

@test "resources: hugepageLimits -> hugetlb.2MB.limit_in_bytes (v1) or hugetlb.2MB.max (cgroup2)" {
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages on this kernel"
  cg_root hugetlb >/dev/null || skip "no hugetlb controller on this host"
  start_res "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": $((4 * 2 * MiB))}]}"
  expect_cg hugetlb hugetlb.2MB.limit_in_bytes hugetlb.2MB.max $((8 * MiB))
  check_inside
}

@test "resources: unified key/values are written (cgroup2; on hybrid hosts too)" {
  [ -e /sys/fs/cgroup/cgroup.controllers ] || [ -e /sys/fs/cgroup/unified/cgroup.controllers ] ||
    skip "pure cgroup v1 host: no cgroup2 hierarchy for unified keys"
  # cgroup.* files exist in every cgroup2 directory, whatever is enabled.
  res='{"unified": {"cgroup.max.descendants": "5"}}'
  cg_v2 && res='{"unified": {"cgroup.max.descendants": "5", "pids.max": "17", "memory.high": "33554432"}}'
  start_res "$res"
  assert_eq 5 "$(cat "$(cgroup2_dir)/cgroup.max.descendants")" "$(cgroup2_dir)/cgroup.max.descendants"
  if cg_v2; then
    EXPECT_IN+=(/sys/fs/cgroup/cgroup.max.descendants)
    expect_cg pids - pids.max 17
    expect_cg memory - memory.high 33554432
  else
    # The container's cgroup2 directory, as the hybrid host's is mounted.
    EXPECT_IN+=(/sys/fs/cgroup/unified/cgroup.max.descendants)
  fi
  EXPECT_WANT=(5 "${EXPECT_WANT[@]}")
  check_inside
}

@test "resources: a unified key for a controller the cgroup2 hierarchy lacks fails create, naming the key" {
  [ -e /sys/fs/cgroup/cgroup.controllers ] || [ -e /sys/fs/cgroup/unified/cgroup.controllers ] ||
    skip "pure cgroup v1 host: no cgroup2 hierarchy for unified keys"
  # memory lives in a v1 hierarchy on hybrid hosts; no such controller on v2.
  key=memory.max
  cg_v2 && key=nosuchcontroller.max
  mkres "{\"unified\": {\"$key\": \"33554432\"}}"
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_status 1
  assert_contains "$stderr" "$key" stderr
  assert_nothing_left "$ID"
}

# ---- resources the kernel lacks, bad values ----------------------------------

@test "resources: network classID without net_cls fails create, naming net_cls; nothing left" {
  cg_root net_cls >/dev/null && skip "this host has net_cls mounted"
  mkres '{"network": {"classID": 1048577}}'
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_status 1
  assert_contains "$stderr" net_cls stderr
  assert_nothing_left "$ID"
}

@test "resources: network priorities without net_prio fail create, naming net_prio; nothing left" {
  cg_root net_prio >/dev/null && skip "this host has net_prio mounted"
  mkres '{"network": {"priorities": [{"name": "lo", "priority": 5}]}}'
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_status 1
  assert_contains "$stderr" net_prio stderr
  assert_nothing_left "$ID"
}

@test "resources: blockIO.weight is written where the kernel has a weight file, else create fails clearly" {
  if f=$(weight_file); then
    start_res '{"blockIO": {"weight": 500}}'
    got=$(cat "$(cgroup_file_dir "$f")/$f")
    case "$f" in
      # runc: io.bfq.weight takes the value as is; io.weight the converted
      # 1 + (weight - 10) * 9999 / 990.
      io.weight) assert_eq "default $((1 + (500 - 10) * 9999 / 990))" "$got" "$f" ;;
      io.bfq.weight) assert_eq "default 500" "$got" "$f" ;;
      *) assert_eq 500 "$got" "$f" ;;
    esac
  else
    mkres '{"blockIO": {"weight": 500}}'
    hrun hk create --bundle "$BUNDLE" "$ID"
    assert_status 1
    assert_contains "$stderr" weight stderr
    assert_nothing_left "$ID"
  fi
}

@test "resources: memory.kernel and kernelTCP only warn (as runc 1.1); create succeeds" {
  mkres "{\"memory\": {\"limit\": $((64 * MiB)), \"kernel\": $((16 * MiB)), \"kernelTCP\": $((8 * MiB))}}"
  hk_create "$ID" "$BUNDLE"
  assert_match '[Kk]ernel' "$stderr" "create's stderr (a warning about kernel memory)"
  hrun hk start "$ID"
  assert_status 0
  assert_eq $((64 * MiB)) "$(cg_read memory memory.limit_in_bytes memory.max)" "memory limit"
}

@test "resources: negative cpu shares fail create; nothing left" {
  mkres '{"cpu": {"shares": -5}}'
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_status 1
  assert_contains "$stderr" shares stderr
  assert_nothing_left "$ID"
}

@test "resources: cpuset cpus \"abc\" fails create; nothing left" {
  mkres '{"cpu": {"cpus": "abc"}}'
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_status 1
  assert_contains "$stderr" cpus stderr
  assert_nothing_left "$ID"
}

# ---- enforcement -------------------------------------------------------------

@test "enforcement: device rules: a device the rules do not allow cannot be opened (v1 devices list, v2 eBPF)" {
  # /dev is a tmpfs in the container, so with CAP_MKNOD (and runc's default
  # rule "mknod of any char device") a node can be made for any device; only
  # the cgroup decides whether it opens. 10:229 (fuse) is not in runc's
  # default allow list. An open the cgroup refuses fails with EPERM; one it
  # allows succeeds, or fails with ENODEV where the VM has no fuse driver.
  local script='mknod /dev/fuse2 c 10 229 || exit 3
    mknod /dev/null2 c 1 3 && echo x >/dev/null2 && echo null-ok
    if (exec 3</dev/fuse2) 2>/dev/null; then echo fuse-open; else (exec 3</dev/fuse2) 2>&1 | grep -q "not permitted" && echo fuse-denied || echo fuse-nodriver; fi'
  mkres '{}' sh -c "$script"
  cfg '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"]
       | .process.capabilities.permitted += ["CAP_MKNOD"]
       | .linux.resources.devices = [{allow: false, access: "rwm"}]'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_eq "null-ok
fuse-denied" "$stdout" "deny all, then runc's defaults"

  # The same with 10:229 allowed: the cgroup no longer refuses it.
  cfg '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "rw"}]'
  hrun hk run --bundle "$BUNDLE" "$ID2"
  assert_status 0
  case "$stdout" in
    $'null-ok\nfuse-open' | $'null-ok\nfuse-nodriver') ;;
    *) echo "with c 10:229 rw allowed: $stdout" >&2; return 1 ;;
  esac
  assert_nothing_left "$ID"
}

@test "enforcement: a CPU hog at quota 10000/period 100000 gets about 10% of one CPU" {
  start_res '{"cpu": {"quota": 10000, "period": 100000}}' sh -c 'while :; do :; done'
  pct=$(cpu_percent 2)
  assert_between 5 20 "$pct" "CPU use of the hog (% of one CPU)"
}

@test "enforcement: past its memory limit the process is OOM-killed (run exits 137)" {
  # The shell holds the whole 64 MiB in a variable; no swap allowed.
  mkres "{\"memory\": {\"limit\": $((16 * MiB)), \"swap\": $((16 * MiB))}}" \
    sh -c 'x=$(head -c 67108864 /dev/zero | tr "\0" a); echo survived ${#x}'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 137
  assert_not_contains "$stdout" survived
  assert_nothing_left "$ID"
}

@test "enforcement: an OOM kill is counted and 'events' reports {\"type\":\"oom\"}" {
  # The init waits (no forks) until the host says go, then a child shell
  # allocates past the limit; the init survives to report its status.
  mkres "{\"memory\": {\"limit\": $((16 * MiB)), \"swap\": $((16 * MiB))}}" \
    sh -c 'read -r go </tmp/go; sh -c "x=\$(head -c 67108864 /dev/zero | tr \"\\0\" a)"; echo $? >/tmp/rc; exec sleep 1000'
  mkfifo "$BUNDLE/rootfs/tmp/go"
  hk_create_start "$ID" "$BUNDLE"
  # With an interval, the first stats line shows that events is listening
  # (runc subscribes to OOM notifications before its first tick).
  bg "$HUSK" --root "$ROOT" events --interval 1s "$ID" >"$T/events.out" 2>"$T/events.err"
  wait_for 10 file_has "$T/events.out" '"type":"stats"' || {
    echo "events printed: $(cat "$T/events.out" "$T/events.err")" >&2
    return 1
  }
  timeout 10 sh -c 'echo go >"$1"' - "$BUNDLE/rootfs/tmp/go"
  wait_for 10 file_exists "$BUNDLE/rootfs/tmp/rc"
  assert_eq 137 "$(cat "$BUNDLE/rootfs/tmp/rc")" "exit status of the allocating shell"
  if cg_v2; then
    n=$(awk '$1 == "oom_kill" { print $2 }' "$(cg_path memory - memory.events)")
  else
    n=$(awk '$1 == "oom_kill" { print $2 }' "$(cg_path memory memory.oom_control -)")
  fi
  assert_between 1 1000 "$n" "oom_kill counter"
  wait_for 10 file_has "$T/events.out" '"type":"oom"' || {
    echo "events printed: $(cat "$T/events.out" "$T/events.err")" >&2
    return 1
  }
  line=$(grep '"type":"oom"' "$T/events.out" | head -1)
  assert_eq "$ID" "$(jq -r .id <<<"$line")" "id of the oom event"
  # Only the allocating shell was killed.
  status_now "$ID" running
}

@test "enforcement: pids limit 10 makes the 10th process's fork fail" {
  # busybox sh gives up at the first fork that fails (exit 2): the loop's
  # last number is how many sleeps it could start next to itself.
  mkres '{"pids": {"limit": 10}}' sh -c 'for i in $(seq 20); do sleep 100 & echo $i; done'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 2
  assert_eq 9 "${lines[8]}" "sleeps started (stdout: $stdout)"
  assert_eq 9 "$(grep -c . <<<"$stdout")" "lines of stdout"
  assert_contains "$stderr" "can't fork" stderr
  assert_nothing_left "$ID"
}

@test "enforcement: update raises a running container's pids limit and more forks succeed" {
  # The init forks only when told to, through FIFOs (a wait loop with sleep
  # would itself need pids); each attempt runs in a subshell so that its
  # failing fork does not end the init.
  local script='
    try() { (for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
               sleep 1000 & echo $i >/tmp/n$1; done) 2>/tmp/err$1; echo $? >/tmp/rc$1; }
    read -r x </tmp/go1; try 1
    read -r x </tmp/go2; try 2
    exec sleep 1000'
  mkres '{"pids": {"limit": 5}}' sh -c "$script"
  mkfifo "$BUNDLE/rootfs/tmp/go1" "$BUNDLE/rootfs/tmp/go2"
  hk_create_start "$ID" "$BUNDLE"
  r=$BUNDLE/rootfs/tmp
  timeout 10 sh -c 'echo go >"$1"' - "$r/go1"
  wait_for 10 file_exists "$r/rc1"
  # init + subshell + 3 sleeps = 5
  assert_eq "2 3" "$(cat "$r/rc1") $(cat "$r/n1")" "first try: status and sleeps started"
  assert_contains "$(cat "$r/err1")" "can't fork" "first try's stderr"

  hrun hk update --pids-limit 30 "$ID"
  assert_status 0
  assert_eq 30 "$(cg_read pids pids.max pids.max)" pids.max
  timeout 10 sh -c 'echo go >"$1"' - "$r/go2"
  wait_for 10 file_exists "$r/rc2"
  # 4 left + subshell + 20 sleeps = 25 <= 30
  assert_eq "0 20" "$(cat "$r/rc2") $(cat "$r/n2")" "second try: status and sleeps started"
  assert_eq 24 "$(cg_read pids pids.current pids.current)" pids.current
}

@test "enforcement: update lowers a running hog's cpu quota and its usage drops" {
  start_res '{"cpu": {"quota": 50000, "period": 100000}}' sh -c 'while :; do :; done'
  before=$(cpu_percent 1.5)
  assert_between 30 60 "$before" "CPU use at quota 50000/100000 (% of one CPU)"
  hrun hk update --cpu-quota 10000 "$ID"
  assert_status 0
  if cg_v2; then
    assert_eq "10000 100000" "$(cg_read cpu - cpu.max)" cpu.max
  else
    assert_eq 10000 "$(cg_read cpu cpu.cfs_quota_us -)" cpu.cfs_quota_us
  fi
  after=$(cpu_percent 1.5)
  assert_between 5 20 "$after" "CPU use at quota 10000/100000 (% of one CPU)"
}

@test "enforcement: pause stops the hog's CPU use (state paused), resume restarts it" {
  start_res '{}' sh -c 'while :; do :; done'
  hrun hk pause "$ID"
  assert_status 0
  assert_eq paused "$(state_of "$ID" status)" "state after pause"
  if cg_v2; then
    assert_eq 1 "$(cg_read freezer - cgroup.freeze)" cgroup.freeze
    assert_contains "$(cg_read freezer - cgroup.events)" "frozen 1" cgroup.events
  else
    assert_eq FROZEN "$(cg_read freezer freezer.state -)" freezer.state
  fi
  u0=$(cg_cpu_usage_ns)
  sleep 1
  u1=$(cg_cpu_usage_ns)
  # Frozen tasks do not run at all (1 ms of slack for the counter's flush).
  assert_between 0 1000000 $((u1 - u0)) "CPU ns used while paused"

  hrun hk resume "$ID"
  assert_status 0
  assert_eq running "$(state_of "$ID" status)" "state after resume"
  pct=$(cpu_percent 1)
  assert_between 20 110 "$pct" "CPU use after resume (% of one CPU)"
}

# ---- update ------------------------------------------------------------------

@test "update: --memory, --memory-reservation and --memory-swap take runc's unit suffixes" {
  start_res '{}'
  hrun hk update --memory 100m --memory-reservation 50m --memory-swap 200m "$ID"
  assert_status 0
  expect_cg memory memory.limit_in_bytes memory.max $((100 * MiB))
  expect_cg memory memory.soft_limit_in_bytes memory.low $((50 * MiB))
  if cg_v2; then
    expect_cg memory - memory.swap.max $((100 * MiB))
  else
    expect_cg memory memory.memsw.limit_in_bytes - $((200 * MiB))
  fi
  check_inside
}

@test "update: --cpu-share, --cpu-quota, --cpu-period, --cpuset-cpus, --cpuset-mems, --pids-limit" {
  cpu=$(last_cpu)
  start_res '{}'
  hrun hk update --cpu-share 512 --cpu-quota 20000 --cpu-period 50000 \
    --cpuset-cpus "$cpu" --cpuset-mems 0 --pids-limit 99 "$ID"
  assert_status 0
  if cg_v2; then
    expect_cg cpu - cpu.weight 20
    expect_cg cpu - cpu.max "20000 50000"
  else
    expect_cg cpu cpu.shares - 512
    expect_cg cpu cpu.cfs_quota_us - 20000
    expect_cg cpu cpu.cfs_period_us - 50000
  fi
  expect_cg cpuset cpuset.cpus cpuset.cpus "$cpu"
  expect_cg cpuset cpuset.mems cpuset.mems 0
  expect_cg pids pids.max pids.max 99
  check_inside
}

@test "update: --cpu-rt-period and --cpu-rt-runtime (v1 real-time group scheduling)" {
  cg_v2 && skip "cgroup v2 has no real-time group scheduling (no cpu.rt_* files)"
  [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "kernel without CONFIG_RT_GROUP_SCHED"
  # A child's real-time budget comes out of its parent's, and a new cgroup
  # has none: give our parent 20% of the CPU for real-time tasks.
  mkdir -p "/sys/fs/cgroup/cpu/$CG_PARENT"
  echo 200000 >"/sys/fs/cgroup/cpu/$CG_PARENT/cpu.rt_runtime_us"
  start_res '{}'
  hrun hk update --cpu-rt-period 100000 --cpu-rt-runtime 10000 "$ID"
  assert_status 0
  expect_cg cpu cpu.rt_period_us - 100000
  expect_cg cpu cpu.rt_runtime_us - 10000
  check_inside
}

@test "update --resources FILE and --resources - (LinuxResources JSON)" {
  start_res '{}'
  echo "{\"memory\": {\"limit\": $((48 * MiB))}, \"cpu\": {\"shares\": 512}, \"pids\": {\"limit\": 33}}" >"$T/res.json"
  # podman passes --resources=FILE.
  hrun hk update --resources="$T/res.json" "$ID"
  assert_status 0
  assert_eq $((48 * MiB)) "$(cg_read memory memory.limit_in_bytes memory.max)" "memory limit"
  assert_eq 33 "$(cg_read pids pids.max pids.max)" pids.max
  if cg_v2; then
    assert_eq 20 "$(cg_read cpu - cpu.weight)" cpu.weight
  else
    assert_eq 512 "$(cg_read cpu cpu.shares -)" cpu.shares
  fi

  echo "{\"memory\": {\"limit\": $((40 * MiB))}, \"pids\": {\"limit\": 44}}" >"$T/res2.json"
  status=0
  hk update --resources - "$ID" <"$T/res2.json" >"$T/upd.out" 2>&1 || status=$?
  assert_eq 0 "$status" "update --resources - (output: $(cat "$T/upd.out"))"
  assert_eq $((40 * MiB)) "$(cg_read memory memory.limit_in_bytes memory.max)" "memory limit"
  assert_eq 44 "$(cg_read pids pids.max pids.max)" pids.max
}

@test "update: a bad value fails and changes nothing" {
  cpu=$(last_cpu)
  start_res "{\"cpu\": {\"cpus\": \"$cpu\"}, \"pids\": {\"limit\": 50}}"
  hrun hk update --cpuset-cpus abc "$ID"
  assert_status 1
  assert_contains "$stderr" cpus stderr
  assert_eq "$cpu" "$(cg_read cpuset cpuset.cpus cpuset.cpus)" cpuset.cpus
  assert_eq 50 "$(cg_read pids pids.max pids.max)" pids.max
  status_is "$ID" running
}

@test "update: with checkBeforeUpdate, a memory limit below the current usage fails; the old limit stays" {
  # /dev/shm (tmpfs) pages cannot be reclaimed without swap.
  start_res "{\"memory\": {\"limit\": $((64 * MiB))}}" \
    sh -c 'head -c 20m /dev/zero >/dev/shm/fill; exec sleep 1000'
  mem_over() { [ "$(mem_usage)" -gt $((20 * MiB)) ]; }
  wait_for 10 mem_over
  # Without checkBeforeUpdate, v1 refuses what it cannot reclaim but v2
  # takes the limit and reclaims or OOM-kills (as with runc): the spec's
  # checkBeforeUpdate asks the runtime to refuse on both.
  echo "{\"memory\": {\"limit\": $((10 * MiB)), \"checkBeforeUpdate\": true}}" >"$T/lower.json"
  hrun hk update --resources "$T/lower.json" "$ID"
  assert_status 1
  assert_contains "$stderr" memory stderr
  assert_eq $((64 * MiB)) "$(cg_read memory memory.limit_in_bytes memory.max)" "memory limit"
  status_is "$ID" running
  [ "$(cg_nprocs)" = 1 ]
}

@test "update --blkio-weight: written where the kernel has a weight file, else fails clearly" {
  start_res '{"pids": {"limit": 50}}'
  if f=$(weight_file); then
    hrun hk update --blkio-weight 300 "$ID"
    assert_status 0
    got=$(cat "$(cgroup_file_dir "$f")/$f")
    case "$f" in
      io.weight) assert_eq "default $((1 + (300 - 10) * 9999 / 990))" "$got" "$f" ;;
      io.bfq.weight) assert_eq "default 300" "$got" "$f" ;;
      *) assert_eq 300 "$got" "$f" ;;
    esac
  else
    hrun hk update --blkio-weight 300 "$ID"
    assert_status 1
    assert_contains "$stderr" weight stderr
    status_is "$ID" running
  fi
}

@test "update/events of a missing container: 'does not exist', exit 1" {
  hrun hk update --pids-limit 10 "no-such-$ID"
  assert_status 1
  assert_contains "$stderr" "does not exist" stderr
  hrun hk events --stats "no-such-$ID"
  assert_status 1
  assert_contains "$stderr" "does not exist" stderr
}

@test "update of a stopped container fails and changes nothing" {
  start_res '{"pids": {"limit": 50}}'
  hk kill "$ID" KILL
  wait_status "$ID" stopped
  hrun hk update --pids-limit 10 "$ID"
  assert_status 1
  [ -n "$stderr" ]
  # runc keeps the cgroup of a stopped container until delete.
  p=$(cg_path pids pids.max pids.max)
  [ ! -e "$p" ] || assert_eq 50 "$(cat "$p")" pids.max
}

# ---- events ------------------------------------------------------------------

@test "events --stats: one JSON line with pids, the memory limit and growing cpu usage" {
  start_res "{\"memory\": {\"limit\": $((64 * MiB))}, \"pids\": {\"limit\": 50}}" \
    sh -c 'sleep 1000 & sleep 1000 & sleep 1000 & while :; do :; done'
  four() { [ "$(cg_nprocs)" = 4 ]; }
  wait_for 10 four
  hrun hk events --stats "$ID"
  assert_status 0
  assert_eq 1 "${#lines[@]}" "lines of output ($output)"
  jq -e --arg id "$ID" '.type == "stats" and .id == $id' <<<"$stdout" >/dev/null || {
    echo "not a stats event: $stdout" >&2
    return 1
  }
  assert_eq "4 50" "$(jq -r '"\(.data.pids.current) \(.data.pids.limit)"' <<<"$stdout")" "pids current, limit"
  assert_eq $((64 * MiB)) "$(jq -r .data.memory.usage.limit <<<"$stdout")" "memory.usage.limit"
  usage=$(jq -r .data.memory.usage.usage <<<"$stdout")
  assert_between 1 $((64 * MiB)) "$usage" "memory.usage.usage"
  jq -e '.data.memory.raw | type == "object" and length > 0' <<<"$stdout" >/dev/null
  t0=$(jq -r .data.cpu.usage.total <<<"$stdout")
  # v2 has no per-CPU usage: runc leaves percpu out there.
  percpu='(.percpu | type) == "array"'
  cg_v2 && percpu='(.percpu | type) != "object"'
  jq -e ".data.cpu.usage | $percpu and (.kernel | type) == \"number\" and (.user | type) == \"number\"" \
    <<<"$stdout" >/dev/null || { echo "cpu.usage: $(jq -c .data.cpu.usage <<<"$stdout")" >&2; return 1; }
  sleep 0.5
  hrun hk events --stats "$ID"
  assert_status 0
  t1=$(jq -r .data.cpu.usage.total <<<"$stdout")
  # The hog ran for 0.5 s between the two: at least 0.1 s of CPU.
  assert_between 100000000 100000000000 $((t1 - t0)) "cpu.usage.total growth (ns)"
}

@test "events --stats: cpu throttling is reported for a throttled hog" {
  start_res '{"cpu": {"quota": 10000, "period": 100000}}' sh -c 'while :; do :; done'
  throttled() { [ "$(cg_read cpu cpu.stat cpu.stat | awk '$1 == "nr_throttled" { print $2 }')" -ge 3 ]; }
  wait_for 10 throttled
  hrun hk events --stats "$ID"
  assert_status 0
  jq -e '.data.cpu.throttling | .periods >= 3 and .throttledPeriods >= 3 and .throttledTime > 0' <<<"$stdout" >/dev/null || {
    echo "throttling: $(jq -c .data.cpu.throttling <<<"$stdout")" >&2
    return 1
  }
}

@test "events --interval 1s streams stats lines; it ends once the container is gone" {
  start_res '{"pids": {"limit": 50}}'
  bg "$HUSK" --root "$ROOT" events --interval 1s "$ID" >"$T/events.out" 2>"$T/events.err"
  pid=$(tail -1 "$T/bg.pids")
  two_lines() { [ "$(grep -c '"type":"stats"' "$T/events.out")" -ge 2 ]; }
  wait_for 10 two_lines || { echo "events printed: $(cat "$T/events.out" "$T/events.err")" >&2; return 1; }
  jq -e --arg id "$ID" 'select(.type == "stats") | .id == $id and .data.pids.current == 1' <(head -1 "$T/events.out") >/dev/null
  hkt kill "$ID" KILL
  stopped() { status_now "$ID" stopped 2>/dev/null; }
  wait_for 10 stopped || status_now "$ID" stopped
  # runc 1.1 keeps printing for a stopped container and ends when its cgroup
  # goes away (delete).
  hkt delete "$ID"
  wait_for 10 proc_gone "$pid" || { echo "events still running after delete" >&2; return 1; }
  rc=0
  wait "$pid" || rc=$?
  assert_eq 0 "$rc" "exit status of events"
}

# ---- kill --all, delete --force with many processes --------------------------

# Twenty sleeps next to the init, ten of them in sessions of their own.
MANY='for i in $(seq 10); do sleep 1000 & done; for i in $(seq 10); do setsid sleep 1000 & done; exec sleep 1000'

@test "kill --all KILL of a container with 21 processes (no pid namespace) empties and removes its cgroup" {
  mkres '{}' sh -c "$MANY"
  # Without a pid namespace, killing the init alone would leave the others.
  cfg 'del(.linux.namespaces[] | select(.type == "pid"))'
  hk_create_start "$ID" "$BUNDLE"
  n21() { [ "$(cg_nprocs)" = 21 ]; }
  wait_for 10 n21
  hrun hk kill --all "$ID" KILL
  assert_status 0
  n0() { [ "$(cg_nprocs)" = 0 ]; }
  wait_for 10 n0
  wait_status "$ID" stopped
  hrun hk delete "$ID"
  assert_status 0
  assert_nothing_left "$ID"
}

@test "delete --force after the init was SIGKILLed from the host kills the other 20 and removes the cgroup" {
  mkres '{}' sh -c "$MANY"
  cfg 'del(.linux.namespaces[] | select(.type == "pid"))'
  hk_create_start "$ID" "$BUNDLE"
  n21() { [ "$(cg_nprocs)" = 21 ]; }
  wait_for 10 n21
  kill -KILL "$(state_of "$ID" pid)"
  wait_status "$ID" stopped
  assert_eq 20 "$(cg_nprocs)" "processes left after the init died"
  hrun hk delete --force "$ID"
  assert_status 0
  assert_nothing_left "$ID"
}

@test "delete --force of a running container with 21 processes in a pid namespace" {
  mkres '{}' sh -c "$MANY"
  hk_create_start "$ID" "$BUNDLE"
  n21() { [ "$(cg_nprocs)" = 21 ]; }
  wait_for 10 n21
  hrun hk delete --force "$ID"
  assert_status 0
  assert_nothing_left "$ID"
}

# ---- cgroupsPath -------------------------------------------------------------

@test "cgroupsPath: nested /\$CG_PARENT/a/b/c makes the parents; delete removes the leaf" {
  mkres "{\"memory\": {\"limit\": $((64 * MiB))}, \"pids\": {\"limit\": 21}}"
  cfg '.linux.cgroupsPath = $p' --arg p "/$CG_PARENT/a/b/c"
  hk_create_start "$ID" "$BUNDLE"
  pid=$(state_of "$ID" pid)
  assert_eq $((64 * MiB)) "$(cg_read memory memory.limit_in_bytes memory.max "/$CG_PARENT/a/b/c")" "memory limit"
  assert_eq 21 "$(cg_read pids pids.max pids.max "/$CG_PARENT/a/b/c")" pids.max
  grep -qx "$pid" "$(cg_path pids cgroup.procs cgroup.procs "/$CG_PARENT/a/b/c")"
  if cg_v2; then
    # Each level hands the controllers down to the next.
    for p in "" "/$CG_PARENT" "/$CG_PARENT/a" "/$CG_PARENT/a/b"; do
      sc=" $(cat "/sys/fs/cgroup$p/cgroup.subtree_control") "
      assert_contains "$sc" " memory " "/sys/fs/cgroup$p/cgroup.subtree_control"
      assert_contains "$sc" " pids " "/sys/fs/cgroup$p/cgroup.subtree_control"
    done
  fi
  hrun hk delete --force "$ID"
  assert_status 0
  for d in $(husk_cgroup_dirs "/$CG_PARENT/a/b"); do
    [ ! -e "$d/c" ] || { echo "$d/c left" >&2; return 1; }
    # The parents are left empty (as runc leaves them): remove them.
    rmdir "$d" "${d%/b}"
  done
  assert_nothing_left "$ID"
}

@test "cgroupsPath: a relative path is placed under the runtime's own cgroup" {
  # The runtime runs from a cgroup of ours, /$CG_PARENT/runner, in every
  # hierarchy, so that "its own cgroup" is known and disposable.
  local h f
  for h in $(husk_cgroup_roots); do
    mkdir -p "$h/$CG_PARENT/runner"
    # A new v1 cpuset cgroup takes no task until it has cpus and mems.
    if ! cg_v2 && [ -e "$h/cpuset.cpus" ]; then
      for f in cpuset.cpus cpuset.mems; do
        cat "$h/$f" >"$h/$CG_PARENT/$f"
        cat "$h/$f" >"$h/$CG_PARENT/runner/$f"
      done
    fi
  done
  mkres '{"pids": {"limit": 23}}'
  cfg '.linux.cgroupsPath = "rel"'
  status=0
  (
    for h in $(husk_cgroup_roots); do
      echo "$BASHPID" >"$h/$CG_PARENT/runner/cgroup.procs" || exit 1
    done
    exec "$HUSK" --root "$ROOT" create --bundle "$BUNDLE" "$ID"
  ) >"$T/create.out" 2>&1 </dev/null || status=$?
  assert_eq 0 "$status" "create from /$CG_PARENT/runner ($(cat "$T/create.out"))"
  hk start "$ID"
  pid=$(state_of "$ID" pid)
  if cg_v2; then
    # runc on v2 uses the parent of its own cgroup: the own one has a
    # process (the runtime), so it could not hand controllers down.
    want=/$CG_PARENT/rel
    got=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
  else
    want=/$CG_PARENT/runner/rel
    got=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")
    assert_eq "$want" "$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")" "memory cgroup of the init"
  fi
  assert_eq "$want" "$got" "pids cgroup of the init"
  assert_eq 23 "$(cg_read pids pids.max pids.max "$want")" "pids.max of $want"
  # delete runs from another cgroup (ours): the path must have been kept.
  hrun hk delete --force "$ID"
  assert_status 0
  wait_for 5 proc_gone "$pid" || { echo "the init ($pid) survived delete --force" >&2; return 1; }
  for h in $(husk_cgroup_roots); do
    [ ! -e "$h$want" ] || { echo "$h$want left" >&2; return 1; }
  done
}
