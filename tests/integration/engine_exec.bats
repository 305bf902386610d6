#!/usr/bin/env bats
# husk exec, top, stats, cp, port and container prune on real containers:
# the effect of each flag inside the container, docker's exit codes, and
# nothing left behind.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-exec; }

teardown() {
  rm -f "/husk-escape-$BATS_ROOT_PID" "/tmp/husk-escape-$BATS_ROOT_PID"
  engine_teardown
}

box() { h run -d --name "${1:-box}" -e GREETING=hi busybox sleep 1000 >/dev/null; }

@test "exec: -e, --env-file, -u, -w reach the command; the container's env stays; flags after CONTAINER are the command's" {
  box
  run h exec box sh -c 'echo $GREETING $(id -u):$(id -g) $PWD'
  assert_status 0
  assert_eq "hi 0:0 /" "$output" "the container's own settings"
  printf 'FROMFILE=yes\n# a comment\n\nGREETING=file\n' >"$T/env"
  run h exec -e FOO=bar --env-file "$T/env" -u nobody -w /tmp box sh -c 'echo $FOO $FROMFILE $GREETING $(id -u):$(id -g) $PWD'
  assert_status 0
  assert_eq "bar yes file 65534:65534 /tmp" "$output" "the overrides"
  run h exec -u 1234:5678 box sh -c 'echo $(id -u):$(id -g)'
  assert_eq "1234:5678" "$output" "numeric ids absent from passwd"
  run h exec box ls -d /
  assert_eq "/" "$output" "ls's -d, not exec's"
  run h exec box echo -t -d --privileged
  assert_eq "-t -d --privileged" "$output" "flags after CONTAINER"
  run h exec -u nosuchuser box true
  assert_status 1
  assert_match 'unable to find user nosuchuser' "$output"
  run h exec -w relative box true
  assert_status 1
  assert_match 'must be absolute' "$output"
  run h exec --bogus box true
  assert_status 125
  assert_match 'unknown flag: --bogus' "$output"
}

@test "exec: exit codes as docker's: 0, the command's, 126 not executable, 127 not found, 1 not running" {
  box
  run h exec box true
  assert_status 0
  run h exec box sh -c 'exit 3'
  assert_status 3
  run -126 h exec box /etc/passwd
  assert_match 'exec: "/etc/passwd"' "$output"
  run -127 h exec box nosuchcommand
  assert_match 'nosuchcommand' "$output"
  h run --name stopped busybox true
  run h exec stopped true
  assert_status 1
  assert_match 'container stopped is not running' "$output"
  run h exec nosuchcontainer true
  assert_status 1
  assert_match 'no such container: nosuchcontainer' "$output"
  # Nothing of the failed ones stays inside: only sleep runs there.
  assert_eq 1 "$(h top box -o pid,comm | tail -n +2 | grep -c .)" "processes left in the container"
}

@test "exec -d returns at once and the command runs on; --privileged gets every capability; -i passes stdin" {
  box
  run h exec -d box sh -c 'sleep 0.5; echo done >/tmp/marker'
  assert_status 0
  assert_eq "" "$output" "a detached exec prints nothing"
  wait_for 10 h exec box test -f /tmp/marker
  default=$(h exec box sh -c 'grep CapEff /proc/self/status')
  all=$(h exec --privileged box sh -c 'grep CapEff /proc/self/status')
  host=$(grep CapBnd /proc/self/status | awk '{print $2}')
  assert_eq "$host" "${all##*[[:space:]]}" "--privileged: every capability the kernel has"
  [ "$default" != "$all" ] || { echo "the default exec is privileged" >&2; false; }
  run h exec -i box cat <<<"from stdin"
  assert_eq "from stdin" "$output" "-i"
  run h exec box cat <<<"from stdin"
  assert_eq "" "$output" "without -i no stdin"
}

@test "exec -t: a real pty inside" {
  box
  run h exec -t box tty
  assert_status 0
  assert_match '^/dev/pts/[0-9]+$' "${output//$'\r'/}" "tty inside"
  run h exec box tty
  assert_status 1
  assert_match 'not a tty' "$output"
  run h exec -t box sh -c 'exit 5'
  assert_status 5
}

