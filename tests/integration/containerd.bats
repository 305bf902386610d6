#!/usr/bin/env bats
# containerd (ctr -> containerd -> containerd-shim-runc-v2) driving the OCI
# runtime under test via `ctr run --runc-binary "$RUNTIME"`.
#
#   RUNTIME=/path/to/runtime bats tests/integration/containerd.bats
#
# RUNTIME defaults to build/husk-runtime.  A private containerd is started for
# the file (tests/lib/containerd.bash); afterwards the file checks that no
# mount, cgroup, shim or container process was left on the host.

load ../lib/fixtures
load ../lib/assert
load ../lib/containerd
load ../lib/leakcheck

setup_file() {
  husk_require_runtime || return 0
  local p
  for p in containerd ctr containerd-shim-runc-v2; do
    command -v "$p" >/dev/null || { husk_skip_file "$p not installed (scripts/install-deps.sh)"; return 0; }
  done
  export HUSK_LEAK_SNAPSHOT="$BATS_FILE_TMPDIR/leak.before"
  leakcheck_snapshot "$HUSK_LEAK_SNAPSHOT"
  containerd_setup
}

teardown_file() {
  containerd_teardown
  [ -z "${HUSK_LEAK_SNAPSHOT:-}" ] || leakcheck_compare "$HUSK_LEAK_SNAPSHOT"
}

setup() {
  husk_check_skip_file
}

# Every test starts and ends with no tasks or containers, pass or fail.
teardown() {
  containerd_remove_all
}

# ctr run / ctr task exec always forward ctr's stdin into the process, and
# in bats that stdin is bats' own: without </dev/null a test would swallow it
# (and hang or truncate the run).
ctr_run() { hctr_run "$@" </dev/null; }
ctr_exec() { hctr_exec "$@" </dev/null; }

# task_status ID -> RUNNING / STOPPED / PAUSED / ... from `ctr task ls`
task_status() {
  hctr task ls | awk -v id="$1" '$1 == id { print $3 }'
}

# task_status_is ID STATUS (for wait_for, which re-runs it)
task_status_is() {
  [ "$(task_status "$1")" = "$2" ]
}

@test "containerd: run --rm echo prints its output" {
  local id
  id=$(husk_unique_name echo)
  run ctr_run --rm "$CONTAINERD_IMAGE" "$id" echo hi
  assert_status 0
  assert_output "hi"
  # --rm removed the container and its task.
  run hctr container ls -q
  assert_output ""
}

@test "containerd: run --rm propagates the exit code" {
  local id
  id=$(husk_unique_name exit)
  run ctr_run --rm "$CONTAINERD_IMAGE" "$id" sh -c 'exit 3'
  assert_status 3
}

@test "containerd: the command is PID 1 of a new pid namespace" {
  local id
  id=$(husk_unique_name pid1)
  # Builtins only, so sh is not exec-replaced by a last external command.
  run ctr_run --rm "$CONTAINERD_IMAGE" "$id" sh -c 'echo $$; read -r c </proc/1/comm; echo "$c"'
  assert_status 0
  assert_output $'1\nsh'
}

@test "containerd: stdin is passed through" {
  local id
  id=$(husk_unique_name stdin)
  # The delay is for ctr, not the runtime: ctr 1.6 closes the task's stdin
  # (CloseIO) when its own stdin hits EOF, and if that happens before the
  # task has started the close is lost and `cat` waits forever.
  _cat_stdin() { { sleep 1; printf 'a\nb\n'; } | hctr_run --rm "$CONTAINERD_IMAGE" "$id" cat; }
  run _cat_stdin
  assert_status 0
  assert_output $'a\nb'
}

@test "containerd: run -t gives the process a terminal" {
  local id
  id=$(husk_unique_name tty)
  # ctr -t insists on its own stdin being a console: husk_with_pty gives it
  # one.  --foreground: else timeout moves ctr out of the terminal's
  # foreground process group and ctr stops on SIGTTOU when it sets it raw.
  run husk_with_pty timeout --foreground -s KILL "${HUSK_PEER_TIMEOUT:-120}" \
    ctr --address "$CONTAINERD_ADDRESS" --namespace "$CONTAINERD_NAMESPACE" \
    run --runc-binary "$CONTAINERD_RUNTIME" --runc-root "$CONTAINERD_TMP/runtime-root" \
    --fifo-dir "$CONTAINERD_TMP/fifo" --rm -t "$CONTAINERD_IMAGE" "$id" \
    sh -c 'tty; exit 4'
  assert_status 4
  assert_output "/dev/pts/0"
}

