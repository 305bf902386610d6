#!/usr/bin/env bats
# husk inspect: docker's JSON shape for running and exited containers, -f
# templates, and the Isolation section (namespaces next to the host's,
# cgroups, overlay layers, mounts, id maps) checked against /proc.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-inspect; }

teardown() { engine_teardown; }

# The running init's pid, from the runtime's own state.
init_pid() { "$RUNTIME_BIN" --root "$RUNROOT" state "$(h inspect -f '{{.Id}}' "$1")" | jq -r .pid; }

@test "inspect: a running container in docker's shape" {
  h run -d --name box -l app=web -e GREETING=hi -w /tmp busybox sleep 1000 >/dev/null
  pid=$(init_pid box)
  run h inspect box
  assert_status 0
  j=$output
  assert_eq 1 "$(jq length <<<"$j")" "an array of one"
  assert_eq "/box" "$(jq -r '.[0].Name' <<<"$j")" "Name"
  assert_match '^[0-9a-f]{64}$' "$(jq -r '.[0].Id' <<<"$j")" "Id"
  assert_eq "running true false $pid 0" "$(jq -r '.[0].State | "\(.Status) \(.Running) \(.Paused) \(.Pid) \(.ExitCode)"' <<<"$j")" "State"
  assert_eq 'sleep ["1000"]' "$(jq -c -r '.[0] | "\(.Path) \(.Args)"' <<<"$j")" "Path and Args"
  assert_match '^sha256:[0-9a-f]{64}$' "$(jq -r '.[0].Image' <<<"$j")" "Image is the image id"
  assert_eq busybox "$(jq -r '.[0].Config.Image' <<<"$j")" "Config.Image"
  assert_eq '["sleep","1000"]' "$(jq -c '.[0].Config.Cmd' <<<"$j")" "Config.Cmd"
  assert_eq web "$(jq -r '.[0].Config.Labels.app' <<<"$j")" "Config.Labels"
  assert_eq /tmp "$(jq -r '.[0].Config.WorkingDir' <<<"$j")" "Config.WorkingDir"
  jq -e '.[0].Config.Env | index("GREETING=hi")' <<<"$j" >/dev/null
  assert_eq "$(jq -r '.[0].Id[:12]' <<<"$j")" "$(jq -r '.[0].Config.Hostname' <<<"$j")" "Config.Hostname"
  assert_eq "overlay default" "$(jq -r '.[0] | "\(.Driver) \(.HostConfig.NetworkMode)"' <<<"$j")" "Driver, NetworkMode (docker's: the default bridge)"
  for d in UpperDir WorkDir MergedDir; do
    [ -d "$(jq -r ".[0].GraphDriver.Data.$d" <<<"$j")" ] || { echo "GraphDriver $d is no directory" >&2; false; }
  done
  mountpoint -q "$(jq -r '.[0].GraphDriver.Data.MergedDir' <<<"$j")"
}

@test "inspect: an exited container keeps its code and times; no Isolation without a process" {
  run h run --name done busybox sh -c 'exit 3'
  assert_status 3
  run h inspect done
  assert_status 0
  assert_eq "exited false 0 3" "$(jq -r '.[0].State | "\(.Status) \(.Running) \(.Pid) \(.ExitCode)"' <<<"$output")" "State"
  assert_match '^20[0-9]{2}-' "$(jq -r '.[0].State.FinishedAt' <<<"$output")" "FinishedAt"
  assert_eq null "$(jq -r '.[0].Isolation' <<<"$output")" "Isolation"
  run h create --name fresh busybox true
  assert_eq "created 0001-01-01T00:00:00Z" "$(h inspect -f '{{.State.Status}} {{.State.StartedAt}}' fresh)" "never started"
}

@test "inspect -f: Go-template paths, json, index, join; bad templates and names fail with 1" {
  h run -d --name box -l app=web busybox sleep 1000 >/dev/null
  pid=$(init_pid box)
  assert_eq "$pid" "$(h inspect -f '{{.State.Pid}}' box)" ".State.Pid"
  assert_eq "[sleep 1000]" "$(h inspect --format '{{.Config.Cmd}}' box)" "a list as Go prints it"
  assert_eq '["sleep","1000"]' "$(h inspect -f '{{json .Config.Cmd}}' box)" "json"
  assert_eq "web" "$(h inspect -f '{{index .Config.Labels "app"}}' box)" "index"
  assert_eq "sleep,1000" "$(h inspect -f '{{join .Config.Cmd ","}}' box)" "join"
  assert_eq "/box running true" "$(h inspect -f '{{.Name}} {{.State.Status}} {{.State.Running}}' box)" "several"
  assert_eq "<no value>" "$(h inspect -f '{{.NoSuchField}}' box)" "a missing field"
  [ "$(h inspect -f '{{json .Mounts}}' box | jq -r type)" = array ]
  # A template that does not parse: one error, status 125, nothing else.
  run h inspect -f '{{bogus .Name}}' box
  assert_status 125
  assert_eq 'husk: template parsing error: template: :1: function "bogus" not defined' "$output"
  run h inspect box nosuchthing
  assert_status 1
  assert_match 'no such object: nosuchthing' "$output"
  run h inspect --type image box
  assert_status 1
  # An image name falls back to the image, as docker's.
  assert_match '^sha256:' "$(h inspect -f '{{.Id}}' busybox)" "image fallback"
  run h inspect --type container busybox
  assert_status 1
  assert_match 'no such container' "$output"
}

