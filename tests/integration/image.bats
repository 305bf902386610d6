#!/usr/bin/env bats
# The image store through `husk image ...`: the default busybox image made
# offline, rootfs imports, bundles on an overlay run by husk-runtime, names,
# removal and garbage collection, bad input and concurrent writers.

load ../lib/assert.bash
load ../lib/fixtures.bash
load ../lib/image.bash
load ../lib/registry.bash

setup_file() { image_file_setup; }
setup() { image_setup husk-image; }
teardown() { image_teardown; }

# A rootfs dir with busybox and the files the checks look at.
make_rootfs() {
  local d=$1
  mkdir -p "$d"/{bin,etc,data,proc,sys,dev,tmp}
  cp "$HUSK_BUSYBOX" "$d/bin/busybox"
  for a in sh cat ls stat echo id; do ln -s busybox "$d/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$d/etc/passwd"
  echo 'app:x:1234:2345:app:/data:/bin/sh' >>"$d/etc/passwd"
  printf 'root:x:0:\napp:x:2345:\nextra:x:3456:app\n' >"$d/etc/group"
  echo "imported content" >"$d/data/f"
  ln "$d/data/f" "$d/data/hardlink"
  ln -s /data/f "$d/data/abs-link"
  echo tool >"$d/data/suid" && chmod 4755 "$d/data/suid"
  mkfifo "$d/data/fifo"
  chown 1234:2345 "$d/data/f"
  touch -d '2001-02-03 04:05:06' "$d/data"
}

@test "image: the default busybox image is made offline, named busybox:latest" {
  run hk image inspect busybox
  assert_status 0
  assert_eq '["busybox:latest"]' "$(jq -c '.[0].RepoTags' <<<"$output")" "RepoTags"
  assert_eq '["sh"]' "$(jq -c '.[0].Config.Cmd' <<<"$output")" "Cmd"
  assert_match '^sha256:[0-9a-f]{64}$' "$(jq -r '.[0].Id' <<<"$output")" "Id"
  layer=$(jq -r '.[0].RootFS.Layers[0]' <<<"$output")
  # The same busybox makes the same image (layer and id), in any store.
  run "$HUSK" --root "$T/other" image inspect --format '{{json .RootFS.Layers}}' busybox
  assert_status 0
  assert_eq "[\"$layer\"]" "$output" "layer of a second store"
  id=$(hk image inspect --format '{{.Id}}' busybox)
  assert_eq "$id" "$("$HUSK" --root "$T/other" image inspect --format '{{.Id}}' busybox)" "id of a second store"
  # Made by four at once in a new store: all four get the one image.
  for i in 1 2 3 4; do
    ("$HUSK" --root "$T/racing" image inspect --format '{{.Id}}' busybox >"$T/race.$i" 2>&1) &
  done
  wait
  for i in 1 2 3 4; do assert_eq "$id" "$(cat "$T/race.$i")" "maker $i"; done
  assert_eq 1 "$("$HUSK" --root "$T/racing" image ls -q | wc -l)" "one image"
  run hk image ls
  assert_status 0
  assert_match 'busybox +latest +[0-9a-f]{12}' "$output" "image ls"
}

@test "image: a bundle of busybox runs under husk-runtime on an overlay; writes stay in the upper dir" {
  hk image bundle busybox "$T/b1" sh -c 'echo hello from $(hostname); echo new >/newfile; rm /bin/ls; id -u'
  run findmnt -n -o FSTYPE "$T/b1/rootfs"
  assert_eq overlay "$output" "rootfs filesystem"
  run run_bundle "$T/b1"
  assert_status 0
  assert_eq "hello from b1"$'\n'"0" "$output" "container output"
  upper=$R/containers/b1/upper
  assert_eq new "$(cat "$upper/newfile")" "the new file, in the upper dir"
  # The deletion is a whiteout in the upper dir; the shared layer keeps the file.
  assert_eq "character special file 0,0" "$(stat -c '%F %t,%T' "$upper/bin/ls")" "whiteout"
  lower=$(hk image inspect --format '{{.GraphDriver.Data.LowerDir}}' busybox)
  [ -L "$lower/bin/ls" ]
  run hk image unbundle "$T/b1"
  assert_status 0
  [ ! -e "$T/b1" ]
  [ ! -e "$R/containers/b1" ]
  [ -z "$(_husk_mounts_under "$T")" ]
}

