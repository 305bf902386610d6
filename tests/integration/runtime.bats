#!/usr/bin/env bats
# husk-runtime driven directly through its runc-compatible command line:
# run, the create/start/state/list/ps/kill/delete lifecycle, exec, terminals,
# fd hygiene, spec and features.
#
#   bats tests/integration/runtime.bats           # build/husk-runtime
#   RUNTIME=/usr/sbin/runc bats tests/integration/runtime.bats
#
# Every test has its own --root, container ids and cgroup parent, and
# teardown removes all of it (runtime_common.bash); the file checks at the
# end that no mount, cgroup or container process was left on the host.

load runtime_common

setup_file() {
  common_setup_file
  write_console_receiver
}

# ---- run -------------------------------------------------------------------

@test "run: echo hello prints hello and the container is gone afterwards" {
  mkbundle "$BUNDLE" echo hello
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_eq "hello" "$stdout" stdout
  assert_eq "" "$stderr" stderr
  # A foreground run deletes the container once its process exits.
  hrun hk state "$ID"
  [ "$status" -ne 0 ]
  assert_nothing_left "$ID"
}

@test "run: the exit code of the container process propagates" {
  mkbundle "$BUNDLE" sh -c 'exit 7'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 7
  assert_output ""
  assert_nothing_left "$ID"
}

@test "run: stdin is passed through to the container process" {
  mkbundle "$BUNDLE" sh -c 'read -r a; read -r b; echo "[$b][$a]"'
  run bash -c 'printf "one\ntwo\n" | "$0" --root "$1" run --bundle "$2" "$3"' "$HUSK" "$ROOT" "$BUNDLE" "$ID"
  assert_status 0
  assert_output "[two][one]"
}

@test "run: a process killed by SIGKILL gives 137 (no pid namespace, kill -9 \$\$ from inside)" {
  # In a pid namespace the kernel drops SIGKILL that PID 1 sends itself, so
  # this variant shares the host pid namespace.
  mkbundle "$BUNDLE" sh -c 'kill -9 $$; echo survived'
  cfg '.linux.namespaces |= map(select(.type != "pid"))'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 137
  assert_eq "" "$stdout" stdout
  assert_nothing_left "$ID"
}

@test "run: a container init killed by SIGKILL from the host gives 137" {
  mkbundle "$BUNDLE" sleep 1000
  bg bash -c '"$0" --root "$1" run --pid-file "$2" --bundle "$3" "$4" >"$5" 2>&1 </dev/null; echo $? >"$6"' \
    "$HUSK" "$ROOT" "$T/pid" "$BUNDLE" "$ID" "$T/run.out" "$T/run.rc"
  wait_for 10 test -s "$T/pid"
  pid=$(cat "$T/pid")
  assert_eq "sleep" "$(cat "/proc/$pid/comm")" "comm of pid-file process"
  kill -KILL "$pid"
  wait_for 10 test -s "$T/run.rc"
  assert_eq 137 "$(cat "$T/run.rc")" "run exit code"
  assert_eq "" "$(cat "$T/run.out")" "run output"
  assert_nothing_left "$ID"
}

@test "run: while a foreground run waits, state, kill and delete --force from another command work on it" {
  mkbundle "$BUNDLE" sleep 1000
  bg bash -c '"$0" --root "$1" run --pid-file "$2" --bundle "$3" "$4" >"$5" 2>&1 </dev/null; echo $? >"$6"' \
    "$HUSK" "$ROOT" "$T/pid" "$BUNDLE" "$ID" "$T/run.out" "$T/run.rc"
  wait_for 10 test -s "$T/pid"
  assert_eq running "$(timeout 10 "$HUSK" --root "$ROOT" state "$ID" | jq -r .status)" "state while run waits"
  # (SIGKILL: a pid namespace's init ignores signals it has no handler for.)
  timeout 10 "$HUSK" --root "$ROOT" kill "$ID" KILL
  wait_for 10 test -s "$T/run.rc"
  assert_eq 137 "$(cat "$T/run.rc")" "run's exit code after a kill from elsewhere"
  assert_nothing_left "$ID"
  # And delete --force of a running foreground container.
  : >"$T/pid"
  rm -f "$T/run.rc"
  bg bash -c '"$0" --root "$1" run --pid-file "$2" --bundle "$3" "$4" >"$5" 2>&1 </dev/null; echo $? >"$6"' \
    "$HUSK" "$ROOT" "$T/pid" "$BUNDLE" "$ID" "$T/run.out" "$T/run.rc"
  wait_for 10 test -s "$T/pid"
  timeout 10 "$HUSK" --root "$ROOT" delete --force "$ID"
  wait_for 10 test -s "$T/run.rc"
  assert_eq 137 "$(cat "$T/run.rc")" "run's exit code after delete --force"
  assert_nothing_left "$ID"
}

