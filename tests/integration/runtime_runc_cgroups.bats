#!/usr/bin/env bats
# Issue 17's cgroup, freezer and device items: husk-runtime and runc (1.1.5,
# /usr/sbin/runc or HUSK_REFERENCE_RUNTIME) run the same config in the same
# test and what they do is compared. Where runc 1.1.5 itself is wrong (or
# behind the spec), the test asserts the spec's behaviour for husk-runtime and
# says what runc does in a comment.
#
# Each runtime gets its own bundle, so its own cgroup: /$CG_PARENT/hb for
# husk-runtime, /$CG_PARENT/rb for runc (mkbundle).
#
#   bats tests/integration/runtime_runc_cgroups.bats

load runtime_common

REFERENCE=${HUSK_REFERENCE_RUNTIME:-$(command -v runc || echo /usr/sbin/runc)}

setup() {
  common_setup
  [ -x "$REFERENCE" ] || skip "runc missing ($REFERENCE): nothing to compare with"
  RROOT=$T/runc-state
  HB=$T/hb
  RB=$T/rb
}

teardown() {
  local id f
  # Processes frozen in a freezer cgroup of a test's own cannot die: thawed
  # first (common_teardown's cgroup sweep takes the hierarchies in turn).
  for f in /sys/fs/cgroup/freezer/"$CG_PARENT"/*/freezer.state; do
    [ -e "$f" ] && echo THAWED >"$f"
  done
  reference_teardown "$REFERENCE" "${RROOT:-}"
  common_teardown
}

# rc ARGS... : runc with this test's own --root.
rc() {
  "$REFERENCE" --root "$RROOT" "$@"
}

# runtime_cmd rc|hk : RT=(the command line of rc or hk), for timeout(1).
runtime_cmd() {
  if [ "$1" = rc ]; then
    RT=("$REFERENCE" --root "$RROOT")
  else
    RT=("$HUSK" --root "$ROOT")
  fi
}

MiB=1048576

# mkpair RESOURCES_JSON [ARGS...] : $HB and $RB running ARGS (default sleep
# 1000) with linux.resources = RESOURCES_JSON.
mkpair() {
  local res=$1 b
  shift
  [ $# -gt 0 ] || set -- sleep 1000
  for b in "$HB" "$RB"; do
    mkbundle "$b" "$@" || return 1
    cfg_at "$b" '.linux.resources = $r' --argjson r "$res" || return 1
  done
}

file_exists() {
  [ -e "$1" ]
}

need_v1() {
  cg_v2 && skip "$1 is a cgroup v1 file (this host is pure cgroup v2)"
  return 0
}

# ---- 13: realtime CPU under the runtime's own parents ----------------------

need_rt() {
  need_v1 "cpu.rt_runtime_us"
  [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "kernel without CONFIG_RT_GROUP_SCHED"
}

@test "13: cpu.realtimeRuntime under new parents: husk gives them the budget (runc 1.1.5 fails)" {
  need_rt
  mkpair '{"cpu": {"realtimeRuntime": 10000, "realtimePeriod": 1000000}}'
  # Two levels nobody gave a realtime budget (a new cgroup has 0).
  cfg_at "$HB" '.linux.cgroupsPath = $cg' --arg cg "/$CG_PARENT/mid/hb"
  cfg_at "$RB" '.linux.cgroupsPath = $cg' --arg cg "/$CG_PARENT/mid/rb"
  local d=/sys/fs/cgroup/cpu/$CG_PARENT

  # runc 1.1.5 writes the container's cpu.rt_runtime_us only, which the
  # kernel refuses (EINVAL) while the parents have no budget: the issue
  # asks for more than runc 1.1.5 does here (docker's daemon grants its
  # parents the budget itself).
  hrun timeout 30 "$REFERENCE" --root "$RROOT" run -d --bundle "$RB" "$ID"
  [ "$status" -ne 0 ] || { echo "runc ran it: $output" >&2; return 1; }
  assert_contains "$stderr" "cpu.rt_runtime_us: invalid argument" "runc's stderr"

  hrun timeout 30 "$HUSK" --root "$ROOT" run -d --bundle "$HB" "$ID"
  assert_status 0
  assert_eq 10000 "$(cat "$d/mid/hb/cpu.rt_runtime_us")" "the container's cpu.rt_runtime_us"
  # Each parent holds at least what its children hold.
  [ "$(cat "$d/mid/cpu.rt_runtime_us")" -ge 10000 ] || { echo "mid: $(cat "$d/mid/cpu.rt_runtime_us")" >&2; return 1; }
  [ "$(cat "$d/cpu.rt_runtime_us")" -ge 10000 ] || { echo "parent: $(cat "$d/cpu.rt_runtime_us")" >&2; return 1; }
  hrun hk delete --force "$ID"
  assert_status 0
  [ ! -e "$d/mid/hb" ] || { echo "cgroup $d/mid/hb left" >&2; return 1; }
  # The parents stay, as husk's /husk does (and their budget with them).
  local m
  for m in $(husk_cgroup_dirs "$CG_PARENT/mid"); do
    rmdir "$m" || return 1
  done
  assert_nothing_left "$ID"
}

@test "13: a realtime budget no parent can give fails create, naming the parent that lacks it; nothing left" {
  need_rt
  local root_rt
  root_rt=$(cat /sys/fs/cgroup/cpu/cpu.rt_runtime_us)
  [ "$root_rt" -ge 0 ] && [ "$root_rt" -lt 990000 ] || skip "the root's realtime budget ($root_rt) is unlimited"
  # More than the whole host has (kernel.sched_rt_runtime_us of the period).
  mkpair "{\"cpu\": {\"realtimeRuntime\": $((root_rt + 10000)), \"realtimePeriod\": 1000000}}"
  hrun timeout 30 "$REFERENCE" --root "$RROOT" run -d --bundle "$RB" "$ID"
  [ "$status" -ne 0 ] || { echo "runc ran it: $output" >&2; return 1; }
  hrun timeout 30 "$HUSK" --root "$ROOT" run -d --bundle "$HB" "$ID"
  assert_failed_cleanly "its parent /sys/fs/cgroup/cpu lacks the realtime budget"
  assert_contains "$stderr" "/sys/fs/cgroup/cpu/$CG_PARENT" stderr
  assert_contains "$stderr" "Invalid argument" stderr
  [ ! -e "/sys/fs/cgroup/cpu/$CG_PARENT/hb" ] || { echo "cgroup hb left" >&2; return 1; }
  assert_nothing_left "$ID"
}

# ---- 14: memory.kernelTCP --------------------------------------------------

@test "14: memory.kernelTCP is written where the kernel has memory.kmem.tcp.limit_in_bytes; kernel only warns" {
  need_v1 memory.kmem.tcp.limit_in_bytes
  [ -e /sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes ] || skip "kernel without memory.kmem.tcp.limit_in_bytes"
  mkpair "{\"memory\": {\"limit\": $((64 * MiB)), \"kernel\": $((16 * MiB)), \"kernelTCP\": $((8 * MiB))}}"
  hrun rc run -d --bundle "$RB" "$ID"
  assert_status 0
  assert_contains "$stderr" "Kernel memory settings are ignored" "runc's warning"
  hrun hk run -d --bundle "$HB" "$ID"
  assert_status 0
  assert_contains "$stderr" "memory.kernel is ignored" "husk's warning"
  local hd=/sys/fs/cgroup/memory/$CG_PARENT/hb rd=/sys/fs/cgroup/memory/$CG_PARENT/rb
  # Both: the memory limit, and kernel (kmem) left alone.
  assert_eq "$(cat "$rd/memory.limit_in_bytes")" "$(cat "$hd/memory.limit_in_bytes")" "memory.limit_in_bytes"
  assert_eq "$(cat "$rd/memory.kmem.limit_in_bytes")" "$(cat "$hd/memory.kmem.limit_in_bytes")" "memory.kmem.limit_in_bytes"
  # The spec's kernelTCP: husk writes it. (runc 1.1.5 drops it with the
  # same warning as kernel: its memory.kmem.tcp.limit_in_bytes stays unlimited.)
  assert_eq $((8 * MiB)) "$(cat "$hd/memory.kmem.tcp.limit_in_bytes")" "husk's memory.kmem.tcp.limit_in_bytes"
}

# ---- 18: paused and frozen cgroups -----------------------------------------

# exec_ignoring_pause NAME RUNTIME... : in the background, `exec
# --ignore-paused $ID` writing /tmp/mark-NAME; its exit code lands in
# $T/NAME.ignore.status.
exec_ignoring_pause() {
  local name=$1
  shift
  bg sh -c '"$@" >/dev/null 2>&1 </dev/null; echo $? >"$0"' "$T/$name.ignore.status" \
    timeout 30 "$@" exec --ignore-paused "$ID" sh -c "echo ran >/tmp/mark-$name"
}

@test "18: exec into a paused container is refused (255, runc's message) unless --ignore-paused" {
  mkpair '{}'
  hrun rc run -d --bundle "$RB" "$ID"
  assert_status 0
  hrun hk run -d --bundle "$HB" "$ID"
  assert_status 0
  local r
  for r in rc hk; do
    hrun $r pause "$ID"
    assert_status 0
    runtime_cmd $r
    hrun timeout 20 "${RT[@]}" exec "$ID" true
    assert_status 255
    assert_contains "$stderr" "cannot exec in a paused container (use --ignore-paused to override)" "$r exec's stderr"
  done
  # --ignore-paused joins it: the process is frozen with it until resume.
  exec_ignoring_pause rc "$REFERENCE" --root "$RROOT"
  exec_ignoring_pause hk "$HUSK" --root "$ROOT"
  sleep 1
  for r in rc hk; do
    [ ! -e "$T/$r.ignore.status" ] || { echo "$r exec --ignore-paused ended while paused: $(cat "$T/$r.ignore.status")" >&2; return 1; }
    hrun $r resume "$ID"
    assert_status 0
  done
  wait_for 20 file_exists "$T/rc.ignore.status"
  wait_for 20 file_exists "$T/hk.ignore.status"
  assert_eq "$(cat "$T/rc.ignore.status")" "$(cat "$T/hk.ignore.status")" "exit of exec --ignore-paused (runc vs husk)"
  assert_eq 0 "$(cat "$T/hk.ignore.status")" "husk's exec --ignore-paused"
  assert_eq ran "$(cat "$HB/rootfs/tmp/mark-hk")" "what husk's exec wrote"
}

@test "18: run -d into a cgroup someone froze is refused, as runc does; the cgroup is left as it was" {
  local fz
  fz=$(cg_root freezer) || skip "no freezer"
  mkpair '{}'
  local b
  for b in hb rb; do
    mkdir -p "$fz/$CG_PARENT/$b"
    if [ -e "$fz/$CG_PARENT/$b/freezer.state" ]; then
      echo FROZEN >"$fz/$CG_PARENT/$b/freezer.state"
    else
      echo 1 >"$fz/$CG_PARENT/$b/cgroup.freeze"
    fi
  done
  hrun timeout 30 "$REFERENCE" --root "$RROOT" run -d --bundle "$RB" "$ID"
  [ "$status" -eq 1 ] || { echo "runc: $status $output" >&2; return 1; }
  assert_contains "$stderr" "container's cgroup unexpectedly frozen" "runc's stderr"
  hrun timeout 30 "$HUSK" --root "$ROOT" run -d --bundle "$HB" "$ID"
  assert_failed_cleanly "container's cgroup /$CG_PARENT/hb is unexpectedly frozen"
  assert_status 1
  # Not ours: still there, still frozen.
  if [ -e "$fz/$CG_PARENT/hb/freezer.state" ]; then
    assert_eq FROZEN "$(cat "$fz/$CG_PARENT/hb/freezer.state")" "the frozen cgroup's state"
  else
    assert_eq 1 "$(cat "$fz/$CG_PARENT/hb/cgroup.freeze")" "the frozen cgroup's state"
  fi
  [ ! -e "$ROOT/$ID" ] || { echo "state left: $ROOT/$ID" >&2; return 1; }
}

# ---- 21: update --memory -1 ------------------------------------------------

@test "21: update --memory -1 lifts the memory limit and resets swap, as runc; --memory 50m afterwards" {
  mkpair "{\"memory\": {\"limit\": $((64 * MiB)), \"swap\": $((128 * MiB))}}"
  hrun rc run -d --bundle "$RB" "$ID"
  assert_status 0
  hrun hk run -d --bundle "$HB" "$ID"
  assert_status 0
  local r step files=(memory.limit_in_bytes memory.memsw.limit_in_bytes) v2files=(memory.max memory.swap.max) i got want
  for step in -1 50m; do
    for r in rc hk; do
      hrun $r update --memory "$step" "$ID"
      assert_status 0
    done
    for i in 0 1; do
      want=$(cg_read memory "${files[$i]}" "${v2files[$i]}" "/$CG_PARENT/rb") || return 1
      got=$(cg_read memory "${files[$i]}" "${v2files[$i]}" "/$CG_PARENT/hb") || return 1
      assert_eq "$want" "$got" "after update --memory $step: ${files[$i]} (runc vs husk)"
    done
  done
}

# ---- 15: run --keep, delete -f of processes frozen elsewhere ---------------

@test "15: run --keep leaves the stopped container for state and delete, as runc" {
  mkpair '{}' sh -c 'exit 3'
  local r
  for r in rc hk; do
    runtime_cmd $r
    hrun timeout 30 "${RT[@]}" run --keep --bundle "$([ $r = rc ] && echo "$RB" || echo "$HB")" "$ID"
    assert_status 3
    assert_eq stopped "$($r state "$ID" | jq -r .status)" "$r: state after run --keep"
    hrun $r delete "$ID"
    assert_status 0
    hrun $r state "$ID"
    [ "$status" -ne 0 ] || { echo "$r: $ID still there after delete" >&2; return 1; }
  done
  assert_nothing_left "$ID"
}

# freeze_elsewhere NAME CGPATH INIT : moves the processes of cgroup CGPATH
# but INIT out of its freezer cgroup into a frozen one of their own,
# $CG_PARENT/NAME-frozen. Prints how many it moved.
freeze_elsewhere() {
  local name=$1 cg=$2 init=$3 fz pid n=0
  fz=$(cg_root freezer) || return 1
  mkdir -p "$fz/$CG_PARENT/$name-frozen" || return 1
  for pid in $(cat "$fz$cg/cgroup.procs"); do
    [ "$pid" = "$init" ] && continue
    echo "$pid" >"$fz/$CG_PARENT/$name-frozen/cgroup.procs" || return 1
    n=$((n + 1))
  done
  echo FROZEN >"$fz/$CG_PARENT/$name-frozen/freezer.state" || return 1
  wait_for 10 grep -qx FROZEN "$fz/$CG_PARENT/$name-frozen/freezer.state" || return 1
  echo "$n"
}

# has_procs DIR N : cgroup DIR has at least N processes.
has_procs() {
  local a
  mapfile -t a <"$1/cgroup.procs"
  [ "${#a[@]}" -ge "$2" ]
}

@test "15: delete -f of a container whose processes are frozen in another freezer cgroup thaws and kills them" {
  need_v1 "a v1 freezer of its own beside the container's cgroups"
  [ -d /sys/fs/cgroup/freezer ] || skip "no v1 freezer"
  mkpair '{}' sh -c 'sleep 1000 & sleep 1000 & wait'
  local r b init n t0 left
  for r in rc hk; do
    b=$([ $r = rc ] && echo rb || echo hb)
    hrun $r run -d --bundle "$T/$b" "$ID"
    assert_status 0
    init=$($r state "$ID" | jq -r .pid)
    wait_for 10 has_procs "/sys/fs/cgroup/pids/$CG_PARENT/$b" 3
    n=$(freeze_elsewhere "$r" "/$CG_PARENT/$b" "$init") || return 1
    assert_eq 2 "$n" "$r: processes frozen elsewhere"
    t0=$SECONDS
    runtime_cmd $r
    hrun timeout 60 "${RT[@]}" delete --force "$ID"
    echo "# $r delete -f: status $status in $((SECONDS - t0)) s: $output" >&3
    eval "${r}_status=\$status ${r}_secs=\$((SECONDS - t0))"
    left=$(cat "/sys/fs/cgroup/pids/$CG_PARENT/$b/cgroup.procs" 2>/dev/null | wc -l)
    eval "${r}_left=\$left"
  done
  # runc 1.1.5 is wrong here: it freezes and thaws the container's own
  # freezer cgroup only, and its delete -f fails after ~10 s ("container
  # init still running"), the two processes left alive and frozen. Asserted
  # is what delete -f means: thawed (moved back into the container's own
  # freezer cgroup, the other one's tasks untouched), killed, removed.
  echo "# runc: status $rc_status, $rc_secs s, $rc_left left; husk: status $hk_status, $hk_secs s, $hk_left left" >&3
  assert_eq 0 "$hk_status" "husk delete -f"
  [ "$hk_secs" -lt 5 ] || { echo "husk delete -f took $hk_secs s" >&2; return 1; }
  assert_eq 0 "$hk_left" "husk: processes left in the container's pids cgroup"
  [ ! -e "/sys/fs/cgroup/pids/$CG_PARENT/hb" ] || { echo "husk left its pids cgroup" >&2; return 1; }
  # The other freezer cgroup is not the container's: it stays, frozen.
  assert_eq FROZEN "$(cat "/sys/fs/cgroup/freezer/$CG_PARENT/hk-frozen/freezer.state")" "the other freezer cgroup"
}

# ---- 21: delete of a container in the host's pid namespace -----------------

@test "21: delete of a stopped container in the host pid namespace kills its exec'd processes, as runc" {
  mkpair '{}' sleep 1000
  local b r
  for b in "$HB" "$RB"; do
    cfg_at "$b" '.linux.namespaces |= map(select(.type != "pid"))'
  done
  for r in rc hk; do
    b=$([ $r = rc ] && echo "$RB" || echo "$HB")
    hrun $r run -d --bundle "$b" "$ID"
    assert_status 0
    hrun $r exec -d "$ID" sleep 1001
    assert_status 0
    # The init goes; the exec'd process stays in the container's cgroup.
    kill -KILL "$($r state "$ID" | jq -r .pid)"
    wait_for 10 status_is_of $r "$ID" stopped
    grep -q . "$(cg_path pids cgroup.procs cgroup.procs "/$CG_PARENT/${b##*/}")" ||
      { echo "$r: the exec'd process is not in the cgroup" >&2; return 1; }
    runtime_cmd $r
    hrun timeout 30 "${RT[@]}" delete "$ID"
    assert_status 0
    local cg=/$CG_PARENT/${b##*/}
    [ ! -e "$(cg_path pids cgroup.procs cgroup.procs "$cg")" ] || {
      echo "$r: cgroup $cg left with: $(cat "$(cg_path pids cgroup.procs cgroup.procs "$cg")")" >&2
      return 1
    }
  done
  assert_nothing_left "$ID"
}

