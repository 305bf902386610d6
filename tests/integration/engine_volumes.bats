#!/usr/bin/env bats
# husk's storage flags and volumes, checked inside real containers: -v binds
# (read-write and :ro), named volumes (kept across containers, seeded from
# the image), anonymous volumes (gone with rm -v and --rm), --tmpfs,
# --mount, --read-only; `husk volume create/ls/inspect/rm/prune`; bad specs
# refused with 125 and nothing left.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() {
  engine_setup husk-volumes
  mkdir -p "$T/host"
  echo from-host >"$T/host/in"
}

teardown() { engine_teardown; }


# The store's volumes (hidden entries are the lock and work in progress).
volumes_in_store() { ls "$R/volumes" 2>/dev/null || true; }

# blob_put DIR FILE: FILE moved into DIR's blobs under its digest, printed.
blob_put() {
  local sum
  sum=$(sha256sum "$2" | cut -d' ' -f1)
  mv "$2" "$1/blobs/sha256/$sum"
  echo "$sum"
}

# image_with_volume NAME PATH: busybox with `VOLUME PATH` in its config,
# loaded into the store as NAME (an OCI layout edited with jq).
image_with_volume() {
  local d=$T/oci m c
  h image save --format oci-dir -o "$d" busybox
  m=$(jq -r '.manifests[0].digest' "$d/index.json")
  c=$(jq -r .config.digest "$d/blobs/sha256/${m#sha256:}")
  jq -c --arg v "$2" '.config.Volumes = {($v): {}}' "$d/blobs/sha256/${c#sha256:}" >"$d/config"
  c=$(blob_put "$d" "$d/config")
  jq -c --arg c "sha256:$c" --argjson n "$(stat -c %s "$d/blobs/sha256/$c")" '.config.digest = $c | .config.size = $n' \
    "$d/blobs/sha256/${m#sha256:}" >"$d/manifest"
  m=$(blob_put "$d" "$d/manifest")
  jq -c --arg m "sha256:$m" --argjson n "$(stat -c %s "$d/blobs/sha256/$m")" --arg name "docker.io/library/$1:latest" \
    '.manifests[0].digest = $m | .manifests[0].size = $n | .manifests[0].annotations["io.containerd.image.name"] = $name' \
    "$d/index.json" >"$d/index.new"
  mv "$d/index.new" "$d/index.json"
  h image load -i "$d" >/dev/null
}

@test "volumes: a -v bind is seen and written from inside, the write is on the host; a missing host dir is made" {
  run h run --rm -v "$T/host:/data" busybox sh -c 'cat /data/in; echo from-ctr >/data/out'
  assert_status 0
  assert_output from-host
  assert_eq from-ctr "$(cat "$T/host/out")" "the container's write on the host"
  run h run --rm -v "$T/made/deep:/d" busybox sh -c 'echo x >/d/f'
  assert_status 0
  [ -d "$T/made/deep" ]
  assert_eq x "$(cat "$T/made/deep/f")"
  # Binds given child first still mount parent first (docker sorts them).
  mkdir -p "$T/inner"
  echo inner >"$T/inner/f"
  # (./host: relative to husk's working directory, as docker's CLI reads it.)
  run sh -c "cd '$T' && '$HUSK' --root '$R' --runroot '$RUNROOT' run --rm -v '$T/inner:/o/i' -v ./host:/o busybox cat /o/i/f /o/in"
  assert_status 0
  assert_output $'inner\nfrom-host'
}

@test "volumes: :ro and --mount readonly refuse writes (EROFS) and still read" {
  run h run --rm -v "$T/host:/data:ro" busybox sh -c 'cat /data/in; echo x >/data/new'
  assert_status 1
  assert_match 'from-host' "$output"
  assert_match 'Read-only file system' "$output"
  run h run --rm --mount "type=bind,source=$T/host,target=/data,readonly" busybox sh -c 'touch /data/new'
  assert_status 1
  assert_match 'Read-only file system' "$output"
  [ ! -e "$T/host/new" ]
}

@test "volumes: a named volume keeps its data across containers and is seeded from the image (unless nocopy)" {
  run h run --rm -v keep:/data busybox sh -c 'echo persisted >/data/f'
  assert_status 0
  run h run --rm -v keep:/elsewhere busybox cat /elsewhere/f
  assert_status 0
  assert_output persisted
  assert_eq persisted "$(cat "$R/volumes/keep/_data/f")"
  # A new volume at /etc starts with the image's /etc.
  image_passwd=$(h run --rm busybox cat /etc/passwd)
  [ -n "$image_passwd" ]
  run h run --rm -v etcvol:/etc busybox sh -c 'cat /etc/passwd; echo added >/etc/added'
  assert_status 0
  assert_output "$image_passwd"
  assert_eq "$image_passwd" "$(cat "$R/volumes/etcvol/_data/passwd")"
  # Not empty any more: the next container sees its content, not the image's again.
  run h run --rm -v etcvol:/etc busybox cat /etc/added
  assert_output added
  run h run --rm -v bare:/etc:nocopy busybox ls -A /etc
  assert_status 0
  [ ! -e "$R/volumes/bare/_data/passwd" ]
  run h run --rm --mount type=volume,src=viamount,dst=/etc,volume-nocopy busybox true
  assert_status 0
  assert_eq "" "$(ls -A "$R/volumes/viamount/_data")" "volume-nocopy"
}

