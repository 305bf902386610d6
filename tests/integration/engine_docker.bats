#!/usr/bin/env bats
# What a docker user hits first (issue 16), each against docker's behaviour:
# one image under two manifests, foreground runs that are logged and
# recorded even when the CLI dies, a failed create that leaves nothing,
# import from stdin, HOME and /etc/hostname, an unknown command.

load ../lib/engine.bash

setup_file() { image_file_setup; }
setup() { engine_setup husk-docker; }
teardown() { engine_teardown; }

@test "docker: an image saved, tagged and loaded again is one image under every name; rmi of one name only untags" {
  h image inspect busybox >/dev/null
  id=$(h image inspect --format '{{.Id}}' busybox)
  h save -o "$T/a.tar" busybox
  h tag busybox other:1
  h load -i "$T/a.tar" >/dev/null
  # The load's manifest is docker's, the store's first one OCI: two
  # manifests, one config, one image.
  run h run --rm --network none other:1 echo ok
  assert_status 0
  assert_eq ok "$output"
  for name in busybox other:1 "$id" "${id#sha256:}" "$(cut -c8-19 <<<"$id")"; do
    assert_eq "$id" "$(h image inspect --format '{{.Id}}' "$name")" "$name"
  done
  assert_eq 1 "$(h image ls -q | sort -u | wc -l)" "one image"
  run h rmi other:1
  assert_status 0
  assert_eq "Untagged: other:1" "$output" "untagged, not deleted"
  assert_eq "$id" "$(h image inspect --format '{{.Id}}' busybox)"
}

@test "docker: a foreground run's output is in its logs, and its end is recorded even when the CLI is SIGKILLed" {
  run h run --name fg --network none busybox sh -c 'echo out; echo err >&2; exit 3'
  assert_status 3
  assert_eq "out"$'\n'"err" "$output"
  assert_eq "out"$'\n'"err" "$(h logs fg 2>&1)"
  assert_eq "out" "$(h logs fg 2>/dev/null)" "stdout and stderr kept apart"
  assert_eq 3 "$(h inspect -f '{{.State.ExitCode}}' fg)"
  # The CLI killed: the container runs on, its output is logged, its end
  # recorded by the monitor.
  # (husk itself in the background, not a subshell running it: $! is husk.)
  "$HUSK" --root "$R" --runroot "$RUNROOT" run --name victim --network none busybox \
    sh -c 'echo started; sleep 2; echo finished; exit 7' >"$T/victim.out" 2>&1 &
  cli=$!
  started() { grep -q started "$T/victim.out"; }
  wait_for 10 started
  assert_eq husk "$(cat "/proc/$cli/comm")"
  # While the CLI is attached, the relay is the launcher (husk itself);
  # once it is gone, the small husk-monitor takes the container over.
  local mon
  mon=$(cat "$R/containers/$(h inspect -f '{{.Id}}' victim)/monitor.pid")
  assert_match '/husk$' "$(readlink "/proc/$mon/exe")"
  kill -9 "$cli"
  wait "$cli" 2>/dev/null || true
  handed_over() { [[ "$(readlink "/proc/$mon/exe")" == */husk-monitor ]]; }
  wait_for 5 handed_over || { echo "the monitor is still $(readlink "/proc/$mon/exe")" >&2; return 1; }
  run h wait victim
  assert_status 0
  assert_eq 7 "$output"
  assert_eq "started"$'\n'"finished" "$(h logs victim)"
  assert_eq "exited 7" "$(h inspect -f '{{.State.Status}} {{.State.ExitCode}}' victim)"
  # -i: our stdin reaches it; its output comes back.
  run bash -c "echo piped | '$HUSK' --root '$R' --runroot '$RUNROOT' run -i --rm --network none busybox cat"
  assert_status 0
  assert_eq piped "$output"
  # The signals we get go to it (docker's --sig-proxy).
  "$HUSK" --root "$R" --runroot "$RUNROOT" run --name proxied --network none busybox \
    sh -c 'trap "echo got TERM; exit 9" TERM; echo ready; while :; do sleep 0.1; done' >"$T/proxied.out" 2>&1 &
  cli=$!
  ready() { grep -q ready "$T/proxied.out"; }
  wait_for 10 ready
  kill -TERM "$cli"
  rc=0
  wait "$cli" || rc=$?
  assert_eq 9 "$rc" "the container's exit code"
  assert_match 'got TERM' "$(cat "$T/proxied.out")"
}

