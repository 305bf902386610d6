#!/usr/bin/env bats
# husk run's namespace modes (--ipc, --pid, --network, --uts, --cgroupns,
# --time-offset, --domainname), --init and --userns, each checked by what a
# process inside sees against what the host sees; bad input leaves nothing.

load ../lib/engine.bash

setup_file() {
  image_file_setup
  subids_save
}

teardown_file() {
  subids_restore
  image_file_teardown
}

setup() { engine_setup husk-ns; }

teardown() { engine_teardown; }

hrun() { h run "$@"; }
hps() { h ps "$@"; }

# The host pid of a running container's init.
init_pid() { "$RUNTIME_BIN" --root "$RUNROOT" state "$(h ps -a --no-trunc --format json | jq -r --arg n "$1" 'select(.Names == $n) | .ID')" | jq -r .pid; }

# An image with busybox and a static `ipcmk -M SIZE` (System V shared
# memory, as util-linux's), made once per file.
ipc_image() {
  local root=$T/ipcroot
  husk_busybox_rootfs "$root"
  cat >"$T/ipcmk.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "-M") != 0) { fprintf(stderr, "usage: ipcmk -M SIZE\n"); return 2; }
  int id = shmget(IPC_PRIVATE, (size_t)atol(argv[2]), IPC_CREAT | 0644);
  if (id < 0) { perror("shmget"); return 1; }
  printf("Shared memory id: %d\n", id);
  return 0;
}
EOF
  gcc -static -O1 -o "$root/bin/ipcmk" "$T/ipcmk.c"
  tar -C "$root" -cf "$T/ipc.tar" .
  h image import -c 'CMD ["sh"]' "$T/ipc.tar" ipc:test >/dev/null
}

@test "namespaces: --ipc=shareable is joined by --ipc=container:A (System V shm and /dev/shm), not by a default container" {
  command -v gcc >/dev/null || skip "gcc missing (builds the image's static ipcmk)"
  ipc_image
  hrun -d --name donor --ipc=shareable ipc:test sh -c 'ipcmk -M 1024; echo hi >/dev/shm/marker; exec sleep 1000' >/dev/null
  wait_for 10 sh -c "\"$HUSK\" --root \"$R\" logs donor | grep -q 'Shared memory id'"
  shmid=$(h logs donor | sed -n 's/^Shared memory id: //p')
  assert_match '^[0-9]+$' "$shmid" "A made a segment"
  # /proc/sysvipc/shm is what ipcs -m reads: "key shmid perms size ...".
  run hrun --rm --ipc=container:donor ipc:test sh -c 'cat /proc/sysvipc/shm; cat /dev/shm/marker'
  assert_status 0
  assert_match "^ +0 +$shmid +644 +1024 " "$(echo "$output" | sed -n 2p)" "B sees A's segment"
  assert_eq hi "${lines[-1]}" "B sees A's /dev/shm"
  run hrun --rm ipc:test sh -c 'cat /proc/sysvipc/shm; ls /dev/shm'
  assert_status 0
  assert_eq 1 "${#lines[@]}" "a default container: its own IPC (the header only) and /dev/shm: $output"
  # B's namespace is A's, a third's is its own.
  apid=$(init_pid donor)
  assert_eq "$(readlink /proc/$apid/ns/ipc)" "$(hrun --rm --ipc=container:donor busybox readlink /proc/self/ns/ipc)"
  [ "$(readlink /proc/$apid/ns/ipc)" != "$(hrun --rm busybox readlink /proc/self/ns/ipc)" ]
}

@test "namespaces: --ipc=container: of a missing, stopped or non-shareable container is refused (125), nothing left" {
  run hrun --rm --ipc=container:nosuch busybox true
  assert_status 125
  assert_match 'no such container' "$output"
  assert_eq "" "$(ls -A "$R/containers")" "no container dir"
  hrun -d --name private busybox sleep 1000 >/dev/null
  run hrun --rm --ipc=container:private busybox true
  assert_status 125
  assert_match 'non-shareable IPC' "$output"
  hrun --name stopped --ipc=shareable busybox true
  run hrun --rm --ipc=container:stopped busybox true
  assert_status 125
  assert_match 'is not running' "$output"
  assert_eq 2 "$(ls "$R/containers" | wc -l)" "only private and stopped remain"
  assert_eq 1 "$(_husk_mounts_under "$R" | wc -l)" "only the running one's root is mounted"
}