@test "run -d: detaches, the container keeps running until killed" {
  mkbundle "$BUNDLE" sleep 1000
  hrun hk run -d --pid-file "$T/pid" --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_eq running "$(state_of "$ID" status)" status
  pid=$(state_of "$ID" pid)
  assert_eq "$pid" "$(cat "$T/pid")" "pid file"
  kill -0 "$pid"
  hrun hk kill "$ID" KILL
  assert_status 0
  wait_status "$ID" stopped
  hrun hk delete "$ID"
  assert_status 0
  assert_nothing_left "$ID"
}

# ---- create / start / state / list / ps / delete ---------------------------

@test "create/start: the process runs only at start; state, list, ps, pid-file follow" {
  mkdir "$T/out"
  mkbundle "$BUNDLE" sh -c 'echo started >/out/marker; while [ ! -e /out/go ]; do sleep 0.05; done'
  add_mount_at "$BUNDLE" "{\"destination\":\"/out\",\"type\":\"bind\",\"source\":\"$T/out\",\"options\":[\"rbind\",\"rw\"]}"

  hrun hk create --bundle "$BUNDLE" --pid-file "$T/pid" "$ID"
  assert_status 0
  hrun hk state "$ID"
  assert_status 0
  assert_eq created "$(jq -r .status <<<"$stdout")" status
  assert_eq "$ID" "$(jq -r .id <<<"$stdout")" id
  assert_eq "$BUNDLE" "$(jq -r .bundle <<<"$stdout")" bundle
  [ -n "$(jq -r .ociVersion <<<"$stdout")" ]
  pid=$(jq -r .pid <<<"$stdout")
  [ "$pid" -gt 0 ]
  kill -0 "$pid"
  assert_eq "$pid" "$(cat "$T/pid")" "pid file"
  # The user's command has not run yet.
  sleep 0.3
  [ ! -e "$T/out/marker" ] || { echo "marker written before start" >&2; return 1; }

  hrun hk list
  assert_status 0
  assert_eq "$pid created $BUNDLE" "$(awk -v id="$ID" '$1 == id { print $2, $3, $4 }' <<<"$stdout")" "list row"
  assert_eq "ID PID STATUS BUNDLE CREATED OWNER" "$(head -1 <<<"$stdout" | tr -s ' ' | sed 's/ $//')" "list header"
  hrun hk list --format json
  assert_status 0
  assert_eq created "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$stdout")" "list json status"
  assert_eq "$pid" "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .pid' <<<"$stdout")" "list json pid"

  assert_eq husk-runtime "$(cat /proc/$pid/comm)" "init before start"
  hrun hk start "$ID"
  assert_status 0
  assert_output ""
  # start returns once the init has exec'd the user's process.
  assert_eq sh "$(cat /proc/$pid/comm)" "init when start returns"
  wait_for 10 test -e "$T/out/marker"
  assert_eq started "$(cat "$T/out/marker")" marker
  assert_eq running "$(state_of "$ID" status)" status
  assert_eq "$pid" "$(state_of "$ID" pid)" "pid after start"

  hrun hk ps --format json "$ID"
  assert_status 0
  jq -e --argjson p "$pid" 'index($p) != null' <<<"$stdout" >/dev/null || {
    echo "ps --format json: $stdout does not list $pid" >&2
    return 1
  }

  # A second start is refused.
  hrun hk start "$ID"
  [ "$status" -ne 0 ]

  touch "$T/out/go"
  wait_status "$ID" stopped
  hrun hk list --format json
  assert_eq stopped "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .status' <<<"$stdout")" "list json status"

  hrun hk delete "$ID"
  assert_status 0
  assert_output ""
  hrun hk state "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$output" "does not exist"
  hrun hk list --format json
  assert_eq "" "$(jq -r --arg id "$ID" '.[] | select(.id == $id) | .id' <<<"$stdout")" "list after delete"
  assert_nothing_left "$ID"
}

