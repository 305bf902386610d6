#!/usr/bin/env bats
# The breakout suite: escapes that worked against some runtime, tried for
# real from inside a default `husk run` container as root (or, where the
# hole was in the runtime's own mounting, against husk-runtime with a
# bundle). Each must fail, and each test also does the same thing where it
# must work (--privileged, --cap-add, no user namespace, or the host), so a
# test cannot pass because the action was broken to begin with.
#
# The probes are static C programs in helpers/, in the image "probes:1"
# under /probe: attack.c (CVE-2019-5736), escape.c (the seeds' chroot
# escape), swap.c (a CVE-2021-30465 style race) and sys.c (one privileged
# system call, printing "ok" or "refused: <errno text>").
#
# Elsewhere: the chroot escape from `husk run` (engine_seeds.bats); the
# CVE-2019-5736 attacks on husk-runtime (runtime_breakout.bats).
#
# Tests named "... (seccomp)" are refused by docker only through its default
# seccomp profile, which husk does not enforce yet: they fail until it does.
#
#   bats tests/integration/breakout.bats

load ../lib/engine.bash

# Enough ".." to climb from anywhere to the root of whatever tree we are in.
UP=../../../../../../../../../../../../../../../..

setup_file() {
  image_file_setup
  command -v gcc >/dev/null || husk_die "gcc missing (scripts/install-deps.sh)"
  local d=$BATS_FILE_TMPDIR p
  husk_busybox_rootfs "$d/rootfs"
  mkdir "$d/rootfs/probe"
  for p in attack escape swap sys; do
    gcc -static -O1 -o "$d/rootfs/probe/$p" "$BATS_TEST_DIRNAME/helpers/$p.c" || return 1
  done
  # CVE-2019-5736's entrypoint: the kernel runs the runtime's own binary.
  printf '#!/proc/self/exe\n' >"$d/rootfs/probe/self-exe"
  chmod 755 "$d/rootfs/probe/self-exe"
  tar -C "$d/rootfs" -cf "$d/probes.tar" .
  subids_save
}

teardown_file() { subids_restore; }

setup() {
  engine_setup husk-breakout
  h image import -c 'CMD ["sh"]' "$BATS_FILE_TMPDIR/probes.tar" probes:1 >/dev/null
  # A directory only the host has, at its root: seeing it is being out.
  MARKER=/husk-breakout-$BATS_ROOT_PID-$BATS_TEST_NUMBER
  mkdir "$MARKER"
  BG_PIDS=()
}

teardown() {
  local p
  for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  engine_teardown
  rmdir "$MARKER" 2>/dev/null || true
}

# box ARGS... : a detached container "box" of probes:1 (ARGS: run flags).
box() {
  h run -d --name box "$@" probes:1 sleep 1000 >/dev/null
}

# rt ARGS... : husk-runtime on the run root engine_teardown cleans.
rt() {
  "$RUNTIME_BIN" --root "$RUNROOT" "$@"
}

# probe_bundle DIR ARGS... : a husk-runtime bundle of the probes' rootfs
# (runc spec's defaults: runc's default confinement) running ARGS.
probe_bundle() {
  local dir=$1
  shift
  husk_bundle "$dir" "$@" || return 1
  cp -a "$BATS_FILE_TMPDIR/rootfs/probe" "$dir/rootfs/"
}

# cfg_at DIR FILTER [JQ ARGS...] : edit DIR/config.json with jq.
cfg_at() {
  local dir=$1 filter=$2
  shift 2
  jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.tmp" && mv "$dir/config.json.tmp" "$dir/config.json"
}

# host_mounts_at PATH : the host's mount points at or under PATH.
host_mounts_at() {
  awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
}

# ---- the seeds' chroot escape and CVE-2019-5736, through the engine ---------

