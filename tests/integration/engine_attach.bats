#!/usr/bin/env bats
# husk run -it / -i, attach, start -a: terminals through the container's
# monitor (a real pty on both sides), the detach keys, containers that
# outlive the husk that started them, and a monitor killed with -9.

load ../lib/engine.bash

setup_file() { image_file_setup; }

setup() { engine_setup husk-attach; }

teardown() { engine_teardown; }


# pty_drive STEPS CMD...: runs CMD on a fresh 33x101 pty and follows STEPS
# (separated by ";;"): "w:TEXT" types TEXT (\n, \x10 escapes), "e:TEXT" waits
# for TEXT in the output, "r:ROWSxCOLS" resizes the terminal, "s:SECS"
# sleeps. Prints everything CMD wrote; exits with CMD's status.
pty_drive() {
  python3 - "$@" <<'PY'
import fcntl, os, pty, select, struct, sys, termios, time
steps, cmd = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 101, 0, 0))
out = b''
def more(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if not r: return False
    try: d = os.read(fd, 65536)
    except OSError: return False
    out += d
    return bool(d)
for step in steps.split(';;'):
    k, v = step[0], step[2:].encode().decode('unicode_escape')
    if k == 'w': os.write(fd, v.encode('latin1'))
    elif k == 's': time.sleep(float(v))
    elif k == 'r':
        rows, cols = map(int, v.split('x'))
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    elif k == 'e':
        end = time.time() + 20
        while v.encode() not in out and time.time() < end:
            if not more(end - time.time()): break
        if v.encode() not in out: sys.stderr.write('pty_drive: no %r in %r\n' % (v, out))
while more(20): pass
sys.stdout.write(out.decode('utf-8', 'replace'))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) % 256)
PY
}

state_of() { h ps -a --format '{{.State}}' --filter "name=$1" 2>/dev/null || true; }
status_of() { h ps -a --format json | jq -r --arg n "$1" 'select(.Names == $n) | .State'; }

@test "attach: run -it gives a real pty of our size, our typing, and the exit code; --rm leaves nothing" {
  run pty_drive 's:0.3;;w:stty size; tty; echo typed-$((1+2))\n;;e:typed-3;;r:40x120;;s:0.3;;w:stty size\n;;e:40 120;;w:exit 5\n' \
    "$HUSK" --root "$R" --runroot "$RUNROOT" run -it --rm busybox sh
  assert_status 5
  assert_match '33 101' "$output" "the pty has our terminal's size"
  assert_match '/dev/pts/[0-9]+' "$output" "tty says a pts"
  assert_match 'typed-3' "$output" "what we typed reached the shell"
  assert_match '40 120' "$output" "a resize of our terminal reached the pty"
  assert_eq "" "$(ls -A "$R/containers")" "--rm removed it"
  assert_eq "" "$(container_states "$RUNROOT")" "no runtime state left"
  [ -z "$(_husk_mounts_under "$R")" ]
}

@test "attach: ctrl-p ctrl-q detaches and leaves it running; husk attach gets back in and returns its code" {
  run pty_drive 's:0.3;;w:echo one-$((2+2))\n;;e:one-4;;w:\x10\x11' \
    "$HUSK" --root "$R" --runroot "$RUNROOT" run -it --name box busybox sh
  assert_status 0
  assert_match 'one-4' "$output"
  assert_eq running "$(status_of box)" "still running after the detach"
  # Back in: its shell answers, and its exit ends the attach with its code.
  run pty_drive 's:0.3;;w:echo back-$((3+3))\n;;e:back-6;;w:exit 3\n' "$HUSK" --root "$R" --runroot "$RUNROOT" attach box
  assert_status 3
  assert_match 'back-6' "$output"
  assert_eq exited "$(status_of box)"
  assert_eq 3 "$(h wait box)"
  # Custom keys (docker's format); ctrl-p alone is passed on to the process.
  run pty_drive 's:0.3;;w:\x10echo k-$((4+4))\n;;e:k-8;;w:\x18y' \
    "$HUSK" --root "$R" --runroot "$RUNROOT" run -it --detach-keys ctrl-x,y --name keys busybox sh
  assert_status 0
  assert_match 'k-8' "$output"
  assert_eq running "$(status_of keys)"
  h rm -f keys box >/dev/null
}

@test "attach: run -d -it runs with a pty until husk attach; attach --detach-keys; start -ai attaches a created one" {
  h run -d -it --name later busybox sh >/dev/null
  assert_eq running "$(status_of later)"
  run pty_drive 's:0.3;;w:tty; stty size\n;;e:33 101;;w:\x01' "$HUSK" --root "$R" --runroot "$RUNROOT" attach --detach-keys ctrl-a later
  assert_status 0
  assert_match '/dev/pts/[0-9]+' "$output"
  assert_eq running "$(status_of later)"
  h create -it --name made busybox sh >/dev/null
  run pty_drive 's:0.3;;w:echo started-$((5+5))\n;;e:started-10;;w:exit 4\n' "$HUSK" --root "$R" --runroot "$RUNROOT" start -ai made
  assert_status 4
  assert_match 'started-10' "$output"
  assert_eq exited "$(status_of made)"
}

