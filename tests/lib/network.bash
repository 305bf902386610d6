# shellcheck shell=bash
# The engine's networks under test: husk runs inside a network namespace
# the file makes (the test's "host"), so the machine's own interfaces,
# routes and firewall are never touched and traffic goes only to addresses
# inside the test's own namespaces. An "outside" host, when a test needs
# one, is another namespace ($OUTSIDE) joined to the test's host by a veth.

load ../lib/engine.bash
load ../lib/leakcheck

network_file_setup() {
  image_file_setup
  export NETNS=husk-test-net-$$ OUTSIDE=husk-test-out-$$
  ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  # After the test's own namespace (and ip's /run/netns mount) is made.
  export HUSK_LEAK_SNAPSHOT="$BATS_FILE_TMPDIR/leak.before"
  leakcheck_snapshot "$HUSK_LEAK_SNAPSHOT"
}

network_file_teardown() {
  local leaked=0
  leakcheck_compare "$HUSK_LEAK_SNAPSHOT" || leaked=1
  ip netns del "$NETNS" 2>/dev/null || true
  return "$leaked"
}

# After each test: the containers gone, nothing of their networks left on
# the test's host (the kernel removes a veth once its namespace is let go:
# a bounded wait), then the networks' own things removed.
network_teardown() {
  engine_teardown
  wait_for 5 no_container_veths
  # No name server outlives the containers it served.
  wait_for 5 no_name_servers
  # The uplink first (its peer's end with the namespace is not at once).
  on_host ip link del hostup 2>/dev/null || true
  ip netns del "$OUTSIDE" 2>/dev/null || true
  on_host nft delete table ip husk 2>/dev/null || true
  local l
  for l in $(ip -n "$NETNS" -o link show type bridge | awk -F': ' '{ print $2 }'); do
    ip -n "$NETNS" link del "$l" 2>/dev/null || true
  done
}

# husk, and any command, in the test's host namespace (only the network
# namespace: mounts stay the machine's, as a husk run's must).
h() { nsenter --net="/run/netns/$NETNS" "$HUSK" --root "$R" --runroot "$RUNROOT" "$@"; }
on_host() { nsenter --net="/run/netns/$NETNS" "$@"; }
container_veths() { ip -n "$NETNS" -o link show | awk -F': ' '$2 ~ /^husk[0-9a-f]{11}/ { print $2 }'; }
no_container_veths() { [ -z "$(container_veths)" ]; }
# The name servers (dnsmasq) husk started for this test's run root.
name_servers() { pgrep -f "dnsmasq.*--pid-file=$RUNROOT/" || true; }
no_name_servers() { [ -z "$(name_servers)" ]; }

# The "outside" host: a namespace of its own behind the test host's uplink
# (192.0.2.1 on the host, 192.0.2.254 outside), the host's default route
# through it.
make_outside() {
  ip netns add "$OUTSIDE"
  ip -n "$OUTSIDE" link set lo up
  on_host ip link add hostup type veth peer name out0 netns "$OUTSIDE"
  on_host ip addr add 192.0.2.1/24 dev hostup
  on_host ip link set hostup up
  on_host ip route add default via 192.0.2.254
  ip -n "$OUTSIDE" addr add 192.0.2.254/24 dev out0
  ip -n "$OUTSIDE" link set out0 up
}
outside() { ip netns exec "$OUTSIDE" "$@"; }