@test "containerd: run -d, task exec output and exit code, task ps" {
  local id
  id=$(husk_unique_name det)
  run ctr_run -d "$CONTAINERD_IMAGE" "$id" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
  assert_status 0
  assert_eq RUNNING "$(task_status "$id")" "task status"

  run ctr_exec --exec-id e1 "$id" sh -c 'echo from exec'
  assert_status 0
  assert_output "from exec"

  run ctr_exec --exec-id e2 "$id" sh -c 'exit 5'
  assert_status 5

  # exec'd process joins the pid namespace: PID 1 is the container's sh.
  run ctr_exec --exec-id e3 "$id" sh -c 'read -r c </proc/1/comm; echo "$c"; echo $$'
  assert_status 0
  [ "${lines[0]}" = sh ] && [ "${lines[1]}" != 1 ] || {
    echo "unexpected exec view of pid 1: $output" >&2
    return 1
  }

  # The same exec id may be reused once the previous one is gone.
  run ctr_exec --exec-id e1 "$id" true
  assert_status 0

  # task ps lists the init (host pid == task pid) plus the sleep child.
  local pid
  pid=$(hctr task ls | awk -v id="$id" '$1 == id { print $2 }')
  run hctr task ps "$id"
  assert_status 0
  local pids
  pids=$(printf '%s\n' "${lines[@]:1}" | awk '{ print $1 }')
  grep -qx "$pid" <<<"$pids" || {
    printf 'task ps lacks init pid %s:\n%s\n' "$pid" "$output" >&2
    return 1
  }
  [ "$(wc -l <<<"$pids")" -ge 2 ] || {
    printf 'task ps should list init and its child:\n%s\n' "$output" >&2
    return 1
  }
}

@test "containerd: task kill (SIGTERM), ls shows STOPPED, delete, container rm" {
  local id
  id=$(husk_unique_name kill)
  ctr_run -d "$CONTAINERD_IMAGE" "$id" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
  assert_eq RUNNING "$(task_status "$id")" "task status"

  run hctr task kill "$id"
  assert_status 0
  wait_for 10 task_status_is "$id" STOPPED || {
    echo "task did not stop: $(hctr task ls)" >&2
    return 1
  }
  run hctr task delete "$id"
  assert_status 0
  # ctr reports a non-zero exit status of the deleted task on stderr.
  assert_match "exit code 7" "$output" "task delete"
  run hctr task ls -q
  assert_output ""

  run hctr container rm "$id"
  assert_status 0
  run hctr container ls -q
  assert_output ""
}

@test "containerd: task kill --all -s SIGKILL stops init and its children" {
  local id
  id=$(husk_unique_name killall)
  ctr_run -d "$CONTAINERD_IMAGE" "$id" sh -c 'sleep 1000 & sleep 1000 & wait'
  run hctr task kill --all --signal SIGKILL "$id"
  assert_status 0
  wait_for 10 task_status_is "$id" STOPPED || {
    echo "task did not stop: $(hctr task ls)" >&2
    return 1
  }
  run hctr task delete "$id"
  assert_status 0
  assert_match "exit code 137" "$output" "task delete"
}

@test "containerd: task pause and resume" {
  local id
  id=$(husk_unique_name pause)
  ctr_run -d "$CONTAINERD_IMAGE" "$id" sleep 1000
  run hctr task pause "$id"
  assert_status 0
  assert_eq PAUSED "$(task_status "$id")" "task status"
  run hctr task resume "$id"
  assert_status 0
  assert_eq RUNNING "$(task_status "$id")" "task status"
  run ctr_exec --exec-id alive "$id" echo alive
  assert_output "alive"
}

@test "containerd: task delete --force removes a running task" {
  local id
  id=$(husk_unique_name delf)
  ctr_run -d "$CONTAINERD_IMAGE" "$id" sleep 1000
  run hctr task delete --force "$id"
  assert_status 0
  run hctr task ls -q
  assert_output ""
  run hctr container rm "$id"
  assert_status 0
}
