#!/usr/bin/env bats
# config.json features of husk-runtime, each checked by its effect inside
# (and outside) the container: mounts, masked/readonly paths, readonly root,
# sysctl, rlimits, capabilities, noNewPrivileges, user/groups, umask, cwd,
# env, namespaces joined by path, the time namespace, cgroup placement.
#
#   bats tests/integration/runtime_config.bats

load runtime_common

setup_file() {
  common_setup_file
  # SysV shared memory by key: shows which ipc namespace a process is in.
  build_static shmtool <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: shmtool create|get KEY\n"); return 2; }
  key_t key = (key_t)atoi(argv[2]);
  if (strcmp(argv[1], "create") == 0) {
    if (shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600) < 0) { perror("shmget"); return 1; }
    puts("created");
    return 0;
  }
  if (shmget(key, 0, 0) < 0) { puts("not found"); return 1; }
  puts("found");
  return 0;
}
EOF
}

# run_in CMD : run `sh -c CMD` in a container from $BUNDLE (already made by
# the test, args are replaced); sets status/stdout/stderr/output.
run_in() {
  cfg '.process.args = ["sh", "-c", $c]' --arg c "$1"
  hrun hk run --bundle "$BUNDLE" "$ID"
}

# ---- mounts ----------------------------------------------------------------

@test "mounts: a read-only bind mount of a host dir: readable, writes fail" {
  mkdir "$T/host"
  echo from-host >"$T/host/file"
  mkbundle "$BUNDLE"
  add_mount_at "$BUNDLE" "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$T/host\",\"options\":[\"rbind\",\"ro\"]}"
  run_in 'cat /data/file; touch /data/new'
  assert_status 1
  assert_eq from-host "$stdout" stdout
  assert_eq "touch: /data/new: Read-only file system" "$stderr" stderr
  [ ! -e "$T/host/new" ]
  assert_nothing_left "$ID"
}

@test "mounts: a read-write bind mount writes through to the host" {
  mkdir "$T/host"
  mkbundle "$BUNDLE"
  add_mount_at "$BUNDLE" "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"$T/host\",\"options\":[\"rbind\",\"rw\"]}"
  run_in 'echo written-inside >/data/new'
  assert_status 0
  assert_eq written-inside "$(cat "$T/host/new")" "host file"
}

@test "mounts: a bind mount of a single file" {
  echo single-file >"$T/one"
  mkbundle "$BUNDLE"
  add_mount_at "$BUNDLE" "{\"destination\":\"/etc/one\",\"type\":\"bind\",\"source\":\"$T/one\",\"options\":[\"bind\",\"ro\"]}"
  run_in 'cat /etc/one; [ -f /etc/one ] && echo is-a-file'
  assert_status 0
  assert_output $'single-file\nis-a-file'
}

@test "mounts: tmpfs with size and mode options" {
  mkbundle "$BUNDLE"
  add_mount_at "$BUNDLE" '{"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","size=1m","mode=1770"]}'
  run_in 'grep " /scratch " /proc/mounts; stat -c %a /scratch'
  assert_status 0
  assert_eq 2 "${#lines[@]}" "line count (output: $output)"
  read -r src dst fstype opts _ <<<"${lines[0]}"
  assert_eq "tmpfs /scratch tmpfs" "$src $dst $fstype" "mount"
  for o in rw nosuid nodev size=1024k mode=1770; do
    [[ ,$opts, == *",$o,"* ]] || { echo "option $o missing from $opts" >&2; return 1; }
  done
  assert_eq 1770 "${lines[1]}" "mode of /scratch"
}

@test "mounts: a symlink in the rootfs to a host path stays inside the rootfs" {
  mkbundle "$BUNDLE"
  ln -s /etc "$BUNDLE/rootfs/evil"
  ln -s ../../../../../../../../../../etc "$BUNDLE/rootfs/up"
  abs=husk-sym-abs-$ID
  rel=husk-sym-rel-$ID
  EXTRA_DIRS+=("/etc/$abs" "/etc/$rel")
  add_mount_at "$BUNDLE" "{\"destination\":\"/evil/$abs\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=1m\"]}"
  add_mount_at "$BUNDLE" "{\"destination\":\"/up/$rel\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=1m\"]}"
  host_etc_before=$(ls -A /etc | md5sum)
  run_in "awk '\$2 ~ /husk-sym-/ { print \$2, \$3 }' /proc/mounts | sort"
  assert_status 0
  # Both land under the container's own /etc...
  assert_output "$(printf '/etc/%s tmpfs\n' "$abs" "$rel" | sort)"
  # ...whose mount points were made in the rootfs, not in the host's /etc.
  [ -d "$BUNDLE/rootfs/etc/$abs" ]
  [ -d "$BUNDLE/rootfs/etc/$rel" ]
  [ ! -e "/etc/$abs" ] || { echo "host /etc/$abs was created" >&2; return 1; }
  [ ! -e "/etc/$rel" ] || { echo "host /etc/$rel was created" >&2; return 1; }
  assert_eq "$host_etc_before" "$(ls -A /etc | md5sum)" "host /etc listing"
}

