#!/usr/bin/env bats
# husk run / ps / rm: containers from images, run in the foreground by the
# runtime library inside husk, with docker's exit codes; nothing left behind.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-engine; }

teardown() { engine_teardown; }

hrun() { h run "$@"; }
hps() { h ps "$@"; }
hrm() { h rm "$@"; }

# No container dir, mount, runtime state or cgroup of container ID remains.
assert_container_gone() {
  local id=$1
  [ ! -e "$R/containers/$id" ] || { echo "containers/$id remains" >&2; return 1; }
  [ -z "$(_husk_mounts_under "$R")" ] || { echo "mounts remain: $(_husk_mounts_under "$R")" >&2; return 1; }
  [ ! -e "$RUNROOT/$id" ] || { echo "runtime state of $id remains" >&2; return 1; }
  [ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id" 2>/dev/null)" ] || { echo "cgroup of $id remains" >&2; return 1; }
}

@test "engine: husk run --rm runs the default image offline as PID 1 with its own hostname, and leaves nothing" {
  run hrun --rm busybox sh -c 'echo pid=$$ host=$(hostname); ls /proc | grep -c "^[0-9]"'
  assert_status 0
  assert_match '^pid=1 host=[0-9a-f]{12}$' "${lines[0]}" "PID 1, the id as hostname"
  assert_eq "$(hostname)" "$(hostname)"
  [ "${lines[0]#*host=}" != "$(hostname)" ]
  assert_eq "" "$(ls -A "$R/containers")" "container dirs"
  [ -z "$(_husk_mounts_under "$R")" ]
  assert_eq "" "$(container_states "$RUNROOT")" "runtime state"
}

@test "engine: exit codes as docker's: the process's own, 128+signal, 127 not found, 126 not executable, 125 husk's" {
  run hrun --rm busybox sh -c 'exit 3'
  assert_status 3
  # 128+N for a process killed by signal N (a pid namespace's init ignores
  # signals it has no handler for, so the kill comes from the host).
  hrun --rm busybox sleep 1000 3>&- >"$T/killed.out" 2>&1 &
  runpid=$!
  wait_for 10 sh -c "ls '$RUNROOT' 2>/dev/null | grep -q ."
  id=$(ls "$RUNROOT")
  wait_for 10 sh -c "\"$RUNTIME_BIN\" --root '$RUNROOT' state $id | jq -e '.status == \"running\"' >/dev/null"
  kill -KILL "$("$RUNTIME_BIN" --root "$RUNROOT" state "$id" | jq -r .pid)"
  rc=0
  wait "$runpid" || rc=$?
  assert_eq 137 "$rc" "exit code of a container killed by SIGKILL"
  run -127 hrun --rm busybox nosuchcommand
  assert_status 127
  assert_match 'nosuchcommand' "$output"
  run -126 hrun --rm busybox /etc/passwd
  assert_status 126
  run hrun --rm 'Bad/Image'
  assert_status 125
  assert_match 'invalid reference format' "$output"
  run hrun --rm --name x busybox true
  assert_status 125
  assert_match 'invalid container name' "$output"
  assert_eq "" "$(ls -A "$R/containers")" "nothing left by any of them"
}

@test "engine: -e, -w, -u, -h and --entrypoint reach the process" {
  run hrun --rm -e GREETING=hi -e PATH=/bin -w /tmp -u nobody -h box --entrypoint /bin/sh busybox \
    -c 'echo $GREETING $PATH $PWD $(id -u):$(id -g) $(hostname)'
  assert_status 0
  assert_eq "hi /bin /tmp 65534:65534 box" "$output"
}

