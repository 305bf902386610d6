#!/usr/bin/env bats
# Id-mapped bind mounts (issue 17, item 16; runtime-spec 1.2), and binds of
# a container with a user namespace of its own (item 8). "idmap" and
# "ridmap" options, or uidMappings/gidMappings on a bind. The runtime makes
# the bind in the host's namespaces with mount_setattr(MOUNT_ATTR_IDMAP)
# (the kernel id-maps a mount only for CAP_SYS_ADMIN over its filesystem,
# which an init in a user namespace of its own lacks) and the init attaches
# it. A file owned by ID on disk is seen through the mount as the id the
# mapping gives ID ("containerID hostID size": ID + hostID - containerID).
# runc 1.1.5 has no id-mapped mounts: what the container sees is checked
# against the kernel's rule, with files made on both sides.
#
#   bats tests/integration/runtime_idmap.bats

load runtime_common

RUNC=${RUNC:-/usr/sbin/runc}

teardown() {
  reference_teardown "$RUNC" "$T/runc-state"
  common_teardown
}

# A volume on the host: a (owned 0:0), b (1000:1000), sub/ (a tmpfs mounted
# there, holding c owned 0:0): for ridmap against idmap.
make_volume() {
  VOL=$1
  mkdir -p "$VOL/sub"
  touch "$VOL/a" "$VOL/b"
  chown 1000:1000 "$VOL/b"
  mount -t tmpfs husk-idmap-test "$VOL/sub"
  touch "$VOL/sub/c"
}

# A bundle in a directory others may enter (the init of a user-namespaced
# container runs as host uid 100000).
open_bundle() {
  BUNDLE=$(mktemp -d /tmp/husk-idmap-XXXXXX)/bundle
  EXTRA_DIRS+=("${BUNDLE%/bundle}")
  chmod 0755 "${BUNDLE%/bundle}"
  mkbundle "$BUNDLE" "$@"
}

@test "idmap: a bind with its own mappings shows on-disk ids mapped, in a container without a user namespace" {
  make_volume "$T/vol"
  mkbundle "$BUNDLE" sh -c 'stat -c "%n %u:%g" /mnt/a /mnt/b; touch /mnt/new 2>&1 | sed "s/.*: //"'
  add_mount_at "$BUNDLE" "$(jq -nc --arg s "$T/vol" '{destination: "/mnt", type: "bind", source: $s,
    options: ["rbind", "idmap"],
    uidMappings: [{containerID: 0, hostID: 5000, size: 2000}],
    gidMappings: [{containerID: 0, hostID: 7000, size: 2000}]}')"
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  # 0 -> 5000 (gid 7000), 1000 -> 6000 (8000); root (id 0, not in the
  # mapping's range) cannot create a file there: EOVERFLOW.
  assert_eq "/mnt/a 5000:7000" "${lines[0]}"
  assert_eq "/mnt/b 6000:8000" "${lines[1]}"
  assert_match '^Value too large for (defined )?data type$' "${lines[2]}"
  [ ! -e "$T/vol/new" ]
  # The host's files are untouched, and nothing is left mounted but the test's own tmpfs.
  assert_eq "0:0 1000:1000" "$(stat -c %u:%g "$T/vol/a" "$T/vol/b" | tr '\n' ' ' | sed 's/ $//')"
  umount "$T/vol/sub"
}

@test "idmap: mappings alone make it id-mapped; idmap maps the top mount only, ridmap every mount below" {
  make_volume "$T/vol"
  local m='{destination: $d, type: "bind", source: $s, options: $o,
    uidMappings: [{containerID: 0, hostID: 5000, size: 2000}], gidMappings: [{containerID: 0, hostID: 5000, size: 2000}]}'
  mkbundle "$BUNDLE" sh -c 'stat -c "%n %u" /top/a /top/sub/c /rec/a /rec/sub/c /plain/a'
  add_mount_at "$BUNDLE" "$(jq -nc --arg s "$T/vol" --arg d /top --argjson o '["rbind", "idmap"]' "$m")"
  add_mount_at "$BUNDLE" "$(jq -nc --arg s "$T/vol" --arg d /rec --argjson o '["rbind", "ridmap"]' "$m")"
  add_mount_at "$BUNDLE" "$(jq -nc --arg s "$T/vol" --arg d /plain --argjson o '["rbind"]' "$m")"
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_eq "/top/a 5000" "${lines[0]}"
  assert_eq "/top/sub/c 0" "${lines[1]}" "idmap: the mount below keeps its ids"
  assert_eq "/rec/a 5000" "${lines[2]}"
  assert_eq "/rec/sub/c 5000" "${lines[3]}" "ridmap: the mount below is mapped too"
  assert_eq "/plain/a 5000" "${lines[4]}" "uidMappings without the option: id-mapped"
  umount "$T/vol/sub"
}

