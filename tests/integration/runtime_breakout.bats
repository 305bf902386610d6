#!/usr/bin/env bats
# The runc breakouts, attempted for real against husk-runtime:
#
# CVE-2019-5736: a container process gets a handle on the runtime's binary
# (through /proc/PID/exe of a runtime process that entered the container,
# `#!/proc/self/exe`, or a binfmt_misc handler whose interpreter is
# /proc/self/exe), waits until no runtime process runs it any more, reopens
# it for writing and replaces the host's runtime.
#
# Every attack runs against a private copy of the runtime ($RT), so a
# successful one damages nothing; after each, the copy must still be
# byte-identical to the build's binary.
#
#   bats tests/integration/runtime_breakout.bats

load runtime_common

setup_file() {
  common_setup_file
  # The exploit: helpers/attack.c says what it does.
  build_static attack <"$BATS_TEST_DIRNAME/helpers/attack.c"
}

setup() {
  common_setup
  # The runtime under attack: a private copy, so a successful attack harms
  # nothing; the copy must match the build's binary after every test.
  mkdir -p "$T/bin"
  cp "$HUSK" "$T/bin/husk-runtime"
  RT=$T/bin/husk-runtime
  RT_SIZE=$(stat -c %s "$RT")
}

rt() {
  "$RT" --root "$ROOT" "$@"
}

assert_runtime_intact() {
  cmp -s "$HUSK" "$RT" || {
    echo "the runtime's binary was modified from inside a container: $(head -c 16 "$RT" | od -c | head -2)" >&2
    return 1
  }
}

# attack_bundle DIR [TIMEOUT_MS]: a bundle whose process is /attack, as root
# with CAP_SYS_PTRACE and no user namespace: what the exploit needs.
attack_bundle() {
  mkbundle "$1" /attack "$RT_SIZE" "${2:-20000}"
  cp "$BATS_FILE_TMPDIR/attack" "$1/rootfs/attack"
  set_caps_at "$1" CAP_SYS_PTRACE CAP_KILL CAP_AUDIT_WRITE
}

# start_attacker ID DIR: runs the attacker detached; its output goes to DIR/out.
start_attacker() {
  rt run -d --bundle "$2" "$1" >"$2/out" 2>&1 </dev/null || {
    cat "$2/out" >&2
    return 1
  }
}

file_has() {
  grep -q -- "$2" "$1" 2>/dev/null
}

# attack_outcome DIR: waits for the attacker's verdict and asserts it is a
# refusal naming WHY (the kernel's text for the errno).
assert_attack_refused() {
  local dir=$1 why=$2 out
  wait_for 30 file_has "$dir/out" 'refused\|WROTE\|none' || true
  out=$(cat "$dir/out")
  assert_contains "$out" "caught" "attacker"
  assert_not_contains "$out" "WROTE" "attacker"
  assert_contains "$out" "refused: $why" "attacker"
  assert_runtime_intact
}

# exe_mount PID: "ro" when /proc/PID/exe is on a read-only mount, else "rw".
# (While the binary runs, an open for writing fails with ETXTBSY either way;
# once it stops, a read-only mount still refuses with EROFS.)
exe_mount() {
  python3 -c 'import os, sys; print("ro" if os.statvfs(sys.argv[1]).f_flag & os.ST_RDONLY else "rw")' "/proc/$1/exe"
}

@test "CVE-2019-5736: an entrypoint '#!/proc/self/exe' is refused (126) and the runtime is intact" {
  mkbundle "$BUNDLE" /evil
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil"
  hrun rt run --bundle "$BUNDLE" "$ID"
  [ "$status" -eq 126 ] || { echo "status $status: $output" >&2; false; }
  assert_contains "$output" "refusing to run the runtime binary inside the container"
  assert_runtime_intact
  assert_nothing_left "$ID"
}

@test "CVE-2019-5736: '#!' through a chain of scripts to /proc/self/exe is refused too" {
  mkbundle "$BUNDLE" /evil
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/stage2"
  printf '#!/stage2\n' >"$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil" "$BUNDLE/rootfs/stage2"
  hrun rt run --bundle "$BUNDLE" "$ID"
  [ "$status" -eq 126 ] || { echo "status $status: $output" >&2; false; }
  assert_contains "$output" "refusing to run the runtime binary"
  assert_runtime_intact
}

@test "CVE-2019-5736: a container sharing the pid namespace cannot write the binary of a created init" {
  attack_bundle "$T/a"
  start_attacker "$ID" "$T/a"
  local apid
  apid=$(rt state "$ID" | jq -r .pid)
  # B joins A's pid namespace and stays created: its init sits in the
  # runtime's code, visible to A, for as long as we like.
  mkbundle "$T/b" true
  cfg_at "$T/b" '(.linux.namespaces[] | select(.type == "pid")) += {path: $p}' --arg p "/proc/$apid/ns/pid"
  rt create --bundle "$T/b" "$ID2" >"$T/b.out" 2>&1 </dev/null || { cat "$T/b.out" >&2; false; }
  wait_for 20 file_has "$T/a/out" caught || { cat "$T/a/out" >&2; false; }
  # Once B's init execs, nothing runs the binary any more: the attacker's
  # write is no longer "busy", and must still be refused.
  rt start "$ID2"
  assert_attack_refused "$T/a" "Read-only file system"
}

