#!/usr/bin/env bats
# husk ps as docker's: its table, fields and texts ("Up 3 seconds",
# "Exited (3) 2 seconds ago"), --format (templates, table, json), -a, -q,
# -l, -n, -s, --no-trunc, every --filter, and docker-style names for
# containers made without --name.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-ps; }

teardown() { engine_teardown; }

hrun() { h run --network none "$@"; }

# up: running; done3: exited 3; made: created (never started); newest last.
three_containers() {
  hrun -d --name up --label tier=front --label team=a busybox sleep 100 >/dev/null
  hrun --name done3 --label tier=back busybox sh -c 'exit 3' || true
  h create --network none --name made busybox true >/dev/null
}

# docker's RunningFor and Status in the first seconds.
secs='([0-9]+ seconds?|Less than a second)'


@test "ps: the default table is docker's, aligned, running ones only" {
  three_containers
  run h ps
  assert_status 0
  assert_eq 2 "${#lines[@]}" "a header and one row: $output"
  assert_match '^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$' "${lines[0]}"
  assert_match "^[0-9a-f]{12} +busybox +\"sleep 100\" +$secs ago +Up $secs +up\$" "${lines[1]}"
  # Columns aligned: each title starts where its row's cell does.
  local at
  for title in IMAGE COMMAND CREATED; do
    at=$(awk -v t="$title" '{ print index($0, t) }' <<<"${lines[0]}")
    [ "${lines[1]:$((at - 1 - 3)):3}" = "   " ] || { echo "$title not aligned: $output" >&2; return 1; }
  done
  run h ps -a
  assert_eq 4 "${#lines[@]}" "ps -a: $output"
  # Newest first.
  assert_match ' made$' "${lines[1]}"
  assert_match 'Created +made$' "${lines[1]}"
  assert_match "Exited \\(3\\) $secs ago +done3\$" "${lines[2]}"
}

@test "ps: --format templates, table templates and json with docker's fields" {
  three_containers
  sleep 2  # "Up 2 seconds", not "Up Less than a second"
  run h ps --format '{{.ID}}'
  assert_status 0
  assert_match '^[0-9a-f]{12}$' "$output"
  run h ps -a --format 'table {{.Names}}\t{{.Status}}'
  assert_match '^NAMES +STATUS$' "${lines[0]}"
  assert_match '^made +Created$' "${lines[1]}"
  assert_match '^done3 +Exited \(3\) [0-9]+ seconds? ago$' "${lines[2]}"
  assert_match '^up +Up [0-9]+ seconds?$' "${lines[3]}"
  run h ps -a --format '{{.Names}} {{.State}} {{.Labels}} {{.Networks}} {{.Label "tier"}}'
  assert_eq "made created  none 
done3 exited tier=back none back
up running team=a,tier=front none front" "$output"
  run h ps --format json
  assert_status 0
  assert_eq 1 "${#lines[@]}" "one object a line"
  assert_eq "Command,CreatedAt,ID,Image,Labels,LocalVolumes,Mounts,Names,Networks,Ports,RunningFor,Size,State,Status" \
    "$(jq -r 'keys_unsorted | join(",")' <<<"$output")" "docker's keys"
  assert_eq '"sleep 100"' "$(jq -r .Command <<<"$output")"
  assert_eq running "$(jq -r .State <<<"$output")"
  assert_match '^Up [0-9]+ seconds?$' "$(jq -r .Status <<<"$output")"
  assert_match '^[0-9]+ seconds? ago$' "$(jq -r .RunningFor <<<"$output")"
  assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [-+][0-9]{4} [A-Z]+$' "$(jq -r .CreatedAt <<<"$output")"
  run h ps --format 'table {{.Names}}\t{{.Label "com.example.build-id"}}'
  assert_match '^NAMES +BUILD ID$' "${lines[0]}"
}

@test "ps: a bad template is one error, 125, before any output" {
  three_containers
  run h ps -a --format '{{.Names'
  assert_status 125
  assert_eq 1 "${#lines[@]}" "one line: $output"
  assert_contains "$output" "template parsing error"
  run h ps -a --format '{{.Names.X}}'
  assert_status 125
  assert_eq 1 "${#lines[@]}" "one line: $output"
}

