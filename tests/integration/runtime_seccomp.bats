#!/usr/bin/env bats
# linux.seccomp enforced by the runtime, seen from inside the container
# through a probe (helpers/seccomp_probe.c) that makes one system call and
# says what came of it: every action, argument comparisons, architectures,
# flags, the default action, exec getting the filter, SCMP_ACT_NOTIFY with a
# listener (helpers/seccomp_listener.c) answering for the container, and
# bad profiles refused with nothing left.
#
#   bats tests/integration/runtime_seccomp.bats
#   RUNTIME=/usr/sbin/runc bats tests/integration/runtime_seccomp.bats

load runtime_common

setup_file() {
  common_setup_file
  build_static seccomp_probe <"$BATS_TEST_DIRNAME/helpers/seccomp_probe.c"
  build_static seccomp_listener <"$BATS_TEST_DIRNAME/helpers/seccomp_listener.c"
}

# probe_bundle ARGS... : a busybox bundle running ARGS, with the probe as /probe.
probe_bundle() {
  mkbundle "$BUNDLE" "$@"
  cp "$BATS_FILE_TMPDIR/seccomp_probe" "$BUNDLE/rootfs/probe"
}

# seccomp JSON : linux.seccomp of $BUNDLE.
seccomp() {
  cfg '.linux.seccomp = $s' --argjson s "$1"
}

# deny_mkdir ACTION [EXTRA RULE FIELDS] : default allow, ACTION for mkdir.
deny_mkdir() {
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"$1\"${2:+, $2}}]}"
}

run_probe() {
  hrun hk run --bundle "$BUNDLE" "$ID"
}