@test "image: import a rootfs tarball with --change; files, links, modes and owners survive" {
  make_rootfs "$T/rootfs"
  tar -C "$T/rootfs" -czf "$T/rootfs.tar.gz" .
  run hk image import -c 'CMD ["/bin/cat", "/data/f"]' -c 'ENV GREETING=hi' -c 'WORKDIR /data' \
    -c 'USER app' "$T/rootfs.tar.gz" localhost:5000/imported:v1
  assert_status 0
  id=$output
  assert_match '^sha256:[0-9a-f]{64}$' "$id" "printed id"
  run hk image inspect localhost:5000/imported:v1
  assert_status 0
  assert_eq '["/bin/cat","/data/f"]' "$(jq -c '.[0].Config.Cmd' <<<"$output")" "Cmd"
  assert_eq '/data' "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" "WorkingDir"
  assert_eq 'app' "$(jq -r '.[0].Config.User' <<<"$output")" "User"
  assert_eq "$id" "$(jq -r '.[0].Id' <<<"$output")" "Id"
  lower=$(jq -r '.[0].GraphDriver.Data.LowerDir' <<<"$output")
  assert_eq "$(stat -c %i "$lower/data/f")" "$(stat -c %i "$lower/data/hardlink")" "hard link inode"
  assert_eq "/data/f" "$(readlink "$lower/data/abs-link")" "absolute symlink kept as is"
  assert_eq "4755 1234:2345 fifo" "$(stat -c '%a' "$lower/data/suid") $(stat -c '%u:%g' "$lower/data/f") $(stat -c %F "$lower/data/fifo" | cut -d' ' -f1)" "mode, owner, fifo"
  assert_eq "2001-02-03 04:05:06" "$(date -d "@$(stat -c %Y "$lower/data")" '+%F %T')" "directory mtime"
  # The image's user, working dir and env reach the container.
  hk image bundle localhost:5000/imported:v1 "$T/b2" sh -c 'echo $(id -u):$(id -g):$(id -G) $PWD $GREETING; cat f'
  run run_bundle "$T/b2"
  assert_status 0
  assert_eq "1234:2345:2345 3456 /data hi"$'\n'"imported content" "$output" "process identity, cwd, env"
  hk image unbundle "$T/b2"
}

@test "image: tag, ls, history, rm by name and by id, prune removes only what nothing needs" {
  hk image inspect busybox >/dev/null
  hk image tag busybox mine:1
  hk image tag busybox localhost:5000/mine:2
  run hk image ls --format json
  assert_status 0
  assert_eq 3 "$(jq '.[0].Names | length' <<<"$output")" "names of the one image"
  run hk image history busybox
  assert_status 0
  assert_match 'husk: busybox from /bin/busybox' "$output" "history"
  # An id with several names needs --force.
  id=$(hk image inspect --format '{{.Id}}' busybox)
  run hk image rm "${id#sha256:}"
  assert_status 1
  assert_match 'several names' "$output"
  run hk image rm mine:1
  assert_status 0
  assert_match 'Untagged: mine:1' "$output"
  [ -n "$(ls "$R/layers")" ]
  # A bundle keeps its image's content even with no name left.
  hk image bundle busybox "$T/b3" true
  run hk image rm -f "$id"
  assert_status 0
  assert_match "Deleted: $id" "$output"
  run hk image ls -q
  assert_eq "" "$output" "no images left"
  [ -n "$(ls "$R/layers")" ]
  run run_bundle "$T/b3"
  assert_status 0
  hk image unbundle "$T/b3"
  run hk image prune
  assert_status 0
  assert_match 'deleted: layer sha256:' "$output"
  assert_eq "" "$(ls "$R/layers" "$R/l" "$R/blobs/sha256" "$R/tmp" | grep -v ':$' | grep -v '^$')" "store emptied"
}

# evil_tar OUT KIND VICTIM: a tarball that tries to write VICTIM (a host path).
evil_tar() {
  python3 - "$@" <<'PY'
import io, sys, tarfile
out, kind, victim = sys.argv[1:4]
with tarfile.open(out, "w") as t:
    def add_file(name, data=b"owned\n"):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    if kind == "dotdot":
        add_file("etc/ok")
        add_file("../../../../.." + victim)
    elif kind == "symlink":
        ti = tarfile.TarInfo("out"); ti.type = tarfile.SYMTYPE; ti.linkname = "/"; t.addfile(ti)
        add_file("out" + victim)
    elif kind == "hardlink":
        ti = tarfile.TarInfo("hl"); ti.type = tarfile.LNKTYPE; ti.linkname = "../../../../../etc/passwd"; t.addfile(ti)
PY
}

