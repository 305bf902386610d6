#!/usr/bin/env bats
# husk run's resource flags and husk update, seen where they act: the
# container's cgroup files (v1 hierarchies) and what the process inside meets
# (the OOM killer, a CPU quota, a process limit).

# setup_file, setup, teardown and the helpers (hk, cgfile, refused): engine_flags.bash.
load ../lib/engine_flags.bash

MiB=1048576

@test "limits: -m, --memory-reservation and docker's memory+swap default (twice -m) reach the memory cgroup" {
  id=$(hk run -d -m 10m --memory-reservation 8m busybox sleep 1000)
  assert_eq $((10 * MiB)) "$(cgfile memory "$id" memory.limit_in_bytes)" "memory.limit_in_bytes"
  assert_eq $((20 * MiB)) "$(cgfile memory "$id" memory.memsw.limit_in_bytes)" "memsw: twice -m"
  assert_eq $((8 * MiB)) "$(cgfile memory "$id" memory.soft_limit_in_bytes)" "soft limit"
  assert_eq 0 "$(cgfile memory "$id" memory.oom_control | awk '$1 == "oom_kill_disable" { print $2 }')"
  id2=$(hk run -d -m 64m --memory-swap 100m --oom-kill-disable busybox sleep 1000)
  assert_eq $((100 * MiB)) "$(cgfile memory "$id2" memory.memsw.limit_in_bytes)" "--memory-swap"
  assert_eq 1 "$(cgfile memory "$id2" memory.oom_control | awk '$1 == "oom_kill_disable" { print $2 }')" \
    "--oom-kill-disable"
  # -1: swap without limit (the kernel's "unlimited" is its largest page-aligned value).
  id3=$(hk run -d -m 64m --memory-swap -1 busybox sleep 1000)
  [ "$(cgfile memory "$id3" memory.memsw.limit_in_bytes)" -gt $((1 << 40)) ]
}

@test "limits: -m 10m: a memory hog is killed by the OOM killer (exit 137, OOMKilled, an oom event)" {
  # dd fills a 64 MiB buffer; the host has no swap to spill it to.
  run hk run --rm -m 10m busybox dd if=/dev/zero of=/dev/null bs=64M count=1
  assert_status 137
  # The same without the limit completes.
  run hk run --rm busybox dd if=/dev/zero of=/dev/null bs=64M count=1
  assert_status 0
  # Detached: inspect says the OOM killer did it (docker's State.OOMKilled),
  # and events has its oom before its die; a run that was not killed says false.
  local t0 id ok
  t0=$(date +%s.%N)
  id=$(hk run -d -m 10m busybox dd if=/dev/zero of=/dev/null bs=64M count=1)
  assert_eq 137 "$(hk wait "$id")"
  assert_eq "true 137" "$(hk inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' "$id")"
  assert_eq "oom die" "$(hk events --since "$t0" --until "$(date +%s.%N)" --filter "container=$id" \
    --filter event=oom --filter event=die --format '{{.Action}}' | tr '\n' ' ' | sed 's/ $//')"
  ok=$(hk run -d busybox true)
  assert_eq 0 "$(hk wait "$ok")"
  assert_eq false "$(hk inspect -f '{{.State.OOMKilled}}' "$ok")"
  hk rm "$id" "$ok" >/dev/null
  assert_nothing_left
}

@test "limits: --cpus 0.1 holds a busy loop near 10% of one CPU" {
  id=$(hk run -d --cpus 0.1 busybox sh -c 'while :; do :; done')
  assert_eq 100000 "$(cgfile cpu "$id" cpu.cfs_period_us)" "period"
  assert_eq 10000 "$(cgfile cpu "$id" cpu.cfs_quota_us)" "quota: 0.1 of the period"
  u0=$(cgfile cpuacct "$id" cpuacct.usage)
  t0=$(date +%s%N)
  sleep 2
  u1=$(cgfile cpuacct "$id" cpuacct.usage)
  t1=$(date +%s%N)
  pct=$(((u1 - u0) * 100 / (t1 - t0)))
  echo "# busy loop under --cpus 0.1: ${pct}% of one CPU" >&3
  # Generous bounds: the quota allows 10%; a shared machine may give less.
  [ "$pct" -ge 3 ] && [ "$pct" -le 20 ] || { echo "used ${pct}% of a CPU, not about 10%" >&2; false; }
  # The quota is what held it back.
  [ "$(cgfile cpu "$id" cpu.stat | awk '$1 == "nr_throttled" { print $2 }')" -gt 0 ]
}