@test "namespaces: --ipc=host and --pid=host are the host's; --pid=container:A sees A's processes" {
  assert_eq "$(readlink /proc/self/ns/ipc)" "$(hrun --rm --ipc=host busybox readlink /proc/self/ns/ipc)"
  run hrun --rm --pid=host busybox sh -c 'readlink /proc/self/ns/pid; cat /proc/1/comm'
  assert_status 0
  assert_eq "$(readlink /proc/self/ns/pid)" "${lines[0]}" "host pid namespace"
  assert_eq "$(cat /proc/1/comm)" "${lines[1]}" "the host's PID 1"
  hrun -d --name donor busybox sleep 1001 >/dev/null
  run hrun --rm --pid=container:donor busybox ps -o pid,args
  assert_status 0
  assert_match '^ +1 +sleep 1001$' "$(echo "$output" | grep 'sleep 1001')" "A's init is PID 1 for B"
  apid=$(init_pid donor)
  assert_eq "$(readlink /proc/$apid/ns/pid)" "$(hrun --rm --pid=container:donor busybox readlink /proc/self/ns/pid)"
}

@test "namespaces: the default bridge gives eth0; --network=none has only lo; host sees the host's interfaces; container:A shares A's" {
  assert_eq "eth0 lo" "$(hrun --rm busybox ls /sys/class/net | tr '\n' ' ' | sed 's/ $//')" "default"
  assert_eq "lo" "$(hrun --rm --network=none busybox ls /sys/class/net)" "none"
  # host: the test's own network namespace (ctest runs each file in one of
  # its own, tests/lib/in-netns.sh). Its interfaces as ip lists them: the
  # test's /sys is the machine's mount, which shows the machine's.
  assert_eq "$(readlink /proc/self/ns/net)" "$(hrun --rm --network=host busybox readlink /proc/self/ns/net)" "host"
  assert_eq "$(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | LC_ALL=C sort | tr '\n' ' ')" \
    "$(hrun --rm --network=host busybox ls /sys/class/net | tr '\n' ' ')" "host's interfaces"
  # docker: with the host's network, the host's name (in a UTS namespace of its own).
  assert_eq "$(hostname)" "$(hrun --rm --network=host busybox hostname)"
  hrun -d --name donor busybox sleep 1000 >/dev/null
  apid=$(init_pid donor)
  run hrun --rm --network=container:donor busybox readlink /proc/self/ns/net
  assert_eq "$(readlink /proc/$apid/ns/net)" "$output" "A's network namespace"
  [ "$output" != "$(readlink /proc/self/ns/net)" ]
}

@test "namespaces: container:A is resolved at each start, as docker's: after A restarts, B joins A's new namespaces" {
  hrun -d --name donor2 --ipc=shareable busybox sleep 1000 >/dev/null
  h create --name joiner --network=container:donor2 --pid=container:donor2 --ipc=container:donor2 busybox \
    sh -c 'for n in net pid ipc; do readlink /proc/self/ns/$n; done' >/dev/null
  h restart -t 1 donor2 >/dev/null
  wait_for 10 sh -c "[ \"\$(\"$HUSK\" --root \"$R\" --runroot \"$RUNROOT\" ps --format '{{.Names}}')\" = donor2 ]"
  apid=$(init_pid donor2)
  run h start -a joiner
  assert_status 0
  assert_eq "$(readlink /proc/$apid/ns/net /proc/$apid/ns/pid /proc/$apid/ns/ipc)" "$output" "the restarted donor's namespaces"
  h stop -t 1 donor2 >/dev/null
  run h start -a joiner
  assert_status 1
  assert_match 'donor2 is not running' "$output"
}

# (--network=bridge runs in engine_network.bats, inside a network namespace
# of its own: it makes a bridge on the host.)
@test "namespaces: a network that is not there and a container that is not there are refused (125), nothing left" {
  run hrun --rm --network=mynet busybox true
  assert_status 125
  assert_eq "husk: network mynet not found" "$output"
  run hrun --rm --network=container:nosuch busybox true
  assert_status 125
  assert_eq "" "$(ls -A "$R/containers")" "no container dir"
  [ -z "$(_husk_mounts_under "$R")" ]
}