@test "docker: run -a shows only the streams named; --sig-proxy=false leaves the signals to husk" {
  run h run --rm --network none -a stdout busybox sh -c 'echo out; echo err >&2'
  assert_status 0
  assert_eq out "$output"
  run h run --rm --network none -a STDERR busybox sh -c 'echo out; echo err >&2'
  assert_status 0
  assert_eq err "$output"
  run h run --name both --network none -a stdout -a stderr busybox sh -c 'echo out; echo err >&2; exit 4'
  assert_status 4
  assert_eq "out"$'\n'"err" "$output"
  run h run --name logged --network none -a stdout busybox sh -c 'echo out; echo err >&2'
  assert_eq "out"$'\n'"err" "$(h logs logged 2>&1)" "the log keeps every stream"
  run bash -c "echo piped | '$HUSK' --root '$R' --runroot '$RUNROOT' run -i --rm --network none -a stdin -a stdout busybox cat"
  assert_status 0
  assert_eq piped "$output"
  # docker's errors, before anything is made.
  run h run --rm --network none -a bogus busybox true
  assert_status 125
  assert_eq 'husk: invalid argument "bogus" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR' "$output"
  run h run -d -a stdout --network none busybox true
  assert_status 125
  assert_eq "husk: Conflicting options: -a and -d" "$output"
  assert_eq "both logged" "$(h ps -a --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
  # --sig-proxy=false: SIGTERM stops husk (143), not the container.
  "$HUSK" --root "$R" --runroot "$RUNROOT" run --name noproxy --sig-proxy=false --network none busybox \
    sh -c 'trap "echo got TERM; exit 9" TERM; echo ready; while :; do sleep 0.1; done' >"$T/noproxy.out" 2>&1 &
  local cli=$!
  ready() { grep -q ready "$T/noproxy.out"; }
  wait_for 10 ready
  kill -TERM "$cli"
  local rc=0
  wait "$cli" || rc=$?
  assert_eq 143 "$rc" "husk itself was stopped by the signal"
  assert_eq running "$(h inspect -f '{{.State.Status}}' noproxy)"
  [[ "$(cat "$T/noproxy.out")" != *"got TERM"* ]] || { echo "the container got the signal" >&2; return 1; }
  h rm -f noproxy >/dev/null
}

@test "docker: a run that cannot be created leaves nothing: no container, no mount" {
  run h run --rm --network none -w rel busybox pwd
  assert_status 125
  assert_eq "husk: the working directory 'rel' is invalid, it needs to be an absolute path" "$output"
  assert_eq "" "$(ls -A "$R/containers")"
  assert_eq "" "$(_husk_mounts_under "$R")"
  # A command that is not there: 127, and with --rm nothing left either.
  run h run --rm --network none busybox /no/such
  assert_status 127
  [[ "$output" != *"$R"* ]] || { echo "an internal path in: $output" >&2; return 1; }
  assert_eq "" "$(ls -A "$R/containers")"
  assert_eq "" "$(_husk_mounts_under "$R")"
}

@test "docker: image import - reads the tarball from stdin" {
  mkdir -p "$T/rootfs/bin" "$T/rootfs/etc"
  cp "$HUSK_BUSYBOX" "$T/rootfs/bin/busybox"
  ln -s busybox "$T/rootfs/bin/sh"
  ln -s busybox "$T/rootfs/bin/cat"
  echo from-stdin >"$T/rootfs/etc/marker"
  tar -C "$T/rootfs" -cf - . | h import - imported:stdin
  run h run --rm --network none imported:stdin /bin/cat /etc/marker
  assert_status 0
  assert_eq from-stdin "$output"
  # (removed-ID: a --rm container's files, deleted in the background.)
  assert_eq "" "$(ls -A "$R/tmp" 2>/dev/null | grep -v '^removed-')" "nothing spooled is left"
}

@test "docker: HOME comes from the image's passwd for the user (/ without an entry), and /etc/hostname is the container's" {
  run h run --rm --network none busybox sh -c 'echo $HOME'
  assert_eq /root "$output"
  run h run --rm --network none -u 65534 busybox sh -c 'echo $HOME'
  assert_eq /home "$output" "nobody's home in busybox's passwd"
  run h run --rm --network none -u 4242 busybox sh -c 'echo $HOME'
  assert_eq / "$output" "no entry"
  run h run --rm --network none -e HOME=/data busybox sh -c 'echo $HOME'
  assert_eq /data "$output" "given: kept"
  h run -d --name hn --network none busybox sleep 60 >/dev/null
  id=$(h inspect -f '{{.Id}}' hn)
  assert_eq "${id:0:12}" "$(h exec hn cat /etc/hostname)"
  assert_eq /root "$(h exec hn sh -c 'echo $HOME')" "exec too"
  assert_eq myhost "$(h run --rm --network none --hostname myhost busybox cat /etc/hostname)"
  h rm -f hn >/dev/null
}

