#!/usr/bin/env bats
# husk version, info, system df and system prune as docker's: version's
# blocks and fields, info's counts and host facts (the cgroup version the
# host has), df's sizes computed from the store (a container's upper dir,
# images, volumes) with -v's tables, prune's confirmation and what each of
# -a and --volumes adds; a bad --format is one error and 125.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-system; }

teardown() { engine_teardown; }

hrun() { h run --network none "$@"; }

# A second image, of one file: mine:1.
import_small_image() {
  mkdir -p "$T/rootfs/data"
  echo "small" >"$T/rootfs/data/f"
  tar -C "$T/rootfs" -cf "$T/small.tar" .
  h image import "$T/small.tar" mine:1 >/dev/null
}

@test "version: docker's Client block, an Engine block with husk-runtime's, and --format" {
  run h version
  assert_status 0
  assert_eq "Client:" "${lines[0]}"
  assert_match '^ Version: +0\.1\.0$' "${lines[1]}"
  assert_match '^ Compiler: +(gcc|clang) [0-9]' "${lines[2]}"
  assert_match '^ Git commit: +([0-9a-f]{7,}(-dirty)?|unknown)$' "${lines[3]}"
  assert_match '^ Built: +[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}$' "${lines[4]}"
  local arch
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  assert_eq " OS/Arch:           linux/$arch" "${lines[5]}"
  assert_eq "Engine:" "${lines[6]}"  # bats drops the blank line between blocks
  assert_contains "$output" " husk-runtime:"
  assert_match '  OCI spec: +1\.2\.0 \(accepts 1\.0\.0 through 1\.3\.x\)' "$output"

  run h version --format '{{.Client.Version}} {{.Client.Os}}/{{.Client.Arch}}'
  assert_status 0
  assert_eq "0.1.0 linux/$arch" "$output"
  run h version --format '{{(index .Engine.Components 0).Name}} {{json .Client.GitCommit}}'
  assert_match '^husk-runtime "[0-9a-f]{7}' "$output"
  run h version --format json
  assert_eq "0.1.0" "$(jq -r '.Engine.Components[0].Version' <<<"$output")"
  # husk --version stays as it was.
  run h --version
  assert_eq "husk version 0.1.0" "$output"
}

@test "info: counts follow containers and images; the host's cgroup version, kernel, CPUs and root" {
  run h info --format '{{.Containers}} {{.Images}}'
  assert_status 0
  assert_eq "0 0" "$output"
  hrun -d --name up busybox sleep 100 >/dev/null
  hrun --name done busybox true
  run h info
  assert_status 0
  assert_eq "Engine:" "${lines[0]}"
  assert_eq " Containers: 2" "${lines[1]}"
  assert_eq "  Running: 1" "${lines[2]}"
  assert_eq "  Paused: 0" "${lines[3]}"
  assert_eq "  Stopped: 1" "${lines[4]}"
  assert_eq " Images: 1" "${lines[5]}"
  assert_contains "$output" " Storage Driver: overlay2
  Root Dir: $R"
  assert_contains "$output" " Logging Driver: json-file
 Cgroup Driver: cgroupfs"
  # docker's Cgroup Version: 2 on a unified host only; hybrid and v1 are 1.
  local want=1
  [ "$(husk_cgroup_layout)" = v2 ] && want=2
  assert_contains "$output" " Cgroup Version: $want"
  assert_contains "$output" " Runtimes: husk-runtime
 Default Runtime: husk-runtime"
  assert_contains "$output" "  seccomp
   Profile: default"
  assert_contains "$output" " Kernel Version: $(uname -r)"
  assert_contains "$output" " Architecture: $(uname -m)"
  assert_contains "$output" " CPUs: $(nproc)"
  assert_contains "$output" " Name: $(hostname)"
  assert_contains "$output" " Husk Root Dir: $R"
  assert_match 'Total Memory: [0-9.]+GiB' "$output"

  h pause up
  run h system info --format '{{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}}'
  h unpause up
  assert_eq "0 1 1" "$output"
}

@test "info: --format '{{json .}}' is docker's document" {
  hrun --name done busybox true
  run h info --format '{{json .}}'
  assert_status 0
  assert_eq 1 "$(jq .Containers <<<"$output")"
  assert_eq 1 "$(jq .Images <<<"$output")"
  assert_eq "$R" "$(jq -r .DockerRootDir <<<"$output")"
  assert_eq "overlay2" "$(jq -r .Driver <<<"$output")"
  assert_eq "$(nproc)" "$(jq .NCPU <<<"$output")"
  local want=1
  [ "$(husk_cgroup_layout)" = v2 ] && want=2
  assert_eq "\"$want\"" "$(jq .CgroupVersion <<<"$output")"
  assert_eq "name=seccomp,profile=default" "$(jq -r '.SecurityOptions[] | select(startswith("name=seccomp"))' <<<"$output")"
}