@test "mounts: maskedPaths are empty inside" {
  [ -n "$(ls -A /sys/firmware 2>/dev/null)" ] || skip "host /sys/firmware is empty"
  [ -s /proc/timer_list ] || [ "$(wc -c </proc/timer_list)" -gt 0 ] || skip "host /proc/timer_list is empty"
  # Masked files of runc's default list that this kernel has.
  files=()
  for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do
    [ -e "$f" ] && files+=("$f")
  done
  mkbundle "$BUNDLE"
  jq -e '.linux.maskedPaths | index("/proc/timer_list") and index("/sys/firmware")' "$BUNDLE/config.json" >/dev/null
  run_in "for f in ${files[*]}; do echo \$f \$(wc -c <\$f); done; ls -A /sys/firmware | wc -l; touch /sys/firmware/x"
  assert_eq "$(printf '%s 0\n' "${files[@]}")"$'\n0' "$stdout" "sizes of masked paths"
  assert_eq "touch: /sys/firmware/x: Read-only file system" "$stderr" stderr
}

@test "mounts: readonlyPaths (/proc/sys) cannot be written" {
  before=$(cat /proc/sys/net/ipv4/ip_forward)
  mkbundle "$BUNDLE"
  run_in 'echo 1 >/proc/sys/net/ipv4/ip_forward; awk '"'"'$2 == "/proc/sys" { print $4 }'"'"' /proc/mounts'
  assert_eq "$before" "$(cat /proc/sys/net/ipv4/ip_forward)" "host ip_forward"
  assert_contains "$stderr" "Read-only file system"
  [[ ,$stdout, == *,ro,* ]] || { echo "/proc/sys mount options: $stdout" >&2; return 1; }
}

@test "mounts: root.readonly makes / read-only (but not /dev/shm)" {
  mkbundle "$BUNDLE"
  cfg '.root.readonly = true'
  run_in 'touch /x; touch /dev/shm/y && echo shm-ok'
  assert_eq "touch: /x: Read-only file system" "$stderr" stderr
  assert_eq shm-ok "$stdout" stdout
  [ ! -e "$BUNDLE/rootfs/x" ]
}

# ---- sysctl, rlimits -------------------------------------------------------

@test "sysctl: net.ipv4.ip_forward=1 in a new net namespace; the host's is unchanged" {
  before=$(cat /proc/sys/net/ipv4/ip_forward)
  mkbundle "$BUNDLE"
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "net.ipv4.ip_default_ttl": "42"}'
  run_in 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_default_ttl'
  assert_status 0
  assert_output $'1\n42'
  assert_eq "$before" "$(cat /proc/sys/net/ipv4/ip_forward)" "host ip_forward"
  [ "$(cat /proc/sys/net/ipv4/ip_default_ttl)" != 42 ]
}

@test "rlimits: RLIMIT_NOFILE soft/hard are applied" {
  mkbundle "$BUNDLE"
  cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 768}, {type: "RLIMIT_CORE", soft: 0, hard: 0}]'
  run_in 'ulimit -n; ulimit -Hn; awk '"'"'/^Max (open files|core file size)/ { print $(NF-2), $(NF-1) }'"'"' /proc/self/limits'
  assert_status 0
  assert_output $'512\n768\n0 0\n512 768'
}

# ---- capabilities, noNewPrivileges, identity ------------------------------

@test "capabilities: empty sets leave no capability at all" {
  mkbundle "$BUNDLE"
  set_caps_at "$BUNDLE"
  run_in 'grep ^Cap /proc/self/status; ip addr add 10.99.0.1/32 dev lo && echo addr-ok'
  assert_eq "$(printf 'Cap%s:\t0000000000000000\n' Inh Prm Eff Bnd Amb)" "$stdout" "capabilities"
  assert_contains "$stderr" "Operation not permitted"
}