@test "create: a relative --pid-file is relative to the caller's cwd" {
  mkbundle "$BUNDLE" sleep 1000
  mkdir "$T/cwd"
  (cd "$T/cwd" && hrun hk create --bundle "$BUNDLE" --pid-file rel.pid "$ID" && [ "$status" -eq 0 ])
  assert_eq "$(state_of "$ID" pid)" "$(cat "$T/cwd/rel.pid")" "pid file"
}

@test "list: two containers, quiet and json formats" {
  mkbundle "$BUNDLE" sleep 1000
  mkbundle "$T/b2" sleep 1000
  hk_create "$ID" "$BUNDLE"
  hk_create_start "$ID2" "$T/b2"
  hrun hk list -q
  assert_status 0
  assert_eq "$(printf '%s\n' "$ID" "$ID2" | sort)" "$(sort <<<"$stdout")" "list -q"
  hrun hk list --format json
  assert_eq "$ID=created $ID2=running" \
    "$(jq -r 'sort_by(.id) | map("\(.id)=\(.status)") | join(" ")' <<<"$stdout")" "list json"
}

# ---- kill ------------------------------------------------------------------

# A container whose init traps TERM and USR1 and reports them in /out/sig.
trap_bundle() {
  mkdir -p "$T/out"
  mkbundle "$BUNDLE" sh -c 'trap "echo TERM >/out/sig; exit 0" TERM; trap "echo USR1 >>/out/usr1" USR1; echo ready >/out/ready; while :; do sleep 0.05; done'
  add_mount_at "$BUNDLE" "{\"destination\":\"/out\",\"type\":\"bind\",\"source\":\"$T/out\",\"options\":[\"rbind\",\"rw\"]}"
}

@test "kill ID TERM delivers SIGTERM to the init" {
  trap_bundle
  hk_create_start "$ID" "$BUNDLE"
  wait_for 10 test -e "$T/out/ready"
  hrun hk kill "$ID" TERM
  assert_status 0
  assert_output ""
  wait_status "$ID" stopped
  assert_eq TERM "$(cat "$T/out/sig")" "signal the init saw"
}

@test "kill without a signal sends SIGTERM; SIGUSR1 and 10 by name and number" {
  trap_bundle
  hk_create_start "$ID" "$BUNDLE"
  wait_for 10 test -e "$T/out/ready"
  hrun hk kill "$ID" SIGUSR1
  assert_status 0
  wait_for 10 grep -q USR1 "$T/out/usr1"
  hrun hk kill "$ID" 10
  assert_status 0
  usr1_count_is() { [ "$(grep -c USR1 "$T/out/usr1")" -eq "$1" ]; }
  wait_for 10 usr1_count_is 2
  assert_eq running "$(state_of "$ID" status)" status
  hrun hk kill "$ID"
  assert_status 0
  wait_status "$ID" stopped
  assert_eq TERM "$(cat "$T/out/sig")" "default signal"
}

@test "kill ID SIGKILL and kill ID 9 stop the container" {
  mkbundle "$BUNDLE" sleep 1000
  mkbundle "$T/b2" sleep 1000
  hk_create_start "$ID" "$BUNDLE"
  hk_create_start "$ID2" "$T/b2"
  pid1=$(state_of "$ID" pid)
  pid2=$(state_of "$ID2" pid)
  hrun hk kill "$ID" SIGKILL
  assert_status 0
  hrun hk kill "$ID2" 9
  assert_status 0
  wait_status "$ID" stopped
  wait_status "$ID2" stopped
  wait_for 10 test ! -e "/proc/$pid1/status" -o "$(awk '/^State:/{print $2}' "/proc/$pid1/status" 2>/dev/null)" = Z
  hrun hk delete "$ID"
  assert_status 0
  hrun hk delete "$ID2"
  assert_status 0
  assert_nothing_left "$ID"
  [ ! -e "/proc/$pid2/cmdline" ] || [ -z "$(tr -d '\0' <"/proc/$pid2/cmdline")" ]
}