@test "volumes: an anonymous volume goes with rm -v and with --rm, not with a plain rm" {
  h create --name a1 -v /scratch busybox sh -c 'echo x >/scratch/f' >/dev/null
  anon=$(volumes_in_store)
  assert_match '^[0-9a-f]{64}$' "$anon" "the anonymous volume's name"
  run h volume inspect -f '{{json .Labels}}' "$anon"
  assert_output '{"com.docker.volume.anonymous":""}'
  run h start -a a1
  assert_status 0
  assert_eq x "$(cat "$R/volumes/$anon/_data/f")"
  run h rm -v a1
  assert_status 0
  assert_eq "" "$(volumes_in_store)" "rm -v removed it"
  h create --name a2 -v /scratch busybox true >/dev/null
  h rm a2 >/dev/null
  assert_match '^[0-9a-f]{64}$' "$(volumes_in_store)" "a plain rm keeps it"
  run h volume prune -f
  assert_status 0
  assert_match 'Deleted Volumes:' "$output"
  assert_eq "" "$(volumes_in_store)"
  run h run --rm -v /scratch -v named:/n busybox true
  assert_status 0
  assert_eq named "$(volumes_in_store)" "--rm removed the anonymous volume, kept the named one"
}

@test "volumes: an image's VOLUME becomes an anonymous volume with the image's files, unless a flag mounts there" {
  image_with_volume withvol /etc
  run h run --name iv withvol sh -c 'cat /etc/passwd; echo kept >/etc/new'
  assert_status 0
  assert_match '^root:' "$output"
  anon=$(volumes_in_store)
  assert_match '^[0-9a-f]{64}$' "$anon" "the image's volume"
  assert_eq kept "$(cat "$R/volumes/$anon/_data/new")"
  [ -s "$R/volumes/$anon/_data/passwd" ]
  h rm -v iv >/dev/null
  assert_eq "" "$(volumes_in_store)" "rm -v took it"
  run h run --rm -v "$T/host:/etc" withvol cat /etc/in
  assert_output from-host
  assert_eq "" "$(volumes_in_store)" "no volume where a bind covers the VOLUME"
}

@test "volumes: volume rm is refused while a container uses it (also with -f), fine once it is gone" {
  h create --name user -v used:/d busybox true >/dev/null
  run h volume rm used
  assert_status 1
  assert_match 'remove used: volume is in use - \[[0-9a-f]{64}\]' "$output"
  run h volume rm -f used
  assert_status 1
  assert_match 'volume is in use' "$output"
  [ -d "$R/volumes/used/_data" ]
  h rm user >/dev/null
  run h volume rm used
  assert_status 0
  assert_output used
  assert_eq "" "$(volumes_in_store)"
  run h volume rm used
  assert_status 1
  assert_match 'no such volume' "$output"
  run h volume rm -f used
  assert_status 0
}

@test "volumes: volume create, ls, inspect and prune as docker's" {
  run h volume create --label team=db --label tier data1
  assert_status 0
  assert_output data1
  run h volume create data1
  assert_status 0
  assert_output data1
  gen=$(h volume create)
  assert_match '^[0-9a-f]{64}$' "$gen"
  run h volume create 'bad/name'
  assert_status 1
  assert_match 'includes invalid characters for a local volume name' "$output"
  run h volume ls
  assert_status 0
  assert_eq 'DRIVER    VOLUME NAME' "${lines[0]}"
  # Sorted by name, as docker's: the generated name may sort either side of data1.
  sorted=$(printf '%s\n' "$gen" data1 | LC_ALL=C sort)
  assert_match "^local +$(sed -n 1p <<<"$sorted")\$" "${lines[1]}"
  assert_match "^local +$(sed -n 2p <<<"$sorted")\$" "${lines[2]}"
  run h volume ls -q
  assert_output "$sorted"
  run h volume ls --format json
  data1_json=$(printf '%s\n' "${lines[@]}" | jq -c 'select(.Name == "data1")')
  assert_eq data1 "$(jq -r .Name <<<"$data1_json")"
  assert_eq 'team=db,tier=' "$(jq -r .Labels <<<"$data1_json")"
  run h volume inspect data1
  assert_status 0
  assert_eq 1 "$(echo "$output" | jq length)"
  assert_eq data1 "$(echo "$output" | jq -r '.[0].Name')"
  assert_eq local "$(echo "$output" | jq -r '.[0].Driver')"
  assert_eq local "$(echo "$output" | jq -r '.[0].Scope')"
  assert_eq db "$(echo "$output" | jq -r '.[0].Labels.team')"
  assert_eq "$R/volumes/data1/_data" "$(echo "$output" | jq -r '.[0].Mountpoint')"
  assert_match '^20[0-9]{2}-' "$(echo "$output" | jq -r '.[0].CreatedAt')"
  run h volume inspect -f '{{.Mountpoint}}' data1
  assert_output "$R/volumes/data1/_data"
  run h volume inspect data1 nosuch
  assert_status 1
  assert_match 'no such volume' "$output"
  # prune: anonymous unused ones only; --all takes the named ones too.
  h create --name holder -v held:/h busybox true >/dev/null
  run h volume prune -f
  assert_status 0
  assert_output 'Total reclaimed space: 0B'
  echo 12345 >"$R/volumes/data1/_data/f"
  run h volume prune -a -f
  assert_status 0
  assert_match 'Deleted Volumes:' "$output"
  assert_match 'Total reclaimed space: 6B' "$output"
  assert_eq held "$(volumes_in_store)" "the volume in use stays"
  run h volume prune -a <<<'n'
  assert_status 0
  assert_eq held "$(volumes_in_store)" "prune without -f asks; no means nothing"
}