@test "top shows the container's processes (ps options after CONTAINER); stats --no-stream a row for it" {
  box
  h exec -d box sleep 777
  run h top box
  assert_status 0
  assert_match '^UID +PID' "${lines[0]}" "ps -ef header"
  assert_match 'sleep 1000' "$output" "the init"
  assert_match 'sleep 777' "$output" "the exec'd process"
  ! grep -q 'bats' <<<"$output" || { echo "host processes shown" >&2; false; }
  run h top box -o pid,comm
  assert_status 0
  assert_match '^ *PID COMMAND' "${lines[0]}" "ps -o header"
  assert_eq 3 "${#lines[@]}" "header + two processes"
  run h stats --no-stream
  assert_status 0
  assert_match 'CONTAINER ID +NAME +CPU %' "${lines[0]}" "header"
  assert_match ' box +[0-9.]+% +[0-9.]+[KMG]?i?B / [0-9.]+[KMGT]?i?B' "${lines[1]}" "the row"
  run h stats --no-stream --format json box
  assert_status 0
  assert_eq "box 2" "$(jq -r '"\(.Name) \(.PIDs)"' <<<"$output")" "json row: name and pids"
  run h stats --no-stream --format '{{.Name}}: {{.PIDs}}' box
  assert_eq "box: 2" "$output" "a template"
  run h top nosuch
  assert_status 1
}

@test "cp: files and directories in and out, modes kept; a symlink that points out stays inside" {
  box
  # Out: a file (the image's passwd, not the host's).
  h exec box sh -c 'echo inside >/etc/marker'
  h cp box:/etc/passwd "$T/passwd"
  assert_eq "$(h exec box cat /etc/passwd)" "$(cat "$T/passwd")" "the container's passwd"
  [ "$(cat "$T/passwd")" != "$(cat /etc/passwd)" ]
  # In: a file into a directory, by its name, owned by the container's root, mode kept.
  echo hello >"$T/in.txt"
  chmod 640 "$T/in.txt"
  chown 1000:1000 "$T/in.txt"
  h cp "$T/in.txt" box:/tmp/
  assert_eq "640 0:0 hello" "$(h exec box sh -c 'stat -c "%a %u:%g" /tmp/in.txt; cat /tmp/in.txt' | paste -sd' ')" "file in"
  h cp -a "$T/in.txt" box:/tmp/kept.txt
  assert_eq "1000:1000" "$(h exec box stat -c %u:%g /tmp/kept.txt)" "-a keeps the ids"
  # A directory in (a new name) and back out, with a symlink in it.
  mkdir -p "$T/tree/sub"
  echo one >"$T/tree/a"
  echo two >"$T/tree/sub/b"
  chmod 700 "$T/tree/sub"
  ln -s a "$T/tree/link"
  h cp "$T/tree" box:/tmp/copied
  assert_eq "one two a 700" "$(h exec box sh -c 'cat /tmp/copied/a /tmp/copied/sub/b; readlink /tmp/copied/link; stat -c %a /tmp/copied/sub' | paste -sd' ')" "directory in"
  h cp box:/tmp/copied "$T/back"
  diff -r "$T/tree" "$T/back"
  assert_eq "a" "$(readlink "$T/back/link")" "the symlink copied as a link"
  h cp box:/tmp/copied/. "$T/back"
  # Symlinks in the container that point at / or up and out lead to its own root.
  h exec box sh -c 'ln -s / /tmp/escape; ln -s ../../../../../../.. /tmp/up'
  h cp "$T/in.txt" "box:/tmp/escape/husk-escape-$BATS_ROOT_PID"
  [ ! -e "/husk-escape-$BATS_ROOT_PID" ] || { echo "cp wrote to the host's /" >&2; false; }
  h exec box test -f "/husk-escape-$BATS_ROOT_PID"
  h cp "$T/in.txt" "box:/tmp/up/tmp/husk-escape-$BATS_ROOT_PID"
  [ ! -e "/tmp/husk-escape-$BATS_ROOT_PID" ] || { echo "cp wrote to the host's /tmp" >&2; false; }
  h exec box test -f "/tmp/husk-escape-$BATS_ROOT_PID"
  h cp box:/tmp/up/etc/marker "$T/via-up"
  assert_eq inside "$(cat "$T/via-up")" "read through the link: the container's file"
  run h cp box:/tmp/escape/etc/os-release "$T/host-file"
  assert_status 1
  [ ! -e "$T/host-file" ] || { echo "the host's /etc/os-release came out" >&2; false; }
  # Bad input.
  run h cp box:/no/such "$T/x"
  assert_status 1
  assert_match 'No such file' "$output"
  run h cp "$T/a" "$T/b"
  assert_status 1
  assert_match 'CONTAINER:PATH' "$output"
  run h cp "$T/tree" box:/tmp/in.txt
  assert_status 1
  assert_match 'cannot copy a directory to a file' "$output"
}

