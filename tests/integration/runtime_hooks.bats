#!/usr/bin/env bats
# OCI hooks: every stage, in the spec's order, with the state on stdin;
# failing and timed-out hooks.
#
#   bats tests/integration/runtime_hooks.bats

load runtime_common

setup() {
  common_setup
  # hook.sh NAME LOG: append "NAME <id> <status> <pid> <HOOK_TAG>" from the
  # state JSON on stdin.  POSIX sh + sed: runs on the host (dash) and inside
  # the busybox rootfs alike.
  cat >"$T/hook.sh" <<'EOF'
#!/bin/sh
state=$(cat)
field() { printf '%s\n' "$state" | tr ',{}' '\n\n\n' | sed -n "s/^ *\"$1\" *: *\"*\([^\"]*\)\"* *\$/\1/p" | head -1; }
echo "$1 $(field id) $(field status) $(field pid) ${HOOK_TAG:-no-tag}" >>"$2"
EOF
  chmod 0755 "$T/hook.sh"
  mkdir "$T/hooklog"
  LOG=$T/hooklog/log
}

# hook JSON for NAME: the host script, logging to the host path.
host_hook() {
  jq -nc --arg p "$T/hook.sh" --arg n "$1" --arg log "$LOG" \
    '{path: $p, args: ["hook.sh", $n, $log], env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOOK_TAG=tag-\($n)"]}'
}

@test "hooks: all six stages run in the spec's order with the right state" {
  mkbundle "$BUNDLE" sleep 1000
  # startContainer runs inside the container: its path is in the rootfs and
  # it logs through a bind mount of the same directory.
  cp "$T/hook.sh" "$BUNDLE/rootfs/hook.sh"
  add_mount_at "$BUNDLE" "{\"destination\":\"/hooklog\",\"type\":\"bind\",\"source\":\"$T/hooklog\",\"options\":[\"rbind\",\"rw\"]}"
  cfg '.hooks = {
      prestart: [$pre], createRuntime: [$cr], createContainer: [$cc],
      startContainer: [{path: "/hook.sh", args: ["hook.sh", "startContainer", "/hooklog/log"],
                        env: ["PATH=/bin", "HOOK_TAG=tag-startContainer"]}],
      poststart: [$ps], poststop: [$pst]}' \
    --argjson pre "$(host_hook prestart)" --argjson cr "$(host_hook createRuntime)" \
    --argjson cc "$(host_hook createContainer)" --argjson ps "$(host_hook poststart)" \
    --argjson pst "$(host_hook poststop)"

  hk_create "$ID" "$BUNDLE"
  pid=$(state_of "$ID" pid)
  # After create: the three create-time hooks. prestart and createRuntime
  # see "created" (the spec's, once the create steps are done; runc 1.1.5
  # sends "creating"), createContainer "creating" as runc's.
  assert_eq "$(printf '%s\n' \
    "prestart $ID created $pid tag-prestart" \
    "createRuntime $ID created $pid tag-createRuntime")" "$(head -2 "$LOG")" "create-time runtime hooks"
  # createContainer runs in the container's namespaces: its pid is the init
  # as seen there, so only the rest is compared.
  assert_eq "createContainer $ID creating" "$(sed -n 3p "$LOG" | cut -d' ' -f1-3)" "createContainer hook"
  assert_eq "tag-createContainer" "$(sed -n 3p "$LOG" | cut -d' ' -f5)" "createContainer env"
  assert_eq 3 "$(wc -l <"$LOG")" "hook lines after create"

  hrun hk start "$ID"
  assert_status 0
  # start returns once the user's process runs: every start-time hook is done.
  assert_eq 5 "$(wc -l <"$LOG")" "hook lines when start returns"
  # startContainer: after start, before the user's process; the container
  # has not run its process yet, so the state says "created" (as runc).
  assert_eq "startContainer $ID created" "$(sed -n 4p "$LOG" | cut -d' ' -f1-3)" "startContainer hook"
  assert_eq "tag-startContainer" "$(sed -n 4p "$LOG" | cut -d' ' -f5)" "startContainer env"
  assert_eq "poststart $ID running $pid tag-poststart" "$(sed -n 5p "$LOG")" "poststart hook"
  assert_eq running "$(state_of "$ID" status)" status

  hrun hk kill "$ID" KILL
  wait_status "$ID" stopped
  hrun hk delete "$ID"
  assert_status 0
  assert_eq "poststop $ID stopped" "$(sed -n 6p "$LOG" | cut -d' ' -f1-3)" "poststop hook"
  assert_eq 6 "$(wc -l <"$LOG")" "hook lines at the end"
  assert_nothing_left "$ID"
}