@test "image: bad tarballs are refused and leave nothing in the store or outside it" {
  victim=/tmp/husk-image-victim-$$
  rm -f "$victim"
  evil_tar "$T/dotdot.tar" dotdot "$victim"
  run hk image import "$T/dotdot.tar" evil:dotdot
  assert_status 1
  assert_match 'leaves the layer' "$output" "error names the path"
  [ ! -e "$victim" ]
  assert_store_empty "a ../ entry"
  # A symlink to / and then a file through it: refused, or kept inside the layer.
  evil_tar "$T/symlink.tar" symlink "$victim"
  run hk image import "$T/symlink.tar" evil:symlink
  [ ! -e "$victim" ]
  if [ "$status" -eq 0 ]; then
    lower=$(hk image inspect --format '{{.GraphDriver.Data.LowerDir}}' evil:symlink)
    [ -f "$lower$victim" ] || [ ! -e "$lower/out$victim" ]
    hk image rm evil:symlink >/dev/null
    hk image prune >/dev/null
  fi
  assert_store_empty "a symlink pointing out"
  evil_tar "$T/hardlink.tar" hardlink "$victim"
  run hk image import "$T/hardlink.tar" evil:hardlink
  assert_status 1
  assert_match 'hl' "$output" "error names the entry"
  assert_store_empty "a hard link out"
  # Corrupt and truncated gzip.
  make_rootfs "$T/rootfs"
  tar -C "$T/rootfs" -czf "$T/good.tar.gz" .
  head -c 20000 "$T/good.tar.gz" >"$T/truncated.tar.gz"
  run hk image import "$T/truncated.tar.gz" bad:truncated
  assert_status 1
  assert_store_empty "a truncated gzip"
  { head -c 100 "$T/good.tar.gz"; head -c 5000 /dev/urandom; tail -c +5101 "$T/good.tar.gz"; } >"$T/corrupt.tar.gz"
  run hk image import "$T/corrupt.tar.gz" bad:corrupt
  assert_status 1
  assert_store_empty "a corrupt gzip"
  run hk image import "$T/missing.tar" bad:missing
  assert_status 1
  assert_match 'missing.tar' "$output"
  run hk image import "$T/good.tar.gz" 'Bad/Name'
  assert_status 1
  assert_match 'invalid reference format' "$output"
  run hk image ls -q
  assert_eq "" "$output" "no images"
}

@test "image: two imports of the same tarball at once share one layer; names and blobs stay whole" {
  make_rootfs "$T/rootfs"
  tar -C "$T/rootfs" -czf "$T/rootfs.tar.gz" .
  for i in 1 2 3 4; do hk image import "$T/rootfs.tar.gz" "same:$i" >"$T/out$i" 2>&1 & done
  wait
  for i in 1 2 3 4; do
    run hk image inspect --format '{{json .RootFS.Layers}}' "same:$i"
    assert_status 0
  done
  assert_eq 1 "$(ls "$R/layers" | wc -l)" "layers"
  assert_eq 1 "$(ls "$R/l" | wc -l)" "short links"
  assert_eq "" "$(ls -A "$R/tmp")" "tmp"
  for b in "$R"/blobs/sha256/*; do
    assert_eq "$(basename "$b")" "$(sha256sum "$b" | cut -d' ' -f1)" "blob $b"
  done
}

@test "image: a deep image (150 layers) loads from an OCI layout and runs: every layer is in the overlay" {
  registry_oci_layout "$T/deep" deep:150
  run hk image load -i "$T/deep"
  assert_status 0
  id=$(hk image ls -q)
  assert_eq 150 "$(hk image inspect --format '{{json .RootFS.Layers}}' "$id" | jq length)" "layers"
  hk image bundle "$id" "$T/b1" sh -c 'ls /layers | wc -l; cat /layers/1 /layers/149'
  run run_bundle "$T/b1"
  assert_status 0
  assert_eq "149"$'\n'"1"$'\n'"149" "$output" "files from the bottom and the top layers"
  hk image unbundle "$T/b1"
  # The layout named no repository: a dangling image, <none> in ls, gone with prune.
  run hk image ls
  assert_match '<none> +<none> +[0-9a-f]{12}' "$output" "image ls"
  run hk image prune
  assert_status 0
  assert_match "deleted: image sha256:$id" "$output"
  assert_store_empty "prune of a dangling image"
}

@test "image: an import killed mid-unpack leaves no layer, blob or name; prune clears its leftovers" {
  mkdir -p "$T/big"
  head -c 300000000 /dev/urandom >"$T/big/blob"
  tar -C "$T/big" -cf "$T/big.tar" .
  "$HUSK" --root "$R" image import "$T/big.tar" big:1 >/dev/null 2>&1 &
  pid=$!
  # Kill it while it unpacks: once its temporary layer dir has content.
  wait_for 20 sh -c "ls '$R'/tmp/layer-*/diff/blob >/dev/null 2>&1"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  run hk image ls -q
  assert_eq "" "$output" "no image named"
  assert_eq "" "$(ls -A "$R/layers" "$R/l" "$R/blobs/sha256" | grep -v ':$' | grep -v '^$')" "no layer, link or blob"
  [ -n "$(ls -A "$R/tmp")" ]
  hk image prune >/dev/null
  assert_store_empty "prune after a killed import"
  run hk image import "$T/big.tar" big:1
  assert_status 0
  assert_store_whole "the import after the crash"
}