@test "engine: an exited container stays for ps -a until rm; names are unique; rm -f stops a running one" {
  run hrun --name first busybox sh -c 'echo out; exit 4'
  assert_status 4
  assert_eq "out" "$output"
  id=$(hps -a --no-trunc --format json | jq -r 'select(.Names == "first") | .ID')
  assert_match '^[0-9a-f]{64}$' "$id" "the id"
  assert_match '^exited Exited \(4\) ' "$(hps -a --format json | jq -rs '.[0] | "\(.State) \(.Status)"')" "state"
  assert_eq "" "$(hps -q)" "ps without -a: nothing running"
  # Its writes stay (the upper dir), its mount does not.
  [ -z "$(_husk_mounts_under "$R")" ]
  run hrun --name first busybox true
  assert_status 125
  assert_match 'already in use' "$output"
  run hrm first
  assert_status 0
  assert_container_gone "$id"
  run hrm first
  assert_status 1
  assert_match 'no such container' "$output"
  # A running one: rm refuses, rm -f kills it.
  hrun --name sleeper busybox sleep 1000 3>&- >/dev/null 2>&1 &
  runpid=$!
  wait_for 10 sh -c "\"$HUSK\" --root \"$R\" --runroot \"$RUNROOT\" ps -q | grep -q ."
  run hrm sleeper
  assert_status 1
  assert_match 'running' "$output"
  sid=$(hps --no-trunc --format json | jq -rs '.[0].ID')
  run hrm -f sleeper
  assert_status 0
  wait "$runpid" || true
  assert_container_gone "$sid"
}

@test "engine: rm -f waits for the monitor to record the end, so it never races its writes (8 rounds)" {
  for i in 1 2 3 4 5 6 7 8; do
    id=$(h run -d busybox sh -c 'while :; do echo tick; done')
    mpid=$(cat "$R/containers/$id/monitor.pid")
    assert_eq husk-monitor "$(cat "/proc/$mpid/comm")"
    run hrm -f "$id"
    assert_status 0
    assert_container_gone "$id"
    wait_for 5 sh -c "! kill -0 $mpid 2>/dev/null"
  done
}

@test "engine: a container that could reach husk's binary (--cap-add SYS_PTRACE, --privileged, --pid=host) runs once, from a read-only view of it" {
  for flags in "--cap-add SYS_PTRACE" --privileged "--pid=host"; do
    # shellcheck disable=SC2086
    run hrun --rm $flags busybox sh -c 'echo ran'
    assert_status 0
    assert_eq "ran" "$output" "one run with $flags"
    assert_eq "" "$(ls -A "$R/containers")" "nothing left after --rm with $flags"
    # shellcheck disable=SC2086
    id=$(h run -d $flags busybox sleep 100)
    assert_eq 1 "$(h ps -q | wc -l)" "one container with $flags"
    # The monitor that created it runs from the protected view, not the file.
    mpid=$(cat "$R/containers/$id/monitor.pid")
    assert_eq "$(dirname "$HUSK")/husk-monitor" "$(readlink /proc/$mpid/exe)"
    run hrm -f "$id"
    assert_status 0
    assert_container_gone "$id"
  done
  [ -z "$(_husk_mounts_under "$R")" ]
}

@test "engine: run -d keeps running after husk exits; logs, stop (SIGTERM then SIGKILL), wait give its output and code" {
  run hrun -d --name web busybox sh -c 'echo started; trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done'
  assert_status 0
  id=$output
  assert_match '^[0-9a-f]{64}$' "$id" "run -d prints the id"
  assert_eq "$id" "$(hps --no-trunc --format json | jq -rs '.[0].ID')" "running"
  wait_for 10 sh -c "\"$HUSK\" --root \"$R\" logs web | grep -q started"
  # The shell traps TERM: stop ends it with the trap's code, before the timeout.
  start=$SECONDS
  run "$HUSK" --root "$R" --runroot "$RUNROOT" stop -t 20 web
  assert_status 0
  [ $((SECONDS - start)) -lt 15 ] || { echo "stop waited for the timeout" >&2; false; }
  run "$HUSK" --root "$R" --runroot "$RUNROOT" wait web
  assert_eq 7 "$output" "wait prints the exit code"
  run "$HUSK" --root "$R" logs web
  assert_eq "started"$'\n'"got TERM" "$output" "the log"
  [ -z "$(_husk_mounts_under "$R")" ]
  assert_eq "" "$(container_states "$RUNROOT")" "runtime state"
  # A process that ignores TERM gets KILL after -t.
  hrun -d --name stubborn busybox sleep 1000 >/dev/null
  run "$HUSK" --root "$R" --runroot "$RUNROOT" stop -t 1 stubborn
  assert_status 0
  assert_eq 137 "$("$HUSK" --root "$R" --runroot "$RUNROOT" wait stubborn)" "SIGKILL after the timeout"
  hrm web stubborn
  assert_eq "" "$(ls -A "$R/containers")" "removed"
}