@test "capabilities: CAP_NET_ADMIN alone is the only bit, and it works" {
  mkbundle "$BUNDLE"
  set_caps_at "$BUNDLE" CAP_NET_ADMIN
  run_in 'grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status; ip addr add 10.99.0.1/32 dev lo && echo addr-ok; hostname x 2>&1 || echo hostname-refused'
  assert_status 0
  assert_eq "$(printf 'Cap%s:\t0000000000001000\n' Prm Eff Bnd)" "$(head -3 <<<"$stdout")" "capabilities"
  assert_eq addr-ok "${lines[3]}" "ip addr add (needs CAP_NET_ADMIN)"
  assert_eq hostname-refused "${lines[-1]}" "sethostname without CAP_SYS_ADMIN"
}

@test "capabilities: the runc default set (with ambient) is what the process gets" {
  mkbundle "$BUNDLE"
  run_in 'grep -E "^Cap(Prm|Eff|Bnd)" /proc/self/status'
  assert_status 0
  # CAP_AUDIT_WRITE(29) CAP_KILL(5) CAP_NET_BIND_SERVICE(10)
  assert_output "$(printf 'Cap%s:\t0000000020000420\n' Prm Eff Bnd)"
}

@test "noNewPrivileges: true sets NoNewPrivs, false does not" {
  mkbundle "$BUNDLE"
  cfg '.process.noNewPrivileges = true'
  run_in 'grep NoNewPrivs /proc/self/status'
  assert_status 0
  assert_output $'NoNewPrivs:\t1'
  cfg '.process.noNewPrivileges = false'
  run_in 'grep NoNewPrivs /proc/self/status'
  assert_status 0
  assert_output $'NoNewPrivs:\t0'
}

@test "process.user: uid, gid and additionalGids" {
  mkbundle "$BUNDLE"
  cfg '.process.user = {uid: 1000, gid: 1000, additionalGids: [5, 65534]}'
  run_in 'id -u; id -g; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
  assert_status 0
  assert_output "$(printf '1000\n1000\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t5 65534 ')"
  run_in 'id'
  assert_output "uid=1000(user) gid=1000(user) groups=5(tty),65534(nogroup)"
}

@test "process.user.umask: 0077 gives 0600 files" {
  mkbundle "$BUNDLE"
  cfg '.process.user.umask = 63'
  run_in 'umask; touch /tmp/f; stat -c %a /tmp/f'
  assert_status 0
  assert_output $'0077\n600'
}

@test "process.cwd and process.env" {
  mkbundle "$BUNDLE"
  cfg '.process.cwd = "/etc" | .process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
  run_in 'pwd; echo "[$FOO][$EMPTY]"; env | grep -c -E "^(BATS|HUSK)_" || true'
  assert_status 0
  # Nothing of the caller's environment leaks in.
  assert_output $'/etc\n[bar baz][]\n0'
}

# ---- namespaces ------------------------------------------------------------

@test "namespaces: a new network namespace has only lo, and lo is up (as runc and crun)" {
  mkbundle "$BUNDLE"
  run_in 'ls /sys/class/net; ip -o link show lo | grep -o "<[^>]*>"'
  assert_status 0
  assert_eq lo "${lines[0]}" "interfaces"
  [[ ${lines[1]} == *UP* ]] || { echo "lo is not up: ${lines[1]}" >&2; return 1; }
}

@test "namespaces: B joins A's net, ipc and uts namespaces by path" {
  mkbundle "$BUNDLE" sleep 1000
  cfg '.hostname = "husk-ns-a"'
  cp "$BATS_FILE_TMPDIR/shmtool" "$BUNDLE/rootfs/shmtool"
  hk_create_start "$ID" "$BUNDLE"
  apid=$(state_of "$ID" pid)
  run hk exec "$ID" /shmtool create 4242
  assert_status 0
  assert_output created

  mkbundle "$T/b" sh -c 'for n in net ipc uts pid mnt; do readlink /proc/self/ns/$n; done; hostname; /shmtool get 4242'
  cp "$BATS_FILE_TMPDIR/shmtool" "$T/b/rootfs/shmtool"
  cfg_at "$T/b" 'del(.hostname) | .linux.namespaces |= map(
        if .type == "network" then .path = "/proc/\($p)/ns/net"
        elif .type == "ipc" then .path = "/proc/\($p)/ns/ipc"
        elif .type == "uts" then .path = "/proc/\($p)/ns/uts"
        else . end)' --arg p "$apid"
  hrun hk run --bundle "$T/b" "$ID2"
  assert_status 0
  assert_eq "$(for n in net ipc uts; do readlink "/proc/$apid/ns/$n"; done)" "$(head -3 <<<"$stdout")" "joined namespaces"
  # pid and mount namespaces are B's own.
  [ "${lines[3]}" != "$(readlink "/proc/$apid/ns/pid")" ]
  [ "${lines[4]}" != "$(readlink "/proc/$apid/ns/mnt")" ]
  [ "${lines[3]}" != "$(readlink /proc/self/ns/pid)" ]
  assert_eq husk-ns-a "${lines[5]}" "hostname from A's uts namespace"
  assert_eq found "${lines[6]}" "A's shm segment seen from B"

  # Control: a container with its own ipc namespace does not see it.
  mkbundle "$T/c" /shmtool get 4242
  cp "$BATS_FILE_TMPDIR/shmtool" "$T/c/rootfs/shmtool"
  hrun hk run --bundle "$T/c" "$(husk_unique_name ht3)"
  assert_status 1
  assert_output "not found"
}

