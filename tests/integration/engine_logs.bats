#!/usr/bin/env bats
# husk logs: docker's json-file log kept by the container's monitor; stdout
# and stderr kept apart, --tail, -t, --since/--until, -f until it exits.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-logs; }

teardown() { engine_teardown; }


@test "logs: stdout and stderr stay apart, in docker's json-file format" {
  h run -d --name streams busybox sh -c 'echo out1; echo err1 >&2; printf "no newline"' >/dev/null
  h wait streams >/dev/null
  run --separate-stderr h logs streams
  assert_status 0
  assert_eq "out1
no newline" "$output" "stdout"
  assert_eq "err1" "$stderr" "stderr"
  log=$(ls "$R"/containers/*/container-json.log)
  assert_eq 3 "$(wc -l <"$log")" "one entry a line"
  run jq -r '[.stream, .log] | @json' "$log"
  assert_eq '["stdout","out1\n"]' "${lines[0]}"
  assert_eq '["stderr","err1\n"]' "${lines[1]}"
  assert_eq '["stdout","no newline"]' "${lines[2]}"
  jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\\.[0-9]+)?Z$")' "$log" >/dev/null
  # A tty's output is one stream, as the terminal made it.
  h run -d -t --name tty busybox sh -c 'echo hi; echo oops >&2' >/dev/null
  h wait tty >/dev/null
  run --separate-stderr h logs tty
  assert_eq $'hi\r\noops\r' "$output"
  assert_eq "" "$stderr"
}

@test "logs: --tail N|all, -t timestamps, --since/--until" {
  h run -d --name seq busybox seq 1 10 >/dev/null
  h wait seq >/dev/null
  run h logs --tail 3 seq
  assert_output "8
9
10"
  run h logs -n 0 seq
  assert_output ""
  run h logs --tail all seq
  assert_eq 10 "${#lines[@]}"
  run h logs -t --tail 2 seq
  assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z 9$' "${lines[0]}"
  assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z 10$' "${lines[1]}"
  run h logs --since 0 seq
  assert_eq 10 "${#lines[@]}"
  run h logs --since "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" seq
  assert_output ""
  run h logs --until 10m seq
  assert_output ""
  run h logs --until "$(date -u -d '+1 hour' +%s)" seq
  assert_eq 10 "${#lines[@]}"
  run h logs --tail x seq
  assert_status 1
  assert_match 'invalid --tail' "$output"
  run h logs --since yesterday seq
  assert_status 1
  assert_match 'invalid time' "$output"
  run h logs nosuch
  assert_status 1
}

@test "logs: -f follows while it runs and ends when it exits; output written after husk run -d returned is kept" {
  h run -d --name slow busybox sh -c 'for i in 1 2 3 4; do echo line $i; sleep 0.4; done; echo gone >&2' >/dev/null
  start=$SECONDS
  run timeout 20 "$HUSK" --root "$R" --runroot "$RUNROOT" logs -f slow
  assert_status 0
  assert_eq "line 1
line 2
line 3
line 4
gone" "$output"
  [ $((SECONDS - start)) -ge 1 ] || { echo "-f returned before the container ended" >&2; false; }
  # On an exited container -f returns at once with what there is.
  run timeout 5 "$HUSK" --root "$R" --runroot "$RUNROOT" logs -f --tail 1 slow
  assert_status 0
  assert_output "gone"
}