@test "engine: run -d of a command that cannot start fails with its code at once; --rm -d cleans up after the exit" {
  run -127 hrun -d --name failed busybox nosuchcommand
  assert_match 'nosuchcommand' "$output"
  assert_eq 1 "$(grep -c nosuchcommand <<<"$output")" "the error is said once"
  # start, detached or attached, fails with the same code and says it once.
  run -127 h start failed
  assert_eq 1 "$(grep -c nosuchcommand <<<"$output")" "start: the error is said once"
  run -127 h start -a failed
  assert_eq 1 "$(grep -c nosuchcommand <<<"$output")" "start -a: the error is said once"
  run hrun -d --rm --name brief busybox sh -c 'sleep 0.5'
  assert_status 0
  wait_for 20 sh -c "! \"$HUSK\" --root \"$R\" --runroot \"$RUNROOT\" ps -a --format json | grep -q brief"
  assert_eq 1 "$(ls "$R/containers" | wc -l)" "only the failed container (no --rm) stays"
  [ -z "$(_husk_mounts_under "$R")" ]
  assert_eq "" "$(container_states "$RUNROOT")" "runtime state"
}

state_of() { h ps -a --format '{{.Names}} {{.State}}' | awk -v n="$1" '$1 == n { print $2 }'; }

@test "engine: create, start, restart, kill, rename, pause and unpause; the writable layer survives a restart" {
  run h create --name life busybox sh -c 'echo run >>/runs; trap "exit 9" TERM; while :; do sleep 0.1; done'
  assert_status 0
  id=$output
  assert_match '^[0-9a-f]{64}$' "$id" "create prints the id"
  assert_eq created "$(state_of life)" "created, not running"
  assert_eq "" "$(container_states "$RUNROOT")" "nothing in the runtime yet"
  run h start life
  assert_status 0
  assert_eq life "$output"
  wait_for 10 sh -c "[ \"\$(\"$HUSK\" --root \"$R\" --runroot \"$RUNROOT\" ps --format '{{.State}}')\" = running ]"
  run h pause life
  assert_status 0
  assert_eq paused "$(state_of life)"
  pid=$("$RUNTIME_BIN" --root "$RUNROOT" state "$id" | jq -r .pid)
  assert_match '^[DT]' "$(ps -o stat= -p "$pid")" "the init is frozen"
  run h pause life
  assert_status 1
  assert_match 'not running' "$output"
  run h unpause life
  assert_status 0
  assert_eq running "$(state_of life)"
  run h restart -t 5 life
  assert_status 0
  wait_for 10 sh -c "[ \"\$(\"$HUSK\" --root \"$R\" --runroot \"$RUNROOT\" ps --format '{{.State}}')\" = running ]"
  [ "$("$RUNTIME_BIN" --root "$RUNROOT" state "$id" | jq -r .pid)" != "$pid" ] || { echo "restart kept the same process" >&2; false; }
  run h rename life life2
  assert_status 0
  assert_eq running "$(state_of life2)" "renamed while running"
  run h kill -s TERM life2
  assert_status 0
  assert_eq 9 "$(h wait life2)" "the TERM trap's code"
  # Both runs wrote to the same upper dir.
  assert_eq 2 "$(grep -c run "$R/containers/$id/upper/runs")" "the writable layer across restarts"
  run h kill life2
  assert_status 1
  assert_match 'not running' "$output"
  h rm life2
  assert_container_gone "$id"
}

