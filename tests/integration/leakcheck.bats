#!/usr/bin/env bats
# shellcheck disable=SC2016 # the single-quoted scripts are for inner shells
# The checkers themselves can fail: tests/lib/leakcheck.bash reports a
# container's veth, a published port and an address lease left behind (and
# not the networks' bridges or husk's table, which stay by design), and
# tests/lib/in-netns.sh reports a change to the machine's network and a
# process left in a test's namespace.  Each case runs in network namespaces
# of its own (unshare --net), the outer one standing for the machine, so
# nothing here touches the machine's network.

load ../lib/assert
load ../lib/leakcheck

LEAKCHECK=$BATS_TEST_DIRNAME/../lib/leakcheck.bash
IN_NETNS=$BATS_TEST_DIRNAME/../lib/in-netns.sh

setup_file() {
  if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
    husk_skip_file "unshare or ip missing (scripts/install-deps.sh)"
    return 0
  fi
  export HUSK_LEAK_SNAPSHOT="$BATS_FILE_TMPDIR/leak.before"
  leakcheck_snapshot "$HUSK_LEAK_SNAPSHOT"
}

teardown_file() {
  [ -z "${HUSK_LEAK_SNAPSHOT:-}" ] || leakcheck_compare "$HUSK_LEAK_SNAPSHOT"
}

setup() {
  husk_check_skip_file
  export T=$BATS_TEST_TMPDIR
}

# assert_no_line REGEX: no line of $output matches REGEX (leaks are listed
# one a line, indented).
assert_no_line() {
  if printf '%s\n' "$output" | grep -Eq -- "$1"; then
    printf 'expected no line matching /%s/, got:\n%s\n' "$1" "$output" >&2
    return 1
  fi
}

# in_netns SCRIPT: SCRIPT in a new network namespace with lo up, with
# leakcheck.bash loaded and only its network records (and leases) compared:
# the machine's other processes and mounts are not this test's.
in_netns() {
  unshare --net bash -c '
    set -e
    ip link set lo up
    . "$1"
    HUSK_LEAKCHECK_IGNORE+="|^(proc|mount|netns|cgroup|state|fd) "
    HUSK_LEAKCHECK_GRACE=1
    eval "$2"' in_netns "$LEAKCHECK" "$1"
}

# The table husk's firewall makes (src/net/firewall.cpp), reduced to its
# sets and maps.
HUSK_TABLE='table ip husk {
  set bridges { type ifname; }
  map published { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
  map published_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
}'
export HUSK_TABLE

@test "leakcheck: a container's veth, its published ports and its lease are leaks; a network's bridge, its address and husk's table are not" {
  command -v nft >/dev/null || skip "nft missing (scripts/install-deps.sh)"
  mkdir -p "$T/run/.net/networks/bridge"
  echo "last 10.87.0.1" >"$T/run/.net/networks/bridge/leases"
  HUSK_LEAKCHECK_DIRS=$T/run run in_netns '
    leakcheck_snapshot "$T/before"
    ip link add husk0 type bridge
    ip addr add 10.87.0.1/16 dev husk0
    ip link set husk0 up
    ip link add husk-other type bridge
    nft -f - <<<"$HUSK_TABLE"
    nft add element ip husk bridges "{ husk0 }"
    leakcheck_compare "$T/before"
    echo "== bridges and table: clean"
    ip link add husk0123456789a type veth peer name ctr-end
    nft add element ip husk published "{ 127.0.0.1 . tcp . 8080 : 10.87.0.2 . 80, 10.0.0.1 . udp . 53 : 10.87.0.3 . 53 }"
    nft add element ip husk published_any "{ tcp . 9090 : 10.87.0.2 . 90 }"
    printf "last 10.87.0.2\n10.87.0.2 c0ffee\n" >"$T/run/.net/networks/bridge/leases"
    leakcheck_compare "$T/before"'
  assert_status 1
  assert_contains "$output" "== bridges and table: clean"
  assert_contains "$output" "link husk0123456789a"
  assert_contains "$output" "nft map published 127.0.0.1 . tcp . 8080 : 10.87.0.2 . 80"
  assert_contains "$output" "nft map published 10.0.0.1 . udp . 53 : 10.87.0.3 . 53"
  assert_contains "$output" "nft map published_any tcp . 9090 : 10.87.0.2 . 90"
  assert_contains "$output" "lease $T/run/.net/networks/bridge/leases 10.87.0.2 c0ffee"
  assert_no_line '^  (link|addr) husk(0|-other)( |$)'
  assert_no_line '^  nft table'
  assert_no_line 'last 10.87.0.2'
}