@test "breakout: the seeds' chroot escape from a process joined with exec stays inside (control: a plain chroot is escaped)" {
  run chroot "$BATS_FILE_TMPDIR/rootfs" /probe/escape "$MARKER"
  assert_eq "ESCAPED: host marker visible" "$output" "plain chroot (control)"
  box
  run h exec box /probe/escape "$MARKER"
  assert_status 0
  assert_eq "contained: host marker not visible" "$output" "exec"
  run h exec -w /tmp -u 0 box /probe/escape "$MARKER"
  assert_eq "contained: host marker not visible" "$output" "exec -w /tmp"
}

# own_husk : husk, husk-full and husk-init copied to $T/bin, husk padded to
# a size no other binary has (attack.c finds its victim by size), and used
# from there on; $T/husk.orig is what it must still be at the end.
own_husk() {
  mkdir "$T/bin"
  cp "$HUSK_BUILD_DIR/husk-full" "$HUSK_BUILD_DIR/husk-init" "$T/bin/"
  { cat "$HUSK_BUILD_DIR/husk" && head -c $((4096 + RANDOM)) /dev/zero; } >"$T/bin/husk"
  chmod 755 "$T/bin/husk"
  cp "$T/bin/husk" "$T/husk.orig"
  HUSK=$T/bin/husk
  HUSK_SIZE=$(stat -c %s "$HUSK")
}

assert_husk_intact() {
  cmp -s "$T/husk.orig" "$HUSK" || {
    echo "husk's binary was modified from inside a container: $(head -c 16 "$HUSK" | od -c | head -2)" >&2
    return 1
  }
}

logs_have() { h logs "$1" 2>&1 | grep -q -- "$2"; }

# exec_attack TIMEOUT_MS [RUN FLAGS...] : an attacker in a container hunts
# for a process running husk's binary while husk exec joins it, many times;
# it must never write it.
exec_attack() {
  local ms=$1 i
  shift
  h run -d --name attacker "$@" probes:1 /probe/attack "$HUSK_SIZE" "$ms" >/dev/null
  for i in $(seq 100); do
    logs_have attacker caught && break
    # An attacker that gave up has stopped its container.
    h exec attacker /bin/true 2>/dev/null || break
  done
  wait_for 15 logs_have attacker 'refused\|WROTE\|none' || true
  run h logs attacker
  assert_not_contains "$output" WROTE "attacker"
  assert_match '^(none|caught [0-9]+.refused: .*)$' "$(tr '\n' '.' <<<"$output" | sed 's/\.$//')" "attacker"
  assert_husk_intact
}

@test "breakout: CVE-2019-5736: a process joining with husk exec cannot be used to write husk's binary (control: from the host it can)" {
  own_husk
  # The control: the same attacker on the host, against a copy of husk it
  # watches run, writes it once the copy exits.
  mkdir "$T/victim"
  { cat "$HUSK" && head -c 777 /dev/zero; } >"$T/victim/husk"
  chmod 755 "$T/victim/husk"
  "$BATS_FILE_TMPDIR/rootfs/probe/attack" "$(stat -c %s "$T/victim/husk")" 8000 >"$T/host.out" 3>&- &
  BG_PIDS+=($!)
  local i
  for i in $(seq 200); do
    grep -qs caught "$T/host.out" && break
    "$T/victim/husk" --help >/dev/null 2>&1 || true
  done
  wait_for 10 grep -qs 'WROTE\|refused' "$T/host.out" || true
  assert_contains "$(cat "$T/host.out")" WROTE "the attacker on the host (control)"
  assert_eq PWNED "$(head -c 5 "$T/victim/husk")" "the victim's first bytes"
  # A default container. (One that may trace, the exploit's best case, is
  # runtime_breakout.bats's: `husk run -d --cap-add SYS_PTRACE` cannot start
  # yet, its monitor re-executes itself as a second `husk run`.)
  exec_attack 3000
}

@test "breakout: CVE-2019-5736: an entrypoint '#!/proc/self/exe' is refused and husk's binary is intact" {
  own_husk
  run h run --rm probes:1 /probe/self-exe
  [ "$status" -ne 0 ] || { echo "ran: $output" >&2; false; }
  assert_match 'refusing to run the runtime binary inside the container' "$output"
  run h run --rm --cap-add SYS_PTRACE --entrypoint /probe/self-exe probes:1
  [ "$status" -ne 0 ] || { echo "ran: $output" >&2; false; }
  assert_husk_intact
}

