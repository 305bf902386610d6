#!/usr/bin/env bats
# podman (through conmon) driving the OCI runtime under test.
#
#   RUNTIME=/path/to/runtime bats tests/integration/podman.bats
#
# RUNTIME defaults to build/husk-runtime.  Every run uses --network none and
# an isolated podman (tests/lib/podman.bash); the file checks afterwards that
# no mount, cgroup or container process was left on the host.

load ../lib/fixtures
load ../lib/assert
load ../lib/podman
load ../lib/leakcheck

setup_file() {
  podman_file_setup || return 0
}

teardown_file() {
  podman_file_teardown
}

setup() {
  husk_check_skip_file
}

# Every test starts and ends with no containers, pass or fail.
teardown() {
  hpodman rm --all --force --time 0 >/dev/null 2>&1 || true
}

# prun ARGS... : `podman run --network none ARGS...`
prun() {
  hpodman run --network none "$@"
}

@test "podman: run --rm echo prints its output" {
  run prun --rm "$PODMAN_IMAGE" echo hello
  assert_status 0
  assert_output "hello"
}

@test "podman: run --rm propagates the exit code" {
  run prun --rm "$PODMAN_IMAGE" sh -c 'exit 3'
  assert_status 3
  assert_output ""
}

@test "podman: stdin is passed through with -i" {
  _cat_stdin() { printf 'line1\nline2\n' | prun --rm -i "$PODMAN_IMAGE" cat; }
  run _cat_stdin
  assert_status 0
  assert_output $'line1\nline2'
}

@test "podman: stdout and stderr are both delivered" {
  run prun --rm "$PODMAN_IMAGE" sh -c 'echo out; echo err >&2'
  assert_status 0
  # Order between the two streams is not guaranteed.
  [[ $output == *out* && $output == *err* ]] || {
    echo "missing stream in: $output" >&2
    return 1
  }
}

@test "podman: the command is PID 1 of a new pid namespace" {
  # Builtins only: `sh -c '...; cat x'` would exec cat as PID 1.
  run prun --rm "$PODMAN_IMAGE" sh -c 'echo $$; read -r c </proc/1/comm; echo "$c"'
  assert_status 0
  assert_output $'1\nsh'
  # The process podman was asked to run is PID 1 itself, not a child of some
  # init the runtime inserted.
  _pid1_cmdline() { prun --rm "$PODMAN_IMAGE" cat /proc/1/cmdline | tr '\0' ' '; }
  run _pid1_cmdline
  assert_status 0
  assert_output "cat /proc/1/cmdline "
}

@test "podman: hostname is the container's (default id, --hostname)" {
  local name
  name=$(husk_unique_name hn)
  run prun --name "$name" "$PODMAN_IMAGE" hostname
  assert_status 0
  local id
  id=$(hpodman inspect --format '{{.Id}}' "$name")
  assert_output "${id:0:12}"
  [ "$output" != "$(hostname)" ]

  run prun --rm --hostname husk-test-host "$PODMAN_IMAGE" sh -c 'hostname; cat /proc/sys/kernel/hostname'
  assert_status 0
  assert_output $'husk-test-host\nhusk-test-host'
}

@test "podman: -t gives the process a terminal" {
  # stdin from /dev/null: podman -t without -i does not need a tty on our side.
  run prun --rm -t "$PODMAN_IMAGE" tty </dev/null
  assert_status 0
  assert_output "/dev/pts/0"
  # ...and the runtime propagates the exit code with a terminal as well.
  run prun --rm -t "$PODMAN_IMAGE" sh -c 'exit 4' </dev/null
  assert_status 4
}

@test "podman: run -d, exec output and exit code, ps" {
  local name
  name=$(husk_unique_name det)
  run prun -d --name "$name" "$PODMAN_IMAGE" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
  assert_status 0
  assert_match '^[0-9a-f]{64}$' "$output" "container id"

  run hpodman inspect --format '{{.State.Status}}' "$name"
  assert_output "running"
  run hpodman ps --filter "name=^$name\$" --format '{{.Names}}'
  assert_status 0
  assert_output "$name"

  run hpodman exec "$name" echo hi from exec
  assert_status 0
  assert_output "hi from exec"

  run hpodman exec "$name" sh -c 'exit 5'
  assert_status 5

  # exec'd processes join the container's pid namespace, PID 1 is the init.
  run hpodman exec "$name" sh -c 'cat /proc/1/comm; ps -o pid,comm | awk "\$1==1 {print \$2}"'
  assert_status 0
  assert_output $'sh\nsh'

  # exec with a terminal: the runtime gets --console-socket for exec too.
  run hpodman exec -t "$name" sh -c 'tty; exit 6' </dev/null
  assert_status 6
  assert_output "/dev/pts/0"

  run hpodman exec "$name" hostname
  assert_output "$(hpodman inspect --format '{{.Config.Hostname}}' "$name")"

  # podman top reads the container's processes from the host.
  run hpodman top "$name" pid comm
  assert_status 0
  assert_match $'\n1 +sh' "$output" "podman top"
}

@test "podman: stop delivers SIGTERM and records the exit code" {
  local name
  name=$(husk_unique_name stop)
  prun -d --name "$name" "$PODMAN_IMAGE" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
  run hpodman stop --time 10 "$name"
  assert_status 0
  run hpodman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
  assert_output "exited 7"
  run hpodman rm "$name"
  assert_status 0
  run hpodman ps --all --quiet --filter "name=^$name\$"
  assert_output ""
}

@test "podman: stop escalates to SIGKILL when SIGTERM is ignored" {
  local name
  name=$(husk_unique_name stopk)
  # PID 1 without a TERM handler ignores SIGTERM.
  prun -d --name "$name" "$PODMAN_IMAGE" sleep 1000
  run hpodman stop --time 1 "$name"
  assert_status 0
  run hpodman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
  assert_output "exited 137"
}

@test "podman: kill sends the given signal" {
  local name
  name=$(husk_unique_name kill)
  prun -d --name "$name" "$PODMAN_IMAGE" sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done'
  run hpodman kill --signal USR1 "$name"
  assert_status 0
  run hpodman wait "$name"
  assert_output "9"

  # restart the same container (create+start again), then SIGKILL it.
  run hpodman start "$name"
  assert_status 0
  run hpodman kill "$name"   # default signal: KILL
  assert_status 0
  run hpodman wait "$name"
  assert_output "137"
  run hpodman rm "$name"
  assert_status 0
  run hpodman container exists "$name"
  assert_status 1
}

@test "podman: pause and unpause" {
  local name
  name=$(husk_unique_name pause)
  prun -d --name "$name" "$PODMAN_IMAGE" sleep 1000
  run hpodman pause "$name"
  assert_status 0
  run hpodman inspect --format '{{.State.Status}}' "$name"
  assert_output "paused"
  run hpodman unpause "$name"
  assert_status 0
  run hpodman exec "$name" echo alive
  assert_output "alive"
}

@test "podman: ulimits from containers.conf reach the process" {
  run prun --rm "$PODMAN_IMAGE" sh -c 'ulimit -n; ulimit -Hn'
  assert_status 0
  assert_output $'20000\n20000'
}

@test "podman: rm --force removes a running container" {
  local name
  name=$(husk_unique_name rmf)
  prun -d --name "$name" "$PODMAN_IMAGE" sleep 1000
  run hpodman rm --force --time 0 "$name"
  assert_status 0
  run hpodman container exists "$name"
  assert_status 1
}
