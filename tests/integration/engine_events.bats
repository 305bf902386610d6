#!/usr/bin/env bats
# husk events as docker's: a container's life (create, attach, start, die
# with its exit code, destroy; kill, stop, pause, rename, exec), images'
# (tag, untag, delete, import), networks' and volumes' events, read back
# between --since and --until in docker's line format or a --format
# template, filtered, and followed as they happen; bad filters and
# templates are one error before any output.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-events; }

teardown() {
  [ -z "${FOLLOWER:-}" ] || kill "$FOLLOWER" 2>/dev/null || true
  engine_teardown
}

hrun() { h run --network none "$@"; }

# The events since the test began, up to now, through FORMAT (default: the line).
events_since_start() { h events --since "$T0" --until "$(date +%s.%N)" "$@"; }

@test "events: a foreground --rm run's life, in order, in docker's line format" {
  T0=$(date +%s.%N)
  run hrun --rm --name life --label team=core busybox sh -c 'exit 3'
  assert_status 3
  run events_since_start --filter container=life --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
  assert_status 0
  assert_eq "container create life
container attach life
container start life
container die life
container destroy life" "$output"
  run events_since_start --filter event=die
  assert_status 0
  assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z container die [0-9a-f]{64} \(exitCode=3, image=busybox, name=life, team=core\)$' "$output"
  # docker's JSON.
  run events_since_start --filter event=start --format '{{json .}}'
  assert_status 0
  assert_eq "start busybox container life local" \
    "$(jq -r '[.status, .from, .Type, .Actor.Attributes.name, .scope] | join(" ")' <<<"$output")"
  [ "$(jq -r '.timeNano' <<<"$output")" -gt 0 ]
}

@test "events: kill, stop, pause, unpause, rename and exec of a detached container" {
  T0=$(date +%s.%N)
  hrun -d --name busy busybox sleep 100 >/dev/null
  h pause busy
  h unpause busy
  h exec busy true
  h rename busy calm
  h kill -s USR1 calm
  h stop -t 1 calm
  run events_since_start --filter type=container \
    --format '{{.Action}} {{.Actor.Attributes.name}}{{with .Actor.Attributes.signal}} {{.}}{{end}}{{with .Actor.Attributes.exitCode}} {{.}}{{end}}'
  assert_status 0
  # stop: the stop signal (TERM, 15: sleep as PID 1 has no handler, so it
  # lives on), SIGKILL after the timeout, its end, the stop.
  assert_eq "create busy
start busy
pause busy
unpause busy
exec_create: true busy
exec_start: true busy
exec_die busy 0
rename calm
kill calm 10
kill calm 15
kill calm 9
die calm 137
stop calm" "$output"
  assert_eq "/busy" "$(events_since_start --filter event=rename --format '{{.Actor.Attributes.oldName}}')"
}

@test "events: images, networks and volumes have theirs" {
  T0=$(date +%s.%N)
  mkdir -p "$T/rootfs" && echo x >"$T/rootfs/f" && tar -C "$T/rootfs" -cf "$T/one.tar" .
  local id
  id=$(h image import "$T/one.tar" mine:1)
  h tag mine:1 mine:2
  h rmi mine:2 >/dev/null
  h rmi mine:1 >/dev/null
  h volume create vol1 >/dev/null
  h volume rm vol1 >/dev/null
  run events_since_start --format '{{.Type}} {{.Action}} {{.Actor.ID}}{{with .Actor.Attributes.name}} {{.}}{{end}}'
  assert_status 0
  assert_eq "image import $id $id
image tag $id mine:2
image untag $id $id
image untag $id $id
image delete $id $id
volume create vol1
volume destroy vol1" "$output"
  assert_eq "local local" "$(events_since_start --filter type=volume --format '{{.Actor.Attributes.driver}}' | tr '\n' ' ' | sed 's/ $//')"
  assert_eq "import" "$(events_since_start --filter "image=$id" --filter event=import --format '{{.Action}}')"
}

@test "events: a container's commit and export, an image's save, a volume's mount at each start" {
  T0=$(date +%s.%N)
  hrun --name src -v data:/data busybox sh -c 'echo x >/data/f'
  local img
  img=$(h commit -m snap src snapped:1)
  h export -o "$T/src.tar" src
  h save -o "$T/img.tar" snapped:1
  h start -a src >/dev/null
  run events_since_start --format '{{.Type}} {{.Action}}{{with .Actor.Attributes.name}} {{.}}{{end}}'
  assert_status 0
  assert_eq "volume create
container create src
container attach src
volume mount
container start src
container die src
container commit src
container export src
image save snapped:1
container attach src
volume mount
container start src
container die src" "$output"
  assert_eq "snap $img snapped:1" \
    "$(events_since_start --filter event=commit --format '{{.Actor.Attributes.comment}} {{.Actor.Attributes.imageID}} {{.Actor.Attributes.imageRef}}')"
  run events_since_start --filter event=mount --format '{{.Actor.ID}} {{.Actor.Attributes.destination}} {{index .Actor.Attributes "read/write"}} {{.Actor.Attributes.driver}}'
  assert_eq "data /data true local
data /data true local" "$output"
  [ "$(events_since_start --filter event=mount --format '{{.Actor.Attributes.container}}' | sort -u)" = "$(h inspect -f '{{.Id}}' src)" ]
}

@test "events: network create, connect, disconnect and destroy" {
  T0=$(date +%s.%N)
  local nid
  nid=$(h network create evnet)
  h run -d --name onnet busybox sleep 100 >/dev/null
  h network connect evnet onnet
  h network disconnect evnet onnet
  h network rm evnet >/dev/null
  run events_since_start --filter type=network --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}'
  assert_status 0
  assert_eq "create $nid evnet bridge
connect $nid evnet bridge
disconnect $nid evnet bridge
destroy $nid evnet bridge" "$output"
  assert_eq "$(h inspect -f '{{.Id}}' onnet)" \
    "$(events_since_start --filter network=evnet --filter event=connect --format '{{.Actor.Attributes.container}}')"
}

@test "events: followed as they happen, until --until passes or the follower is stopped" {
  "$HUSK" --root "$R" --runroot "$RUNROOT" events --filter container=fol --format '{{.Action}}' >"$T/followed" 2>&1 &
  FOLLOWER=$!
  sleep 0.3  # the follower watches the log from now on
  hrun --rm --name fol busybox true
  died() { grep -qx destroy "$T/followed"; }
  wait_for 10 died
  assert_eq "create
attach
start
die
destroy" "$(cat "$T/followed")"
  kill "$FOLLOWER"
  FOLLOWER=
  # --until in the future: it follows, then ends by itself.
  local start=$SECONDS
  run h events --until "$(($(date +%s) + 2))"
  assert_status 0
  [ $((SECONDS - start)) -le 5 ]
}

@test "events: a bad filter or time is one error (1, as docker's daemon), a bad template 125, before any output" {
  run h events --since 0 --until 1 --filter colour=red
  assert_status 1
  assert_eq "husk: invalid filter 'colour'" "$output"
  run h events --since 0 --until 1 --filter type=thing
  assert_status 1
  assert_eq "husk: invalid filter 'type=thing'" "$output"
  run h events --since 0 --until 1 --format '{{.Action'
  assert_status 125
  assert_match '^husk: template parsing error: ' "$output"
  run h events --since yesterday --until 1
  assert_status 1
  assert_eq 1 "${#lines[@]}"
}