# ---- CVE-2024-21626: a working directory outside the rootfs, leaked fds -----

# where_am_i : a shell command printing the cwd and whether the host's
# marker is reachable by climbing from it.
where_am_i() {
  echo "pwd; if test -e $UP$MARKER; then echo ESCAPED; else echo contained; fi"
}

# The control for the check itself: a process whose cwd is outside its root
# (a chroot that kept the cwd) does reach the marker.
assert_where_am_i_detects_escape() {
  run python3 -c 'import os, sys; os.chdir("/tmp"); os.chroot(sys.argv[1]); os.execv("/bin/sh", ["sh", "-c", sys.argv[2]])' \
    "$BATS_FILE_TMPDIR/rootfs" "$(where_am_i)"
  assert_contains "$output" ESCAPED "a chroot keeping its cwd outside (control)"
}

@test "breakout: CVE-2024-21626: husk exec -w /proc/self/fd/N and husk run -w /proc/self/fd/N never land outside the rootfs" {
  assert_where_am_i_detects_escape
  box
  local n
  for n in 3 4 5 6 7 8 9 10; do
    run h exec -w "/proc/self/fd/$n" box sh -c "$(where_am_i)"
    assert_not_contains "$output" ESCAPED "exec -w /proc/self/fd/$n"
    [ "$status" -ne 0 ] || assert_contains "$output" contained "exec -w /proc/self/fd/$n"
    run h run --rm -w "/proc/self/fd/$n" probes:1 sh -c "$(where_am_i)"
    assert_not_contains "$output" ESCAPED "run -w /proc/self/fd/$n"
    [ "$status" -ne 0 ] || assert_contains "$output" contained "run -w /proc/self/fd/$n"
  done
}

@test "breakout: CVE-2024-21626: husk-runtime run and exec with cwd /proc/self/fd/N never land outside the rootfs" {
  local n b=$T/rb
  probe_bundle "$b" sleep 1000
  rt run -d --bundle "$b" rb </dev/null >"$T/rb.out" 2>&1 || { cat "$T/rb.out" >&2; false; }
  for n in 3 4 5 6 7 8 9 10; do
    run rt exec --cwd "/proc/self/fd/$n" rb sh -c "$(where_am_i)" </dev/null
    assert_not_contains "$output" ESCAPED "exec --cwd /proc/self/fd/$n"
    [ "$status" -ne 0 ] || assert_contains "$output" contained "exec --cwd /proc/self/fd/$n"
    probe_bundle "$T/r$n" sh -c "$(where_am_i)"
    cfg_at "$T/r$n" '.process.cwd = $c' --arg c "/proc/self/fd/$n"
    run rt run --bundle "$T/r$n" "r$n" </dev/null
    assert_not_contains "$output" ESCAPED "run with process.cwd /proc/self/fd/$n"
    [ "$status" -ne 0 ] || assert_contains "$output" contained "run with process.cwd /proc/self/fd/$n"
  done
}

# The open fds `ls -l /proc/self/fd` lists (as "N -> TARGET"), but its own
# (the directory it reads) and 0-2.
extra_fds() {
  tr -d '\r' <<<"$1" | awk '$(NF-1) == "->" && $(NF-2) > 2 && $NF !~ /^\/proc\/[0-9]+\/fd$/ { print $(NF-2), $(NF-1), $NF }'
}

assert_only_stdio() {
  assert_contains "$2" " 2 -> " "$1: fd 2 listed" || return 1
  assert_eq "" "$(extra_fds "$2")" "$1: fds beyond 0-2"
}

