#!/usr/bin/env bats
# --log-driver and --log-opt as docker's: json-file's rotation (max-size,
# max-file: the log renamed to .1, .2 ..., the oldest gone; one file begun
# again), `logs` reading across the rotated files and following through a
# rotation, --log-driver none (no log, and logs says so), inspect's
# LogConfig, and docker's errors for bad options, before anything is made.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-logopts; }

teardown() { engine_teardown; }

hrun() { h run --network none "$@"; }

# N numbered lines, each written PAUSE seconds apart.
lines_cmd() { echo "i=0; while [ \$i -lt $1 ]; do echo line-\$i; i=\$((i+1)); sleep $2; done"; }

@test "logopts: max-size and max-file rotate json-file's log; logs reads what is kept, in order" {
  hrun --name rot --log-opt max-size=1k --log-opt max-file=3 busybox sh -c "$(lines_cmd 300 0)"
  local dir
  dir=$R/containers/$(h inspect -f '{{.Id}}' rot)
  [ -f "$dir/container-json.log" ] && [ -f "$dir/container-json.log.1" ] && [ -f "$dir/container-json.log.2" ]
  [ ! -e "$dir/container-json.log.3" ] || { echo "more than max-file files" >&2; return 1; }
  local f size
  for f in "$dir"/container-json.log*; do
    size=$(stat -c %s "$f")
    [ "$size" -le 1000 ] || { echo "$f holds $size bytes, past max-size" >&2; return 1; }
  done
  run h logs rot
  assert_status 0
  assert_eq "line-299" "${lines[-1]}"
  [ "${lines[0]}" != "line-0" ] || { echo "nothing was rotated away" >&2; return 1; }
  # What is kept is whole and in order: consecutive numbers to the last.
  local first=${lines[0]#line-} i
  for i in "${!lines[@]}"; do assert_eq "line-$((first + i))" "${lines[$i]}"; done
  assert_eq '{"Config":{"max-file":"3","max-size":"1k"},"Type":"json-file"}' \
    "$(h inspect rot | jq -cS '.[0].HostConfig.LogConfig')"
}

@test "logopts: with one file the log begins again once full" {
  hrun --name one --log-opt max-size=2k busybox sh -c "$(lines_cmd 200 0)"
  local dir
  dir=$R/containers/$(h inspect -f '{{.Id}}' one)
  [ ! -e "$dir/container-json.log.1" ]
  [ "$(stat -c %s "$dir/container-json.log")" -le 2000 ]
  run h logs one
  assert_eq "line-199" "${lines[-1]}"
  [ "${#lines[@]}" -lt 200 ]
}

@test "logopts: logs -f follows the log through its rotations" {
  hrun -d --name slow --log-opt max-size=1k --log-opt max-file=2 busybox sh -c "sleep 0.5; $(lines_cmd 60 0.03)" >/dev/null
  run h logs -f slow
  assert_status 0
  assert_eq 60 "${#lines[@]}"
  local i
  for i in "${!lines[@]}"; do assert_eq "line-$i" "${lines[$i]}"; done
  [ -f "$R/containers/$(h inspect -f '{{.Id}}' slow)/container-json.log.1" ] || { echo "never rotated" >&2; return 1; }
}

@test "logopts: --log-driver none keeps no log, and logs says it cannot read one" {
  run hrun --name quiet --log-driver none busybox echo hello
  assert_status 0
  assert_eq hello "$output" "a foreground run still shows its output"
  [ ! -e "$R/containers/$(h inspect -f '{{.Id}}' quiet)/container-json.log" ]
  run h logs quiet
  assert_status 1
  assert_eq "husk: configured logging driver does not support reading" "$output"
  assert_eq none "$(h inspect -f '{{.HostConfig.LogConfig.Type}}' quiet)"
}

@test "logopts: bad drivers and options are docker's errors, with nothing made" {
  run hrun --rm --log-driver bogus busybox true
  assert_status 125
  assert_eq "husk: logger: no log driver named 'bogus' is registered" "$output"
  run hrun --rm --log-driver syslog busybox true
  assert_status 125
  assert_match 'log driver "syslog" is not supported by husk' "$output"
  run hrun --rm --log-opt colour=red busybox true
  assert_status 125
  assert_eq "husk: unknown log opt 'colour' for json-file log driver" "$output"
  run hrun --rm --log-opt max-size=0 busybox true
  assert_status 125
  assert_eq "husk: max-size must be a positive number" "$output"
  run hrun --rm --log-opt max-size=ten busybox true
  assert_status 125
  assert_eq "husk: invalid size: 'ten'" "$output"
  run hrun --rm --log-opt max-file=0 busybox true
  assert_status 125
  assert_eq "husk: max-file cannot be less than 1" "$output"
  run hrun --rm --log-driver none --log-opt max-size=1m busybox true
  assert_status 125
  assert_eq "husk: unknown log opt 'max-size' for none log driver" "$output"
  assert_eq "" "$(h ps -aq)"
}