@test "CVE-2019-5736: a process joining with exec cannot be used to write the runtime's binary" {
  attack_bundle "$T/a" 30000
  start_attacker "$ID" "$T/a"
  # Every exec'd process runs the runtime's code in the container's pid
  # namespace until it execs: the attacker races for that window.
  local i
  for i in $(seq 200); do
    file_has "$T/a/out" caught && break
    rt exec "$ID" /bin/true
  done
  assert_attack_refused "$T/a" "Read-only file system"
}

@test "CVE-2019-5736: exec with CAP_SYS_PTRACE into a created container whose init runs the runtime is refused" {
  # Default capabilities, own pid namespace: the init needs no protected
  # binary (nothing in the container can trace it) ...
  mkbundle "$BUNDLE" true
  rt create --bundle "$BUNDLE" "$ID" >"$T/c.out" 2>&1 </dev/null || { cat "$T/c.out" >&2; false; }
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  assert_eq rw "$(exe_mount "$pid")" "the init runs the runtime's own file"
  # ... so a process that could trace it may not join before start.
  hrun rt exec --cap CAP_SYS_PTRACE "$ID" /bin/true
  assert_failed_cleanly "cannot join it before start (CVE-2019-5736)"
  # Without CAP_SYS_PTRACE it may, as with runc.
  hrun rt exec "$ID" /bin/true
  [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
  # Once started, the init runs the container's binary: CAP_SYS_PTRACE may join.
  rt start "$ID"
  mkbundle "$T/s" sleep 100
  rt run -d --bundle "$T/s" "$ID2" </dev/null >/dev/null 2>&1
  hrun rt exec --cap CAP_SYS_PTRACE "$ID2" /bin/true
  [ "$status" -eq 0 ] || { echo "$output" >&2; false; }
}

@test "CVE-2019-5736: the init of a container that keeps CAP_SYS_PTRACE runs a read-only view of the runtime" {
  mkbundle "$BUNDLE" true
  set_caps_at "$BUNDLE" CAP_SYS_PTRACE
  rt create --bundle "$BUNDLE" "$ID" >"$T/c.out" 2>&1 </dev/null || { cat "$T/c.out" >&2; false; }
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  assert_eq ro "$(exe_mount "$pid")" "the init's executable"
  # The same binary, not a copy: its identity is unchanged.
  assert_eq "$(stat -L -c %d:%i "$RT")" "$(stat -L -c %d:%i "/proc/$pid/exe")" "the init's executable"
  rt start "$ID"
  assert_runtime_intact
}

@test "CVE-2019-5736: a binfmt_misc handler naming /proc/self/exe cannot be used to write the runtime's binary" {
  # binfmt_misc instances of their own for user namespaces: Linux 6.7.
  mkdir "$T/probe"
  unshare -Urm sh -c "mount -t binfmt_misc none $T/probe" ||
    skip "this kernel has no binfmt_misc for user namespaces (Linux 6.7+)"
  # Root inside is uid 100000 outside; the binary is made writable by it, so
  # only the runtime's own defence stands between the attacker and it.
  chown 100000:100000 "$RT"
  # The bundle's path must be open to uid 100000.
  BUNDLE=$(mktemp -d /tmp/husk-binfmt-XXXXXX)/bundle
  EXTRA_DIRS+=("${BUNDLE%/bundle}")
  chmod 0755 "${BUNDLE%/bundle}"
  mkbundle "$BUNDLE" sh -c "mkdir -p /binfmt && mount -t binfmt_misc none /binfmt &&
    echo ':husk:M::HUSKEVIL::/proc/self/exe:' >/binfmt/register && exec /attack $RT_SIZE 30000"
  cp "$BATS_FILE_TMPDIR/attack" "$BUNDLE/rootfs/attack"
  printf 'HUSKEVIL\n' >"$BUNDLE/rootfs/evil"
  chmod 755 "$BUNDLE/rootfs/evil"
  chown -R 100000:100000 "$BUNDLE/rootfs"
  cfg '.linux.namespaces += [{type: "user"}]
     | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
     | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  set_caps_at "$BUNDLE" CAP_SYS_ADMIN CAP_KILL
  start_attacker "$ID" "$BUNDLE"
  local pid
  pid=$(rt state "$ID" | jq -r .pid)
  wait_for 10 test -e "/proc/$pid/root/binfmt/husk" || { cat "$BUNDLE/out" >&2; false; }
  # The kernel runs /proc/self/exe, the exec'd process's runtime binary, for /evil.
  local i
  for i in $(seq 20); do
    file_has "$BUNDLE/out" caught && break
    rt exec "$ID" /evil >/dev/null 2>&1 || true
  done
  assert_attack_refused "$BUNDLE" "Read-only file system"
}