@test "breakout: no fd of husk or husk-runtime leaks into the container: run, exec, -d and -it" {
  run h run --rm probes:1 ls -l /proc/self/fd
  assert_only_stdio "run" "$output"
  h run -d --name box probes:1 sh -c 'ls -l /proc/self/fd; exec sleep 1000' >/dev/null
  wait_for 10 logs_have box ' 2 -> '
  assert_only_stdio "run -d" "$(h logs box 2>&1)"
  # The init itself, from the host: 0-2 only.
  local pid
  pid=$(h inspect -f '{{.State.Pid}}' box)
  assert_eq "0 1 2" "$(ls "/proc/$pid/fd" | sort -n | tr '\n' ' ' | sed 's/ $//')" "the init's fds (run -d)"
  run h exec box ls -l /proc/self/fd
  assert_only_stdio "exec" "$output"
  h exec -d box sh -c 'ls -l /proc/self/fd >/tmp/fds'
  wait_for 10 h exec box grep -q ' 2 -> ' /tmp/fds
  assert_only_stdio "exec -d" "$(h exec box cat /tmp/fds)"
  run husk_with_pty "$HUSK" --root "$R" --runroot "$RUNROOT" run --rm -it probes:1 ls -l /proc/self/fd
  assert_only_stdio "run -it" "$output"
  run husk_with_pty "$HUSK" --root "$R" --runroot "$RUNROOT" exec -it box ls -l /proc/self/fd
  assert_only_stdio "exec -it" "$output"
}

# ---- mount targets that lead out of the rootfs (husk-runtime) ---------------

@test "breakout: a mount whose destination is a symlink to a host path lands inside the rootfs (control: followed on the host, it lands on the host)" {
  local b=$T/rb host=$T/host
  mkdir -p "$host" "$T/src"
  echo from-src >"$T/src/file"
  probe_bundle "$b" sh -c 'stat -f -c %T /etc/evil; cat /etc/evil2/file; ls /etc/evil3'
  ln -s "$host/a" "$b/rootfs/etc/evil"
  ln -s "$UP$host/b" "$b/rootfs/etc/evil2"
  ln -s "$host/c" "$b/rootfs/etc/evil3"
  cfg_at "$b" '.mounts += [
      {destination: "/etc/evil", type: "tmpfs", source: "tmpfs", options: ["nosuid"]},
      {destination: "/etc/evil2", type: "bind", source: $src, options: ["rbind", "ro"]},
      {destination: "/etc/evil3/sub", type: "tmpfs", source: "tmpfs"}]' --arg src "$T/src"
  run rt run --bundle "$b" rb </dev/null
  assert_status 0
  assert_eq "tmpfs from-src sub" "${lines[*]}" "inside the container"
  # Nothing was made or mounted on the host's side of the links ...
  assert_eq "" "$(ls -A "$host")" "the host's directory"
  assert_eq "" "$(host_mounts_at "$host")" "host mounts"
  # ... but inside the rootfs, where the links lead from its root.
  [ -d "$b/rootfs$host/a" ] && [ -d "$b/rootfs$host/b" ] && [ -d "$b/rootfs$host/c/sub" ] ||
    { echo "the mount points were not made inside the rootfs: $(find "$b/rootfs$host" 2>&1)" >&2; false; }
  # The control: the same links followed on the host lead to the host.
  mkdir "$host/a"
  mount -t tmpfs husk-breakout "$b/rootfs/etc/evil"
  assert_eq "$host/a" "$(host_mounts_at "$host")" "a plain mount on the link (control)"
  umount "$host/a"
}