@test "limits: --cpu-period/--cpu-quota, --cpu-shares, --cpuset-cpus/--cpuset-mems reach the cpu and cpuset cgroups" {
  id=$(hk run -d --cpu-period 50000 --cpu-quota 25000 -c 512 --cpuset-cpus 0 --cpuset-mems 0 busybox sleep 1000)
  assert_eq 50000 "$(cgfile cpu "$id" cpu.cfs_period_us)"
  assert_eq 25000 "$(cgfile cpu "$id" cpu.cfs_quota_us)"
  assert_eq 512 "$(cgfile cpu "$id" cpu.shares)"
  assert_eq 0 "$(cgfile cpuset "$id" cpuset.cpus)"
  assert_eq 0 "$(cgfile cpuset "$id" cpuset.mems)"
  run hk run --rm --cpuset-cpus 0 busybox grep Cpus_allowed_list /proc/self/status
  assert_status 0
  assert_match 'Cpus_allowed_list:[[:space:]]+0$' "$output"
}

@test "limits: --pids-limit stops forks past it" {
  id=$(hk run -d --pids-limit 7 busybox sleep 1000)
  assert_eq 7 "$(cgfile pids "$id" pids.max)"
  run hk run --rm --pids-limit 3 busybox sh -c 'for i in 1 2 3 4 5; do sleep 3 & done; echo forked'
  assert_match "can't fork" "$output" "forks past the limit"
  run hk run --rm busybox sh -c 'for i in 1 2 3 4 5; do sleep 1 & done; wait; echo forked'
  assert_status 0
  assert_eq forked "$output"
}

