#!/usr/bin/env bats
# The seed experiments, as real containers: the process is PID 1 of its own
# pid namespace, hostname/proc/mount isolation, the classic chroot escape
# (with a control showing it does escape a plain chroot), and a user
# namespace mapping root to an unprivileged host uid.
#
#   bats tests/integration/seeds.bats

load runtime_common

setup_file() {
  common_setup_file
  # The classic chroot escape: chroot into a subdirectory while keeping the
  # cwd outside it, climb with "..", chroot there.  It then reports whether
  # the host-only path argv[1] is visible.
  build_static chroot_escape <<'EOF'
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  struct stat st;
  if (argc != 2) { fprintf(stderr, "usage: %s HOST-ONLY-PATH\n", argv[0]); return 2; }
  mkdir(".out", 0755);
  if (chroot(".out") != 0) { perror("chroot .out"); return 3; }
  if (chdir("../../../../../../../../../../") != 0) { perror("chdir .."); return 4; }
  if (chroot(".") != 0) { perror("chroot ."); return 5; }
  if (stat(argv[1], &st) == 0) puts("ESCAPED: host marker visible");
  else puts("contained: host marker not visible");
  return 0;
}
EOF
}

@test "seeds: the container's process is PID 1" {
  mkbundle "$BUNDLE" sh -c 'echo $$; read -r c </proc/1/comm; echo "$c"'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_output $'1\nsh'
}

@test "seeds: ps inside shows only the container's processes" {
  mkbundle "$BUNDLE" sh -c 'ps -o pid,comm; true'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  # Header, sh (PID 1) and ps itself: nothing of the host.  ("; true" keeps
  # sh from exec'ing ps.)
  got=$(awk 'NR > 1 { print $1, $2 }' <<<"$stdout" | sort -n)
  assert_eq "1 sh" "$(head -1 <<<"$got")" "first process"
  assert_eq 2 "$(wc -l <<<"$got")" "process count (output: $stdout)"
  assert_match '^[0-9]+ ps$' "$(tail -1 <<<"$got")" "second process"
}

@test "seeds: /proc shows only the container's processes" {
  # A shell glob, so no extra process exists while /proc is listed.
  mkbundle "$BUNDLE" sh -c 'echo /proc/[0-9]*'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_output "/proc/1"
  # ...while the host has many.
  [ "$(ls -d /proc/[0-9]* | wc -l)" -gt 10 ]
}

@test "seeds: the hostname from config.json is seen inside" {
  mkbundle "$BUNDLE" hostname
  cfg '.hostname = "husk-seed-host"'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_output "husk-seed-host"
}

@test "seeds: hostname changed inside does not change the host's" {
  before=$(hostname)
  mkbundle "$BUNDLE" sh -c 'hostname other && hostname'
  set_caps_at "$BUNDLE" CAP_SYS_ADMIN
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_output "other"
  assert_eq "$before" "$(hostname)" "host hostname"
  assert_eq "$before" "$(cat /proc/sys/kernel/hostname)" "host kernel.hostname"
}

@test "seeds: a mount made inside is not in the host's mount table" {
  mkdir "$T/out"
  mkbundle "$BUNDLE" sh -c 'mount -t tmpfs husk-seed-tmpfs /tmp && touch /tmp/inside && grep -c husk-seed-tmpfs /proc/self/mountinfo >/out/count && exec sleep 1000'
  add_mount_at "$BUNDLE" "{\"destination\":\"/out\",\"type\":\"bind\",\"source\":\"$T/out\",\"options\":[\"rbind\",\"rw\"]}"
  set_caps_at "$BUNDLE" CAP_SYS_ADMIN
  hk_create_start "$ID" "$BUNDLE"
  wait_for 10 test -s "$T/out/count"
  # The mount is real: the container's own table has it...
  assert_eq 1 "$(cat "$T/out/count")" "mounts inside"
  pid=$(state_of "$ID" pid)
  grep -q husk-seed-tmpfs "/proc/$pid/mountinfo"
  # ...and the host's does not.
  ! grep -q husk-seed-tmpfs /proc/self/mountinfo
  ! grep -q husk-seed-tmpfs /proc/1/mountinfo
  [ ! -e "$BUNDLE/rootfs/tmp/inside" ]
}

# The marker is a directory at the host's / that only the host has.
escape_marker() {
  MARKER=/husk-escape-marker-$$-$BATS_TEST_NUMBER
  mkdir "$MARKER"
  EXTRA_DIRS+=("$MARKER")
}

