#!/usr/bin/env bats
# dockerd (Debian's docker.io 20.10) driving the OCI runtime under test:
# docker -> dockerd -> its containerd -> containerd-shim-runc-v2 -> runtime,
# the runtime chosen per container with `docker run --runtime`.
#
#   RUNTIME=/path/to/runtime bats tests/integration/runtime_dockerd.bats
#
# RUNTIME defaults to build/husk-runtime; dockerd knows it as "husk"
# (--add-runtime).  A private dockerd is started for the file, in the file's
# network namespace (tests/lib/dockerd.bash).  Every test plays one scenario
# with `--runtime runc` (the reference) and then `--runtime husk` in the same
# dockerd, each scenario printing what it saw as KEY=VALUE lines; runc's
# lines must be what the test expects, and husk's must be runc's.  Afterwards
# the file checks that no mount, cgroup, shim or container process was left.

load ../lib/fixtures
load ../lib/assert
load ../lib/dockerd
# dockerd and the docker client are plumbing as well (tests/lib/leakcheck.bash).
# shellcheck disable=SC2034 # read by leakcheck_compare
HUSK_LEAKCHECK_PROCS='^(conmon|containerd.*|runc|crun|husk.*|podman|ctr|dnsmasq|aardvark-dns|dockerd|docker.*)$'
load ../lib/leakcheck

setup_file() {
  husk_require_runtime || return 0
  local p
  for p in dockerd "$DOCKER_CLI" containerd containerd-shim-runc-v2 runc skopeo jq; do
    command -v "$p" >/dev/null || { husk_skip_file "$p not installed (scripts/install-deps.sh)"; return 0; }
  done
  # What dockerd and its containerd make on the host whatever they are told
  # (tests/lib/dockerd.bash), and where dockerd's trust key would go.
  export HUSK_LEAKCHECK_DIRS=/run/docker:/run/containerd:/etc/docker
  export HUSK_LEAK_SNAPSHOT="$BATS_FILE_TMPDIR/leak.before"
  leakcheck_snapshot "$HUSK_LEAK_SNAPSHOT"
  dockerd_setup
}

teardown_file() {
  dockerd_teardown
  [ -z "${HUSK_LEAK_SNAPSHOT:-}" ] || leakcheck_compare "$HUSK_LEAK_SNAPSHOT"
}

setup() {
  husk_check_skip_file
}

# Every test starts and ends with no containers, pass or fail.
teardown() {
  dockerd_remove_all
}

# ---- helpers ----

# drun RT ARGS... : docker run with runtime RT, no network (dockerd has no
# bridge), never a pull (there is no registry).
drun() {
  local rt=$1
  shift
  hdocker run --runtime "$rt" --network none --pull never "$@"
}

# dinspect FORMAT NAME
dinspect() { hdocker inspect -f "$1" "$2" 2>&1; }

# cname RT WHAT : a container name for this test and runtime.
cname() { husk_unique_name "$2-$1"; }

# The host pid of a running container's init.
cpid() { hdocker inspect -f '{{.State.Pid}}' "$1"; }

# yesno CMD... : "yes" when CMD succeeds, "no" otherwise.
yesno() { if "$@"; then echo yes; else echo no; fi; }

# The container's cgroup (v1 memory hierarchy), from its init's /proc.
mem_cgroup_of() {
  awk -F: '$2 == "memory" { print $3 }' "/proc/$1/cgroup" 2>/dev/null
}

# compare_runtimes WANT SCENARIO [ARGS...] : play SCENARIO with runc, then
# with husk; runc's lines must equal WANT, husk's must equal runc's.
compare_runtimes() {
  local want=$1 scenario=$2 runc_lines husk_lines
  shift 2
  runc_lines=$("$scenario" runc "$@")
  husk_lines=$("$scenario" husk "$@")
  assert_eq "$want" "$runc_lines" "--runtime runc: $scenario (reference)" || {
    printf -- '--runtime husk saw:\n%s\n' "$husk_lines" >&2
    return 1
  }
  assert_eq "$runc_lines" "$husk_lines" "--runtime husk: $scenario, against runc's"
}