@test "breakout: swapping a mount target for a symlink to the host while the runtime mounts never mounts outside the rootfs (CVE-2021-30465 style)" {
  local host=$T/host i ok=0 refused=0
  mkdir -p "$T/vol" "$T/src" "$host"
  echo from-src >"$T/src/file"
  # The attacker: a container with the volume, swapping vol/d between a
  # directory and a symlink to the host's $host/sub.
  probe_bundle "$T/ra" /probe/swap /vol "$host/sub" 60
  cfg_at "$T/ra" '.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["rbind", "rw"]}]' --arg v "$T/vol"
  rt run -d --bundle "$T/ra" ra </dev/null >"$T/ra.out" 2>&1 || { cat "$T/ra.out" >&2; false; }
  wait_for 10 test -L "$T/vol/l" -o -L "$T/vol/d"
  # The victim: the same volume, and a bind mount on vol/d.
  probe_bundle "$T/rb" cat /proc/self/mountinfo
  cfg_at "$T/rb" '.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["rbind", "rw"]},
                              {destination: "/vol/d", type: "bind", source: $s, options: ["rbind", "ro"]}]' \
    --arg v "$T/vol" --arg s "$T/src"
  for i in $(seq 60); do
    run rt run --bundle "$T/rb" "rb$i" </dev/null
    if [ "$status" -eq 0 ]; then
      # The bind of src is in the container's own mount table: it landed
      # inside the rootfs (in the volume, or where the link leads from the
      # container's root).
      assert_match " $T/src " "$output" "round $i: the victim's mounts"
      ok=$((ok + 1))
    else
      refused=$((refused + 1))
    fi
    [ ! -e "$host/sub" ] || { echo "round $i: the runtime made $host/sub on the host" >&2; false; }
    assert_eq "" "$(host_mounts_at "$host")" "round $i: host mounts"
  done
  echo "# $ok starts, $refused refused, attacker alive: $(rt state ra | jq -r .status)" >&3
  [ "$ok" -gt 0 ] || { echo "the victim never started: $output" >&2; false; }
  assert_eq running "$(rt state ra | jq -r .status)" "the attacker"
}

# ---- the kernel's global knobs and privileged system calls -------------------

@test "breakout: /proc/sys/kernel/core_pattern cannot be written (control: --privileged can)" {
  local before
  before=$(cat /proc/sys/kernel/core_pattern)
  run h run --rm probes:1 sh -c 'echo "|/probe/evil" >/proc/sys/kernel/core_pattern'
  [ "$status" -ne 0 ]
  assert_contains "$output" "Read-only file system"
  assert_eq "$before" "$(cat /proc/sys/kernel/core_pattern)" "the host's core_pattern"
  # The control writes back the value it reads: the host's stays the same.
  run h run --rm --privileged probes:1 sh -c 'p=$(cat /proc/sys/kernel/core_pattern); echo "$p" >/proc/sys/kernel/core_pattern && echo wrote'
  assert_status 0
  assert_eq wrote "$output" "--privileged (control)"
  assert_eq "$before" "$(cat /proc/sys/kernel/core_pattern)" "the host's core_pattern"
}

@test "breakout: /proc/sysrq-trigger cannot be written (control: --privileged can)" {
  [ -e /proc/sysrq-trigger ] || skip "this kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ off)"
  run h run --rm probes:1 sh -c 'echo h >/proc/sysrq-trigger'
  [ "$status" -ne 0 ]
  assert_contains "$output" "Read-only file system"
  # "h" only prints sysrq's help to the kernel log.
  run h run --rm --privileged probes:1 sh -c 'echo h >/proc/sysrq-trigger && echo wrote'
  assert_eq wrote "$output" "--privileged (control)"
}

@test "breakout: /sys/kernel cannot be written (control: --privileged can)" {
  local f=/sys/kernel/mm/ksm/run before
  [ -e "$f" ] || f=/sys/kernel/uevent_helper
  [ -e "$f" ] || skip "this kernel has neither /sys/kernel/mm/ksm/run nor /sys/kernel/uevent_helper"
  before=$(cat "$f")
  run h run --rm probes:1 sh -c "cat $f >/tmp/v; cat /tmp/v >$f"
  [ "$status" -ne 0 ]
  assert_contains "$output" "Read-only file system"
  run h run --rm --privileged probes:1 sh -c "cat $f >/tmp/v; cat /tmp/v >$f && echo wrote"
  assert_eq wrote "$output" "--privileged (control)"
  assert_eq "$before" "$(cat "$f")" "the host's $f"
}

@test "breakout: no kernel module can be loaded (control: with --cap-add SYS_MODULE the kernel looks at the module)" {
  [ -e /proc/modules ] || skip "this kernel cannot load modules (no /proc/modules): nothing to refuse"
  run h run --rm probes:1 /probe/sys init_module
  assert_eq "refused: Operation not permitted" "$output"
  # With the capability the kernel reads the bytes, and finds no module in them.
  run h run --rm --cap-add SYS_MODULE probes:1 /probe/sys init_module
  assert_match '^refused: (Exec format error|Invalid argument|No such file or directory)$' "$output" "--cap-add SYS_MODULE (control)"
}