@test "limits: --device-read/write-bps/iops throttle a block device; --blkio-weight where the kernel has weights" {
  dev=
  for d in /dev/loop0 /dev/vda /dev/sda /dev/nvme0n1; do [ -b "$d" ] && { dev=$d; break; }; done
  [ -n "$dev" ] || skip "no block device to throttle on this host"
  mm=$(printf '%d:%d' "0x$(stat -c %t "$dev")" "0x$(stat -c %T "$dev")")
  id=$(hk run -d --device-read-bps "$dev:1mb" --device-write-bps "$dev:2mb" \
    --device-read-iops "$dev:100" --device-write-iops "$dev:50" busybox sleep 1000)
  assert_eq "$mm $MiB" "$(cgfile blkio "$id" blkio.throttle.read_bps_device)"
  assert_eq "$mm $((2 * MiB))" "$(cgfile blkio "$id" blkio.throttle.write_bps_device)"
  assert_eq "$mm 100" "$(cgfile blkio "$id" blkio.throttle.read_iops_device)"
  assert_eq "$mm 50" "$(cgfile blkio "$id" blkio.throttle.write_iops_device)"
  run hk run -d --blkio-weight 300 busybox sleep 1000
  assert_status 0
  wid=${lines[-1]}
  if [ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
    w=$(cgfile blkio "$wid" blkio.bfq.weight 2>/dev/null || cgfile blkio "$wid" blkio.weight)
    assert_match '300' "$w" "blkio weight"
  else
    # As docker on a kernel without an IO scheduler's weights.
    assert_match 'WARNING: Your kernel does not support Block I/O weight.*Weight discarded' "$output"
  fi
}

@test "limits: husk update raises and lowers the limits of a running container, in its cgroup" {
  id=$(hk run -d --name upd -m 10m --cpus 0.5 --pids-limit 10 busybox sleep 1000)
  assert_eq $((10 * MiB)) "$(cgfile memory "$id" memory.limit_in_bytes)"
  run hk update -m 50m --memory-swap 100m --cpus 1.5 --pids-limit 20 -c 256 --cpuset-cpus 0 upd
  assert_status 0
  assert_eq upd "$output"
  assert_eq $((50 * MiB)) "$(cgfile memory "$id" memory.limit_in_bytes)" "raised memory"
  assert_eq $((100 * MiB)) "$(cgfile memory "$id" memory.memsw.limit_in_bytes)" "raised memsw"
  assert_eq 150000 "$(cgfile cpu "$id" cpu.cfs_quota_us)" "--cpus 1.5"
  assert_eq 20 "$(cgfile pids "$id" pids.max)"
  assert_eq 256 "$(cgfile cpu "$id" cpu.shares)"
  assert_eq 0 "$(cgfile cpuset "$id" cpuset.cpus)"
  run hk update -m 20m --cpus 0.2 --pids-limit -1 upd
  assert_status 0
  assert_eq $((20 * MiB)) "$(cgfile memory "$id" memory.limit_in_bytes)" "lowered memory"
  assert_eq 20000 "$(cgfile cpu "$id" cpu.cfs_quota_us)" "--cpus 0.2"
  assert_eq max "$(cgfile pids "$id" pids.max)" "--pids-limit -1"
  # config.json keeps them, alone: the next start runs with them, inspect
  # shows them (--cpus as docker's NanoCpus, its CpuQuota 0).
  assert_eq $((20 * MiB)) "$(jq .linux.resources.memory.limit "$R/containers/$id/oci-bundle/config.json")"
  assert_eq "$((20 * MiB)) 200000000 0 0 -1" \
    "$(hk inspect --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.PidsLimit}}' upd)"
  assert_eq null "$(jq .HostConfig.Memory "$R/containers/$id/container.json")"
  # --cpu-quota on a container made without --cpus: inspect shows it as given.
  qid=$(hk run -d --cpu-quota 30000 busybox sleep 1000)
  assert_eq "0 30000" "$(hk inspect --format '{{.HostConfig.NanoCpus}} {{.HostConfig.CpuQuota}}' "$qid")"
  run hk update --cpus 0.5 "$qid"
  assert_status 1
  assert_match 'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set' "$output"
}

@test "limits: husk update of a created container: its start runs with the new limits" {
  id=$(hk create -m 10m busybox sleep 1000)
  run hk update -m 30m --memory-swap 60m "$id"
  assert_status 0
  run hk start "$id"
  assert_status 0
  assert_eq $((30 * MiB)) "$(cgfile memory "$id" memory.limit_in_bytes)"
  assert_eq $((60 * MiB)) "$(cgfile memory "$id" memory.memsw.limit_in_bytes)"
}

@test "limits: husk update refusals: docker's codes and messages, the limits left as they were" {
  id=$(hk run -d --name upd -m 10m --cpus 0.5 busybox sleep 1000)
  run hk update -m foo upd
  assert_status 125
  assert_match 'invalid argument "foo" for "-m, --memory" flag' "$output"
  run hk update -m 30m upd
  assert_status 1
  assert_match 'Memory limit should be smaller than already set memoryswap limit' "$output"
  run hk update --cpu-quota 20000 upd
  assert_status 1
  assert_match 'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set' "$output"
  run hk update upd
  assert_status 125
  assert_match 'you must provide one or more flags' "$output"
  run hk update -m 20m nosuch
  assert_status 1
  assert_match 'no such container' "$output"
  assert_eq $((10 * MiB)) "$(cgfile memory "$id" memory.limit_in_bytes)"
  assert_eq 50000 "$(cgfile cpu "$id" cpu.cfs_quota_us)"
}

@test "limits: bad values are refused with docker's messages and exit 125, leaving nothing" {
  refused 125 'invalid argument "foo" for "-m, --memory" flag: invalid size' run --rm -m foo busybox true
  refused 125 'Minimum memory limit allowed is 6MB' run --rm -m 4m busybox true
  refused 125 'You should always set the Memory limit when using Memoryswap limit' create --memory-swap 1g busybox
  refused 125 'Minimum memoryswap limit should be larger than memory limit' run --rm -m 20m --memory-swap 10m busybox true
  refused 125 'Range of CPUs is from 0.01 to [0-9]+.00' run --rm --cpus -1 busybox true
  refused 125 'failed to parse x as a rational number' run --rm --cpus x busybox true
  refused 125 'Conflicting options: Nano CPUs and CPU Quota cannot both be set' run --rm --cpus 0.5 --cpu-quota 20000 busybox true
  refused 125 'CPU cfs period can not be less than 1ms' run --rm --cpu-period 10 busybox true
  refused 125 'Requested CPUs are not available' run --rm --cpuset-cpus 0-4095 busybox true
  refused 125 'Range of blkio weight is from 10 to 1000' run --rm --blkio-weight 5 busybox true
  refused 125 'bad format for device path' run --rm --device-read-bps sda:1mb busybox true
  refused 125 '/dev/nosuch' run --rm --device-write-iops /dev/nosuch:10 busybox true
  refused 125 '"--pids-limit" flag' run --rm --pids-limit lots busybox true
}