@test "namespaces: joining a user namespace by path: the new pid, mount and net namespaces are its own" {
  # A pod's user namespace, held by a process of ours, mapped as podman maps
  # one (0 -> 100000, 65536 ids).
  bg unshare -U sleep 1000
  holder=$!
  wait_for 5 test "$(readlink "/proc/$holder/ns/user")" != "$(readlink /proc/self/ns/user)"
  echo "0 100000 65536" >"/proc/$holder/uid_map"
  echo "0 100000 65536" >"/proc/$holder/gid_map"
  # Mounting /proc and sysfs needs the container's pid and net namespaces to
  # belong to the joined user namespace (runc spec mounts both).
  # The bundle where the namespace's root (host uid 100000) can reach it.
  local dir
  dir=$(mktemp -d /tmp/husk-userns-XXXXXX)
  EXTRA_DIRS+=("$dir")
  chmod 0755 "$dir"
  mkbundle "$dir/bundle" sh -c 'echo $$; readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map; ls /sys/class/net'
  chown -R 100000:100000 "$dir/bundle/rootfs"
  cfg_at "$dir/bundle" '.linux.namespaces += [{type: "user", path: "/proc/\($h)/ns/user"}]' --arg h "$holder"
  hrun hk run --bundle "$dir/bundle" "$ID"
  assert_status 0
  assert_eq 1 "${lines[0]}" "pid 1 of a new pid namespace"
  assert_eq "$(readlink "/proc/$holder/ns/user")" "${lines[1]}" "the joined user namespace"
  assert_eq 0 "${lines[2]}" "root inside"
  assert_eq "0 100000 65536" "$(tr -s ' ' <<<"${lines[3]}" | sed 's/^ //')" "its uid map"
  assert_eq lo "${lines[4]}" "its own network namespace"
  assert_nothing_left "$ID"
}

@test "namespaces: a namespace path that is not a namespace fails cleanly" {
  mkbundle "$BUNDLE" true
  cfg '.linux.namespaces |= map(if .type == "network" then .path = "/etc/hostname" else . end)'
  hrun hk create --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  assert_nothing_left "$ID"
}