@test "kill --all ID KILL kills every process of the container" {
  mkbundle "$BUNDLE" sh -c 'sleep 1000 & sleep 1000 & wait'
  hk_create_start "$ID" "$BUNDLE"
  wait_for 10 test "$(hk ps --format json "$ID" | jq length)" -eq 3
  pids=$(hk ps --format json "$ID" | jq -r '.[]')
  for cg in memory pids; do
    assert_eq "$(sort -n <<<"$pids")" "$(sort -n "$(husk_cgroup_dir "$cg" "$CG_PARENT/${BUNDLE##*/}")/cgroup.procs")" "$cg cgroup.procs"
  done
  hrun hk kill --all "$ID" KILL
  assert_status 0
  wait_status "$ID" stopped
  for p in $pids; do
    wait_for 10 test ! -d "/proc/$p" -o "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" = Z
  done
  # A function, so wait_for reads the file again on every try.
  cgroup_empty() { [ -z "$(cat "$(husk_cgroup_dir memory "$CG_PARENT/${BUNDLE##*/}")/cgroup.procs")" ]; }
  wait_for 10 cgroup_empty
  hrun hk delete "$ID"
  assert_status 0
  assert_nothing_left "$ID"
}

@test "kill with an unknown signal fails with 'unknown signal' and signals nothing" {
  trap_bundle
  hk_create_start "$ID" "$BUNDLE"
  wait_for 10 test -e "$T/out/ready"
  hrun hk kill "$ID" FOO
  assert_failed_cleanly "unknown signal"
  sleep 0.2
  assert_eq running "$(state_of "$ID" status)" status
  [ ! -e "$T/out/sig" ]
}

@test "kill of a stopped container fails with 'container not running'" {
  mkbundle "$BUNDLE" true
  hk_create_start "$ID" "$BUNDLE"
  wait_status "$ID" stopped
  hrun hk kill "$ID" KILL
  assert_failed_cleanly "container not running"
}

@test "kill of a missing container fails with 'does not exist'" {
  hrun hk kill "$ID" KILL
  assert_failed_cleanly "does not exist"
}

# ---- delete ----------------------------------------------------------------

@test "delete of a running container fails with 'not stopped'; --force kills and removes it" {
  mkbundle "$BUNDLE" sleep 1000
  hk_create_start "$ID" "$BUNDLE"
  pid=$(state_of "$ID" pid)
  hrun hk delete "$ID"
  assert_failed_cleanly "not stopped"
  assert_eq running "$(state_of "$ID" status)" "status after refused delete"
  kill -0 "$pid"
  hrun hk delete --force "$ID"
  assert_status 0
  assert_output ""
  hrun hk state "$ID"
  [ "$status" -ne 0 ]
  assert_nothing_left "$ID"
  # The init is gone, not merely out of the cgroup.
  wait_for 5 test ! -e "/proc/$pid/cmdline" -o "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" = Z
}

@test "delete of a created (never started) container removes it and its init" {
  mkbundle "$BUNDLE" sleep 1000
  hk_create "$ID" "$BUNDLE"
  pid=$(state_of "$ID" pid)
  hrun hk delete "$ID"
  assert_status 0
  assert_nothing_left "$ID"
  wait_for 5 test ! -e "/proc/$pid/cmdline" -o "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" = Z
}

@test "delete --force of a missing id exits 0; delete of a missing id fails with 'does not exist'" {
  hrun hk delete --force "$ID"
  assert_status 0
  assert_output ""
  hrun hk delete "$ID"
  assert_failed_cleanly "does not exist"
}

# ---- exec ------------------------------------------------------------------

exec_target() {
  mkbundle "$BUNDLE" sleep 1000
  hk_create_start "$ID" "$BUNDLE"
}

@test "exec: echo hi prints hi, in the container's namespaces" {
  exec_target
  run hk exec "$ID" echo hi
  assert_status 0
  assert_output "hi"
  pid=$(state_of "$ID" pid)
  run hk exec "$ID" sh -c 'for n in pid mnt net; do readlink /proc/self/ns/$n; done; cat /proc/1/comm'
  assert_status 0
  assert_output "$(for n in pid mnt net; do readlink "/proc/$pid/ns/$n"; done)"$'\n'"sleep"
}

@test "exec: the exit code propagates" {
  exec_target
  run hk exec "$ID" sh -c 'exit 3'
  assert_status 3
  assert_output ""
}

@test "exec --cwd /tmp ID pwd" {
  exec_target
  run hk exec --cwd /tmp "$ID" pwd
  assert_status 0
  assert_output "/tmp"
}

@test "exec -e FOO=bar ID sh -c 'echo \$FOO' (and -e twice, overriding the config's env)" {
  exec_target
  run hk exec -e FOO=bar "$ID" sh -c 'echo $FOO'
  assert_status 0
  assert_output "bar"
  run hk exec -e FOO=bar -e PATH=/nowhere:/bin "$ID" sh -c 'echo $FOO $PATH'
  assert_status 0
  assert_output "bar /nowhere:/bin"
}