@test "breakout: no new filesystem can be mounted: tmpfs, proc (control: --cap-add SYS_ADMIN can)" {
  run h run --rm probes:1 sh -c 'mkdir /m; mount -t tmpfs none /m; mount -t proc proc /m; grep -c " /m " /proc/self/mountinfo'
  assert_eq 2 "$(grep -c 'ermission denied\|not permitted' <<<"$output")" "refusals: $output"
  assert_eq 0 "${lines[-1]}" "mounts on /m"
  run h run --rm --cap-add SYS_ADMIN probes:1 sh -c 'mkdir /m && mount -t tmpfs none /m && mount -t proc proc /m && grep -c " /m " /proc/self/mountinfo'
  assert_status 0
  assert_eq 2 "$output" "mounts on /m with SYS_ADMIN (control)"
}

# host_disk : MAJ:MIN of a block device the host itself may read: the one
# under its /, else the first other one (a sandboxed host may be denied its
# own disk).
host_disk() {
  local d
  for d in "/sys/dev/block/$(mountpoint -d /)" /sys/class/block/*; do
    [ -e "$d/dev" ] || continue
    if "$BATS_FILE_TMPDIR/rootfs/probe/sys" read "/dev/$(basename "$(readlink -f "$d")")" >/dev/null 2>&1; then
      cat "$d/dev"
      return
    fi
  done
}

@test "breakout: a device node of the host's disk can be made (as docker) but not opened; the host's devices are absent (control: --privileged reads it)" {
  local d maj min
  d=$(host_disk)
  [ -n "$d" ] || skip "this host has no block device it may read itself"
  maj=${d%:*} min=${d#*:}
  # docker's device cgroup: mknod of anything ("m"), open of the few it lists.
  run h run --rm probes:1 sh -c "ls /dev/[sv]d* 2>&1; mknod /tmp/disk b $maj $min && echo made; /probe/sys read /tmp/disk;
    mknod /tmp/mem c 1 1 && /probe/sys read /tmp/mem; mknod /tmp/null c 1 3 && echo x >/tmp/null && echo null-ok"
  assert_contains "${lines[0]}" "No such file" "the host's disks under /dev"
  assert_eq "made|refused: Operation not permitted|refused: Operation not permitted|null-ok" \
    "$(IFS='|'; echo "${lines[*]:1}")" "mknod and open inside"
  run h run --rm --privileged probes:1 sh -c "mknod /tmp/disk b $maj $min && /probe/sys read /tmp/disk"
  assert_eq ok "$output" "--privileged (control)"
}

@test "breakout: unshare of a mount namespace is refused (control: --cap-add SYS_ADMIN can)" {
  run h run --rm probes:1 /probe/sys unshare mount
  assert_eq "refused: Operation not permitted" "$output"
  run h run --rm probes:1 unshare -m true
  [ "$status" -ne 0 ]
  run h run --rm --cap-add SYS_ADMIN probes:1 /probe/sys unshare mount
  assert_eq ok "$output" "--cap-add SYS_ADMIN (control)"
}

@test "breakout: unshare of a user namespace is refused (control: seccomp=unconfined can) (seccomp)" {
  run h run --rm --security-opt seccomp=unconfined probes:1 /probe/sys unshare user
  assert_eq ok "$output" "seccomp=unconfined (control)"
  run h run --rm probes:1 /probe/sys unshare user
  assert_eq "refused: Operation not permitted" "$output"
}

@test "breakout: keyctl is refused (control: seccomp=unconfined can) (seccomp)" {
  run h run --rm --security-opt seccomp=unconfined probes:1 /probe/sys keyctl
  assert_eq ok "$output" "seccomp=unconfined (control)"
  run h run --rm probes:1 /probe/sys keyctl
  assert_eq "refused: Operation not permitted" "$output"
}

@test "breakout: setns into the host's namespaces is refused, even with the host's pids in view (control: --privileged --pid=host enters)" {
  # The container's own /proc/1 is its init: joining its namespaces takes
  # CAP_SYS_ADMIN too.
  run h run --rm probes:1 /probe/sys setns /proc/1/ns/mnt
  assert_eq "refused: Operation not permitted" "$output" "own init's mount namespace"
  # With --pid=host, a host process (in the host's namespaces: the host's
  # own init may hold capabilities husk lacks, and then even --privileged
  # cannot open its namespaces).
  sleep 1000 3>&- &
  local host=$!
  BG_PIDS+=("$host")
  assert_eq "$(readlink /proc/self/ns/mnt)" "$(readlink /proc/$host/ns/mnt)" "the host process's mount namespace"
  run h run --rm --pid=host probes:1 /probe/sys setns "/proc/$host/ns/mnt"
  assert_match '^refused: (Permission denied|Operation not permitted)$' "$output" "the host's mount namespace"
  run h run --rm --pid=host probes:1 nsenter -t "$host" -m -- test -d "$MARKER"
  [ "$status" -ne 0 ]
  assert_match "can't open '/proc/$host/ns/mnt': Permission denied" "$output" "nsenter"
  run h run --rm --pid=host --privileged probes:1 sh -c "nsenter -t $host -m -- test -d $MARKER && echo HOST"
  assert_eq HOST "$output" "--privileged --pid=host (control)"
}

@test "breakout: ptrace of a host process is refused, even with the host's pids in view (control: --cap-add SYS_PTRACE can)" {
  sleep 1000 3>&- &
  local victim=$!
  BG_PIDS+=("$victim")
  run h run --rm probes:1 /probe/sys ptrace "$victim"
  assert_eq "refused: No such process" "$output" "own pid namespace"
  run h run --rm --pid=host probes:1 /probe/sys ptrace "$victim"
  assert_eq "refused: Operation not permitted" "$output" "--pid=host"
  run h run --rm --pid=host --cap-add SYS_PTRACE probes:1 /probe/sys ptrace "$victim"
  assert_eq ok "$output" "--pid=host --cap-add SYS_PTRACE (control)"
}

# ---- a user namespace: root's capabilities stop at its edge -----------------

@test "breakout: in a --userns=remap container root's capabilities do not reach host-owned files and mounts (control: without it they do)" {
  # The mapped root must cross $T to reach the volumes.
  chmod 755 "$T"
  mkdir "$T/ro"
  echo host >"$T/hostfile"
  echo secret >"$T/secret"
  chmod 600 "$T/secret"
  echo host >"$T/ro/file"
  local try='echo pwned >>/hf && echo wrote; chown 1:1 /hf && echo chowned; cat /secret;
    mount -o remount,bind,rw /ro && echo pwned >/ro/file && echo remounted'
  local vols=(-v "$T/hostfile:/hf" -v "$T/secret:/secret" -v "$T/ro:/ro:ro")
  run h run --rm --userns=remap --cap-add SYS_ADMIN "${vols[@]}" probes:1 sh -c "$try"
  assert_not_contains "$output" wrote
  assert_not_contains "$output" chowned
  assert_not_contains "$output" remounted
  assert_not_contains "$output" $'\nsecret'
  # The remount itself may succeed: the mount was made inside the user
  # namespace (as runc does); the host's file is still not root's inside.
  assert_eq 4 "$(grep -c 'Permission denied\|not permitted' <<<"$output")" "refusals: $output"
  assert_eq "host root:root host" "$(cat "$T/hostfile") $(stat -c %U:%G "$T/hostfile") $(cat "$T/ro/file")" "the host's files"
  run h run --rm --cap-add SYS_ADMIN "${vols[@]}" probes:1 sh -c "$try"
  assert_eq "wrote chowned secret remounted" "${lines[*]}" "without --userns (control)"
  assert_eq "host pwned 1:1 pwned" "$(tr '\n' ' ' <"$T/hostfile")$(stat -c %u:%g "$T/hostfile") $(cat "$T/ro/file")" "the host's files (control)"
}