@test "attach: -i without -t relays stdin through a pipe; without -i the process gets none" {
  run bash -c "echo hello | '$HUSK' --root '$R' --runroot '$RUNROOT' run --rm -i busybox cat"
  assert_status 0
  assert_output hello
  run bash -c "echo hello | '$HUSK' --root '$R' --runroot '$RUNROOT' run --rm busybox cat"
  assert_status 0
  assert_output ""
  # Detached with -i: stdin stays open for an attach, its output streams back.
  h run -d -i --name cat busybox sh -c 'read line; echo "got $line"; echo bye >&2' >/dev/null
  run bash -c "echo ping | '$HUSK' --root '$R' --runroot '$RUNROOT' attach cat"
  assert_status 0
  assert_match 'got ping' "$output"
  assert_match 'bye' "$output"
}

@test "attach: bad input: invalid --detach-keys is 125 with nothing made; attach to a stopped or unknown container is 1" {
  run h run -it --rm --detach-keys ctrl-1 busybox true
  assert_status 125
  assert_match 'invalid detach keys' "$output"
  assert_eq "" "$(ls -A "$R/containers")" "nothing left"
  h run --name done busybox true
  run h attach done
  assert_status 1
  assert_match 'cannot attach to a stopped container' "$output"
  run h attach nosuch
  assert_status 1
  h run -d --name up busybox sleep 100 >/dev/null
  run h attach --detach-keys ctrl-1 up
  assert_status 1
  assert_match 'invalid detach keys' "$output"
}

@test "attach: a detached container outlives the husk that started it; its monitor is not husk's child" {
  h run -d --name ticker busybox sh -c 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done' >/dev/null
  id=$(h ps -q)
  mon=$(cat "$R/containers/$(ls "$R/containers")/monitor.pid")
  assert_eq husk-monitor "$(cat /proc/$mon/comm)"
  ppid=$(awk '{print $4}' /proc/$mon/stat)
  [ "$(cat /proc/$ppid/comm)" != husk ] || { echo "the monitor is a husk's child" >&2; false; }
  [ "$(awk '{print $6}' /proc/$mon/stat)" != "$(awk '{print $6}' /proc/$$/stat)" ] ||
    { echo "the monitor is in our session" >&2; false; }
  # What stays is the small husk-monitor program, not a husk: it holds the
  # container's stdio, the log, the attach socket, the init's pidfd and the
  # recorder lock, nothing else, and few private pages (husk's own heap
  # alone was over 300 kB).
  assert_eq "$(dirname "$HUSK")/husk-monitor" "$(readlink /proc/$mon/exe)"
  fds=$(ls -l /proc/$mon/fd | awk 'NR > 1 {print $NF}' | sed -E 's/\[[0-9]+\]//; s|.*/containers/[0-9a-f]+/||' | sort | tr '\n' ' ')
  assert_eq "/dev/null /dev/null /dev/null anon_inode:[pidfd] container-json.log pipe: pipe: recorder.lock socket: " "$fds"
  dirty=$(awk '/^Private_Dirty/ {print $2}' /proc/$mon/smaps_rollup)
  [ "$dirty" -lt 200 ] || { echo "the monitor's private memory: $dirty kB" >&2; false; }
  sleep 1
  assert_eq running "$(status_of ticker)"
  wait_for 10 sh -c "'$HUSK' --root '$R' logs ticker | grep -q 'tick 5'"
  h stop -t 1 ticker >/dev/null
  assert_eq exited "$(status_of ticker)"
  wait_for 5 sh -c "! kill -0 $mon 2>/dev/null" || { echo "the monitor stays after its container" >&2; false; }
  [ -n "$id" ]
}

@test "attach: kill -9 of the monitor leaves the store consistent: ps -a shows it exited once it ends, rm leaves nothing" {
  h run -d --name orphan busybox sleep 1000 >/dev/null
  cid=$(ls "$R/containers")
  mon=$(cat "$R/containers/$cid/monitor.pid")
  kill -9 "$mon"
  wait_for 5 sh -c "! kill -0 $mon 2>/dev/null"
  # The container itself runs on; once it ends nobody records a code.
  assert_eq running "$(status_of orphan)"
  kill -9 "$("$RUNTIME_BIN" --root "$RUNROOT" state "$cid" | jq -r .pid)"
  wait_for 10 sh -c "'$HUSK' --root '$R' --runroot '$RUNROOT' ps -a --format json | jq -se '.[0].State == \"exited\"' >/dev/null"
  run h ps -a
  assert_match 'Exited \(unknown\)' "$output"
  # It can start again (the stale runtime state is cleared), and rm -f works.
  run h start orphan
  assert_status 0
  assert_eq running "$(status_of orphan)"
  mon=$(cat "$R/containers/$cid/monitor.pid")
  kill -9 "$mon"
  h rm -f orphan >/dev/null
  assert_eq "" "$(ls -A "$R/containers")"
  assert_eq "" "$(container_states "$RUNROOT")"
  [ -z "$(_husk_mounts_under "$R")" ]
  [ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$cid" 2>/dev/null)" ]
}

@test "attach: without a terminal, the signals husk attach gets go to the container (docker's --sig-proxy)" {
  # TERM, not INT: a background job of a non-interactive shell ignores INT.
  h run -d --name trapper busybox sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done' >/dev/null
  wait_for 10 sh -c "'$HUSK' --root '$R' --runroot '$RUNROOT' logs trapper | grep -q ready"
  "$HUSK" --root "$R" --runroot "$RUNROOT" attach trapper >"$T/attach.out" 2>&1 &
  apid=$!
  # Attached once the monitor has its client: give it a moment.
  sleep 0.5
  kill -TERM "$apid"
  rc=0
  wait "$apid" || rc=$?
  assert_eq 3 "$rc" "attach returns the code of the container the TERM stopped"
  assert_match 'got TERM' "$(cat "$T/attach.out")"
  assert_eq exited "$(status_of trapper)"
}