@test "docker: an unknown command says so, with docker's exit code" {
  run h frobnicate
  assert_status 1
  assert_eq "husk: 'frobnicate' is not a husk command."$'\n'"See 'husk --help'" "$output"
}

@test "docker: --restart on-failure:3 restarts a failing container exactly 3 times with back-off; always survives its own exit, not a stop" {
  run h run --rm --restart always --network none busybox true
  assert_status 125
  assert_eq "husk: Conflicting options: --restart and --rm" "$output"
  run h run -d --restart sometimes --network none busybox true
  assert_status 125
  assert_eq "husk: invalid restart policy 'sometimes'" "$output"
  assert_eq "" "$(ls -A "$R/containers")"
  h run -d --name flaky --restart on-failure:3 --network none busybox sh -c 'echo try; exit 1' >/dev/null
  settled() { [ "$(h inspect -f '{{.RestartCount}} {{.State.Status}}' flaky)" = "3 exited" ] && [ "$(h logs flaky | wc -l)" = 4 ]; }
  wait_for 20 settled
  sleep 1  # no fourth restart comes
  assert_eq "3 exited 1" "$(h inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' flaky)"
  assert_eq 4 "$(h logs flaky | wc -l)" "the first run and three restarts"
  assert_eq "on-failure 3" "$(h inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}' flaky)"
  # always: a command that ends is started again, and again.
  h run -d --name again --restart always --network none busybox sh -c 'echo up; sleep 0.2' >/dev/null
  restarted() { [ "$(h inspect -f '{{.RestartCount}}' again)" -ge 2 ]; }
  wait_for 20 restarted
  # Stopped by the user: it stays stopped.
  h stop -t 1 again >/dev/null
  count=$(h inspect -f '{{.RestartCount}}' again)
  sleep 2
  assert_eq "exited $count" "$(h inspect -f '{{.State.Status}} {{.RestartCount}}' again)" "no restart after stop"
  # Started again by the user: its policy holds again.
  h start again >/dev/null
  more() { [ "$(h inspect -f '{{.RestartCount}}' again)" -gt "$count" ]; }
  wait_for 20 more
  h rm -f flaky again >/dev/null
  assert_eq "" "$(ls -A "$R/containers")"
}

@test "docker: between a run and its policy's restart the container is restarting, as docker's ps and inspect say" {
  h run -d --name loop --restart always --network none busybox sh -c 'exit 2' >/dev/null
  # The back-off doubles from 100 ms: soon each wait is long enough to see.
  waiting() { [ "$(h inspect -f '{{.State.Status}}' loop)" = restarting ]; }
  wait_for 20 waiting
  assert_eq "restarting true true 2" \
    "$(h inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Restarting}} {{.State.ExitCode}}' loop)"
  assert_match '^loop Restarting \(2\) (Less than a second|[0-9]+ seconds?) ago$' "$(h ps --format '{{.Names}} {{.Status}}')"
  assert_eq loop "$(h ps -f status=restarting --format '{{.Names}}')"
  run h rm loop
  assert_status 1
  assert_eq "husk: cannot remove container loop: it is restarting (stop it first, or use -f)" "$output"
  h stop loop >/dev/null
  assert_eq "exited false" "$(h inspect -f '{{.State.Status}} {{.State.Restarting}}' loop)"
  h rm loop >/dev/null
}

@test "docker: start --restart-policies (the boot service's command) brings back always ones, and unless-stopped ones the user had not stopped" {
  h run -d --name al --restart always --network none busybox sleep 100 >/dev/null
  h run -d --name us --restart unless-stopped --network none busybox sleep 100 >/dev/null
  h run -d --name us2 --restart unless-stopped --network none busybox sleep 100 >/dev/null
  h run -d --name plain --network none busybox sleep 100 >/dev/null
  h stop -t 0 al us plain >/dev/null
  # A reboot: every process gone, the user's stops remembered.
  h stop -t 0 us2 >/dev/null
  python3 - "$R/containers" <<'PY'
import json, os, sys
d = sys.argv[1]
for c in os.listdir(d):
    p = os.path.join(d, c, "container.json")
    j = json.load(open(p))
    if j["Name"] == "us2":
        j["HasBeenManuallyStopped"] = False  # as if it had died with the machine
        json.dump(j, open(p, "w"))
PY
  run h start --restart-policies
  assert_status 0
  assert_eq "al us2" "$(echo $(sort <<<"$output"))"
  assert_eq "running exited running exited" \
    "$(for n in al us us2 plain; do h inspect -f '{{.State.Status}}' $n; done | tr '\n' ' ' | sed 's/ $//')"
  run h start --restart-policies al
  assert_status 1
  h rm -f al us us2 plain >/dev/null
}
