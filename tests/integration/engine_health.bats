#!/usr/bin/env bats
# Healthchecks as docker's: --health-cmd and its timing flags, the image's
# HEALTHCHECK under them, --no-healthcheck; the container's monitor runs the
# test every interval (no daemon), State.Health keeps the status, the
# failing streak and the last results; ps shows "(healthy)" and filters on
# health; health_status events; `husk healthcheck run` runs it once (podman's
# command); docker's errors for bad flags, before anything is made.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-health; }

teardown() { engine_teardown; }

hrun() { h run --network none "$@"; }

health() { h inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$1"; }

# Until NAME's health is WANT, for at most 15 s.
await_health() {
  local i
  for i in $(seq 150); do
    [ "$(health "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  echo "$1's health is $(health "$1"), not $2" >&2
  h inspect "$1" | jq '.[0].State' >&2
  return 1
}

@test "health: a passing --health-cmd makes it healthy; ps, its filter, inspect and events say so" {
  T0=$(date +%s.%N)
  hrun -d --name ok --health-cmd 'echo fine' --health-interval 200ms busybox sleep 60 >/dev/null
  assert_eq starting "$(health ok)"
  await_health ok healthy
  run h ps --format '{{.Names}} {{.Status}}'
  assert_status 0
  assert_match '^ok Up .* \(healthy\)$' "$output"
  assert_eq ok "$(h ps -f health=healthy --format '{{.Names}}')"
  assert_eq "" "$(h ps -q -f health=unhealthy)"
  assert_eq "" "$(h ps -q -f health=none)"
  local st
  st=$(h inspect ok | jq -c '.[0].State.Health')
  assert_eq 0 "$(jq '.FailingStreak' <<<"$st")"
  assert_eq 0 "$(jq '.Log[-1].ExitCode' <<<"$st")"
  assert_eq '"fine\n"' "$(jq -c '.Log[-1].Output' <<<"$st")"
  [ "$(jq '.Log | length' <<<"$st")" -ge 1 ] && [ "$(jq '.Log | length' <<<"$st")" -le 5 ]
  assert_match '^20[0-9-]+T[0-9:.]+Z$' "$(jq -r '.Log[-1].Start' <<<"$st")"
  assert_eq '{"Interval":200000000,"Test":["CMD-SHELL","echo fine"]}' \
    "$(h inspect ok | jq -cS '.[0].Config.Healthcheck')"
  run h events --since "$T0" --until "$(date +%s.%N)" --filter event='health_status: healthy' --format '{{.Actor.Attributes.name}}'
  assert_status 0
  assert_eq ok "$output"
}

@test "health: failures in a row up to --health-retries make it unhealthy, with the test's output and code" {
  hrun -d --name bad --health-cmd 'echo broken >&2; exit 3' --health-interval 100ms --health-retries 2 \
    busybox sleep 60 >/dev/null
  await_health bad unhealthy
  local st
  st=$(h inspect bad | jq -c '.[0].State.Health')
  [ "$(jq '.FailingStreak' <<<"$st")" -ge 2 ]
  assert_eq 3 "$(jq '.Log[-1].ExitCode' <<<"$st")"
  assert_eq '"broken\n"' "$(jq -c '.Log[-1].Output' <<<"$st")"
  assert_match '\(unhealthy\)$' "$(h ps --format '{{.Status}}')"
  # Only the last five results are kept.
  sleep 1
  assert_eq 5 "$(h inspect bad | jq '.[0].State.Health.Log | length')"
}

@test "health: failures within --health-start-period do not count; a timeout is a failure with docker's message" {
  hrun -d --name slow --health-cmd false --health-interval 100ms --health-start-period 1h busybox sleep 60 >/dev/null
  hrun -d --name hang --health-cmd 'sleep 5' --health-timeout 300ms --health-interval 100ms --health-retries 1 \
    busybox sleep 60 >/dev/null
  await_health hang unhealthy
  local st
  st=$(h inspect hang | jq -c '.[0].State.Health')
  assert_eq -1 "$(jq '.Log[-1].ExitCode' <<<"$st")"
  assert_eq "Health check exceeded timeout (300ms)" "$(jq -r '.Log[-1].Output' <<<"$st")"
  # The test it gave up on does not run on in the container.
  sleep 0.2
  [ "$(h exec hang ps -o args | grep -c '^sleep 5')" -le 1 ]
  st=$(h inspect slow | jq -c '.[0].State.Health')
  assert_eq starting "$(jq -r '.Status' <<<"$st")"
  assert_eq 0 "$(jq '.FailingStreak' <<<"$st")"
  [ "$(jq '.Log | length' <<<"$st")" -ge 1 ]
  assert_eq 1 "$(jq '.Log[-1].ExitCode' <<<"$st")"
  assert_match '\(health: starting\)$' "$(h ps -f name=slow --format '{{.Status}}')"
}

@test "health: husk healthcheck run runs it once and records it; 1 and unhealthy, or 0" {
  hrun -d --name once --health-cmd 'test -f /ok' --health-interval 1h --health-retries 1 busybox sleep 60 >/dev/null
  run h healthcheck run once
  assert_status 1
  assert_eq unhealthy "$output"
  assert_eq unhealthy "$(health once)"
  h exec once touch /ok
  run h healthcheck run once
  assert_status 0
  assert_eq "" "$output"
  assert_eq healthy "$(health once)"
  assert_eq 2 "$(h inspect once | jq '.[0].State.Health.Log | length')"
  hrun -d --name plain busybox sleep 60 >/dev/null
  run h healthcheck run plain
  assert_status 125
  assert_eq "husk: container plain has no defined healthcheck" "$output"
  h create --name made --health-cmd true busybox true >/dev/null
  run h healthcheck run made
  assert_status 125
  assert_eq "husk: container made is not running" "$output"
  run h healthcheck run nosuch
  assert_status 125
}

@test "health: a stopped container is unhealthy (as docker's); started again it is starting" {
  hrun -d --name st --health-cmd true --health-interval 100ms busybox sleep 60 >/dev/null
  await_health st healthy
  h stop -t 0 st >/dev/null
  assert_eq unhealthy "$(health st)"
  assert_match '^Exited' "$(h ps -a --format '{{.Status}}')"
  h start st >/dev/null
  await_health st healthy
}

@test "health: a foreground run is checked as a detached one" {
  T0=$(date +%s.%N)
  run h run --network none --name fg --health-cmd true --health-interval 100ms busybox sleep 1
  assert_status 0
  run h events --since "$T0" --until "$(date +%s.%N)" --filter event='health_status: healthy' --format '{{.Actor.Attributes.name}}'
  assert_eq fg "$output"
  assert_eq unhealthy "$(health fg)"
}

@test "health: the image's HEALTHCHECK (here from commit) runs; flags change its parts; --no-healthcheck turns it off" {
  h create --name src --health-cmd 'echo from-image' --health-interval 150ms --health-retries 4 busybox true >/dev/null
  h commit src checked:1 >/dev/null
  assert_eq '{"Interval":150000000,"Retries":4,"Test":["CMD-SHELL","echo from-image"]}' \
    "$(h image inspect checked:1 | jq -cS '.[0].Config.Healthcheck')"
  hrun -d --name inherit checked:1 sleep 60 >/dev/null
  await_health inherit healthy
  assert_eq '"from-image\n"' "$(h inspect inherit | jq -c '.[0].State.Health.Log[-1].Output')"
  hrun -d --name over --health-retries 9 checked:1 sleep 60 >/dev/null
  assert_eq '{"Interval":150000000,"Retries":9,"Test":["CMD-SHELL","echo from-image"]}' \
    "$(h inspect over | jq -cS '.[0].Config.Healthcheck')"
  hrun -d --name off --no-healthcheck checked:1 sleep 60 >/dev/null
  # docker merges the image's other settings under NONE too.
  assert_eq '{"Interval":150000000,"Retries":4,"Test":["NONE"]}' "$(h inspect off | jq -cS '.[0].Config.Healthcheck')"
  sleep 0.5
  assert_eq none "$(health off)"
  assert_match '^Up [^(]*$' "$(h ps -f name=off --format '{{.Status}}')"
  assert_eq off "$(h ps -f health=none --format '{{.Names}}')"
}

@test "health: bad flags get docker's errors (125) and make nothing; a bad health filter is refused" {
  run hrun --no-healthcheck --health-cmd true busybox true
  assert_status 125
  assert_eq "husk: --no-healthcheck conflicts with --health-* options" "$output"
  run hrun --health-interval -1s busybox true
  assert_status 125
  assert_eq "husk: --health-interval cannot be negative" "$output"
  run hrun --health-timeout 5 busybox true
  assert_status 125
  assert_eq 'husk: invalid argument "5" for "--health-timeout" flag: time: invalid duration "5"' "$output"
  run hrun --health-interval 10us busybox true
  assert_status 125
  assert_eq "husk: Interval in Healthcheck cannot be less than 1ms" "$output"
  run hrun --health-retries -2 busybox true
  assert_status 125
  assert_eq "husk: --health-retries cannot be negative" "$output"
  assert_eq "" "$(h ps -aq)"
  run h ps -f health=sickly
  assert_status 1
  assert_eq "husk: Unrecognised filter value for health: sickly" "$output"
}