@test "inspect: the Isolation section matches /proc: namespaces, cgroup, overlay, mounts, id maps" {
  h run -d --name iso busybox sleep 1000 >/dev/null
  pid=$(init_pid iso)
  j=$(h inspect iso)
  assert_eq "$pid" "$(jq -r '.[0].Isolation.Pid' <<<"$j")" "Isolation.Pid"
  for ns in pid mnt uts ipc net; do
    mine=$(stat -L -c %i "/proc/$pid/ns/$ns")
    # PID 1's, or (where even root may not read those: a sandbox without
    # CAP_SYS_PTRACE) husk's own, which is what inspect says it compares with.
    host=$(stat -L -c %i "/proc/1/ns/$ns" 2>/dev/null || stat -L -c %i "/proc/self/ns/$ns")
    [ "$mine" != "$host" ] || { echo "$ns: the container shares the host's" >&2; false; }
    assert_eq "$mine $host false" "$(jq -r ".[0].Isolation.Namespaces.$ns | \"\(.Inode) \(.HostInode) \(.SharedWithHost)\"" <<<"$j")" "$ns namespace"
  done
  # No user namespace of its own (no --userns yet): shared, and so said.
  assert_eq "$(stat -L -c %i /proc/1/ns/user 2>/dev/null || stat -L -c %i /proc/self/ns/user) true" "$(jq -r '.[0].Isolation.Namespaces.user | "\(.Inode) \(.SharedWithHost)"' <<<"$j")" "user namespace"
  assert_eq "0 0 4294967295" "$(jq -r '.[0].Isolation.UidMap[0]' <<<"$j")" "uid map"
  assert_eq "0 0 4294967295" "$(jq -r '.[0].Isolation.GidMap[0]' <<<"$j")" "gid map"
  # Its cgroup: the directories exist and hold its init; pids and memory are counted.
  cg=$(jq -r '.[0].Isolation.Cgroup.Path' <<<"$j")
  assert_match "$(jq -r '.[0].Id' <<<"$j")" "$cg" "cgroup path"
  n=0
  for d in $(jq -r '.[0].Isolation.Cgroup.Dirs[]' <<<"$j"); do
    [ -d "$d" ] || { echo "cgroup dir $d missing" >&2; false; }
    grep -qx "$pid" "$d/cgroup.procs" || { echo "$pid not in $d" >&2; false; }
    n=$((n + 1))
  done
  [ "$n" -ge 1 ]
  [ "$(jq -r '.[0].Isolation.Cgroup.Pids.Current' <<<"$j")" -ge 1 ]
  [ "$(jq -r '.[0].Isolation.Cgroup.Memory.Usage' <<<"$j")" -gt 0 ]
  # Overlay: every layer, the upper and work dirs exist; merged is the mount.
  for d in $(jq -r '.[0].Isolation.Overlay | (.LowerDirs[], .UpperDir, .WorkDir, .MergedDir)' <<<"$j"); do
    [ -d "$d" ] || { echo "overlay dir $d missing" >&2; false; }
  done
  # Mounts as the container sees them: an overlay root, its own /proc.
  assert_eq overlay "$(jq -r '.[0].Isolation.Mounts[] | select(.Target == "/") | .Type' <<<"$j" | tail -1)" "root mount"
  assert_eq proc "$(jq -r '.[0].Isolation.Mounts[] | select(.Target == "/proc") | .Type' <<<"$j")" "/proc"
  assert_eq "$(awk '{print $5}' "/proc/$pid/mountinfo" | sort)" "$(jq -r '.[0].Isolation.Mounts[].Target' <<<"$j" | sort)" "every mount"
}

@test "inspect: the cgroup limits shown are the ones asked for; none asked is unlimited" {
  run h run -d --name lim --pids-limit 42 -m 64m busybox sleep 1000
  assert_status 0
  j=$(h inspect lim)
  assert_eq 42 "$(jq -r '.[0].Isolation.Cgroup.Pids.Max' <<<"$j")" "pids.max"
  assert_eq 42 "$(jq -r '.[0].HostConfig.PidsLimit' <<<"$j")" "HostConfig.PidsLimit"
  assert_eq $((64 * 1024 * 1024)) "$(jq -r '.[0].HostConfig.Memory' <<<"$j")" "HostConfig.Memory"
  h run -d --name free busybox sleep 1000 >/dev/null
  j=$(h inspect free)
  assert_eq "null" "$(jq -r '.[0].Isolation.Cgroup.Pids.Max' <<<"$j")" "no pids limit"
  assert_eq "null" "$(jq -r '.[0].HostConfig.PidsLimit' <<<"$j")" "HostConfig.PidsLimit"
}