@test "system df: a container that wrote 1MB is 1MB, reclaimable once it stopped; images and volumes counted" {
  run h system df
  assert_status 0
  assert_match '^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$' "${lines[0]}"
  assert_match '^Images +0 +0 +0B +0B$' "${lines[1]}"
  assert_match '^Containers +0 +0 +0B +0B$' "${lines[2]}"
  assert_match '^Local Volumes +0 +0 +0B +0B$' "${lines[3]}"
  assert_match '^Build Cache +0 +0 +0B +0B$' "${lines[4]}"

  hrun --name writer busybox dd if=/dev/zero of=/data bs=1000 count=1000 2>/dev/null
  hrun -d --name up -v vol:/v busybox sh -c 'head -c 2000 /dev/zero >/v/f; sleep 100' >/dev/null
  wait_for 5 test -s "$R/volumes/vol/_data/f"
  local image_size
  image_size=$(h images --format '{{.Size}}')
  run h system df
  assert_status 0
  # The image is in use: nothing of it is reclaimable.
  assert_match "^Images +1 +1 +$image_size +0B \\(0%\\)\$" "${lines[1]}"
  # writer's 1MB (stopped: all reclaimable); up wrote nothing of its own.
  assert_match '^Containers +2 +1 +1MB +1MB \(100%\)$' "${lines[2]}"
  assert_match '^Local Volumes +1 +1 +2kB +0B \(0%\)$' "${lines[3]}"

  run h system df --format '{{.Type}}={{.Size}}'
  assert_status 0
  assert_eq "Images=$image_size" "${lines[0]}"
  assert_eq "Containers=1MB" "${lines[1]}"
  run h system df --format json
  assert_eq "Containers 2 1" "$(jq -r 'select(.Type == "Containers") | "\(.Type) \(.TotalCount) \(.Active)"' <<<"$output")"
}

@test "system df -v: each image's size, shared and unique bytes and containers; a tag is no second image" {
  hrun --name c1 busybox true
  import_small_image
  local busybox_size small_size
  busybox_size=$(h images --format '{{.Repository}} {{.Size}}' | awk '$1 == "busybox" { print $2 }')
  small_size=$(h images --format '{{.Repository}} {{.Size}}' | awk '$1 == "mine" { print $2 }')
  # A tag is the same image: no second image, no layer counted twice.
  h image tag busybox again:1
  run h system df --format '{{.Type}} {{.TotalCount}} {{.Active}}'
  assert_eq "Images 2 1" "${lines[0]}"
  run h system df -v
  assert_status 0
  assert_match "^busybox +latest +[0-9a-f]{12} +.* ago +$busybox_size +0B +$busybox_size +1\$" \
    "$(grep -E '^(busybox|again) ' <<<"$output" | sed -E 's/^again +1 /busybox latest /')"
  assert_match "^mine +1 +[0-9a-f]{12} +.* ago +$small_size +0B +$small_size +0\$" "$(grep '^mine ' <<<"$output")"
}

@test "system df -v: docker's images, containers, volumes and build cache tables" {
  hrun --name writer -v vol:/v busybox sh -c 'head -c 3000 /dev/zero >/v/f; head -c 5000 /dev/zero >/f'
  h volume create spare >/dev/null
  local id
  id=$(h inspect --format '{{.Id}}' writer)
  run h system df -v
  assert_status 0
  assert_eq "Images space usage:" "${lines[0]}"
  assert_match '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS$' "${lines[1]}"
  assert_match '^busybox +latest +[0-9a-f]{12} +' "${lines[2]}"
  assert_eq "Containers space usage:" "${lines[3]}"
  assert_match '^CONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES$' "${lines[4]}"
  assert_match "^${id:0:12} +busybox +\"sh -c head -c 300[^\"]*\" +1 +5kB +.* ago +Exited \\(0\\) .* ago +writer\$" \
    "${lines[5]}"
  assert_eq "Local Volumes space usage:" "${lines[6]}"
  assert_match '^VOLUME NAME +LINKS +SIZE$' "${lines[7]}"
  assert_match '^spare +0 +0B$' "${lines[8]}"
  assert_match '^vol +1 +3kB$' "${lines[9]}"
  assert_eq "Build cache usage: 0B" "${lines[10]}"
  assert_match '^CACHE ID +CACHE TYPE +SIZE +CREATED +LAST USED +USAGE +SHARED$' "${lines[11]}"
  assert_eq 12 "${#lines[@]}" "$output"
}

@test "system prune: answering n removes nothing" {
  hrun --name done busybox true
  run h system prune <<<"n"
  assert_status 0
  assert_contains "$output" "WARNING! This will remove:
  - all stopped containers
  - all networks not used by at least one container
  - all dangling images

Are you sure you want to continue? [y/N] "
  assert_not_contains "$output" "Deleted"
  assert_eq "done" "$(h ps -a --format '{{.Names}}')"
  run h system prune -a --volumes <<<"n"
  assert_contains "$output" "  - all volumes not used by at least one container
  - all images without at least one container associated to them"
  assert_eq "done" "$(h ps -a --format '{{.Names}}')"
}

