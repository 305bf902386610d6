#!/usr/bin/env bats
# husk export and husk commit as docker's: a container's filesystem as a
# tar (its image's files and its changes, not its volumes; stopped or
# running; never to a terminal), and a new image of its changes (a deleted
# file stays deleted: the whiteout; -c instructions, -m/-a, untagged
# images, a running container paused meanwhile), with docker's errors.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-commit; }

teardown() { engine_teardown; }

hrun() { h run --network none "$@"; }

# ch: exited, having added /greeting and /data/f and deleted /etc/group.
changed_container() {
  hrun --name ch busybox sh -c 'echo hello >/greeting; mkdir /data; echo d >/data/f; rm /etc/group'
}

@test "export: a stopped container's image files and changes, not what it deleted" {
  changed_container
  h export ch >"$T/c.tar"
  run tar -tf "$T/c.tar"
  assert_status 0
  assert_contains "$output" "bin/busybox"
  assert_contains "$output" "etc/passwd"
  assert_contains "$output" "greeting"
  assert_contains "$output" "data/f"
  assert_not_contains "$output" "etc/group"
  assert_eq "hello" "$(tar -xOf "$T/c.tar" greeting)" "the changed file's content"
  # The busybox applets stay links, with the image's owner.
  assert_match '^lrwxrwxrwx 0/0 .* bin/sh -> busybox$' "$(tar --numeric-owner -tvf "$T/c.tar" bin/sh)"
}

@test "export -o FILE writes the file and nothing to stdout" {
  changed_container
  run h export -o "$T/out.tar" ch
  assert_status 0
  assert_eq "" "$output" "stdout"
  assert_eq "d" "$(tar -xOf "$T/out.tar" data/f)" "data/f in the file"
}

@test "export to a terminal is refused, as docker's" {
  changed_container
  run script -qefc "$HUSK --root $R --runroot $RUNROOT export ch" /dev/null
  assert_status 1
  assert_contains "$output" "cowardly refusing to save to a terminal. Use the -o flag or redirect"
}

@test "export of a running container: its live changes, not its volume" {
  mkdir "$T/vol"
  echo secret >"$T/vol/in-volume"
  hrun -d --name up -v "$T/vol:/vol" busybox sh -c 'echo live >/live; sleep 100' >/dev/null
  wait_for 10 h exec up test -f /live
  h export up >"$T/up.tar"
  run tar -tf "$T/up.tar"
  assert_status 0
  assert_contains "$output" "live"
  assert_contains "$output" "bin/busybox"
  assert_not_contains "$output" "in-volume"
  assert_eq "running" "$(h inspect --format '{{.State.Status}}' up)" "still running"
}

@test "commit: the new image has the change, and not the deleted file (whiteout)" {
  changed_container
  run h commit ch mine:v1
  assert_status 0
  assert_match '^sha256:[0-9a-f]{64}$' "$output"
  id=$output
  assert_eq "$id" "$(h image inspect --format '{{.Id}}' mine:v1)" "the printed id is the image's"
  run hrun --rm mine:v1 cat /greeting /data/f
  assert_status 0
  assert_output $'hello\nd'
  run hrun --rm mine:v1 ls /etc/group
  assert_status 1
  run hrun --rm mine:v1 cat /etc/passwd
  assert_contains "$output" "root:x:0:0"
  # One layer more than busybox's, and the container's command as its Cmd.
  assert_eq 2 "$(h image inspect --format '{{len .RootFS.Layers}}' mine:v1)" "layers"
  assert_eq '["sh","-c","echo hello >/greeting; mkdir /data; echo d >/data/f; rm /etc/group"]' \
    "$(h image inspect mine:v1 | jq -c '.[0].Config.Cmd')" "Cmd"
  assert_eq "$(h inspect --format '{{.Id}}' ch)" "$(h image inspect --format '{{.Container}}' mine:v1)" "Container"
}

@test "commit -c CMD, ENV, EXPOSE, WORKDIR, LABEL: the image's config" {
  changed_container
  h commit -c 'CMD ["echo","hi"]' -c 'ENV GREETING=bonjour' -c 'EXPOSE 8080' -c 'WORKDIR /data' \
    -c 'LABEL team=core' ch conf:1 >/dev/null
  run hrun --rm conf:1
  assert_status 0
  assert_output "hi"
  run hrun --rm conf:1 sh -c 'echo $GREETING $PWD; cat f'
  assert_output $'bonjour /data\nd'
  run h image inspect conf:1
  assert_eq '{"8080/tcp":{}}' "$(jq -c '.[0].Config.ExposedPorts' <<<"$output")" "ExposedPorts"
  assert_eq '{"team":"core"}' "$(jq -c '.[0].Config.Labels' <<<"$output")" "Labels"
}

@test "commit -m and -a: Comment and Author in image inspect and history" {
  changed_container
  h commit -m "my message" -a "Ann Author <ann@example.com>" ch msg:1 >/dev/null
  assert_eq "my message|Ann Author <ann@example.com>" \
    "$(h image inspect --format '{{.Comment}}|{{.Author}}' msg:1)" "Comment|Author"
  run h history --format '{{.Comment}}' msg:1
  assert_status 0
  assert_eq "my message" "${lines[0]}" "the newest history line's comment"
}

@test "commit of a running container: paused meanwhile, running after" {
  hrun -d --name up busybox sh -c 'echo alive >/alive; sleep 100' >/dev/null
  wait_for 10 h exec up test -f /alive
  run h commit up live:1
  assert_status 0
  assert_eq "running" "$(h inspect --format '{{.State.Status}}' up)" "unpaused after the commit"
  run hrun --rm live:1 cat /alive
  assert_output "alive"
  run h commit --pause=false up live:2
  assert_status 0
  run hrun --rm live:2 cat /alive
  assert_output "alive"
}

@test "commit without a name: an untagged image, <none> in images, runnable by id" {
  changed_container
  id=$(h commit ch)
  assert_match '^sha256:[0-9a-f]{64}$' "$id"
  run h images --format '{{.ID}} {{.Repository}} {{.Tag}}'
  assert_contains "$output" "${id:7:12} <none> <none>"
  run hrun --rm "${id#sha256:}" cat /greeting
  assert_output "hello"
}

@test "commit: a bad -c and an unknown container are errors (exit 1)" {
  changed_container
  run h commit -c 'RUN echo hi' ch bad:1
  assert_status 1
  assert_contains "$output" "run is not a valid change command"
  run h commit -c 'LABEL novalue' ch bad:1
  assert_status 1
  assert_contains "$output" "can't find = in \"novalue\""
  run h image inspect bad:1
  assert_status 1
  run h commit nosuch
  assert_status 1
  assert_contains "$output" "No such container: nosuch"
  run h export nosuch
  assert_status 1
  assert_contains "$output" "No such container: nosuch"
}