@test "engine: start -a attaches and returns the exit code; --env-file and -e KEY from husk's environment" {
  printf '# comment\nFROM_FILE=1\nSHARED=file\n\n' >"$T/env"
  h create --name once --env-file "$T/env" -e SHARED=flag -e MYVAR -e UNSET_VAR busybox \
    sh -c 'echo "$FROM_FILE $SHARED $MYVAR ${UNSET_VAR-unset}"; exit 5' >/dev/null
  MYVAR=fromhost run h start -a once
  assert_status 5
  assert_eq "1 flag  unset" "$output" "MYVAR was resolved at create, where it was unset"
  MYVAR=fromhost run h run --rm --env-file "$T/env" -e MYVAR busybox sh -c 'echo $FROM_FILE $MYVAR'
  assert_status 0
  assert_eq "1 fromhost" "$output"
  printf 'BAD VAR=1\n' >"$T/bad"
  run h run --rm --env-file "$T/bad" busybox true
  assert_status 125
  assert_match 'contains whitespaces' "$output"
  run h run --rm --env-file "$T/nosuch" busybox true
  assert_status 125
  assert_match 'env-file' "$output"
  h rm once >/dev/null
  assert_eq "" "$(ls -A "$R/containers")" "nothing left"
}

@test "engine: bad input is one clear message with docker's exit code and leaves nothing" {
  run h run --no-such-flag busybox true
  assert_status 125
  assert_match 'unknown flag: --no-such-flag' "$output"
  run h run -Z busybox true
  assert_status 125
  assert_match "unknown shorthand flag: 'Z'" "$output"
  run h run --rm 127.0.0.1:1/no/such:image true
  assert_status 125
  assert_match 'no/such' "$output"
  run h run --stop-signal SIGNOPE --rm busybox true
  assert_status 125
  assert_match 'stop-signal' "$output"
  run h start nosuch
  assert_status 1
  assert_match 'no such container: nosuch' "$output"
  run h kill -s NOPE nosuch
  assert_status 1
  assert_match 'invalid signal' "$output"
  h create --name taken busybox true >/dev/null
  run h create --name taken busybox true
  assert_status 125
  assert_match 'already in use' "$output"
  run h rename taken 'bad name'
  assert_status 1
  assert_match 'invalid container name' "$output"
  h rm taken >/dev/null
  assert_eq "" "$(ls -A "$R/containers")" "nothing left"
  [ -z "$(_husk_mounts_under "$R")" ]
  assert_eq "" "$(container_states "$RUNROOT")" "runtime state"
}

@test "engine: a container's process holds docker's default capability set, none inheritable" {
  run h run --rm busybox sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd)" /proc/self/status'
  assert_status 0
  # chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service
  # net_raw sys_chroot mknod audit_write setfcap: docker's 0xa80425fb.
  assert_eq $'CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb' "$output"
  run h run --rm -u nobody busybox grep CapEff /proc/self/status
  assert_eq $'CapEff:\t0000000000000000' "$output" "a non-root user has none effective"
}

@test "engine: after a reboot-style loss of /run (monitor, processes, mounts and runtime state gone), ps -a shows it exited and rm works" {
  h run -d --name survivor busybox sleep 1000 >/dev/null
  id=$(h ps --no-trunc --format '{{.ID}}')
  # What a reboot takes: every process (the monitor first, so nothing
  # records an exit), the cgroups and /run, and the mounts.
  husk_kill_procs_mentioning "$R"
  "$RUNTIME_BIN" --root "$RUNROOT" delete --force "$id"
  husk_unmount_under "$R"
  # Its kept network namespace (a mount under /run) goes too.
  husk_unmount_under "$RUNROOT"
  rm -rf "$RUNROOT"
  assert_eq "exited" "$(state_of survivor)" "ps -a"
  assert_match 'Exited \(unknown\)' "$(h ps -a --format '{{.Status}}')"
  assert_eq "" "$(h ps -q)" "not running"
  run h wait survivor
  assert_status 1
  assert_match 'without a recorded exit code' "$output"
  # It can run again, and be removed.
  run h start survivor
  assert_status 0
  assert_eq running "$(state_of survivor)"
  run h rm -f survivor
  assert_status 0
  assert_container_gone "$id"
}
