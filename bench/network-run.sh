#!/usr/bin/env bash
# Benchmark what a network costs `husk run`: `husk run --rm busybox true` on
# the default bridge network against the same run with `--network none`
# (the difference is the bridge's set-up and release: a kept namespace, a
# lease, a veth, an address and a route, then all of it let go), in one
# hyperfine run. Everything runs inside a network namespace this script
# makes (the machine's own network is never touched) and removes.
#
# Usage (as root):   bench/network-run.sh
# Environment:
#   HUSK_BUILD_DIR  where husk is (default <repo>/build)
#   RUNS            hyperfine --runs (default 50)
#   WARMUP          hyperfine --warmup (default 3)
#   RESULTS_DIR     hyperfine JSON (default <repo>/bench/results, git-ignored)
#
# Target (issue 15): the bridge adds at most 3 ms over --network none.
# Not here yet: podman on its default network (netavark) in the same run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$repo/build}
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-3}
RESULTS_DIR=${RESULTS_DIR:-$repo/bench/results}

die() { printf 'network-run.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
for t in hyperfine jq ip nsenter; do
  command -v "$t" >/dev/null || die "missing $t (scripts/install-deps.sh)"
done
HUSK=$HUSK_BUILD_DIR/husk
[ -x "$HUSK" ] || die "build husk first (scripts/build.sh)"

# shellcheck source=tests/lib/fixtures.bash
source "$repo/tests/lib/fixtures.bash"

work=$(mktemp -d /tmp/husk-network-bench.XXXXXX)
store=$work/store
runroot=$work/run
netns=husk-bench-net-$$
cleanup() {
  set +e
  nsenter --net="/run/netns/$netns" "$HUSK" --root "$store" --runroot "$runroot" rm -f $(ls "$store/containers" 2>/dev/null) >/dev/null 2>&1
  ip netns del "$netns" 2>/dev/null
  husk_unmount_under "$work" >/dev/null 2>&1
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

ip netns add "$netns"
ip -n "$netns" link set lo up
h() { nsenter --net="/run/netns/$netns" "$HUSK" --root "$store" --runroot "$runroot" "$@"; }
run_cmd() { printf 'nsenter --net=/run/netns/%s %s --root %s --runroot %s run --rm %s busybox true' \
  "$netns" "$HUSK" "$store" "$runroot" "$1"; }

log "husk: the default busybox image, and the bridge made once"
h run --rm busybox true
h run --rm --network bridge busybox true

mkdir -p "$RESULTS_DIR"
log "run: $RUNS runs of each"
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$RESULTS_DIR/network-run.json" \
  -n "husk run --rm --network none" "$(run_cmd "--network none")" \
  -n "husk run --rm --network bridge" "$(run_cmd "--network bridge")" >&2

mean() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .mean' "$RESULTS_DIR/network-run.json"; }
none=$(mean "husk run --rm --network none")
bridge=$(mean "husk run --rm --network bridge")
printf '\n%-32s %10s\n' "row" "mean (ms)"
awk -v n="$none" -v b="$bridge" 'BEGIN {
  printf "%-32s %10.2f\n", "husk run --rm --network none", n * 1000
  printf "%-32s %10.2f\n", "husk run --rm --network bridge", b * 1000
  printf "\nthe bridge adds: %.2f ms   (target <= 3)\n", (b - n) * 1000
}'
# The kernel removes a veth once its namespace is let go (asynchronously).
for _ in $(seq 50); do
  leaked=$(ip -n "$netns" -o link show | awk -F': ' '$2 ~ /^husk[0-9a-f]{11}/ { print $2 }')
  [ -z "$leaked" ] && break
  sleep 0.1
done
[ -z "$leaked" ] || die "veths left behind: $leaked"
echo "leak check: no container veth left on the bridge"