@test "system prune -f: exited and created containers go, running ones stay; named images stay" {
  hrun -d --name up busybox sleep 100 >/dev/null
  hrun --name done busybox sh -c 'head -c 4000 /dev/zero >/f'
  h create --network none --name made busybox true >/dev/null
  local done_id made_id
  done_id=$(h inspect --format '{{.Id}}' done)
  made_id=$(h inspect --format '{{.Id}}' made)
  import_small_image
  run h system prune -f
  assert_status 0
  assert_eq "Deleted Containers:" "${lines[0]}"
  assert_contains "$output" "$done_id"
  assert_contains "$output" "$made_id"
  assert_not_contains "$output" "Deleted Images:"
  assert_eq "Total reclaimed space: 4kB" "${lines[-1]}"
  assert_eq "up" "$(h ps -a --format '{{.Names}}')"
  run h images --format '{{.Repository}}'
  assert_contains "$output" "mine"
  assert_contains "$output" "busybox"
}

@test "system prune -a: images no container uses go, the one a container uses stays" {
  hrun -d --name up busybox sleep 100 >/dev/null
  import_small_image
  run h system prune -a -f
  assert_status 0
  assert_contains "$output" "Deleted Images:
untagged: mine:1
deleted: image sha256:"
  assert_match 'Total reclaimed space: [0-9.]+k?B$' "${lines[-1]}"
  assert_eq "busybox" "$(h images --format '{{.Repository}}')"
  h exec up true
}

@test "system prune --volumes: unused volumes go, one a container uses stays" {
  h volume create gone >/dev/null
  hrun -d --name up -v keep:/k busybox sleep 100 >/dev/null
  run h system prune -f
  assert_status 0
  assert_eq "gone keep" "$(h volume ls -q | sort | tr '\n' ' ' | sed 's/ $//')"
  run h system prune -f --volumes
  assert_status 0
  assert_contains "$output" "Deleted Volumes:
gone
"
  assert_eq "keep" "$(h volume ls -q)"
}

@test "prune --filter: until= takes what was made before, label=/label!= what has (or lacks) the label" {
  h create --network none --name old --label keep=no busybox true >/dev/null
  sleep 1.2
  local cut
  cut=$(date +%s)
  sleep 1.2
  h create --network none --name new --label keep=no busybox true >/dev/null
  h create --network none --name kept --label keep=yes busybox true >/dev/null
  # until: only what was made before the cut.
  run h container prune -f --filter "until=$cut"
  assert_status 0
  assert_eq "Deleted Containers:" "${lines[0]}"
  assert_eq "$(h ps -aq --no-trunc -f name=old)" "" "old went"
  assert_eq "kept new" "$(h ps -a --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
  # label!=keep=yes: everything but kept.
  run h system prune -f --filter label!=keep=yes
  assert_status 0
  assert_eq "kept" "$(h ps -a --format '{{.Names}}')"
  # label=: only what has it; networks and volumes too.
  h network create --label tier=a na >/dev/null
  h network create nb >/dev/null
  h volume create --label tier=a va >/dev/null
  h volume create vb >/dev/null
  run h network prune -f --filter label=tier=a
  assert_status 0
  assert_eq "Deleted Networks:
na" "$output"
  run h volume prune -a -f --filter label=tier
  assert_status 0
  assert_contains "$output" "Deleted Volumes:
va
"
  assert_eq "vb" "$(h volume ls -q)"
  # An image without the label stays; with until=0s (now) every unused image would go.
  import_small_image
  run h image prune -a --filter label=nosuch
  assert_status 0
  assert_contains "$(h images --format '{{.Repository}}')" "mine"
  run h image prune -a --filter until=0s
  assert_status 0
  assert_contains "$output" "untagged: mine:1"
}

@test "prune --filter: bad filters are docker's errors, before anything is asked or removed" {
  h create --network none --name stays busybox true >/dev/null
  run h container prune -f --filter colour=red
  assert_status 1
  assert_eq "husk: invalid filter 'colour'" "$output"
  run h system prune -f --filter until=soon
  assert_status 1
  assert_match "^husk: invalid filter 'until=soon': " "$output"
  run h system prune -f --volumes --filter until=1h
  assert_status 1
  assert_eq 'husk: ERROR: The "until" filter is not supported with "--volumes"' "$output"
  run h volume prune -f --filter until=1h
  assert_status 1
  assert_eq "husk: invalid filter 'until'" "$output"
  assert_eq "stays" "$(h ps -a --format '{{.Names}}')"
}

@test "a bad --format is one error and status 125, for version, info and system df" {
  local cmd
  for cmd in version info "system df"; do
    # shellcheck disable=SC2086
    run h $cmd --format '{{.Nope'
    assert_status 125
    assert_eq 1 "${#lines[@]}" "$cmd: $output"
    assert_match '^husk: template parsing error' "$output"
  done
  # One that parses but cannot run on the document.
  run h info --format '{{index .Containers 3}}'
  assert_status 125
  assert_eq 1 "${#lines[@]}" "$output"
}