# wait_logs NAME TEXT : TEXT appears in the container's logs within 20 s.
logs_have() { hdocker logs "$1" 2>&1 | grep -qF -- "$2"; }
wait_logs() { wait_for 20 logs_have "$1" "$2"; }

# step KEY CMD... : run CMD, its output dropped, and print KEY=its status;
# when it fails, its stderr goes to ours, named after the scenario's runtime
# (bats shows it with a failing test).
step() {
  local key=$1 err=$BATS_TEST_TMPDIR/step.err st
  shift
  "$@" >/dev/null 2>"$err"
  st=$?
  echo "$key=$st"
  [ "$st" -eq 0 ] || sed "s/^/--runtime ${rt:-?}: $key: /" "$err" >&2
}

# ---- scenarios: each prints KEY=VALUE lines, never fails itself ----

# docker run --rm in the foreground: stdin in, stdout and stderr apart, the
# exit code, PID 1, and the container gone afterwards.
sc_foreground() {
  local rt=$1 out st err=$BATS_TEST_TMPDIR/fg-$1.err
  out=$(printf 'in\n' | hdocker run -i --rm --runtime "$rt" --network none --pull never \
    "$DOCKERD_IMAGE" sh -c 'read -r l; echo "$l $$"; echo err >&2; exit 3' 2>"$err")
  st=$?
  echo "status=$st"
  echo "stdout=$out"
  echo "stderr=$(cat "$err")"
  echo "left=$(hdocker ps -aq)"
}

