#!/usr/bin/env bash
# Benchmark what a published port costs in throughput: a TCP stream of
# S MiB from an "outside" host to a container on husk's default bridge,
# once through the published port (192.0.2.1:5001, DNAT by husk's
# nftables, then forwarded to the container) and once to the container's
# own address directly (routed through the same host, no DNAT), R times
# each, alternating. The sink in the container is busybox
# `nc -ll -p 5001 -e dd of=/dev/null bs=1M` (a dd per connection); the
# sender is a small python3 program in the outside namespace that times
# itself from connect until the sink has read everything and closed.
# husk runs inside a network namespace this script makes (the test's
# "host"); the outside host is another one, joined to it by a veth
# (host 192.0.2.1/24, outside 192.0.2.254/24, the host's default route
# through the outside, as tests/lib/network.bash's make_outside; forwarding
# on in the host beforehand, so husk's table lets the direct path in). The
# machine's own network is never touched; both namespaces, the container,
# the store and run dirs (under /tmp) are removed at exit.
#
# Usage (as root):   bench/network-throughput.sh
# Environment:
#   HUSK_BUILD_DIR  where husk is (default <repo>/build)
#   S               MiB per stream (default 1024)
#   R               streams per path (default 3)
#
# Target (issue 15): published-port throughput at least 0.9 of the direct
# path's (median of the R runs each).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$repo/build}
S=${S:-1024}
R=${R:-3}
PORT=5001

die() { printf 'network-throughput.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
case "$S$R" in '' | *[!0-9]*) die "S and R must be numbers" ;; esac
if [ "$S" -lt 1 ] || [ "$R" -lt 1 ] || [ "$R" -gt 100 ]; then die "S >= 1, R in 1..100"; fi
for t in ip nsenter python3; do
  command -v "$t" >/dev/null || die "missing $t (scripts/install-deps.sh)"
done
HUSK=$HUSK_BUILD_DIR/husk
[ -x "$HUSK" ] || die "build husk first (scripts/build.sh)"

# shellcheck source=tests/lib/fixtures.bash
source "$repo/tests/lib/fixtures.bash"

work=$(mktemp -d /tmp/husk-throughput-bench.XXXXXX)
store=$work/store
runroot=$work/run
netns=husk-bench-tp-$$
outside=husk-bench-tp-out-$$
cleanup() {
  set +e
  # shellcheck disable=SC2046 # container ids: no spaces
  [ -e "/run/netns/$netns" ] && h rm -f $(ls "$store/containers" 2>/dev/null) >/dev/null 2>&1
  husk_kill_procs_mentioning "$work"
  ip netns del "$outside" 2>/dev/null
  ip netns del "$netns" 2>/dev/null
  husk_unmount_under "$work" >/dev/null 2>&1
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

h() { nsenter --net="/run/netns/$netns" "$HUSK" --root "$store" --runroot "$runroot" "$@"; }
on_host() { ip netns exec "$netns" "$@"; }
out() { ip netns exec "$outside" "$@"; }

ip netns add "$netns"
ip -n "$netns" link set lo up
ip netns add "$outside"
ip -n "$outside" link set lo up
on_host ip link add hostup type veth peer name out0 netns "$outside"
on_host ip addr add 192.0.2.1/24 dev hostup
on_host ip link set hostup up
on_host ip route add default via 192.0.2.254
ip -n "$outside" addr add 192.0.2.254/24 dev out0
ip -n "$outside" link set out0 up
# Forwarding on in the host before husk's first network, as on a router:
# when husk turns it on itself it also drops every forwarded packet it did
# not publish (the "guard" in its table), which closes the direct path.
# The published path meets the same rules either way (it is accepted by
# "ct status dnat" before the guard).
on_host sysctl -qw net.ipv4.ip_forward=1

# The sender: ADDR PORT MIB -> seconds from connect until the sink has read
# everything (it closes after EOF). Retries the connect for up to 5 s (the
# sink may not listen yet).
cat >"$work/send.py" <<'EOF'
import socket, sys, time
addr, port, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + 5
while True:
    try:
        s = socket.create_connection((addr, port), timeout=1)
        break
    except OSError as e:
        if time.monotonic() > deadline:
            sys.exit("cannot connect to %s:%d: %s" % (addr, port, e))
        time.sleep(0.1)
s.settimeout(120)
buf = memoryview(bytearray(1 << 20))
t = time.perf_counter()
for _ in range(mib):
    s.sendall(buf)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
print("%.6f" % (time.perf_counter() - t))
EOF

log "husk: the sink on the default bridge, port $PORT published"
h run -d --name sink -p "$PORT:$PORT" busybox nc -ll -p "$PORT" -e dd of=/dev/null bs=1M >/dev/null
ip_c=$(h inspect -f '{{.NetworkSettings.IPAddress}}' sink)
[ -n "$ip_c" ] || die "no address for the sink"
# The direct path: the outside routes the container's address via the host.
ip -n "$outside" route add "$ip_c/32" via 192.0.2.1

send() { out timeout 150 python3 "$work/send.py" "$1" "$PORT" "$2"; }
log "warm-up: 64 MiB each way"
send 192.0.2.1 64 >/dev/null || die "no stream through the published port 192.0.2.1:$PORT"
send "$ip_c" 64 >/dev/null || die "no stream to the container's address $ip_c:$PORT"

log "$R streams of $S MiB per path"
: >"$work/pub" && : >"$work/dir"
for i in $(seq "$R"); do
  send 192.0.2.1 "$S" >>"$work/pub" || die "published stream $i failed"
  send "$ip_c" "$S" >>"$work/dir" || die "direct stream $i failed"
done

# MB/s (10^6 bytes) of each run, then min / median / max.
stats() {
  awk -v s="$S" '{ print s * 1048576 / $1 / 1e6 }' "$1" | sort -n |
    awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.0f %.0f %.0f\n", v[1], m, v[NR] }'
}
read -r pmin pmed pmax < <(stats "$work/pub")
read -r dmin dmed dmax < <(stats "$work/dir")
printf '\n%d MiB per stream, %d streams per path; MB/s = 10^6 bytes/s\n\n' "$S" "$R"
printf '%-44s %8s %8s %8s\n' "path" "min" "median" "max"
printf '%-44s %8s %8s %8s\n' "published: 192.0.2.1:$PORT (DNAT)" "$pmin" "$pmed" "$pmax"
printf '%-44s %8s %8s %8s\n' "direct: $ip_c:$PORT (routed)" "$dmin" "$dmed" "$dmax"
awk -v p="$pmed" -v d="$dmed" 'BEGIN {
  r = p / d; printf "\npublished / direct (medians): %.3f   (target >= 0.9: %s)\n", r, (r >= 0.9) ? "PASS" : "FAIL" }'