@test "ps: -q, --no-trunc, -l, -n and -s" {
  three_containers
  run h ps -aq
  assert_eq 3 "${#lines[@]}" "-aq: $output"
  assert_match '^[0-9a-f]{12}$' "${lines[0]}"
  run h ps -aq --no-trunc
  assert_match '^[0-9a-f]{64}$' "${lines[0]}"
  hrun -d --name longer busybox sh -c 'echo a long command line; sleep 100' >/dev/null
  assert_eq '"sh -c echo a long c…"' "$(h ps -l --format '{{.Command}}')" "cut as docker's"
  assert_eq '"sh -c echo a long command line; sleep 100"' "$(h ps -l --no-trunc --format '{{.Command}}')"
  assert_eq longer "$(h ps -l --format '{{.Names}}')" "-l: the last created"
  assert_eq "longer made" "$(h ps -n 2 --format '{{.Names}}' | tr '\n' ' ' | sed 's/ $//')" "-n 2, any state"
  h exec longer sh -c 'head -c 100000 /dev/zero >/big'
  run h ps -s -l
  assert_match 'SIZE$' "${lines[0]}"
  assert_match '100kB \(virtual [0-9.]+[kM]B\)$' "${lines[1]}"
  # As docker: a template with .Size measures without -s; json does not.
  assert_match '^0B \(virtual [0-9.]+[kM]B\)$' "$(h ps --format '{{.Size}}' --filter 'name=^up$')"
  assert_eq 0B "$(h ps --format json --filter 'name=^up$' | jq -r .Size)"
}

@test "ps: every filter, keys AND, values OR" {
  three_containers
  h volume create vol1 >/dev/null
  hrun -d --name withvol -v vol1:/data busybox sleep 100 >/dev/null
  names() { h ps "$@" --format '{{.Names}}' | tr '\n' ' ' | sed 's/ $//'; }
  assert_eq "made" "$(names -f status=created)"
  assert_eq "done3" "$(names -f status=exited)"
  assert_eq "withvol up" "$(names -f status=running)"
  assert_eq "up" "$(names -a -f name=^up$)"
  assert_eq "done3" "$(names -a -f name=one)"
  id=$(h ps -aq --filter name=made --no-trunc)
  assert_eq "made" "$(names -a -f id=${id:0:8})"
  assert_eq "done3 up" "$(names -a -f label=tier)"
  assert_eq "up" "$(names -a -f label=tier=front)"
  assert_eq "up" "$(names -a -f label=tier -f label=team=a)"
  assert_eq "done3" "$(names -a -f exited=3)"
  assert_eq "" "$(names -a -f exited=0)"
  assert_eq "withvol made done3 up" "$(names -a -f ancestor=busybox)"
  assert_eq "" "$(names -a -f ancestor=nothere)"
  assert_eq "withvol" "$(names -a -f volume=vol1)"
  assert_eq "withvol" "$(names -a -f volume=/data)"
  assert_eq "withvol made done3 up" "$(names -a -f network=none)"
  assert_eq "done3 up" "$(names -a -f before=made)"
  assert_eq "withvol made" "$(names -a -f since=done3)"
  # Keys AND, values OR.
  assert_eq "done3" "$(names -a -f status=exited -f status=created -f label=tier)"
  run h ps -f foo=bar
  assert_status 1
  assert_eq "husk: invalid filter 'foo'" "$output"
  run h ps -f status=sleeping
  assert_status 1
  assert_contains "$output" "invalid filter 'status=sleeping'"
  run h ps -f before=nothere
  assert_status 1
  assert_contains "$output" "no such container: nothere"
}

@test "ps: containers without --name get docker-style names" {
  hrun -d busybox sleep 100 >/dev/null
  h create --network none busybox true >/dev/null
  run h ps -a --format '{{.Names}}'
  assert_eq 2 "${#lines[@]}"
  assert_match '^[a-z]+_[a-z]+$' "${lines[0]}"
  assert_match '^[a-z]+_[a-z]+$' "${lines[1]}"
  [ "${lines[0]}" != "${lines[1]}" ]
  h rm -f "${lines[0]}" "${lines[1]}" >/dev/null
}