@test "leakcheck: a veth the kernel removes within the grace period is not a leak" {
  run in_netns '
    leakcheck_snapshot "$T/before"
    ip link add husk0123456789a type veth peer name ctr-end
    (sleep 0.5; ip link del husk0123456789a) &
    HUSK_LEAKCHECK_GRACE=5 leakcheck_compare "$T/before"
    wait'
  assert_status 0
  assert_eq "" "$output"
}

@test "leakcheck: leakcheck_leases fails on a held address, not on the pool's cursor; the file's check reports it again" {
  mkdir -p "$T/run/.net/networks/bridge"
  echo "last 10.87.0.9" >"$T/run/.net/networks/bridge/leases"
  leakcheck_leases "$T/run"
  echo "10.87.0.9 c0ffee" >>"$T/run/.net/networks/bridge/leases"
  # Kept apart from the file's own record of leases (BATS_FILE_TMPDIR).
  BATS_FILE_TMPDIR=$T run leakcheck_leases "$T/run"
  assert_status 1
  assert_contains "$output" "lease $T/run/.net/networks/bridge/leases 10.87.0.9 c0ffee"
  assert_eq "lease $T/run/.net/networks/bridge/leases 10.87.0.9 c0ffee" "$(cat "$T/leakcheck.leases")"
  BATS_FILE_TMPDIR=$T run _leakcheck_state ""
  assert_contains "$output" "lease $T/run/.net/networks/bridge/leases 10.87.0.9 c0ffee"
}

@test "in-netns: the command runs in a network namespace of its own with only lo, up, and its status is kept" {
  run unshare --net bash -c '"$1" bash -c "ip -o link show; readlink /proc/self/ns/net >\"\$1\"; exit 3" _ "$2"' _ "$IN_NETNS" "$T/ns"
  assert_status 3
  assert_eq 1 "${#lines[@]}" "one link: $output"
  assert_match '^1: lo: <LOOPBACK,UP,' "${lines[0]}"
  [ "$(cat "$T/ns")" != "$(readlink /proc/self/ns/net)" ]
  run unshare --net "$IN_NETNS" true
  assert_status 0
}

@test "in-netns: a change to the machine's network fails a passing run, listing it" {
  # The outer namespace stands for the machine; the command reaches it
  # through its pid.
  run unshare --net bash -c '
    ip link set lo up
    "$1" nsenter --net=/proc/$$/ns/net sh -c "ip link add leak0 type veth peer name leak1; ip route add 192.0.2.0/24 dev lo; sysctl -qw net.ipv4.ip_forward=1"' _ "$IN_NETNS"
  assert_status 1
  assert_contains "$output" "the machine's network changed"
  assert_match '\+link [0-9]+: leak0@leak1:' "$output"
  assert_contains "$output" "+route 192.0.2.0/24 dev lo"
  assert_contains "$output" "-ip_forward 0"
  assert_contains "$output" "+ip_forward 1"
}

@test "in-netns: a process left in the test's namespace, or a mount of it, fails the run; the process is killed" {
  run unshare --net bash -c '"$1" sh -c "sleep 1000 >/dev/null 2>&1 & echo \$! >\"\$0\""' "$T/pid" "$IN_NETNS"
  assert_status 1
  assert_contains "$output" "processes left in the test's network namespace"
  assert_match "$(cat "$T/pid") sleep 1000" "$output"
  wait_for 5 eval '! kill -0 "$(cat "$T/pid")" 2>/dev/null'

  touch "$T/nsmount"
  run unshare --net bash -c '"$1" mount --bind /proc/self/ns/net "$0"' "$T/nsmount" "$IN_NETNS"
  umount "$T/nsmount" 2>/dev/null || true
  assert_status 1
  assert_contains "$output" "still mounted on"
  assert_contains "$output" "$T/nsmount"
}