# status_is_of rc|hk ID STATUS
status_is_of() {
  [ "$($1 state "$2" 2>/dev/null | jq -r .status)" = "$3" ]
}

# /proc/self/cgroup of `exec --cgroup ARGS... ID cat /proc/self/cgroup`
# under runtime R (rc or hk), the container's own cgroup path written CG,
# sorted; or its failure.
exec_sub_cgroup() {
  local r=$1 base=$2
  shift 2
  hrun $r exec "$@" "$ID" cat /proc/self/cgroup
  [ "$status" -eq 0 ] || { echo "exit $status"; return 0; }
  sed "s|$base|CG|" <<<"$stdout" | grep -v ':name=\|^0::/$' | sort
}

@test "15: exec --cgroup PATH and CONTROLLER:PATH put the process in the container's sub-cgroups, as runc" {
  mkpair '{}'
  local r base out=() missing=()
  for r in rc hk; do
    base=/$CG_PARENT/$([ $r = rc ] && echo rb || echo hb)
    hrun $r run -d --bundle "$([ $r = rc ] && echo "$RB" || echo "$HB")" "$ID"
    assert_status 0
    local d
    for d in $(husk_cgroup_dirs "$base"); do
      mkdir "$d/sub"
      # A new v1 cpuset cgroup has no CPUs or memory nodes until given some.
      if [ -e "$d/cpuset.cpus" ]; then
        cat "$d/cpuset.cpus" >"$d/sub/cpuset.cpus" && cat "$d/cpuset.mems" >"$d/sub/cpuset.mems"
      fi
    done
    mkdir "$(husk_cgroup_dir memory "$base")/msub"
    out+=("$(exec_sub_cgroup $r "$base" --cgroup sub)
--
$(exec_sub_cgroup $r "$base" --cgroup memory:msub)")
    missing+=("$(exec_sub_cgroup $r "$base" --cgroup nosuch)")
    hrun $r delete --force "$ID"
  done
  # Every hierarchy in sub; then memory alone in msub, the rest in the container's.
  grep -q '^[0-9]*:memory:CG/sub$' <<<"${out[0]}" || { echo "runc: ${out[0]}" >&2; return 1; }
  grep -q '^[0-9]*:memory:CG/msub$' <<<"${out[0]}" || { echo "runc: ${out[0]}" >&2; return 1; }
  grep -q '^[0-9]*:pids:CG$' <<<"${out[0]}" || { echo "runc: ${out[0]}" >&2; return 1; }
  assert_eq "${out[0]}" "${out[1]}" "husk-runtime vs runc"
  assert_eq "exit 255" "${missing[1]}" "husk-runtime: a sub-cgroup that does not exist"
  [ "${missing[0]}" != "${missing[0]#exit }" ] || { echo "runc accepted a missing sub-cgroup" >&2; return 1; }
  assert_nothing_left "$ID"
}