@test "idmap: in a container with a user namespace, idmap without mappings takes the container's: its root owns the volume" {
  make_volume "$T/vol"
  open_bundle sh -c 'id -u; stat -c "%n %u:%g" /mnt/a /mnt/b; echo hi >/mnt/made && stat -c "%n %u:%g" /mnt/made'
  chown -R 100000:100000 "$BUNDLE/rootfs"
  cfg '.linux.namespaces += [{type: "user"}]
     | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
     | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  add_mount_at "$BUNDLE" "$(jq -nc --arg s "$T/vol" '{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "idmap"]}')"
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_status 0
  assert_eq 0 "${lines[0]}"
  assert_eq "/mnt/a 0:0" "${lines[1]}"
  assert_eq "/mnt/b 1000:1000" "${lines[2]}"
  assert_eq "/mnt/made 0:0" "${lines[3]}"
  # What the container's root made is the host's root's on disk.
  assert_eq "0:0 hi" "$(stat -c %u:%g "$T/vol/made") $(cat "$T/vol/made")"
  umount "$T/vol/sub"
}

@test "idmap: features says id-mapped mounts are enabled and lists the options" {
  hrun hk features
  assert_status 0
  assert_eq true "$(jq '.linux.mountExtensions.idmap.enabled' <<<"$output")"
  assert_eq '["idmap","ridmap"]' "$(jq -c '[.mountOptions[] | select(. == "idmap" or . == "ridmap")]' <<<"$output")"
}

@test "idmap: on a tmpfs, or with no mappings for it, one clear error and nothing left" {
  mkdir -p "$T/vol"
  mkbundle "$BUNDLE" true
  add_mount_at "$BUNDLE" '{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"]}'
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_failed_cleanly "mount /t: id-mapped mounts are only for binds (type tmpfs)"
  assert_nothing_left "$ID"
  BUNDLE=$T/bundle2
  mkbundle "$BUNDLE" true
  add_mount_at "$BUNDLE" "$(jq -nc --arg s "$T/vol" '{destination: "/mnt", type: "bind", source: $s, options: ["bind", "idmap"]}')"
  hrun hk run --bundle "$BUNDLE" "$ID"
  assert_failed_cleanly "mount /mnt: an id-mapped bind needs uidMappings and gidMappings"
  assert_nothing_left "$ID"
}

# A bundle with its own user namespace (0 -> 100000) that binds SOURCE at
# /mnt read-only and cats /mnt/f: in BUNDLE.
userns_bundle() {
  open_bundle cat /mnt/f
  chown -R 100000:100000 "$BUNDLE/rootfs"
  cfg '.linux.namespaces += [{type: "user"}]
     | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
     | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  add_mount_at "$BUNDLE" "$(jq -nc --arg s "$1" '{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "ro"]}')"
}

@test "userns binds (item 8): a source under a directory only the host's root may enter is bound, as runc binds it" {
  [ -x "$RUNC" ] || skip "runc missing: this test compares husk-runtime with it"
  local hidden
  hidden=$(mktemp -d /tmp/husk-hidden-XXXXXX)  # 0700: the container's root (host uid 100000) cannot enter it
  EXTRA_DIRS+=("$hidden")
  mkdir -m 0755 "$hidden/vol"
  echo bound >"$hidden/vol/f"
  chmod 0644 "$hidden/vol/f"
  userns_bundle "$hidden/vol"
  local husk_bundle=$BUNDLE
  userns_bundle "$hidden/vol"
  hrun hk run --bundle "$husk_bundle" "$ID"
  local h_status=$status h_out=$output
  hrun "$RUNC" --root "$T/runc-state" run --bundle "$BUNDLE" "$ID2"
  assert_status 0
  assert_eq bound "$output" "runc"
  assert_eq "0 bound" "$h_status $h_out" "husk-runtime"
  # ro was asked for, and holds inside.
  cfg_at "$husk_bundle" '.process.args = ["sh", "-c", $c]' --arg c 'touch /mnt/g 2>&1 | sed "s/.*: //"'
  hrun hk run --bundle "$husk_bundle" "$ID"
  assert_eq "Read-only file system" "$output"
}
