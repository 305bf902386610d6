#!/usr/bin/env bash
# Benchmark what a network costs `husk run`: `husk run --rm busybox true` on
# the default bridge network against the same run with `--network none`
# (the difference is the bridge's set-up and release: a kept namespace, a
# lease, a veth, an address and a route, then all of it let go), and against
# podman (runc) on its default bridge network (netavark), same run.
# Everything runs inside a network namespace this script makes (the
# machine's own network is never touched) and removes.
#
# Usage (as root):   bench/network-run.sh
# Environment:
#   HUSK_BUILD_DIR  where husk is (default <repo>/build)
#   RUNS            hyperfine --runs for the husk rows (default 50)
#   PEER_RUNS       hyperfine --runs for the podman row (default 10)
#   WARMUP          hyperfine --warmup (default 3)
#   RESULTS_DIR     hyperfine JSON (default <repo>/bench/results, git-ignored)
#
# Targets (issue 15): the bridge adds at most 3 ms over --network none, and
# husk on the bridge takes at most 1/10 of podman's time on its own.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$repo/build}
RUNS=${RUNS:-50}
PEER_RUNS=${PEER_RUNS:-10}
WARMUP=${WARMUP:-3}
RESULTS_DIR=${RESULTS_DIR:-$repo/bench/results}

die() { printf 'network-run.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
for t in hyperfine jq ip nsenter podman conmon runc /usr/lib/podman/netavark; do
  command -v "$t" >/dev/null || die "missing $t (scripts/install-deps.sh)"
done
HUSK=$HUSK_BUILD_DIR/husk
[ -x "$HUSK" ] || die "build husk first (scripts/build.sh)"

# shellcheck source=tests/lib/fixtures.bash
source "$repo/tests/lib/fixtures.bash"
# shellcheck source=tests/lib/podman.bash
source "$repo/tests/lib/podman.bash"
export HUSK_BUILD_DIR PODMAN_NETWORK_BACKEND=netavark

work=$(mktemp -d /tmp/husk-network-bench.XXXXXX)
store=$work/store
runroot=$work/run
netns=husk-bench-net-$$
cleanup() {
  set +e
  nsenter --net="/run/netns/$netns" "$HUSK" --root "$store" --runroot "$runroot" rm -f $(ls "$store/containers" 2>/dev/null) >/dev/null 2>&1
  [ -n "${PODMAN_TMP:-}" ] && podman_teardown >/dev/null 2>&1
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

log "podman: an isolated podman (netavark) with the same busybox"
podman_setup >/dev/null
pod() {
  printf 'nsenter --net=/run/netns/%s env CONTAINERS_CONF=%s CONTAINERS_STORAGE_CONF=%s CONTAINERS_REGISTRIES_CONF=%s podman --root %s --runroot %s --tmpdir %s --storage-driver %s --cgroup-manager cgroupfs --events-backend file --network-config-dir %s --runtime %s %s' \
    "$netns" "$PODMAN_TMP/containers.conf" "$PODMAN_TMP/storage.conf" "$PODMAN_TMP/registries.conf" \
    "$PODMAN_TMP/root" "$PODMAN_TMP/runroot" "$PODMAN_TMP/tmp" "$PODMAN_STORAGE_DRIVER" \
    "$PODMAN_TMP/networks" "$(command -v runc)" "$*"
}
prun="run --rm --network bridge --cgroup-parent $PODMAN_CGROUP_PARENT $PODMAN_IMAGE true"
sh -c "$(pod "$prun")" >/dev/null || die "podman run on its bridge failed"

mkdir -p "$RESULTS_DIR"
log "run: $RUNS runs of each husk row, $PEER_RUNS of podman's"
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/husk.json" \
  -n "husk run --rm --network none" "$(run_cmd "--network none")" \
  -n "husk run --rm --network bridge" "$(run_cmd "--network bridge")" >&2
hyperfine --warmup 1 --runs "$PEER_RUNS" --export-json "$work/podman.json" \
  -n "podman run --rm --network bridge (runc)" "$(pod "$prun")" >&2
jq -s '[.[].results[]] | map({(.command): .mean}) | add' "$work"/husk.json "$work"/podman.json \
  >"$RESULTS_DIR/network-run.json"

mean() { jq -r --arg n "$1" '.[$n]' "$RESULTS_DIR/network-run.json"; }
none=$(mean "husk run --rm --network none")
bridge=$(mean "husk run --rm --network bridge")
podman_=$(mean "podman run --rm --network bridge (runc)")
printf '\n%-40s %10s\n' "row" "mean (ms)"
awk -v n="$none" -v b="$bridge" -v p="$podman_" 'BEGIN {
  printf "%-40s %10.2f\n", "husk run --rm --network none", n * 1000
  printf "%-40s %10.2f\n", "husk run --rm --network bridge", b * 1000
  printf "%-40s %10.2f\n", "podman run --rm --network bridge (runc)", p * 1000
  printf "\nthe bridge adds: %.2f ms   (target <= 3)\n", (b - n) * 1000
  printf "husk bridge / podman bridge: %.3f   (target <= 0.1)\n", b / p
}'
# The kernel removes a veth once its namespace is let go (asynchronously).
for _ in $(seq 50); do
  leaked=$(ip -n "$netns" -o link show | awk -F': ' '$2 ~ /^husk[0-9a-f]{11}/ { print $2 }')
  [ -z "$leaked" ] && break
  sleep 0.1
done
[ -z "$leaked" ] || die "veths left behind: $leaked"
echo "leak check: no container veth left on the bridge"