@test "hooks: a failing prestart hook makes create fail and leaves nothing behind" {
  mkdir "$T/out"
  mkbundle "$BUNDLE" sh -c 'touch /out/ran; sleep 1000'
  add_mount_at "$BUNDLE" "{\"destination\":\"/out\",\"type\":\"bind\",\"source\":\"$T/out\",\"options\":[\"rbind\",\"rw\"]}"
  cfg '.hooks = {prestart: [{path: "/bin/sh", args: ["sh", "-c", "exit 3"]}]}'
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_failed_cleanly "prestart"
  assert_nothing_left "$ID"
  hrun hk state "$ID"
  [ "$status" -ne 0 ]
  [ ! -e "$T/out/ran" ]
}

@test "hooks: a failing createContainer hook makes create fail and leaves nothing behind" {
  mkbundle "$BUNDLE" sleep 1000
  cfg '.hooks = {createContainer: [{path: "/bin/false"}]}'
  hrun hk create --bundle "$BUNDLE" "$ID"
  assert_failed_cleanly "createContainer"
  assert_nothing_left "$ID"
}

@test "hooks: a hook with timeout 1 that sleeps 5 fails create within the timeout" {
  mkbundle "$BUNDLE" sleep 1000
  # A distinctive argument, to find the hook's process afterwards.
  cfg '.hooks = {createRuntime: [{path: "/bin/sleep", args: ["sleep", "5.0042"], timeout: 1}]}'
  start=$SECONDS
  hrun hk create --bundle "$BUNDLE" "$ID"
  elapsed=$((SECONDS - start))
  assert_failed_cleanly "timed out"
  [ "$elapsed" -le 3 ] || { echo "create took ${elapsed}s with a 1s hook timeout" >&2; return 1; }
  assert_nothing_left "$ID"
  # The hook itself was killed, not left running.
  [ -z "$(pgrep -fx 'sleep 5.0042')" ] || { echo "hook process still running" >&2; return 1; }
}

@test "hooks: a missing hook binary fails create cleanly" {
  mkbundle "$BUNDLE" sleep 1000
  cfg '.hooks = {prestart: [{path: "/no/such/hook"}]}'
  hrun hk create --bundle "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  assert_contains "$stderr" "/no/such/hook"
  assert_nothing_left "$ID"
}

@test "hooks: a failing poststart hook is only a warning; the container runs" {
  mkbundle "$BUNDLE" sleep 1000
  cfg '.hooks = {poststart: [{path: "/bin/false"}, {path: $p, args: ["hook.sh", "poststart2", $log]}]}' \
    --arg p "$T/hook.sh" --arg log "$LOG"
  hk_create "$ID" "$BUNDLE"
  hrun hk start "$ID"
  # runtime-spec: "If any poststart hook fails, the runtime MUST log a
  # warning, but the remaining hooks and lifecycle continue as if the hook had
  # succeeded."
  assert_status 0
  assert_eq running "$(state_of "$ID" status)" status
  wait_for 5 test -s "$LOG"
  assert_eq "poststart2 $ID running" "$(cut -d' ' -f1-3 "$LOG")" "the next poststart hook ran"
}

@test "hooks: a failing poststop hook does not stop delete" {
  mkbundle "$BUNDLE" sleep 1000
  cfg '.hooks = {poststop: [{path: "/bin/false"}, {path: $p, args: ["hook.sh", "poststop2", $log]}]}' \
    --arg p "$T/hook.sh" --arg log "$LOG"
  hk_create_start "$ID" "$BUNDLE"
  hrun hk delete --force "$ID"
  assert_status 0
  assert_nothing_left "$ID"
  assert_eq "poststop2 $ID stopped" "$(cut -d' ' -f1-3 "$LOG")" "the next poststop hook ran"
}