@test "volumes: --tmpfs and --mount type=tmpfs are tmpfs with docker's options and the size asked for" {
  run h run --rm --tmpfs /t:size=64k --mount type=tmpfs,dst=/m,tmpfs-size=1m,tmpfs-mode=1770 busybox \
    sh -c 'grep " /t " /proc/mounts; grep " /m " /proc/mounts; stat -c %a /m; df -k /t | tail -1; echo x >/t/f && cat /t/f'
  assert_status 0
  assert_match '^tmpfs /t tmpfs rw,nosuid,nodev,noexec,relatime,size=64k' "${lines[0]}"
  assert_match '^tmpfs /m tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770' "${lines[1]}"
  assert_eq 1770 "${lines[2]}"
  assert_match '^tmpfs +64 ' "${lines[3]}"
  assert_eq x "${lines[4]}"
  # noexec unless asked otherwise.
  run h run --rm --tmpfs /t busybox sh -c 'cp /bin/busybox /t/sh && /t/sh -c true'
  [ "$status" -ne 0 ]
  assert_match 'Permission denied' "$output"
  run h run --rm --tmpfs /t:exec busybox sh -c 'cp /bin/busybox /t/sh && /t/sh -c "echo ran"'
  assert_status 0
  assert_output ran
}

@test "volumes: --read-only root refuses writes while -v, --tmpfs and /dev/shm stay writable" {
  run h run --rm --read-only -v "$T/host:/data" --tmpfs /scratch busybox \
    sh -c 'touch /root-write 2>&1; echo a >/data/a && echo b >/scratch/b && echo c >/dev/shm/c && echo ok'
  assert_status 0
  assert_match 'Read-only file system' "${lines[0]}"
  assert_eq ok "${lines[1]}"
  assert_eq a "$(cat "$T/host/a")"
  run h run --rm busybox sh -c 'touch /root-write && echo writable'
  assert_output writable
}

@test "volumes: bad specs exit 125 with docker's message and leave no container, volume, dir or mount" {
  check_bad() {
    local want=$1
    shift
    run h run --rm "$@" busybox true
    assert_status 125
    assert_match "$want" "$output"
    assert_eq "" "$(ls -A "$R/containers" 2>/dev/null)" "containers after $*"
    assert_eq "" "$(volumes_in_store)" "volumes after $*"
    [ -z "$(_husk_mounts_under "$R")" ]
  }
  check_bad "invalid volume specification: '/h:rel'" -v /scratch -v /h:rel
  check_bad "mount path must be absolute" -v relative
  check_bad "invalid volume specification: ':/x'" -v :/x
  check_bad "invalid volume specification: '/x:ro'" -v /x:ro
  check_bad "invalid mode: bogus" -v "$T/host:/x:bogus"
  check_bad "includes invalid characters for a local volume name" -v 'a/b:/x'
  check_bad "Duplicate mount point: /x" -v "$T/host:/x" --tmpfs /x
  check_bad "unexpected key 'colour' in 'colour=red'" --mount "type=bind,src=$T/host,dst=/x,colour=red"
  check_bad "bind source path does not exist: $T/nosuch" --mount "type=bind,src=$T/nosuch,dst=/x"
  check_bad "target is required" --mount type=volume,src=v1
  check_bad "invalid tmpfs option \"nonsense\"" --tmpfs /t:nonsense
  [ ! -e "$T/nosuch" ]
  # Failures after the volumes and host dirs were made (a later flag's)
  # take them away again.
  check_bad "--label" -v /scratch -v fresh:/f -v "$T/mk/sub:/m" --label '=nokey'
  [ ! -e "$T/mk" ] || { echo "the -v host dir stayed" >&2; return 1; }
}
