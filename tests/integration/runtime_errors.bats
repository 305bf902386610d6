#!/usr/bin/env bats
# Bad input to husk-runtime: each case must fail with a non-zero exit and one
# clear message, and leave NOTHING behind -- no state entry in --root, no
# cgroup, no mount, no process.
#
#   bats tests/integration/runtime_errors.bats

load runtime_common

# create_fails WANT_MSG [BUNDLE] [ID] : create must fail cleanly and leave
# nothing behind.
create_fails() {
  local want=$1 bundle=${2:-$BUNDLE} id=${3:-$ID}
  hrun hk create --bundle "$bundle" "$id"
  assert_failed_cleanly "$want" || return 1
  assert_nothing_left "$id" || return 1
  hrun hk state "$id"
  [ "$status" -ne 0 ] || { echo "state $id succeeded after a failed create: $output" >&2; return 1; }
  # No entry of any name in the state root.
  [ -z "$(container_states "$ROOT")" ] || { echo "state root not empty: $(container_states "$ROOT")" >&2; return 1; }
}

@test "errors: malformed config.json" {
  mkbundle "$BUNDLE" true
  printf '{"ociVersion": "1.0.2", "process": {"args": ["true"' >"$BUNDLE/config.json"
  create_fails "config.json"
}

@test "errors: missing config.json" {
  mkbundle "$BUNDLE" true
  rm "$BUNDLE/config.json"
  create_fails "config.json"
}

@test "errors: config.json of the wrong shape (args is a string)" {
  mkbundle "$BUNDLE" true
  cfg '.process.args = "true"'
  create_fails "args"
}

@test "errors: ociVersion 2.0.0 is refused" {
  mkbundle "$BUNDLE" true
  cfg '.ociVersion = "2.0.0"'
  create_fails "2.0.0"
}

@test "errors: ociVersion 1.3.0 is accepted" {
  mkbundle "$BUNDLE" echo ok
  cfg '.ociVersion = "1.3.0"'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_output "ok"
  assert_nothing_left "$ID"
}

@test "errors: missing rootfs" {
  mkbundle "$BUNDLE" true
  rm -rf "$BUNDLE/rootfs"
  create_fails "rootfs"
}

@test "errors: unknown capability" {
  mkbundle "$BUNDLE" true
  cfg '.process.capabilities.bounding += ["CAP_BOGUS"]'
  create_fails "CAP_BOGUS"
}

@test "errors: ids with '/' or '..' are refused and create nothing outside --root" {
  mkbundle "$BUNDLE" true
  mkdir -p "$ROOT"
  for bad in "a/b" ".." "../escape" "sub/../x" ""; do
    hrun hk create --bundle "$BUNDLE" "$bad"
    assert_failed_cleanly "id" || { echo "(id [$bad])" >&2; return 1; }
  done
  [ -z "$(container_states "$ROOT")" ] || { echo "state root not empty: $(container_states "$ROOT")" >&2; return 1; }
  [ ! -e "$T/escape" ]
  [ ! -e "$T/x" ]
  for cg in $(husk_cgroup_dirs "$CG_PARENT"); do
    [ -z "$(find "$cg" -mindepth 1 -type d 2>/dev/null)" ] || { echo "cgroups under $cg" >&2; return 1; }
  done
  [ -z "$(procs_rooted_under "$T")" ]
}

@test "errors: an existing id is refused and the existing container is untouched" {
  mkbundle "$BUNDLE" sleep 1000
  mkbundle "$T/other" sleep 1000
  hk_create_start "$ID" "$BUNDLE"
  pid=$(state_of "$ID" pid)
  hrun hk create --bundle "$T/other" "$ID"
  assert_failed_cleanly "exists"
  assert_eq running "$(state_of "$ID" status)" "status of the existing container"
  assert_eq "$pid" "$(state_of "$ID" pid)" "pid of the existing container"
  assert_eq "$BUNDLE" "$(state_of "$ID" bundle)" "bundle of the existing container"
  kill -0 "$pid"
  grep -qx "$pid" "$(husk_cgroup_dir pids "$CG_PARENT/bundle")/cgroup.procs"
  # Nothing of the refused one.
  [ ! -e "$(husk_cgroup_dir pids "$CG_PARENT/other")" ]
  assert_eq 1 "$(procs_rooted_under "$T" | wc -l)" "container processes"
  hrun hk run --bundle "$T/other" "$ID"
  assert_failed_cleanly "exists"
  assert_eq running "$(state_of "$ID" status)" "status of the existing container"
}