# docker run -t: the process gets a terminal (a console socket to the
# runtime) and its exit code comes back.
sc_tty() {
  local rt=$1 out st
  # The docker client wants its own stdout on a terminal for -t.
  out=$(husk_with_pty timeout -s KILL 60 "$DOCKER_CLI" -H "unix://$DOCKERD_SOCK" \
    run --rm -t --runtime "$rt" --network none --pull never "$DOCKERD_IMAGE" \
    sh -c 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; exit 4')
  st=$?
  echo "status=$st"
  echo "output=$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')"
}

# docker run's flags that land in config.json: rlimits, cwd, env, hostname,
# a read-only root, capabilities, no_new_privs, docker's seccomp profile and
# masked paths, user and extra groups.
sc_runflags() {
  local rt=$1
  drun "$rt" --rm --ulimit nofile=1024:2048 -w /tmp -e A=b --hostname hx --read-only \
    --cap-drop ALL --cap-add CHOWN --security-opt no-new-privileges "$DOCKERD_IMAGE" sh -c '
      echo "nofile=$(ulimit -n):$(ulimit -Hn) pwd=$(pwd) env=$A hostname=$(hostname)"
      touch /x 2>/dev/null && echo ro=no || echo ro=yes
      grep -E "^(CapEff|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status | tr -s "\t" " "
      [ -c /proc/timer_list ] && echo timer_list=masked
      echo 1 2>/dev/null >/proc/sys/kernel/domainname && echo proc_sys=rw || echo proc_sys=ro' 2>&1
  echo "status=$?"
  echo "user=$(drun "$rt" --rm -u 1000:1000 --group-add 5 "$DOCKERD_IMAGE" id 2>&1)"
}

# docker run -d, logs, inspect, kill -s, stop (SIGTERM, trapped), rm.
sc_detached() {
  local rt=$1 n id pid cg
  n=$(cname "$rt" det)
  id=$(drun "$rt" -d --name "$n" "$DOCKERD_IMAGE" \
    sh -c 'trap "echo usr1" USR1; trap "echo term; exit 7" TERM; echo started; while :; do sleep 0.1; done' 2>&1)
  echo "run_d=$?"
  echo "started=$(yesno wait_logs "$n" started)"
  echo "state=$(dinspect '{{.State.Status}} {{.State.Running}} {{.HostConfig.Runtime}}' "$n")"
  pid=$(cpid "$n")
  echo "init_alive=$(yesno test -d "/proc/$pid")"
  cg=$(mem_cgroup_of "$pid")
  echo "cgroup_is_parent/id=$(yesno test "$cg" = "$DOCKERD_CGROUP_PARENT/$id")"
  echo "ps=$(hdocker ps --filter "name=^$n\$" --format '{{.Names}} {{.Status}}' | sed 's/ Up .*/ Up/')"
  step kill_usr1 hdocker kill -s USR1 "$n"
  echo "usr1_seen=$(yesno wait_logs "$n" usr1)"
  step stop hdocker stop -t 20 "$n"
  echo "after_stop=$(dinspect '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}' "$n")"
  echo "logs=$(hdocker logs "$n" 2>&1 | tr '\n' ' ')"
  echo "init_gone=$(yesno test ! -d "/proc/$pid")"
  step rm hdocker rm "$n"
  echo "left=$(hdocker ps -aq --filter "name=^$n\$")"
  echo "cgroups_left=$(husk_cgroup_dirs "$DOCKERD_CGROUP_PARENT/$id" | tr '\n' ' ')"
  # (dockerd 20.10 gives every runtime the same --root: exec-root/runtime-runc.)
  echo "state_left=$(ls -A "$DOCKERD_TMP/exec/runtime-runc/moby/$id" 2>/dev/null)"
}

# docker stop of a PID 1 without a TERM handler (the kernel ignores it):
# SIGKILL after -t, exit 137; docker rm -f of a running container; docker
# start of a stopped one.
sc_stop_kill() {
  local rt=$1 a b
  a=$(cname "$rt" stopa)
  b=$(cname "$rt" stopb)
  step run_a drun "$rt" -d --name "$a" "$DOCKERD_IMAGE" sleep 1000
  step run_b drun "$rt" -d --name "$b" "$DOCKERD_IMAGE" sleep 1000
  local t0=$SECONDS
  step stop hdocker stop -t 1 "$a"
  echo "stop_took_under_15s=$(yesno test $((SECONDS - t0)) -lt 15)"
  echo "after_stop=$(dinspect '{{.State.Status}} {{.State.ExitCode}}' "$a")"
  step start hdocker start "$a"
  echo "after_start=$(dinspect '{{.State.Status}} {{.State.Running}}' "$a")"
  step exec_after_start hdocker exec "$a" true
  step rm_f hdocker rm -f "$a" "$b"
  echo "left=$(hdocker ps -aq --filter "name=^$a\$"; hdocker ps -aq --filter "name=^$b\$")"
}

# docker exec: output, stderr, exit code, -e, -u, -w, -i, the container's
# pid namespace, and -t.
sc_exec() {
  local rt=$1 n out st err=$BATS_TEST_TMPDIR/exec-$1.err
  n=$(cname "$rt" exec)
  step run_d drun "$rt" -d --name "$n" "$DOCKERD_IMAGE" sleep 1000
  out=$(hdocker exec "$n" sh -c 'echo out; echo err >&2; exit 5' 2>"$err")
  st=$?
  echo "status=$st stdout=$out stderr=$(cat "$err")"
  echo "env=$(hdocker exec -e FOO=bar -e BAZ "$n" sh -c 'echo "$FOO,${BAZ-unset},$PATH"' 2>&1)"
  echo "user=$(hdocker exec -u 1000:1000 "$n" id 2>&1)"
  echo "user_name=$(hdocker exec -u nobody "$n" id 2>&1)"
  echo "workdir=$(hdocker exec -w /tmp "$n" pwd 2>&1)"
  echo "stdin=$(printf 'x\ny\n' | hdocker exec -i "$n" cat 2>&1 | tr '\n' ' ')"
  echo "pidns=$(hdocker exec "$n" sh -c 'read -r c </proc/1/comm; echo "$c"; [ $$ != 1 ] && echo not-pid1' 2>&1 | tr '\n' ' ')"
  # (The runtime's message differs; dockerd reports it on the client's stdout.)
  echo "missing_binary=$(hdocker exec "$n" /no/such >/dev/null 2>&1; echo $?)"
  out=$(husk_with_pty timeout -s KILL 60 "$DOCKER_CLI" -H "unix://$DOCKERD_SOCK" \
    exec -t "$n" sh -c 'tty; exit 6')
  st=$?
  echo "tty=$(printf '%s' "$out" | tr -d '\r') status=$st"
  echo "still_running=$(dinspect '{{.State.Running}}' "$n")"
}

# docker top: the runtime's `ps` gives the pids, docker's ps shows them.
sc_top() {
  local rt=$1 n
  n=$(cname "$rt" top)
  drun "$rt" -d --name "$n" "$DOCKERD_IMAGE" sh -c 'sleep 1001 & sleep 1002 & wait' >/dev/null 2>&1
  wait_for 10 _top_has "$n" "sleep 1002"
  echo "cmds=$(_top_args "$n" | LC_ALL=C sort | tr '\n' ',')"
  echo "init_listed=$(yesno _top_has_pid "$n" "$(cpid "$n")")"
}
# docker top's table (ps -o pid,args on the host, of the pids the runtime's
# `ps` names): the args column, or the pid column.
_top_args() { hdocker top "$1" -o pid,args 2>&1 | awk 'NR > 1 { $1 = ""; sub(/^ +/, ""); print }'; }
_top_has() { _top_args "$1" | grep -qxF "$2"; }
_top_has_pid() { hdocker top "$1" -o pid,args 2>/dev/null | awk 'NR > 1 { print $1 }' | grep -qx "$2"; }

# docker stats --no-stream: numbers from the container's cgroups.
sc_stats() {
  local rt=$1 n line
  n=$(cname "$rt" stats)
  drun "$rt" -d --name "$n" "$DOCKERD_IMAGE" sleep 1000 >/dev/null 2>&1
  line=$(hdocker stats --no-stream --format '{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}' "$n" 2>&1)
  echo "cpu=$(yesno _re '^[0-9]+\.[0-9]+%$' "${line%%|*}")"
  local mem=${line#*|}
  mem=${mem%|*}
  echo "mem_usage=$(yesno _re '^[0-9.]+[KMG]?i?B / [0-9.]+[KMGT]i?B$' "$mem")"
  echo "mem_nonzero=$(yesno _re '^[1-9]|^0\.[0-9]*[1-9]' "$mem")"
  echo "pids=${line##*|}"
  # The API's raw numbers: memory usage and the pids' count from the cgroup.
  echo "api=$(curl -s --max-time 30 --unix-socket "$DOCKERD_SOCK" \
    "http://d/containers/$n/stats?stream=false" |
    jq -r '"\(.memory_stats.usage > 0) \(.pids_stats.current)"' 2>&1)"
}
_re() { [[ $2 =~ $1 ]]; }

# docker pause / unpause: the freezer stops a counter, unpause resumes it.
sc_pause() {
  local rt=$1 n id pid a b fz
  n=$(cname "$rt" pause)
  id=$(drun "$rt" -d --name "$n" "$DOCKERD_IMAGE" \
    sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; sleep 0.05; done' 2>&1)
  pid=$(cpid "$n")
  fz=$(husk_cgroup_dir freezer "$DOCKERD_CGROUP_PARENT/$id")/freezer.state
  wait_for 10 test -s "/proc/$pid/root/tmp/n"
  step pause hdocker pause "$n"
  echo "status=$(dinspect '{{.State.Status}} {{.State.Paused}}' "$n")"
  echo "freezer=$(cat "$fz" 2>&1)"
  a=$(cat "/proc/$pid/root/tmp/n" 2>&1)
  sleep 0.5
  b=$(cat "/proc/$pid/root/tmp/n" 2>&1)
  echo "counter_stopped=$(yesno test "$a" = "$b")"
  echo "exec_while_paused=$(hdocker exec "$n" true >/dev/null 2>&1; echo $?)"
  step unpause hdocker unpause "$n"
  echo "status=$(dinspect '{{.State.Status}} {{.State.Paused}}' "$n")"
  echo "freezer=$(cat "$fz" 2>&1)"
  echo "counter_moves=$(yesno wait_for 10 _counter_past "$pid" "$b")"
  echo "exec=$(hdocker exec "$n" echo alive 2>&1)"
}
_counter_past() { [ "$(cat "/proc/$1/root/tmp/n" 2>/dev/null)" -gt "$2" ] 2>/dev/null; }

# docker update: memory, swap, cpu shares and pids limit reach the cgroup
# (read from inside, through the container's cgroup mount, and from the host).
sc_update() {
  local rt=$1 n id
  n=$(cname "$rt" upd)
  id=$(drun "$rt" -d --name "$n" -m 64m --memory-swap 128m "$DOCKERD_IMAGE" sleep 1000 2>&1)
  echo "before=$(hdocker exec "$n" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)"
  step update hdocker update --memory 48m --memory-swap 96m --cpu-shares 512 --pids-limit 50 "$n"
  echo "inside=$(hdocker exec "$n" cat /sys/fs/cgroup/memory/memory.limit_in_bytes \
    /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares \
    /sys/fs/cgroup/pids/pids.max 2>&1 | tr '\n' ' ')"
  echo "host=$(cat "$(husk_cgroup_dir memory "$DOCKERD_CGROUP_PARENT/$id")/memory.limit_in_bytes" \
    "$(husk_cgroup_dir memory "$DOCKERD_CGROUP_PARENT/$id")/memory.memsw.limit_in_bytes" \
    "$(husk_cgroup_dir cpu "$DOCKERD_CGROUP_PARENT/$id")/cpu.shares" \
    "$(husk_cgroup_dir pids "$DOCKERD_CGROUP_PARENT/$id")/pids.max" 2>&1 | tr '\n' ' ')"
  echo "inspect=$(dinspect '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}}' "$n")"
  # One resource alone: dockerd sends the others as zeros (memory limit 0,
  # cpu quota 0, ...), which mean "leave as is".
  step update_shares_only hdocker update --cpu-shares 256 "$n"
  echo "after_shares_only=$(hdocker exec "$n" cat /sys/fs/cgroup/memory/memory.limit_in_bytes \
    /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>&1 | tr '\n' ' ')"
  echo "still_running=$(dinspect '{{.State.Running}}' "$n")"
}

# An OOM kill: -m 10m (no swap) and a process that keeps allocating; docker
# learns of it from containerd's OOM event.
sc_oom() {
  local rt=$1 n t0 code
  n=$(cname "$rt" oom)
  t0=$(date +%s)
  drun "$rt" -d --name "$n" -m 10m --memory-swap 10m "$DOCKERD_IMAGE" \
    sh -c 'x=a; while :; do x=$x$x; done' >/dev/null 2>&1
  echo "run_d=$?"
  code=$(HUSK_PEER_TIMEOUT=60 hdocker wait "$n" 2>&1)
  echo "wait=$code"
  echo "state=$(dinspect '{{.State.Status}} {{.State.OOMKilled}} {{.State.ExitCode}}' "$n")"
  echo "events=$(hdocker events --since "$t0" --until "$(($(date +%s) + 1))" \
    --filter "container=$n" --filter event=oom --format '{{.Action}}' 2>&1 | sort -u | tr '\n' ' ')"
  step rm hdocker rm "$n"
  # The same in the foreground with --rm: the exit code only.
  drun "$rt" --rm -m 10m --memory-swap 10m "$DOCKERD_IMAGE" tail /dev/zero >/dev/null 2>&1
  echo "foreground=$?"
}

# ---- tests ----

@test "dockerd: husk is registered as a runtime, with the path under test" {
  run hdocker info --format '{{json .Runtimes}}'
  assert_status 0
  assert_eq "$DOCKERD_RUNTIME" "$(jq -r '.husk.path' <<<"$output")" "docker info: husk's path"
}

@test "dockerd: run --rm in the foreground: stdin, stdout, stderr, exit code, pid 1" {
  compare_runtimes "$(printf '%s\n' status=3 'stdout=in 1' stderr=err left=)" sc_foreground
}

@test "dockerd: run -t: a terminal and the exit code" {
  compare_runtimes "$(printf '%s\n' status=4 'output=/dev/pts/0 all-tty')" sc_tty
}

@test "dockerd: run flags: --ulimit, -w, -e, --hostname, --read-only, caps, no-new-privileges, -u, --group-add" {
  compare_runtimes "$(printf '%s\n' 'nofile=1024:2048 pwd=/tmp env=b hostname=hx' ro=yes \
    'CapEff: 0000000000000001' 'CapBnd: 0000000000000001' 'NoNewPrivs: 1' 'Seccomp: 2' \
    timer_list=masked proc_sys=ro status=0 'user=uid=1000(user) gid=1000(user) groups=5(tty),1000(user)')" sc_runflags
}

@test "dockerd: run -d, logs, inspect, kill -s, stop, rm" {
  compare_runtimes "$(printf '%s\n' run_d=0 started=yes 'state=running true RUNTIME' \
    init_alive=yes cgroup_is_parent/id=yes 'ps=NAME Up' kill_usr1=0 usr1_seen=yes stop=0 \
    'after_stop=exited 7 false' 'logs=started usr1 term ' init_gone=yes rm=0 left= \
    cgroups_left= state_left=)" sc_detached_normalized
}
# The runtime's and the container's names differ between the two plays.
sc_detached_normalized() {
  sc_detached "$1" | sed -E "s/^(state=running true) $1\$/\1 RUNTIME/; s/^ps=det-$1-[^ ]+ /ps=NAME /"
}

@test "dockerd: stop -t 1 of a PID 1 that ignores SIGTERM: 137; start again; rm -f" {
  compare_runtimes "$(printf '%s\n' run_a=0 run_b=0 stop=0 stop_took_under_15s=yes 'after_stop=exited 137' \
    start=0 'after_start=running true' exec_after_start=0 rm_f=0 left=)" sc_stop_kill
}

@test "dockerd: exec: output, exit code, -e, -u, -w, -i, pid namespace, -t" {
  compare_runtimes "$(printf '%s\n' run_d=0 'status=5 stdout=out stderr=err' \
    'env=bar,unset,/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'user=uid=1000(user) gid=1000(user) groups=1000(user)' \
    'user_name=uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)' \
    workdir=/tmp 'stdin=x y ' 'pidns=sleep not-pid1 ' missing_binary=126 \
    'tty=/dev/pts/0 status=6' still_running=true)" sc_exec
}

@test "dockerd: top lists the container's processes" {
  compare_runtimes "$(printf '%s\n' 'cmds=sh -c sleep 1001 & sleep 1002 & wait,sleep 1001,sleep 1002,' \
    init_listed=yes)" sc_top
}

@test "dockerd: stats --no-stream has numbers" {
  compare_runtimes "$(printf '%s\n' cpu=yes mem_usage=yes mem_nonzero=yes pids=1 'api=true 1')" sc_stats
}

@test "dockerd: pause freezes the container, unpause thaws it" {
  compare_runtimes "$(printf '%s\n' pause=0 'status=paused true' freezer=FROZEN counter_stopped=yes \
    exec_while_paused=1 unpause=0 'status=running false' freezer=THAWED counter_moves=yes exec=alive)" sc_pause
}

@test "dockerd: update: memory, swap, cpu shares, pids reach the cgroup; one alone leaves the rest" {
  compare_runtimes "$(printf '%s\n' before=67108864 update=0 \
    'inside=50331648 100663296 512 50 ' 'host=50331648 100663296 512 50 ' \
    'inspect=50331648 100663296 512 50' update_shares_only=0 'after_shares_only=50331648 256 -1 ' \
    still_running=true)" sc_update
}

@test "dockerd: an OOM kill is reported: OOMKilled true, exit code 137" {
  compare_runtimes "$(printf '%s\n' run_d=0 wait=137 'state=exited true 137' 'events=oom ' rm=0 \
    foreground=137)" sc_oom
}