@test "cp: a stopped container's files, its root mounted only for the copy" {
  h run --name gone busybox sh -c 'echo kept >/tmp/file'
  h cp gone:/tmp/file "$T/file"
  assert_eq kept "$(cat "$T/file")" "out of a stopped container"
  echo new >"$T/new"
  h cp "$T/new" gone:/tmp/new
  assert_eq "" "$(_husk_mounts_under "$R")" "no mount left"
  run h start -a gone
  h cp gone:/tmp/new "$T/new-back"
  assert_eq new "$(cat "$T/new-back")" "what went in is in its upper dir"
}

@test "cp: - is a tar stream: out of a container to stdout, into one from stdin (DEST a directory)" {
  box
  h exec box sh -c 'mkdir -p /data/sub && echo one >/data/a && echo two >/data/sub/b && chmod 640 /data/a && ln -s /etc/passwd /data/link'
  h cp box:/data - >"$T/out.tar"
  assert_eq "data/ data/a data/link data/sub/ data/sub/b" "$(tar -tf "$T/out.tar" | sort | tr '\n' ' ' | sed 's/ $//')"
  assert_match '^-rw-r----- ' "$(tar -tvf "$T/out.tar" data/a)" "mode kept"
  assert_match 'data/link -> /etc/passwd$' "$(tar -tvf "$T/out.tar" data/link)" "a symlink stays a link"
  assert_eq two "$(tar -xOf "$T/out.tar" data/sub/b)"
  assert_eq a "$(h cp box:/data/a - | tar -tf -)" "a file: one entry, by its name"
  # In: the stream's tree lands under DEST, owned by the container's root;
  # -a keeps the stream's owners.
  mkdir -p "$T/src/dir"
  echo three >"$T/src/dir/c"
  chown 1234:1234 "$T/src/dir/c"
  tar -C "$T/src" -cf - dir | h cp - box:/tmp
  assert_eq "three 0:0" "$(h exec box sh -c 'echo $(cat /tmp/dir/c) $(stat -c %u:%g /tmp/dir/c)')"
  h exec box mkdir /srv
  tar -C "$T/src" -cf - dir | h cp -a - box:/srv
  assert_eq "1234:1234" "$(h exec box stat -c %u:%g /srv/dir/c)"
  # docker's errors: DEST missing, DEST a file, no container side.
  run bash -c "tar -C '$T/src' -cf - dir | '$HUSK' --root '$R' --runroot '$RUNROOT' cp - box:/nonexist"
  assert_status 1
  assert_eq "husk: Could not find the file /nonexist in container box" "$output"
  run bash -c "tar -C '$T/src' -cf - dir | '$HUSK' --root '$R' --runroot '$RUNROOT' cp - box:/tmp/dir/c"
  assert_status 1
  assert_eq "husk: extraction point is not a directory" "$output"
  run h cp - "$T/x"
  assert_status 1
  assert_match 'the other side must be CONTAINER:PATH' "$output"
  # Not a tar: libarchive's error, nothing copied, nothing left in tmp/.
  run bash -c "echo garbage | '$HUSK' --root '$R' --runroot '$RUNROOT' cp - box:/tmp"
  assert_status 1
  assert_eq "" "$(ls -A "$R/tmp" | grep '^cp-' || true)" "the scratch directories are gone"
}

@test "container prune removes the stopped containers only; port lists nothing for a container without -p" {
  box up
  h run --name ended busybox true
  h create --name made busybox true >/dev/null
  ended=$(h inspect -f '{{.Id}}' ended)
  made=$(h inspect -f '{{.Id}}' made)
  run h container prune -f
  assert_status 0
  assert_eq "Deleted Containers:" "${lines[0]}" "header"
  assert_eq "$(printf '%s\n' "$ended" "$made" | sort)" "$(printf '%s\n' "${lines[1]}" "${lines[2]}" | sort)" "the stopped ones"
  assert_eq "up" "$(h ps -a --format json | jq -r '.Names')" "only the running one stays"
  [ ! -e "$R/containers/$ended" ] && [ ! -e "$R/containers/$made" ]
  # Without -f it asks; no is no.
  h run --name again busybox true
  run h container prune <<<"n"
  assert_status 0
  assert_eq 2 "$(h ps -aq | wc -l)" "nothing removed without a yes"
  run h port up
  assert_status 0
  assert_eq "" "$output" "no published ports"
  run h port up 80
  assert_status 1
  assert_match "No public port '80/tcp' published for up" "$output"
}