is_husk() { [[ ${HUSK##*/} == husk-runtime ]]; }

# podman's default profile (docker's format) as linux.seccomp, the way
# docker reads it for a container with the default capabilities on x86_64:
# rules tied to other capabilities or architectures left out.
docker_like_profile() {
  jq -c '{defaultAction, defaultErrnoRet,
          architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
          syscalls: [.syscalls[]
                     | select((.includes.caps // []) == [] and (.excludes.caps // []) == [])
                     | select((.includes.arches // []) == [] or (.includes.arches | index("amd64")))
                     | {names, action, args: (.args // [])} + (if .errnoRet then {errnoRet} else {} end)]}' \
    /usr/share/containers/seccomp.json
}

# ---- actions ---------------------------------------------------------------

@test "errno: the rule's errnoRet, EPERM without one; other calls are untouched" {
  probe_bundle /probe mkdir /tmp/d
  deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 122'
  run_probe
  assert_status 1
  assert_eq "errno 122 Disk quota exceeded" "$stdout"
  [ ! -e "$BUNDLE/rootfs/tmp/d" ]
  deny_mkdir SCMP_ACT_ERRNO
  run_probe
  assert_eq "errno 1 Operation not permitted" "$stdout"
  # The same probe without a filter: mkdir works, so the errno was the filter's.
  cfg 'del(.linux.seccomp)'
  run_probe
  assert_status 0
  assert_eq "ok 0" "$stdout"
  [ -d "$BUNDLE/rootfs/tmp/d" ]
  assert_nothing_left "$ID"
}

@test "errno: loaded with and without no_new_privs, as root and as a user without capabilities" {
  probe_bundle sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; /probe mkdir /tmp/u'
  deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 95'
  for nnp in false true; do
    for uid in 0 1000; do
      cfg ".process.noNewPrivileges = $nnp | .process.user.uid = $uid | .process.user.gid = $uid"
      [ "$uid" = 0 ] || set_caps_at "$BUNDLE"
      run_probe
      assert_status 1
      assert_contains "$stdout" "errno 95 Operation not supported" "nnp=$nnp uid=$uid"
      assert_contains "$stdout" "Seccomp:	2"
      [ "$nnp" = false ] || assert_contains "$stdout" "NoNewPrivs:	1"
    done
  done
}

@test "kill: SCMP_ACT_KILL and KILL_THREAD end the calling thread only; KILL_PROCESS ends the process by SIGSYS" {
  probe_bundle /probe thread /tmp/k
  for action in SCMP_ACT_KILL SCMP_ACT_KILL_THREAD; do
    deny_mkdir $action
    run_probe
    assert_status 0
    assert_eq "main survived" "$stdout" "$action"
  done
  deny_mkdir SCMP_ACT_KILL_PROCESS
  run_probe
  assert_eq 159 "$status" "exit status of a process killed by SIGSYS"
  assert_eq "" "$stdout"
  [ ! -e "$BUNDLE/rootfs/tmp/k" ]
  assert_nothing_left "$ID"
}

@test "trap: the call raises SIGSYS (si_code SYS_SECCOMP) for the process to handle" {
  probe_bundle /probe trap /tmp/t
  deny_mkdir SCMP_ACT_TRAP
  run_probe
  assert_status 0
  assert_eq "sigsys code=1 syscall=83" "$stdout"
  [ ! -e "$BUNDLE/rootfs/tmp/t" ]
}

@test "trace with no tracer attached: ENOSYS; log: the call runs; allow: the call runs" {
  probe_bundle /probe mkdir /tmp/x
  deny_mkdir SCMP_ACT_TRACE
  run_probe
  assert_eq "errno 38 Function not implemented" "$stdout"
  [ ! -e "$BUNDLE/rootfs/tmp/x" ]
  deny_mkdir SCMP_ACT_LOG
  run_probe
  assert_status 0
  assert_eq "ok 0" "$stdout"
  [ -d "$BUNDLE/rootfs/tmp/x" ]
  rmdir "$BUNDLE/rootfs/tmp/x"
  seccomp '{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}]}'
  # Everything but mkdir is denied, the runtime's own last calls too: the
  # container cannot start, and nothing of it is left.
  run_probe
  [ "$status" -ne 0 ] || { echo "a profile denying execve ran: $output" >&2; return 1; }
  assert_nothing_left "$ID"
}

@test "default action: podman's profile (defaultErrnoRet ENOSYS) runs a shell; a call left out of its list gets ENOSYS" {
  [ -r /usr/share/containers/seccomp.json ] || skip "no /usr/share/containers/seccomp.json (golang-github-containers-common)"
  probe_bundle sh -c 'echo shell-ok; /probe mkdir /tmp/p; /probe personality 0'
  profile=$(docker_like_profile | jq -c '.syscalls |= map(.names -= ["mkdir"] | select(.names != []))')
  assert_eq 38 "$(jq .defaultErrnoRet <<<"$profile")"
  seccomp "$profile"
  run_probe
  assert_status 0
  assert_eq $'shell-ok\nerrno 38 Function not implemented\nok 0' "$stdout"
  [ ! -e "$BUNDLE/rootfs/tmp/p" ]
}

# ---- arguments -------------------------------------------------------------

@test "args: a rule matches only the given value (EQ, MASKED_EQ); several args must all match" {
  probe_bundle /probe personality 8
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
     "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]},
    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30, "args": [{"index": 1, "value": 448, "valueTwo": 448, "op": "SCMP_CMP_MASKED_EQ"}]}]}'
  run_probe
  assert_eq "errno 13 Permission denied" "$stdout" "personality(8)"
  cfg '.process.args = ["/probe", "personality", "0"]'
  run_probe
  assert_eq "ok 0" "$stdout" "personality(0), which returns the previous one"
  # socket(AF_INET, SOCK_STREAM): both args match; AF_UNIX: the first does not.
  cfg '.process.args = ["/probe", "socket", "2"]'
  run_probe
  assert_eq "errno 97 Address family not supported by protocol" "$stdout"
  cfg '.process.args = ["/probe", "socket", "1"]'
  run_probe
  assert_eq "ok 3" "$stdout"
  # value is the mask, valueTwo what the masked arg must be: 0755 & 0700 == 0700.
  cfg '.process.args = ["/probe", "mkdir", "/tmp/m"]'
  run_probe
  assert_eq "errno 30 Read-only file system" "$stdout"
}

@test "args: two tests of the same argument are two rules, either of which matches (runc's reading)" {
  probe_bundle /probe personality 8
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
    {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
     "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 131072, "op": "SCMP_CMP_EQ"}]}]}'
  for v in 8 131072; do
    cfg '.process.args = ["/probe", "personality", $v]' --arg v "$v"
    run_probe
    assert_eq "errno 13 Permission denied" "$stdout" "personality($v)"
  done
  cfg '.process.args = ["/probe", "personality", "0"]'
  run_probe
  assert_status 0
}

# ---- architectures, flags, unknown names ------------------------------------

@test "architectures: a 32-bit call is killed unless its architecture is listed, and then filtered by name" {
  "$BATS_FILE_TMPDIR"/seccomp_probe i386-getpid >/dev/null || skip "this kernel runs no 32-bit x86 calls (int 0x80)"
  probe_bundle /probe i386-getpid
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77}]}'
  run_probe
  assert_eq 159 "$status" "an architecture the filter does not know is killed (SIGSYS)"
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77}]}'
  run_probe
  assert_eq "errno 77 File descriptor in bad state" "$stdout" "i386 getpid, filtered as getpid"
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]}'
  run_probe
  assert_status 0
  assert_eq "ok 1" "$stdout" "i386 getpid allowed: pid 1 in the container"
}

@test "flags: every flag of the spec is taken; SECCOMP_FILTER_FLAG_LOG logs a denied call to the kernel log" {
  probe_bundle /probe mkdir /tmp/f
  deny_mkdir SCMP_ACT_ERRNO
  cfg '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]'
  run_probe
  assert_eq "errno 1 Operation not permitted" "$stdout"
  grep -qw errno /proc/sys/kernel/seccomp/actions_logged || skip "errno is not in kernel.seccomp.actions_logged"
  dmesg >/dev/null 2>&1 || skip "cannot read the kernel log"
  for flags in '[]' '["SECCOMP_FILTER_FLAG_LOG"]'; do
    cfg '.linux.seccomp.flags = $f | .process.args = ["sh", "-c", "sleep 0.2; /probe mkdir /tmp/f"]' --argjson f "$flags"
    hk_create "$ID" "$BUNDLE"
    hrun hk start "$ID"
    wait_status "$ID" stopped
    hrun hk delete "$ID"
    # The probe is a child of the init: found by its name, counted before and after.
    logged=$(dmesg | grep "type=1326" | grep 'comm="probe"' | grep -c "syscall=83" || true)
    if [ "$flags" = '[]' ]; then before=$logged; else
      [ "$logged" -gt "$before" ] || { echo "no audit record of the denied mkdir with FLAG_LOG" >&2; return 1; }
    fi
  done
}

@test "names this libseccomp does not know are skipped, as runc does; the rest of the rule applies" {
  probe_bundle /probe mkdir /tmp/n
  seccomp '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_syscall_in_any_kernel", "mkdir"], "action": "SCMP_ACT_ERRNO"}]}'
  run_probe
  assert_eq "errno 1 Operation not permitted" "$stdout"
}

# ---- exec ------------------------------------------------------------------

@test "exec: the exec'd process gets the container's filter, with a process.json too" {
  probe_bundle sleep 100
  deny_mkdir SCMP_ACT_ERRNO '"errnoRet": 122'
  hk_create_start "$ID" "$BUNDLE"
  hrun hk exec "$ID" /probe mkdir /tmp/e
  assert_eq "errno 122 Disk quota exceeded" "$stdout"
  jq '.process | .args = ["/probe", "mkdir", "/tmp/e"]' "$BUNDLE/config.json" >"$T/process.json"
  hrun hk exec --process "$T/process.json" "$ID"
  assert_eq "errno 122 Disk quota exceeded" "$stdout"
  [ ! -e "$BUNDLE/rootfs/tmp/e" ]
}

# ---- notify ----------------------------------------------------------------

# start_listener ERRNO : the agent on $T/agent.sock, writing into $T/agent.
start_listener() {
  mkdir -p "$T/agent"
  bg "$BATS_FILE_TMPDIR/seccomp_listener" "$T/agent.sock" "$T/agent" "$1"
  wait_for 10 test -e "$T/agent/listening"
}

notify_mkdir() {
  seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$T/agent.sock\", \"listenerMetadata\": \"agent-meta\",
            \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
}

@test "notify: the listener gets the fd and the container process state, and its answer is what the process sees" {
  probe_bundle /probe mkdir /tmp/n
  notify_mkdir
  start_listener 0
  hk_create "$ID" "$BUNDLE"
  out=$T/hrun.$HRUN_N.out
  pid=$(state_of "$ID" pid)
  wait_for 10 test -e "$T/agent/fds.1"
  assert_eq $'1\nanon_inode:seccomp notify' "$(cat "$T/agent/fds.1")"
  s=$(cat "$T/agent/state.1.json")
  assert_eq '["seccompFd"]' "$(jq -c .fds <<<"$s")"
  assert_eq "$pid" "$(jq .pid <<<"$s")"
  assert_eq agent-meta "$(jq -r .metadata <<<"$s")"
  assert_eq "$ID" "$(jq -r .state.id <<<"$s")"
  assert_eq creating "$(jq -r .state.status <<<"$s")"
  assert_eq "$pid" "$(jq .state.pid <<<"$s")"
  assert_eq "$BUNDLE" "$(jq -r .state.bundle <<<"$s")"
  jq -e '.ociVersion | test("^1\\.")' <<<"$s" >/dev/null
  hrun hk start "$ID"
  wait_status "$ID" stopped
  # The agent said "success" without making the directory.
  assert_eq "ok 0" "$(cat "$out")"
  [ ! -e "$BUNDLE/rootfs/tmp/n" ]
  wait_for 5 grep -q "^nr=83 " "$T/agent/log.1"
  hrun hk delete "$ID"
  assert_status 0
  assert_nothing_left "$ID"
}

@test "notify: an errno from the listener, for the init and for an exec'd process (a connection each)" {
  probe_bundle sh -c '/probe mkdir /tmp/n; exec sleep 100'
  notify_mkdir
  start_listener 18
  hk_create_start "$ID" "$BUNDLE"
  out=$T/hrun.1.out
  wait_for 5 grep -q "errno 18" "$out"
  assert_eq "errno 18 Invalid cross-device link" "$(cat "$out")"
  hrun hk exec "$ID" /probe mkdir /tmp/e
  assert_eq "errno 18 Invalid cross-device link" "$stdout"
  s=$(cat "$T/agent/state.2.json")
  assert_eq running "$(jq -r .state.status <<<"$s")"
  assert_eq "$(state_of "$ID" pid)" "$(jq .state.pid <<<"$s")"
  [ "$(jq .pid <<<"$s")" != "$(jq .state.pid <<<"$s")" ] || { echo "exec's pid is the init's: $s" >&2; return 1; }
  [ ! -e "$BUNDLE/rootfs/tmp/e" ]
}

@test "notify: no listener at listenerPath fails create, with nothing left" {
  probe_bundle /probe mkdir /tmp/n
  notify_mkdir
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_failed_cleanly "agent.sock"
  ! is_husk || assert_contains "$stderr" "connect to seccomp listener $T/agent.sock: No such file or directory"
  assert_nothing_left "$ID"
}

# ---- bad profiles ------------------------------------------------------------

@test "bad profiles: unknown action, architecture, operator or flag, errnoRet on kill, notify without a listener: one clear error, exit 1, nothing left" {
  probe_bundle /probe mkdir /tmp/b
  local -a bad=(
    '{"defaultAction": "SCMP_ACT_SOMETIMES"}|linux.seccomp.defaultAction: unknown action "SCMP_ACT_SOMETIMES"'
    '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}|linux.seccomp.architectures: unknown architecture "SCMP_ARCH_Z80"'
    '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}|linux.seccomp.flags: unknown flag "SECCOMP_FILTER_FLAG_FAST"'
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}|linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_ABOUT"'
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}|linux.seccomp.syscalls[0].args[0].index: must be 0 to 5'
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}|linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL returns no errno'
    '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}|SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath'
  )
  for entry in "${bad[@]}"; do
    seccomp "${entry%%|*}"
    hrun hk create --bundle "$BUNDLE" "$ID"
    if is_husk; then
      assert_eq 1 "$status" "exit status for ${entry%%|*}"
      assert_failed_cleanly "${entry#*|}"
    else
      [ "$status" -ne 0 ] || { echo "accepted: ${entry%%|*}" >&2; return 1; }
    fi
    assert_nothing_left "$ID"
  done
}

