#!/usr/bin/env bats
# docker's run/create flags of issue 16, checked inside real containers:
# --group-add (id -G), --shm-size (/dev/shm's size, inspect's ShmSize),
# --cidfile (the id written; an existing file refused), --pull
# always|missing|never (against a registry on 127.0.0.1), --platform (picked
# from an index, a stored image of another platform refused or pulled over,
# one this machine cannot run refused), --volumes-from (the donor's volumes
# and binds, ro/rw). Bad values exit 125 with docker's message and leave no
# container behind.

load ../lib/engine.bash
load ../lib/registry.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-runflags; }

teardown() {
  registry_stop
  engine_teardown
}

hrun() { h run --network none "$@"; }

# No container was made (or one was, and is gone again).
assert_no_containers() {
  run h ps -a -q
  assert_status 0
  assert_output ""
}

# docker's "amd64" for this machine, or a skip for the tests that lean on
# an x86-64 host (linux/386 runs there natively).
need_amd64() {
  [ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (linux/386 as a second platform it runs)"
}

# busybox in the test's registry as REPO:TAG (the registry started).
registry_with_busybox() {
  registry_start "$T/registry"
  h image inspect busybox >/dev/null
  h push busybox "$REGISTRY/$1" >/dev/null 2>&1
  h rmi "$REGISTRY/$1" >/dev/null 2>&1 || true
}

# How often the registry was asked for REPO's manifest TAG.
manifest_gets() {
  grep -c "GET /v2/$1/manifests/$2 " "$T/registry/registry.log" || true
}

@test "runflags: --group-add adds groups by name (the image's /etc/group) and by number, after the user's own" {
  # The default image's /etc/group: root (0) and nobody (65534). The kernel
  # keeps supplementary groups sorted.
  run hrun --rm --group-add nobody --group-add 4242 busybox id -G
  assert_status 0
  assert_output "0 4242 65534"
  run hrun --rm -u nobody --group-add root --group-add 0 busybox id -G
  assert_status 0
  assert_output "65534 0"
  run hrun --rm busybox id -G
  assert_output "0"
  h create --network none --name grp --group-add nobody busybox true >/dev/null
  run h inspect -f '{{json .HostConfig.GroupAdd}}' grp
  assert_output '["nobody"]'
}

@test "runflags: --group-add with a group the image lacks is docker's error, 125, and no container" {
  run hrun --group-add nosuchgroup busybox id -G
  assert_status 125
  assert_contains "$output" "Unable to find group nosuchgroup: no matching entries in group file"
  assert_no_containers
  run hrun --group-add 2147483648 busybox true
  assert_status 125
  assert_contains "$output" "uids and gids must be in range 0-2147483647"
  assert_no_containers
}

@test "runflags: --shm-size is /dev/shm's size (docker's 64m by default) and inspect's ShmSize in bytes" {
  run hrun --rm busybox sh -c 'df -k /dev/shm | tail -n 1; grep " /dev/shm " /proc/mounts'
  assert_status 0
  assert_match '^shm +65536 ' "${lines[0]}"
  assert_match 'size=65536k' "${lines[1]}"
  run hrun --rm --shm-size 128m busybox sh -c 'df -k /dev/shm | tail -n 1; grep " /dev/shm " /proc/mounts'
  assert_status 0
  assert_match '^shm +131072 ' "${lines[0]}"
  assert_match 'tmpfs rw,nosuid,nodev,noexec,.*size=131072k' "${lines[1]}"
  # The limit holds: 128m and no more fit.
  run hrun --rm --shm-size 1m busybox sh -c 'dd if=/dev/zero of=/dev/shm/f bs=1k count=2048 2>&1; ls -l /dev/shm/f'
  assert_contains "$output" "No space left on device"
  assert_match ' 1048576 ' "${lines[-1]}"
  h create --network none --name big --shm-size 1g busybox true >/dev/null
  h create --network none --name dflt busybox true >/dev/null
  assert_eq 1073741824 "$(h inspect -f '{{.HostConfig.ShmSize}}' big)"
  assert_eq 67108864 "$(h inspect -f '{{.HostConfig.ShmSize}}' dflt)"
}

@test "runflags: a bad --shm-size is docker's error, 125, and no container" {
  run hrun --shm-size lots busybox true
  assert_status 125
  assert_contains "$output" "invalid argument \"lots\" for \"--shm-size\" flag: invalid size: 'lots'"
  assert_no_containers
  run h create --network none --shm-size -1 busybox true
  assert_status 125
  assert_contains "$output" "invalid size: '-1'"
  assert_no_containers
}

@test "runflags: --cidfile gets the full id (no newline), from run -d, run and create" {
  run hrun -d --cidfile "$T/cid1" busybox sleep 100
  assert_status 0
  id=$output
  assert_match '^[0-9a-f]{64}$' "$id"
  assert_eq "$id" "$(cat "$T/cid1")"
  assert_eq "$(stat -c %s "$T/cid1")" 64 "no newline"
  run h create --network none --cidfile "$T/cid2" busybox true
  assert_status 0
  assert_eq "$output" "$(cat "$T/cid2")"
  # A foreground run writes it before the command ends.
  run hrun --cidfile "$T/cid3" busybox sh -c 'exit 3'
  assert_status 3
  assert_eq "$(h ps -a -q -l --no-trunc)" "$(cat "$T/cid3")"
  assert_eq "$T/cid3" "$(h inspect -f '{{.HostConfig.ContainerIDFile}}' "$(cat "$T/cid3")")"
}

@test "runflags: --cidfile refuses a file that exists (125, nothing made, the file as it was); a failed create leaves no file" {
  echo keep >"$T/cid"
  run hrun -d --cidfile "$T/cid" busybox sleep 100
  assert_status 125
  assert_contains "$output" "Container ID file found, make sure the other container isn't running or delete $T/cid"
  assert_eq keep "$(cat "$T/cid")"
  assert_no_containers
  run h create --network none --cidfile "$T/nodir/cid" busybox true
  assert_status 125
  assert_contains "$output" "failed to create the container ID file"
  assert_no_containers
  # The create fails after the file was claimed: the file goes again.
  run hrun --cidfile "$T/cid-bad" --group-add nosuchgroup busybox true
  assert_status 125
  [ ! -e "$T/cid-bad" ] || { echo "cidfile left behind" >&2; return 1; }
  assert_no_containers
}

@test "runflags: --pull never: an image not in the store is docker's 'No such image', 125; the default image is still made offline" {
  run hrun --pull never nosuch:1 true
  assert_status 125
  assert_contains "$output" "No such image: nosuch:1"
  assert_not_contains "$output" "Unable to find image"
  assert_no_containers
  run hrun --pull never 127.0.0.1:1/nothere true
  assert_status 125
  assert_contains "$output" "No such image: 127.0.0.1:1/nothere:latest"
  run hrun --rm --pull never busybox echo made-offline
  assert_status 0
  assert_output made-offline
}

@test "runflags: a bad --pull is docker's error, 125, checked before the cidfile, and no container" {
  run hrun --pull sometimes --cidfile "$T/cid" busybox true
  assert_status 125
  assert_contains "$output" "invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\""
  [ ! -e "$T/cid" ] || { echo "cidfile made" >&2; return 1; }
  run h create --network none --pull "" busybox true
  assert_status 0
  h rm "$output" >/dev/null
  run h create --network none --pull Always busybox true
  assert_status 125
  assert_contains "$output" "invalid pull option: 'Always'"
  assert_no_containers
}

@test "runflags: --pull missing pulls once, always pulls again, never does not (a registry on 127.0.0.1)" {
  registry_with_busybox bb:1
  run hrun --rm "$REGISTRY/bb:1" echo first
  assert_status 0
  assert_contains "$output" "Unable to find image '$REGISTRY/bb:1' locally"
  assert_eq first "${lines[-1]}"
  assert_eq 1 "$(manifest_gets bb 1)" "the first run's pull"
  run hrun --rm "$REGISTRY/bb:1" echo stored
  assert_output stored
  run hrun --rm --pull never "$REGISTRY/bb:1" echo never
  assert_output never
  assert_eq 1 "$(manifest_gets bb 1)" "missing and never do not ask the registry when the store has it"
  run hrun --rm --pull always "$REGISTRY/bb:1" echo always
  assert_status 0
  assert_not_contains "$output" "Unable to find image"
  assert_eq always "${lines[-1]}"
  assert_eq 2 "$(manifest_gets bb 1)" "always pulls what the store has"
  # A pull that fails is the run's error: 125, nothing made.
  run hrun --pull always "$REGISTRY/nosuch:1" true
  assert_status 125
  assert_no_containers
}

@test "runflags: --platform picks from an index when pulled; a stored image of another platform is pulled over, or refused with --pull never" {
  need_amd64
  registry_start "$T/registry"
  registry_oci_layout "$T/two" twoarch
  registry_push_layout "$T/two" two:1
  run hrun --rm --platform linux/386 "$REGISTRY/two:1" echo ran
  assert_status 0
  assert_eq ran "${lines[-1]}"
  assert_eq 386 "$(h image inspect -f '{{.Architecture}}' "$REGISTRY/two:1")"
  run hrun --pull never --platform linux/amd64 "$REGISTRY/two:1" true
  assert_status 125
  assert_contains "$output" "image with reference $REGISTRY/two:1 was found but does not match the specified platform: wanted linux/amd64, actual: linux/386"
  assert_no_containers
  # A run with no --platform takes what the store has, warning as docker does.
  run hrun --rm "$REGISTRY/two:1" echo as-stored
  assert_status 0
  assert_contains "$output" "WARNING: The requested image's platform (linux/386) does not match the detected host platform (linux/amd64)"
  # --pull missing pulls this machine's over it.
  run hrun --rm --platform linux/amd64 "$REGISTRY/two:1" echo amd64
  assert_status 0
  assert_contains "$output" "Unable to find image '$REGISTRY/two:1' locally"
  assert_eq amd64 "$(h image inspect -f '{{.Architecture}}' "$REGISTRY/two:1")"
}

@test "runflags: --platform linux/amd64 runs the default image; another platform of a stored image is a clear 125" {
  need_amd64
  run hrun --rm --platform linux/amd64 busybox echo native
  assert_status 0
  assert_output native
  run hrun --rm --platform Linux/x86_64 busybox echo spelled-otherwise
  assert_output spelled-otherwise
  run hrun --pull never --platform linux/386 busybox true
  assert_status 125
  assert_contains "$output" "image with reference busybox was found but does not match the specified platform: wanted linux/386, actual: linux/amd64"
  assert_no_containers
  # A single-platform image pulled for another platform is still not that one.
  registry_with_busybox bb:1
  run hrun --platform linux/386 "$REGISTRY/bb:1" true
  assert_status 125
  assert_contains "$output" "does not match the specified platform: wanted linux/386, actual: linux/amd64"
  assert_no_containers
}

@test "runflags: a --platform this machine cannot run, or that does not parse, is refused before any pull: 125, no container" {
  need_amd64
  [ ! -e /proc/sys/fs/binfmt_misc/qemu-s390x ] || skip "an s390x emulator is registered here"
  run hrun --platform linux/s390x nosuch:1 true
  assert_status 125
  assert_contains "$output" "image platform linux/s390x cannot run on this machine (linux/amd64)"
  assert_not_contains "$output" "Unable to find image"
  assert_no_containers
  run hrun --platform amd64 busybox true
  assert_status 125
  assert_contains "$output" "invalid platform \"amd64\""
  assert_no_containers
}

@test "runflags: --volumes-from takes the donor's named, anonymous and image volumes and its binds, at the same places and modes" {
  mkdir -p "$T/host"
  echo on-host >"$T/host/hf"
  hrun --name donor -v named:/data -v /anon -v "$T/host:/host:ro" busybox \
    sh -c 'echo v >/data/f; echo a >/anon/f' >/dev/null
  run hrun --name taker --volumes-from donor busybox sh -c \
    'cat /data/f /anon/f /host/hf; echo w >/data/w && echo data-rw; touch /host/x 2>/dev/null || echo host-ro; cat /etc/hostname'
  assert_status 0
  assert_eq "v a on-host data-rw host-ro" "$(echo "${lines[@]:0:5}")"
  # The engine's own files are the taker's, not the donor's.
  assert_eq "$(h inspect -f '{{.Config.Hostname}}' taker)" "${lines[5]}"
  assert_eq w "$(hrun --rm -v named:/n busybox cat /n/w)" "the taker wrote into the donor's volume"
  assert_eq '["donor"]' "$(h inspect -f '{{json .HostConfig.VolumesFrom}}' taker)"
  # rm -v of the taker keeps the donor's anonymous volume: the donor uses it.
  anon=$(h inspect -f '{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}' donor)
  [ -n "$anon" ]
  h rm -v taker >/dev/null
  run h volume ls -q
  assert_contains "$output" "$anon"
  # A taker uses the volumes as the donor does: with the donor gone, they stay in use.
  hrun --name taker2 --volumes-from donor busybox true >/dev/null
  h rm donor >/dev/null
  run h volume rm named
  assert_contains "$output" "volume is in use"
  run h volume rm "$anon"
  assert_contains "$output" "volume is in use"
}

@test "runflags: --volumes-from :ro makes every mount read-only; :rw keeps a read-only one read-only (docker's rule); flags win a target" {
  mkdir -p "$T/host"
  hrun --name donor -v named:/data -v "$T/host:/host:ro" busybox true >/dev/null
  run hrun --rm --volumes-from donor:ro busybox sh -c 'touch /data/x 2>&1; grep " /data " /proc/mounts'
  assert_contains "${lines[0]}" "Read-only file system"
  assert_match ' ro[,]' "${lines[1]}"
  run hrun --rm --volumes-from donor:rw busybox sh -c 'touch /data/x && echo data-rw; touch /host/x 2>/dev/null || echo host-ro'
  assert_eq "data-rw host-ro" "$(echo "${lines[@]}")"
  # A -v at a donor's target takes it; the rest still come from the donor.
  run hrun --rm --volumes-from donor -v other:/data busybox sh -c 'ls /data; grep -c " /host " /proc/mounts'
  assert_status 0
  assert_eq 1 "${lines[-1]}"
  assert_not_contains "$output" "x"
}

@test "runflags: --volumes-from an unknown container or with a bad mode is a 125, and no new container" {
  hrun --name donor -v named:/data busybox true >/dev/null
  run hrun --volumes-from nosuch busybox true
  assert_status 125
  assert_contains "$output" "No such container: nosuch"
  run hrun --volumes-from donor:rshared busybox true
  assert_status 125
  assert_contains "$output" "invalid mode: rshared"
  run h ps -a -q --no-trunc
  assert_eq "$(h inspect -f '{{.Id}}' donor)" "$output" "only the donor"
}
