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
  if [ -d "${RROOT:-}" ]; then
    for id in "$RROOT"/*; do
      [ -e "$id" ] || continue
      timeout 30 "$REFERENCE" --root "$RROOT" delete --force "${id##*/}" >/dev/null 2>&1 </dev/null
    done
    rm -rf "$RROOT"
  fi
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
