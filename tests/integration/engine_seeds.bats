#!/usr/bin/env bats
# The seed experiments, one `husk` command each (the engine, from images):
# hostname isolation, PID 1 and ps inside, the chroot escape staying inside,
# and overlayfs whiteouts: rm inside the container leaves the image as it
# was. (ipc sharing, user remapping, time offsets, --cpus and -m, update:
# engine_namespaces.bats and engine_limits.bats.)

load ../lib/engine.bash

setup_file() {
  image_file_setup
  command -v gcc >/dev/null || husk_die "gcc missing (scripts/install-deps.sh)"
  # The classic escape (helpers/escape.c says how it works).
  gcc -static -O1 -o "$BATS_FILE_TMPDIR/escape" "$BATS_TEST_DIRNAME/helpers/escape.c"
  # An image with busybox and the escape program.
  husk_busybox_rootfs "$BATS_FILE_TMPDIR/rootfs"
  cp "$BATS_FILE_TMPDIR/escape" "$BATS_FILE_TMPDIR/rootfs/escape"
  echo "from the image" >"$BATS_FILE_TMPDIR/rootfs/etc/seed-file"
  tar -C "$BATS_FILE_TMPDIR/rootfs" -cf "$BATS_FILE_TMPDIR/seeds.tar" .
}

setup() {
  engine_setup husk-seeds
  hk image import -c 'CMD ["sh"]' "$BATS_FILE_TMPDIR/seeds.tar" seeds:1 >/dev/null
}

teardown() {
  [ -z "${MARKER:-}" ] || rmdir "$MARKER" 2>/dev/null || true
  engine_teardown
}


@test "engine seeds: the container has its own hostname and UTS namespace; the host's stays" {
  before=$(hostname)
  run h run --rm -h seedbox seeds:1 sh -c 'hostname; readlink /proc/self/ns/uts'
  assert_status 0
  assert_eq seedbox "${lines[0]}" "hostname inside"
  [ "${lines[1]}" != "$(readlink /proc/self/ns/uts)" ] || { echo "same uts namespace as the host" >&2; false; }
  # Without CAP_SYS_ADMIN (docker's default set) it cannot change it...
  run h run --rm seeds:1 hostname other
  [ "$status" -ne 0 ]
  assert_eq "$before" "$(hostname)" "host hostname"
}

@test "engine seeds: the process is PID 1 and ps shows only the container's processes" {
  run h run --rm seeds:1 sh -c 'echo $$; ps -o pid,comm; true'
  assert_status 0
  assert_eq 1 "${lines[0]}" "the shell is PID 1"
  got=$(printf '%s\n' "${lines[@]:2}" | awk '{ print $1, $2 }' | sort -n)
  assert_eq "1 sh" "$(head -1 <<<"$got")" "first process"
  assert_eq 2 "$(wc -l <<<"$got")" "process count ($got)"
  [ "$(ls -d /proc/[0-9]* | wc -l)" -gt 10 ]
}

@test "engine seeds: the chroot escape stays inside the container (CAP_SYS_CHROOT is in docker's default set)" {
  MARKER=/husk-engine-escape-$$
  mkdir "$MARKER"
  # The control: a plain chroot of the same tree is escaped.
  run chroot "$BATS_FILE_TMPDIR/rootfs" /escape "$MARKER"
  assert_status 0
  assert_eq "ESCAPED: host marker visible" "$output" "plain chroot (control)"
  run h run --rm seeds:1 /escape "$MARKER"
  assert_status 0
  assert_eq "contained: host marker not visible" "$output" "in the container"
}

@test "engine seeds: rm inside the container is an overlayfs whiteout in its upper dir; the image is untouched" {
  run h run --name wh seeds:1 sh -c 'rm /etc/seed-file && echo new >/etc/added && ls /etc/seed-file'
  [ "$status" -ne 0 ]
  assert_match 'No such file' "$output"
  id=$(h ps -a --no-trunc --format '{{.ID}}')
  upper=$R/containers/$id/upper
  assert_eq "character special file 0:0" "$(stat -c '%F %t:%T' "$upper/etc/seed-file")" "the whiteout"
  assert_eq new "$(cat "$upper/etc/added")" "the new file, in the upper dir"
  # The image's layer still has it, and so does every new container.
  assert_eq 1 "$(grep -rlx 'from the image' "$R"/layers/*/diff/etc/seed-file 2>/dev/null | wc -l)" "the layer"
  run h run --rm seeds:1 cat /etc/seed-file
  assert_status 0
  assert_eq "from the image" "$output" "a new container"
  h rm wh >/dev/null
  [ ! -e "$R/containers/$id" ]
}