@test "seeds: the chroot escape DOES escape a plain chroot (control)" {
  escape_marker
  husk_busybox_rootfs "$T/plain"
  cp "$BATS_FILE_TMPDIR/chroot_escape" "$T/plain/escape"
  run chroot "$T/plain" /escape "$MARKER"
  assert_status 0
  assert_output "ESCAPED: host marker visible"
}

@test "seeds: the chroot escape does not escape the container (CAP_SYS_CHROOT granted)" {
  escape_marker
  mkbundle "$BUNDLE" /escape "$MARKER"
  cp "$BATS_FILE_TMPDIR/chroot_escape" "$BUNDLE/rootfs/escape"
  set_caps_at "$BUNDLE" CAP_SYS_CHROOT
  # The marker's name is not in the rootfs either.
  [ ! -e "$BUNDLE/rootfs$MARKER" ]
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_output "contained: host marker not visible"
  # It did run its chroots: .out was made in the container's /.
  [ -d "$BUNDLE/rootfs/.out" ]
}

@test "seeds: the chroot escape does not escape a --no-pivot container either" {
  escape_marker
  mkbundle "$BUNDLE" /escape "$MARKER"
  cp "$BATS_FILE_TMPDIR/chroot_escape" "$BUNDLE/rootfs/escape"
  set_caps_at "$BUNDLE" CAP_SYS_CHROOT
  hrun hk run --no-pivot --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_output "contained: host marker not visible"
}

# A bundle outside bats' 0700 temp dirs: with a user namespace the runtime
# works as host uid 100000 inside it and must be able to reach the rootfs.
userns_bundle() {
  USERNS_DIR=$(mktemp -d /tmp/husk-userns-XXXXXX)
  EXTRA_DIRS+=("$USERNS_DIR")
  chmod 0755 "$USERNS_DIR"
  UBUNDLE=$USERNS_DIR/bundle
  mkbundle "$UBUNDLE" "$@"
  cfg_at "$UBUNDLE" '
      .linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  chown -R 100000:100000 "$UBUNDLE/rootfs"
}

@test "seeds: user namespace: root inside is uid 100000 on the host" {
  userns_bundle sleep 1000
  mkdir "$USERNS_DIR/out"
  chown 100000:100000 "$USERNS_DIR/out"
  add_mount_at "$UBUNDLE" "{\"destination\":\"/out\",\"type\":\"bind\",\"source\":\"$USERNS_DIR/out\",\"options\":[\"rbind\",\"rw\"]}"
  echo host-secret >"$USERNS_DIR/rootowned"
  chmod 0600 "$USERNS_DIR/rootowned"
  add_mount_at "$UBUNDLE" "{\"destination\":\"/rootowned\",\"type\":\"bind\",\"source\":\"$USERNS_DIR/rootowned\",\"options\":[\"bind\",\"ro\"]}"
  touch "$UBUNDLE/rootfs/rootowned"
  hk_create_start "$ID" "$UBUNDLE"
  pid=$(state_of "$ID" pid)
  assert_eq $'0\n0' "$(hk exec "$ID" sh -c 'id -u; id -g' </dev/null)" "uid and gid inside"
  assert_eq $'100000\t100000\t100000\t100000' "$(awk '/^Uid:/ { print $2 "\t" $3 "\t" $4 "\t" $5 }' "/proc/$pid/status")" "host view of Uid"
  assert_eq $'100000\t100000\t100000\t100000' "$(awk '/^Gid:/ { print $2 "\t" $3 "\t" $4 "\t" $5 }' "/proc/$pid/status")" "host view of Gid"
  assert_eq "0 100000 65536" "$(awk '{ print $1, $2, $3 }' "/proc/$pid/uid_map")" uid_map
  assert_eq "0 100000 65536" "$(awk '{ print $1, $2, $3 }' "/proc/$pid/gid_map")" gid_map
  # A file root makes inside belongs to 100000 on the host.
  hk exec "$ID" touch /out/made-by-root </dev/null
  assert_eq 100000:100000 "$(stat -c %u:%g "$USERNS_DIR/out/made-by-root")" "owner on the host"
  # Host root is not mapped: its file shows as the overflow uid and stays
  # unreadable to the container's root.
  hrun hk exec "$ID" sh -c 'stat -c %u /rootowned; cat /rootowned'
  assert_eq 65534 "${lines[0]}" "owner of a host-root file as seen inside"
  assert_contains "$stderr" "Permission denied"
  assert_not_contains "$output" "host-secret"
}
