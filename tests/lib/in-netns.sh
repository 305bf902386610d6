#!/usr/bin/env bash
# in-netns.sh CMD [ARGS...]
#
# Runs CMD (ctest's run of one bats file, tests/CMakeLists.txt) in a network
# namespace of its own with only lo, up: the bridges, veths, nftables tables
# and sysctls the tests' containers make live and die there, and the
# machine's own network is never touched.  Only the network is unshared:
# mounts (/run/netns, the stores' mounts), cgroups and processes stay the
# machine's, as the tests expect.
#
# Exits with CMD's status; or, when that is 0, with 1 if, seen from the
# machine's namespace, its links, addresses, routes, rules, nftables tables
# or IPv4 forwarding differ after CMD from before (the difference goes to
# stderr), or if a process of CMD still holds the namespace (listed, then
# killed, so the namespace goes with it: unshare's namespace lives as long
# as a process or a mount keeps it).  Exits 2 if the namespace cannot be made.
set -uo pipefail

die() {
  echo "in-netns: $*" >&2
  exit 2
}
[ $# -gt 0 ] || die "usage: in-netns.sh CMD [ARGS...]"
for tool in unshare ip; do
  command -v "$tool" >/dev/null || die "$tool missing (scripts/install-deps.sh)"
done

# The machine's network as sorted lines; address lifetimes and route expiry
# counters are dropped (they tick on their own).
machine_network() {
  {
    ip -o link show | sed 's/^/link /'
    ip -o addr show | sed -E 's/ *(valid|preferred)_lft [^ ]+//g; s/^/addr /'
    ip -4 route show | sed 's/^/route /'
    ip -6 route show | sed -E 's/ expires [0-9]+sec//; s/^/route6 /'
    ip -4 rule show | sed 's/^/rule /'
    ! command -v nft >/dev/null || nft list tables | sed 's/^/nft /'
    echo "ip_forward $(cat /proc/sys/net/ipv4/ip_forward)"
  } 2>&1 | LC_ALL=C sort
}

work=$(mktemp -d "${TMPDIR:-/tmp}/in-netns.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work"' EXIT
machine_network >"$work/before"

# The namespace's id (net:[INODE]) is written from inside, to find what
# still holds it afterwards.
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --net -- bash -c '
  readlink /proc/self/ns/net >"$1" && ip link set lo up || exit 2
  shift
  exec "$@"' in-netns "$work/netns" "$@"
rc=$?
[ -s "$work/netns" ] || die "no network namespace was made (unshare --net: root?)"
netns=$(cat "$work/netns")

failed=0
machine_network >"$work/after"
if ! diff -u "$work/before" "$work/after" >"$work/diff"; then
  echo "in-netns: the machine's network changed while $* ran (- before, + after):" >&2
  grep '^[-+][^-+]' "$work/diff" | sed 's/^/  /' >&2
  failed=1
fi

holders=()
for p in /proc/[0-9]*; do
  [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$netns" ] && holders+=("${p#/proc/}")
done
if [ ${#holders[@]} -gt 0 ]; then
  echo "in-netns: processes left in the test's network namespace $netns (killed):" >&2
  for p in "${holders[@]}"; do
    echo "  $p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-200)" >&2
  done
  kill -KILL "${holders[@]}" 2>/dev/null
  failed=1
fi
# An nsfs bind mount of it (mountinfo's root field names the namespace).
if awk -v ns="$netns" '$4 == ns { found = 1; print "  " $5 } END { exit !found }' /proc/self/mountinfo >"$work/mounts"; then
  echo "in-netns: the test's network namespace $netns is still mounted on:" >&2
  cat "$work/mounts" >&2
  failed=1
fi

[ "$rc" -ne 0 ] || rc=$failed
exit "$rc"