@test "namespaces: --uts=host has the host's hostname (and refuses -h); --domainname sets the NIS domain" {
  assert_eq "$(hostname)" "$(hrun --rm --uts=host busybox hostname)"
  [ "$(readlink /proc/self/ns/uts)" = "$(hrun --rm --uts=host busybox readlink /proc/self/ns/uts)" ]
  run hrun --rm --uts=host -h box busybox true
  assert_status 125
  assert_match 'conflicting options: --hostname and --uts=host' "$output"
  run hrun --rm --domainname example.org -h box busybox sh -c 'echo $(hostname) $(cat /proc/sys/kernel/domainname)'
  assert_status 0
  assert_eq "box example.org" "$output"
  assert_eq "" "$(ls -A "$R/containers")" "no container dir"
}

@test "namespaces: --cgroupns=private hides the host's cgroup paths, host shows them" {
  run hrun --rm --cgroupns=private busybox sh -c 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'
  assert_status 0
  [ "${lines[0]}" != "$(readlink /proc/self/ns/cgroup)" ]
  # Every hierarchy's path is the namespace's root.
  assert_eq "" "$(echo "$output" | sed 1d | grep -v ':/$' || true)" "private paths"
  run hrun --rm --cgroupns=host busybox sh -c 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'
  assert_status 0
  assert_eq "$(readlink /proc/self/ns/cgroup)" "${lines[0]}" "host cgroup namespace"
  assert_match ':/.+' "$(echo "$output" | sed 1d)" "host paths"
}

@test "namespaces: --time-offset shifts boottime (/proc/uptime) and monotonic; a bad one is refused (125)" {
  host_up=$(cut -d. -f1 /proc/uptime)
  run hrun --rm --time-offset boottime=3600,monotonic=-5 busybox sh -c 'cat /proc/uptime; cat /proc/self/timens_offsets'
  assert_status 0
  up=$(echo "${lines[0]}" | cut -d. -f1)
  [ $((up - host_up)) -ge 3590 ] && [ $((up - host_up)) -le 3660 ] || { echo "uptime $up, host $host_up" >&2; false; }
  assert_match '^monotonic +-5 +0$' "${lines[1]}"
  assert_match '^boottime +3600 +0$' "${lines[2]}"
  # Without the flag: the host's clocks.
  up=$(hrun --rm busybox cut -d. -f1 /proc/uptime)
  [ $((up - host_up)) -lt 60 ]
  for bad in boottime=1h realtime=5 boottime boottime=1,boottime=2; do
    run hrun --rm --time-offset "$bad" busybox true
    assert_status 125
    assert_match 'time-offset' "$output"
  done
  assert_eq "" "$(ls -A "$R/containers")" "no container dir"
}

@test "init: --init runs husk-init as PID 1 with the command as its child; exit codes pass through" {
  run hrun --rm --init busybox sh -c 'tr "\0" " " </proc/1/cmdline; echo; echo $$; exit 3'
  assert_status 3
  assert_eq "/dev/init -- sh -c tr \"\\0\" \" \" </proc/1/cmdline; echo; echo \$\$; exit 3 " "${lines[0]}"
  [ "${lines[1]}" != 1 ]
  run -127 hrun --rm --init busybox nosuchcommand
  assert_match 'nosuchcommand' "$output"
  run -137 hrun --rm --init busybox sh -c 'kill -KILL $$'
}

@test "init: --init reaps orphaned zombies (without it they stay) and husk stop's SIGTERM reaches the command" {
  # The orphan's parent is PID 1: sleep never waits, husk-init does.
  hrun -d --name plain busybox sh -c '(sleep 0.2 &); exec sleep 1000' >/dev/null
  hrun -d --name reaped --init busybox sh -c '(sleep 0.2 &); exec sleep 1000' >/dev/null
  sleep 1
  zombies() { ps -e -o ppid=,stat= | awk -v p="$1" '$1 == p && $2 ~ /^Z/' | wc -l; }
  assert_eq 1 "$(zombies "$(init_pid plain)")" "a zombie under a plain PID 1 (the test can fail)"
  assert_eq 0 "$(zombies "$(init_pid reaped)")" "none under husk-init"
  # sleep has no TERM handler: as PID 1 it would ignore TERM (and be killed
  # after the timeout); as husk-init's child it dies of it, and the code says so.
  start=$SECONDS
  run h stop -t 20 reaped
  assert_status 0
  [ $((SECONDS - start)) -lt 10 ] || { echo "stop waited for the timeout" >&2; false; }
  assert_eq 143 "$(h wait reaped)" "128+SIGTERM"
}