@test "errors: a command not in the image: create fails with 127, 'executable file not found'" {
  mkbundle "$BUNDLE" no-such-command
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_status 127
  create_fails "executable file not found"
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 127
  assert_failed_cleanly "executable file not found"
  assert_nothing_left "$ID"
}

@test "errors: an absolute path that does not exist: 127" {
  mkbundle "$BUNDLE" /no/such/binary
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 127
  assert_failed_cleanly "/no/such/binary"
  assert_nothing_left "$ID"
}

@test "errors: run of a non-executable file gives 126" {
  mkbundle "$BUNDLE" /notexec
  printf '#!/bin/sh\necho should-not-run\n' >"$BUNDLE/rootfs/notexec"
  chmod 0644 "$BUNDLE/rootfs/notexec"
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 126
  assert_failed_cleanly "permission denied"
  assert_not_contains "$stdout" "should-not-run"
  assert_nothing_left "$ID"
}

@test "errors: a bind mount whose source does not exist" {
  mkbundle "$BUNDLE" true
  add_mount_at "$BUNDLE" "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$T/no-such-dir\",\"options\":[\"rbind\"]}"
  create_fails "no-such-dir"
}

@test "errors: a mount of an unknown filesystem type" {
  mkbundle "$BUNDLE" true
  add_mount_at "$BUNDLE" '{"destination":"/data","type":"nosuchfs","source":"none"}'
  create_fails "/data"
}

@test "errors: a cwd that is a file" {
  mkbundle "$BUNDLE" true
  cfg '.process.cwd = "/etc/passwd"'
  create_fails "cwd"
}

@test "errors: empty process.args" {
  mkbundle "$BUNDLE" true
  cfg '.process.args = []'
  create_fails "args"
}

@test "errors: a cgroupsPath with '..'" {
  mkbundle "$BUNDLE" true
  cfg '.linux.cgroupsPath = "/\($p)/../../escape"' --arg p "$CG_PARENT"
  create_fails "cgroupsPath"
  d=$(husk_cgroup_dirs escape)
  [ -z "$d" ] || { echo "$d exists" >&2; return 1; }
}

@test "errors: uidMappings without a user namespace" {
  mkbundle "$BUNDLE" true
  cfg '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  hrun hk create --bundle "$BUNDLE" "$ID"
  # runc refuses this config; at least nothing may be left either way.
  [ "$status" -ne 0 ] || hk delete --force "$ID" >/dev/null 2>&1
  assert_nothing_left "$ID"
}

@test "errors: start, state, kill, exec, ps of a missing container say 'does not exist'" {
  for cmd in start state "kill" "ps" "exec"; do
    if [ "$cmd" = exec ]; then
      hrun hk exec "$ID" true
    else
      hrun hk $cmd "$ID"
    fi
    assert_failed_cleanly "does not exist" || { echo "(command $cmd)" >&2; return 1; }
  done
}

@test "errors: start of a stopped container fails" {
  mkbundle "$BUNDLE" true
  hk_create_start "$ID" "$BUNDLE"
  wait_status "$ID" stopped
  hrun hk start "$ID"
  assert_failed_cleanly "stopped"
}

@test "errors: a state root that is a file" {
  mkbundle "$BUNDLE" true
  touch "$T/rootfile"
  hrun "$HUSK" --root "$T/rootfile" create --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  [ -n "$stderr" ]
  assert_nothing_left "$ID"
}