@test "namespaces: time namespace with a boottime offset of 100000s" {
  [ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
  mkbundle "$BUNDLE"
  cfg '.linux.namespaces += [{type: "time"}] | .linux.timeOffsets = {boottime: {secs: 100000, nanosecs: 0}, monotonic: {secs: 50000, nanosecs: 0}}'
  host_before=$(cut -d' ' -f1 /proc/uptime)
  run_in 'cut -d" " -f1 /proc/uptime; readlink /proc/self/ns/time'
  host_after=$(cut -d' ' -f1 /proc/uptime)
  assert_status 0
  inside=${lines[0]}
  awk -v i="$inside" -v b="$host_before" -v a="$host_after" 'BEGIN { exit !(i - 100000 >= b - 1 && i - 100000 <= a + 1) }' || {
    echo "uptime inside $inside, host $host_before..$host_after: offset is not 100000" >&2
    return 1
  }
  [ "${lines[1]}" != "$(readlink /proc/self/ns/time)" ]
}

@test "namespaces: a new cgroup namespace shows the container's cgroup as /" {
  mkbundle "$BUNDLE"
  cfg '.linux.namespaces += [{type: "cgroup"}]'
  run_in 'awk -F: '"'"'$2 == "memory" || $2 == "pids" { print $2 ":" $3 }'"'"' /proc/self/cgroup | sort'
  assert_status 0
  assert_output $'memory:/\npids:/'
}

# ---- cgroups ---------------------------------------------------------------

cgroup_hierarchies() {
  local h
  for h in memory pids cpu cpuacct blkio devices freezer cpuset; do
    [ -e "/sys/fs/cgroup/$h/cgroup.procs" ] && echo "$h"
  done
}

@test "cgroup: the init (and an exec'd process) are in /<parent>/<id> of every hierarchy; delete removes them" {
  mkbundle "$BUNDLE" sleep 1000
  hk_create "$ID" "$BUNDLE"
  pid=$(state_of "$ID" pid)
  rel=$CG_PARENT/${BUNDLE##*/}
  for h in $(cgroup_hierarchies); do
    grep -qx "$pid" "/sys/fs/cgroup/$h/$rel/cgroup.procs" || {
      echo "pid $pid not in /sys/fs/cgroup/$h/$rel/cgroup.procs: $(cat "/sys/fs/cgroup/$h/$rel/cgroup.procs" 2>&1)" >&2
      return 1
    }
  done
  assert_eq "/$rel" "$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")" "memory cgroup of the init"
  hrun hk start "$ID"
  assert_status 0
  hrun hk exec -d --pid-file "$T/exec.pid" "$ID" sleep 999
  assert_status 0
  grep -qx "$(cat "$T/exec.pid")" "/sys/fs/cgroup/memory/$rel/cgroup.procs"
  grep -qx "$(cat "$T/exec.pid")" "/sys/fs/cgroup/pids/$rel/cgroup.procs"

  hrun hk kill "$ID" KILL
  assert_status 0
  wait_status "$ID" stopped
  hrun hk delete "$ID"
  assert_status 0
  for h in $(cgroup_hierarchies); do
    [ ! -e "/sys/fs/cgroup/$h/$rel" ] || { echo "/sys/fs/cgroup/$h/$rel left" >&2; return 1; }
  done
  assert_nothing_left "$ID"
}

@test "cgroup: after kill -9 of the init from the host and delete, nothing remains" {
  mkbundle "$BUNDLE" sh -c 'sleep 1000 & exec sleep 1000'
  hk_create_start "$ID" "$BUNDLE"
  pid=$(state_of "$ID" pid)
  kill -KILL "$pid"
  wait_status "$ID" stopped
  hrun hk delete "$ID"
  assert_status 0
  assert_nothing_left "$ID"
  rel=$CG_PARENT/${BUNDLE##*/}
  for h in $(cgroup_hierarchies) systemd; do
    [ ! -e "/sys/fs/cgroup/$h/$rel" ] || { echo "/sys/fs/cgroup/$h/$rel left" >&2; return 1; }
  done
}

@test "cgroup: without cgroupsPath the container still gets its own cgroup" {
  mkbundle "$BUNDLE" sleep 1000
  cfg 'del(.linux.cgroupsPath)'
  EXTRA_CGROUPS+=("husk/$ID")
  hk_create "$ID" "$BUNDLE"
  pid=$(state_of "$ID" pid)
  cg=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$pid/cgroup")
  assert_contains "$cg" "$ID" "default cgroup of the init"
  hrun hk delete --force "$ID"
  assert_status 0
  [ ! -e "/sys/fs/cgroup/pids$cg" ] || { echo "/sys/fs/cgroup/pids$cg left" >&2; return 1; }
}

@test "lsm: apparmorProfile, selinuxLabel and mountLabel on a host without AppArmor or SELinux: the container runs, each is reported as not applied" {
  [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] || skip "this host has AppArmor: the profile would be applied"
  ! grep -q selinuxfs /proc/filesystems || skip "this host has SELinux: the labels would be applied"
  mkbundle "$BUNDLE" sh -c 'cat /proc/self/attr/current 2>&1; echo ran'
  cfg '.process.apparmorProfile = "husk-test" | .process.selinuxLabel = "system_u:system_r:container_t:s0"
       | .linux.mountLabel = "system_u:object_r:container_file_t:s0"'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_contains "$stdout" "ran"
  # (runc's log format: quotes in a message are escaped)
  assert_contains "$stderr" 'process.apparmorProfile \"husk-test\" is not applied: AppArmor is not enabled on this host'
  assert_contains "$stderr" 'process.selinuxLabel \"system_u:system_r:container_t:s0\" is not applied: SELinux is not enabled on this host'
  assert_contains "$stderr" 'linux.mountLabel \"system_u:object_r:container_file_t:s0\" is not applied'
  # exec with a profile of its own says so too.
  mkbundle "$BUNDLE" sleep 100
  cfg '.process.apparmorProfile = ""'
  hk create --bundle "$BUNDLE" "$ID2"
  hk start "$ID2"
  hrun hk exec --apparmor husk-exec "$ID2" true
  assert_status 0
  assert_contains "$stderr" 'process.apparmorProfile \"husk-exec\" is not applied'
  hk delete --force "$ID2"
  # features: husk-runtime applies both where the host has them.
  hrun hk features
  assert_eq true "$(jq -r .linux.apparmor.enabled <<<"$stdout")"
  assert_eq true "$(jq -r .linux.selinux.enabled <<<"$stdout")"
}