@test "exec --cap CAP_NET_ADMIN ID adds the capability (as runc)" {
  exec_target
  run hk exec --cap CAP_NET_ADMIN "$ID" grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status
  assert_status 0
  # runc's defaults (AUDIT_WRITE, KILL, NET_BIND_SERVICE) plus NET_ADMIN (12).
  assert_output "$(printf 'Cap%s:\t0000000020001420\n' Prm Eff Bnd)"
}

@test "exec -u 1000:1000 -g 5 -g 65534 ID id: additional gids (as runc)" {
  exec_target
  run hk exec -u 1000:1000 -g 5 -g 65534 "$ID" id
  assert_status 0
  assert_output "uid=1000(user) gid=1000(user) groups=5(tty),65534(nogroup)"
}

@test "exec -u 1000:1000 ID id" {
  exec_target
  run hk exec -u 1000:1000 "$ID" id
  assert_status 0
  # No supplementary groups (as runc: none asked for, none listed in /etc/group).
  assert_output "uid=1000(user) gid=1000(user)"
  run hk exec -u 1000:1000 "$ID" sh -c 'id -u; id -g; touch /tmp/f && stat -c %u:%g /tmp/f'
  assert_status 0
  assert_output $'1000\n1000\n1000:1000'
}

@test "exec -d --pid-file: the process runs detached in the container" {
  exec_target
  hrun hk exec -d --pid-file "$T/exec.pid" "$ID" sleep 999
  assert_status 0
  pid=$(cat "$T/exec.pid")
  [ "$pid" -gt 0 ]
  assert_eq "sleep 999" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ $//')" "cmdline of the exec'd pid"
  init=$(state_of "$ID" pid)
  assert_eq "$(readlink "/proc/$init/ns/pid")" "$(readlink "/proc/$pid/ns/pid")" "pid namespace"
  assert_eq "$(readlink "/proc/$init/root")" "$(readlink "/proc/$pid/root")" "root"
  hrun hk ps --format json "$ID"
  jq -e --argjson p "$pid" 'index($p) != null' <<<"$stdout" >/dev/null || {
    echo "ps does not list the exec'd pid $pid: $stdout" >&2
    return 1
  }
}

@test "exec --process: the process.json replaces the container's process" {
  exec_target
  cat >"$T/process.json" <<'EOF'
{
  "terminal": false,
  "user": {"uid": 1000, "gid": 1000},
  "args": ["sh", "-c", "echo \"$A\"; pwd; id -u"],
  "env": ["PATH=/bin", "A=from-json"],
  "cwd": "/etc"
}
EOF
  run hk exec --process "$T/process.json" "$ID"
  assert_status 0
  assert_output $'from-json\n/etc\n1000'
}

@test "exec of a missing command: 127, 'executable file not found'" {
  exec_target
  hrun hk exec "$ID" no-such-command
  assert_status 127
  assert_contains "$stderr" "executable file not found"
  assert_eq "" "$stdout" stdout
  # The container is unaffected.
  assert_eq running "$(state_of "$ID" status)" status
}

@test "exec into a stopped container fails" {
  mkbundle "$BUNDLE" true
  hk_create_start "$ID" "$BUNDLE"
  wait_status "$ID" stopped
  hrun hk exec "$ID" echo hi
  assert_failed_cleanly "not running"
  assert_not_contains "$stdout" "hi"
}

@test "exec into a created (not started) container runs the process" {
  mkbundle "$BUNDLE" sleep 1000
  hk_create "$ID" "$BUNDLE"
  run hk exec "$ID" cat /proc/1/comm
  assert_status 0
  # runc's behaviour: exec works before start; the init waits (not yet sleep).
  [ -n "$output" ]
  assert_eq created "$(state_of "$ID" status)" status
}

# ---- terminal --------------------------------------------------------------

