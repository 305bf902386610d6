#!/usr/bin/env bats
# husk-runtime run by an ordinary user (rootless), as runc is: a bundle from
# `spec --rootless`, state under $XDG_RUNTIME_DIR/husk, no cgroup of its own
# when it may not make one (runc's --rootless: cgroup permission errors are
# ignored when nobody asked for a cgroup or limits), exec through the
# container's user namespace, and the runtime's binary protected by a sealed
# copy (an ordinary user cannot make a read-only bind mount).
#
#   bats tests/integration/runtime_rootless.bats

load runtime_common

# A uid no one uses: tests touch only what they create.
RL_UID=61234

setup_file() {
  common_setup_file
  build_static attack <"$BATS_TEST_DIRNAME/helpers/attack.c"
}

setup() {
  common_setup
  # Everything the user touches, open to it (the test's own tmp dir is not).
  RDIR=$(mktemp -d /tmp/husk-rootless-XXXXXX)
  EXTRA_DIRS+=("$RDIR")
  chmod 0755 "$RDIR"
  cp "$HUSK" "$RDIR/husk-runtime"
  RT=$RDIR/husk-runtime
  mkdir -m 0700 "$RDIR/xdg"
  chown "$RL_UID:$RL_UID" "$RDIR/xdg"
  URB=$RDIR/bundle
}

teardown() {
  local id pid
  if [ -d "$RDIR/xdg/husk" ]; then
    for id in "$RDIR"/xdg/husk/*; do
      [ -e "$id" ] && as_user "$RT" delete --force "${id##*/}" >/dev/null 2>&1 </dev/null
    done
  fi
  for pid in $(procs_rooted_under "$RDIR"); do
    kill -KILL "$pid" 2>/dev/null
  done
  common_teardown
}

# as_user CMD... : CMD as uid/gid $RL_UID with no supplementary groups and a
# clean environment, as a login session would have it.
as_user() {
  setpriv --reuid "$RL_UID" --regid "$RL_UID" --clear-groups \
    env -i PATH="$PATH" HOME="$RDIR" XDG_RUNTIME_DIR="$RDIR/xdg" "$@"
}

# rootless_bundle ARGS... : busybox rootfs owned by the user, config.json
# from `spec --rootless` made by the user (its uid is the one mapped).
rootless_bundle() {
  husk_bundle "$URB" "$@"
  rm "$URB/config.json"
  chown -R "$RL_UID:$RL_UID" "$URB"
  as_user "$RT" spec --rootless --bundle "$URB"
  local args
  args=$(jq -n '$ARGS.positional' --args -- "$@")
  cfg_at "$URB" '.process.terminal = false | .process.args = $a | .root.readonly = false' --argjson a "$args"
}

@test "rootless: an ordinary user runs a container: root inside, the user outside, state in XDG_RUNTIME_DIR, no cgroup" {
  rootless_bundle sleep 100
  assert_eq "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}]" "$(jq -c .linux.uidMappings "$URB/config.json")" "spec --rootless maps the user"
  as_user "$RT" run -d --bundle "$URB" "$ID" </dev/null >"$RDIR/run.out" 2>&1 || { cat "$RDIR/run.out" >&2; false; }
  [ -e "$RDIR/xdg/husk/$ID/state.json" ] || { echo "no state under \$XDG_RUNTIME_DIR/husk" >&2; false; }
  local pid
  pid=$(as_user "$RT" state "$ID" | jq -r .pid)
  assert_eq "$RL_UID" "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "the init's uid on the host"
  assert_eq "0 $RL_UID 1" "$(as_user "$RT" exec "$ID" cat /proc/self/uid_map </dev/null | awk '{ print $1, $2, $3 }')" "uid map"
  assert_eq 0 "$(as_user "$RT" exec "$ID" id -u </dev/null)" "uid inside"
  assert_eq "#$RL_UID" "$(as_user "$RT" list --format json | jq -r '.[0].owner')" "list's owner"
  # No cgroup was made for it anywhere.
  assert_eq "" "$(find /sys/fs/cgroup -maxdepth 3 -name "$ID" 2>/dev/null)" "cgroups named after the container"
  hrun as_user "$RT" ps "$ID"
  assert_failed_cleanly "has no cgroup of its own"
  # exec -d runs on after the runtime leaves; kill and delete end it all.
  as_user "$RT" exec -d "$ID" sleep 200 </dev/null >/dev/null 2>&1
  as_user "$RT" kill "$ID" KILL
  wait_for 10 sh -c "[ \"\$(setpriv --reuid $RL_UID --regid $RL_UID --clear-groups env XDG_RUNTIME_DIR=$RDIR/xdg $RT state $ID | jq -r .status)\" = stopped ]"
  as_user "$RT" delete "$ID"
  [ ! -e "$RDIR/xdg/husk/$ID" ]
  assert_eq "" "$(procs_rooted_under "$RDIR")" "processes left"
}

@test "rootless: limits without a cgroup the user may make fail clearly and leave nothing" {
  rootless_bundle true
  cfg_at "$URB" '.linux.resources = {memory: {limit: 104857600}}'
  hrun as_user "$RT" run --bundle "$URB" "$ID"
  assert_failed_cleanly "Permission denied"
  assert_contains "$stderr" "cgroup"
  [ ! -e "$RDIR/xdg/husk/$ID" ]
  assert_eq "" "$(procs_rooted_under "$RDIR")" "processes left"
}

@test "rootless: an exec'd process runs a sealed copy: binfmt_misc cannot write the user's own runtime" {
  mkdir "$T/probe"
  unshare -Urm sh -c "mount -t binfmt_misc none $T/probe" ||
    skip "this kernel has no binfmt_misc for user namespaces (Linux 6.7+)"
  # The user's own husk-runtime: writable by the user, so only the runtime's
  # defence keeps a container process from rewriting it.
  chown "$RL_UID:$RL_UID" "$RT"
  local size
  size=$(stat -c %s "$RT")
  rootless_bundle sh -c "mkdir -p /binfmt && mount -t binfmt_misc none /binfmt &&
    echo ':husk:M::HUSKEVIL::/proc/self/exe:' >/binfmt/register && exec /attack $size 30000"
  cp "$BATS_FILE_TMPDIR/attack" "$URB/rootfs/attack"
  printf 'HUSKEVIL\n' >"$URB/rootfs/evil"
  chmod 755 "$URB/rootfs/evil"
  chown "$RL_UID:$RL_UID" "$URB/rootfs/attack" "$URB/rootfs/evil"
  set_caps_at "$URB" CAP_SYS_ADMIN CAP_KILL
  as_user "$RT" run -d --bundle "$URB" "$ID" </dev/null >"$RDIR/out" 2>&1 || { cat "$RDIR/out" >&2; false; }
  local pid i out
  pid=$(as_user "$RT" state "$ID" | jq -r .pid)
  wait_for 10 test -e "/proc/$pid/root/binfmt/husk" || { cat "$RDIR/out" >&2; false; }
  for i in $(seq 20); do
    grep -q caught "$RDIR/out" && break
    as_user "$RT" exec "$ID" /evil </dev/null >/dev/null 2>&1 || true
  done
  wait_for 30 grep -q 'refused\|WROTE\|none' "$RDIR/out" || true
  out=$(cat "$RDIR/out")
  assert_contains "$out" "caught" "attacker"
  assert_not_contains "$out" "WROTE" "attacker"
  # A write to a sealed memfd: EPERM.
  assert_contains "$out" "refused: Operation not permitted" "attacker"
  cmp -s "$HUSK" "$RT" || { echo "the user's runtime binary was modified from inside the container" >&2; false; }
}