@test "userns: --userns=remap is root inside, the husk range outside; the image's files are root's and / is writable" {
  # The container's root (a host uid of the range) crosses the dirs above
  # the store to reach its bundle, as with docker's userns-remap.
  chmod 755 "$T"
  hrun -d --name mapped --userns=remap busybox sh -c \
    'id -u; id -g; stat -c %u:%g /bin/busybox /etc/passwd /; echo hi >/written && cat /written; exec sleep 1000' >/dev/null
  wait_for 10 sh -c "\"$HUSK\" --root \"$R\" logs mapped | grep -q hi"
  run h logs mapped
  assert_eq "0 0 0:0 0:0 0:0 hi" "$(echo $output)" "root inside, root's image files, a writable /"
  start=$(sed -n 's/^husk:\([0-9]*\):.*/\1/p' /etc/subuid)
  assert_match '^[0-9]+$' "$start" "a husk range in /etc/subuid"
  grep -q '^husk:' /etc/subgid
  pid=$(init_pid mapped)
  uid=$(ps -o uid= -p "$pid" | tr -d ' ')
  [ "$uid" -ge 100000 ] && [ "$uid" = "$start" ] || { echo "host uid $uid, range $start" >&2; false; }
  assert_eq "0 $start 65536" "$(echo $(cat /proc/$pid/uid_map))" "the uid map"
  # What it wrote is the range's on the host.
  id=$(hps --no-trunc --format json | jq -rs '.[0].ID')
  assert_eq "$start" "$(stat -c %u "$R/containers/$id/upper/written")"
  h rm -f mapped >/dev/null
  # Started again, the root is mapped again.
  run hrun --name again --userns=remap busybox sh -c 'echo x >>/f; stat -c %u /bin/busybox; wc -l </f'
  assert_eq "0 1" "$(echo $output)"
  run h start -a again
  assert_eq "0 2" "$(echo $output)"
}

@test "userns: --userns=auto gives each container a 65536-id range of its own" {
  chmod 755 "$T"
  hrun -d --name one --userns=auto busybox sleep 1000 >/dev/null
  hrun -d --name two --userns=auto busybox sleep 1000 >/dev/null
  hrun -d --name three --userns=remap busybox sleep 1000 >/dev/null
  m1=$(awk '{print $2}' /proc/$(init_pid one)/uid_map)
  m2=$(awk '{print $2}' /proc/$(init_pid two)/uid_map)
  m3=$(awk '{print $2}' /proc/$(init_pid three)/uid_map)
  [ "$m1" -ge 100000 ] && [ "$m2" -ge 100000 ]
  [ $(( m1 > m2 ? m1 - m2 : m2 - m1 )) -ge 65536 ] || { echo "ranges $m1 and $m2 overlap" >&2; false; }
  [ $(( m1 > m3 ? m1 - m3 : m3 - m1 )) -ge 65536 ] || { echo "auto $m1 overlaps remap's $m3" >&2; false; }
  assert_eq 0 "$(hrun --rm --userns=auto busybox stat -c %u /etc/passwd)"
}

@test "userns: a bad --userns, or one with the host's pid/network namespace, is refused (125), nothing left" {
  run hrun --rm --userns=keep-id busybox true
  assert_status 125
  assert_match 'invalid --userns "keep-id": expected host, remap or auto' "$output"
  run hrun --rm --userns=remap --pid=host busybox true
  assert_status 125
  assert_match 'conflicting options: --userns=remap and --pid=host' "$output"
  run hrun --rm --userns=auto --network=host busybox true
  assert_status 125
  assert_match 'conflicting options' "$output"
  assert_eq "" "$(ls -A "$R/containers")" "no container dir"
  [ -z "$(_husk_mounts_under "$R")" ]
  assert_eq "" "$(ls -A "$R/tmp" 2>/dev/null)" "no id-mapped layer mounts left in tmp"
}