@test "terminal: foreground run with process.terminal gets a tty" {
  mkbundle "$BUNDLE" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty; exit 3'
  cfg '.process.terminal = true'
  # A pty that nothing types into (script(1) types ^D at the end of its own
  # stdin, which CI does not have).
  run husk_with_pty "$HUSK" --root "$ROOT" run --bundle "$BUNDLE" "$ID"
  assert_status 3
  out=${output//$'\r'/}
  assert_match '^(/dev/pts/0|/dev/console)'$'\n''is-a-tty$' "$out" "tty output"
  assert_nothing_left "$ID"
}

@test "terminal: --console-socket receives the pty master; output and input flow through it" {
  mkbundle "$BUNDLE" sh -c 'tty; read -r x; echo "got:$x"'
  cfg '.process.terminal = true'
  bg python3 "$BATS_FILE_TMPDIR/console_receiver.py" "$T/console.sock" "$T/console.out" $'hello\n'
  wait_for 10 test -S "$T/console.sock"
  hrun hk run -d --console-socket "$T/console.sock" --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_output ""
  wait_for 20 test -e "$T/console.out"
  out=$(tr -d '\r' <"$T/console.out")
  assert_match '(^|'$'\n'')(/dev/pts/0|/dev/console)'$'\n' "$out" "console output"
  assert_contains "$out" "got:hello"
  wait_status "$ID" stopped
  hrun hk delete "$ID"
  assert_status 0
  assert_nothing_left "$ID"
}

@test "terminal: create without --console-socket is refused" {
  mkbundle "$BUNDLE" sh
  cfg '.process.terminal = true'
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_failed_cleanly "console-socket"
  assert_nothing_left "$ID"
}

# ---- file descriptors ------------------------------------------------------

@test "fds: the container sees only 0 1 2 even when the caller holds extra fds" {
  mkbundle "$BUNDLE" sh -c 'ls /proc/self/fd'
  exec 7</etc/hostname
  exec 8>"$T/extra"
  hrun hk run --bundle "$BUNDLE" "$ID"
  exec 7<&- 8>&-
  assert_status 0
  # 3 is ls's own directory fd.
  assert_eq $'0\n1\n2\n3' "$stdout" "fds in the container"
}

@test "fds: exec'd processes see only 0 1 2 too" {
  mkbundle "$BUNDLE" sleep 1000
  hk_create_start "$ID" "$BUNDLE"
  exec 7</etc/hostname
  run hk exec "$ID" ls /proc/self/fd
  exec 7<&-
  assert_status 0
  assert_output $'0\n1\n2\n3'
}

@test "fds: --preserve-fds 1 passes fd 3 into the container" {
  mkbundle "$BUNDLE" sh -c 'ls /proc/self/fd; cat <&3'
  echo preserved-content >"$T/fd3"
  exec 7</etc/hostname
  hrun hk run --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3<"$T/fd3"
  exec 7<&-
  assert_status 0
  # ls: 0 1 2 3 (kept) 4 (its own dir fd); then the content read from fd 3.
  assert_eq $'0\n1\n2\n3\n4\npreserved-content' "$stdout" "container output"
}

# ---- spec / features -------------------------------------------------------

@test "spec writes a config.json that run accepts" {
  mkdir -p "$T/specb"
  husk_busybox_rootfs "$T/specb/rootfs"
  (cd "$T/specb" && hk spec)
  jq -e . "$T/specb/config.json" >/dev/null
  assert_eq rootfs "$(jq -r .root.path "$T/specb/config.json")" root.path
  cfg_at "$T/specb" '.process.args = ["echo", "spec-ok"] | .process.terminal = false | .root.readonly = false | .linux.cgroupsPath = $cg' \
    --arg cg "/$CG_PARENT/specb"
  hrun hk run --bundle "$T/specb" "$ID"
  assert_status 0
  assert_output "spec-ok"
  # An existing config.json is not overwritten.
  hrun hk spec --bundle "$T/specb"
  [ "$status" -ne 0 ]
  assert_contains "$output" "exists"
  assert_eq spec-ok "$(jq -r '.process.args[1]' "$T/specb/config.json")" "config.json kept"
}

@test "spec --rootless writes a user-namespace config" {
  mkdir -p "$T/rl"
  hk spec --rootless --bundle "$T/rl"
  jq -e '.linux.namespaces | map(.type) | index("user") != null' "$T/rl/config.json" >/dev/null
  jq -e '.linux.uidMappings | length > 0' "$T/rl/config.json" >/dev/null
}

@test "features prints valid JSON with ociVersionMin 1.0.0" {
  run hk features
  assert_status 0
  jq -e . <<<"$output" >/dev/null
  assert_eq 1.0.0 "$(jq -r .ociVersionMin <<<"$output")" ociVersionMin
  [[ $(jq -r .ociVersionMax <<<"$output") =~ ^1\.[0-9]+\.[0-9]+ ]]
  jq -e '.linux.namespaces | index("pid") != null' <<<"$output" >/dev/null
}