# ---- features ----------------------------------------------------------------

@test "features: seccomp enabled, with the actions, operators, architectures and flags known" {
  hrun hk features
  assert_status 0
  sc=$(jq -c .linux.seccomp <<<"$stdout")
  assert_eq true "$(jq .enabled <<<"$sc")"
  for a in SCMP_ACT_ALLOW SCMP_ACT_ERRNO SCMP_ACT_KILL SCMP_ACT_KILL_PROCESS SCMP_ACT_KILL_THREAD SCMP_ACT_LOG SCMP_ACT_NOTIFY SCMP_ACT_TRACE SCMP_ACT_TRAP; do
    jq -e --arg a "$a" '.actions | index($a)' <<<"$sc" >/dev/null || { echo "action $a missing: $sc" >&2; return 1; }
  done
  assert_eq 7 "$(jq '.operators | length' <<<"$sc")"
  jq -e '.archs | index("SCMP_ARCH_X86_64") and index("SCMP_ARCH_AARCH64")' <<<"$sc" >/dev/null
  jq -e '.knownFlags | index("SECCOMP_FILTER_FLAG_LOG") and index("SECCOMP_FILTER_FLAG_SPEC_ALLOW")' <<<"$sc" >/dev/null
  jq -e '.supportedFlags | index("SECCOMP_FILTER_FLAG_LOG")' <<<"$sc" >/dev/null
}
