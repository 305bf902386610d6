#!/usr/bin/env bash
# Benchmark the engine: `husk run --rm busybox true` against podman running
# the same image with runc and with crun (all `--network none`: the machine's own network
# is never touched; bench/network-run.sh measures the bridge), against
# husk-runtime's bare `run` of a bundle of the same image with the same
# seccomp filter (the engine's floor: what the engine adds is the image, the
# record, the overlay root, the config), and `husk exec` against `podman exec` into a running
# container. One hyperfine run measures every row; the ratios printed are
# from that run. Then the default network's rows (issue 15): husk on its
# default bridge against --network none and against podman on its default
# network (netavark), by bench/network-run.sh, which runs them inside a
# network namespace of its own (NETWORK_ROWS=0 leaves them out).
#
# Usage (as root):   bench/engine-run.sh
# Environment:
#   HUSK_BUILD_DIR  where husk and husk-runtime are (default <repo>/build)
#   RUNS            hyperfine --runs for the husk rows (default 50)
#   PEER_RUNS       hyperfine --runs for the podman rows (default 15)
#   WARMUP          hyperfine --warmup (default 3)
#   RESULTS_DIR     hyperfine JSON (default <repo>/bench/results, git-ignored)
#   NETWORK_ROWS    1 (default): the default network's rows too
#
# Targets (issue 5): husk run under 1/5 of podman's time, and within 2x of
# husk-runtime's bare run.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
export HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$repo/build}
RUNS=${RUNS:-50}
PEER_RUNS=${PEER_RUNS:-15}
WARMUP=${WARMUP:-3}
RESULTS_DIR=${RESULTS_DIR:-$repo/bench/results}
CG_UNIFIED=/sys/fs/cgroup/unified

die() { printf 'engine-run.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
for t in hyperfine jq podman conmon runc crun unshare; do
  command -v "$t" >/dev/null || die "missing $t (scripts/install-deps.sh)"
done
HUSK=$HUSK_BUILD_DIR/husk
RT=$HUSK_BUILD_DIR/husk-runtime
[ -x "$HUSK" ] && [ -x "$RT" ] || die "build husk first (scripts/build.sh)"

# shellcheck source=tests/lib/podman.bash
source "$repo/tests/lib/podman.bash"

work=$(mktemp -d /tmp/husk-engine-bench.XXXXXX)
store=$work/store
runroot=$work/run
rtroot=$work/rt
cleanup() {
  set +e
  "$HUSK" --root "$store" --runroot "$runroot" rm -f benchexec >/dev/null 2>&1
  [ -n "${PODMAN_TMP:-}" ] && podman_teardown >/dev/null 2>&1
  "$HUSK" --root "$store" image unbundle "$work/bundle" >/dev/null 2>&1
  husk_unmount_under "$work" >/dev/null 2>&1
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

h() { "$HUSK" --root "$store" --runroot "$runroot" "$@"; }

log "husk: the default busybox image and a bundle of it"
h run --rm --network none busybox true
"$HUSK" --root "$store" image bundle busybox "$work/bundle" /bin/true >/dev/null
# The same confinement as husk run's: its default seccomp filter, which the
# runtime loads in both rows.
seccomp=$(h create busybox true | tail -1)
jq --slurpfile c "$store/containers/$seccomp/oci-bundle/config.json" '.linux.seccomp = $c[0].linux.seccomp' \
  "$work/bundle/config.json" >"$work/config.json" && mv "$work/config.json" "$work/bundle/config.json"
h rm "$seccomp" >/dev/null

log "podman: an isolated podman with the same busybox"
podman_setup >/dev/null
RUNC=$(command -v runc)
CRUN=$(command -v crun)
# podman with crun: crun refuses hybrid cgroups, so that row (and only it)
# runs with the cgroup2 mount hidden in a private mount namespace.
crun_wrap=""
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] && mountpoint -q "$CG_UNIFIED"; then
  crun_wrap="unshare -m sh -c 'umount $CG_UNIFIED && exec \"\$0\" \"\$@\"'"
fi
# hpodman as one command line for hyperfine.
pod() {
  local runtime=$1
  shift
  printf 'env CONTAINERS_CONF=%s CONTAINERS_STORAGE_CONF=%s CONTAINERS_REGISTRIES_CONF=%s podman --root %s --runroot %s --tmpdir %s --storage-driver %s --cgroup-manager cgroupfs --events-backend file --network-config-dir %s --runtime %s %s' \
    "$PODMAN_TMP/containers.conf" "$PODMAN_TMP/storage.conf" "$PODMAN_TMP/registries.conf" \
    "$PODMAN_TMP/root" "$PODMAN_TMP/runroot" "$PODMAN_TMP/tmp" "$PODMAN_STORAGE_DRIVER" \
    "$PODMAN_TMP/networks" "$runtime" "$*"
}
prun="run --rm --network none --cgroup-parent $PODMAN_CGROUP_PARENT $PODMAN_IMAGE true"
PODMAN_RUNTIME=$RUNC hpodman $prun >/dev/null || die "podman run with runc failed"
sh -c "$crun_wrap $(pod "$CRUN" "$prun")" >/dev/null || die "podman run with crun failed"

mkdir -p "$RESULTS_DIR"
log "run: $RUNS runs of husk, $PEER_RUNS of each podman"
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/husk.json" \
  -n "husk run --rm" "$HUSK --root $store --runroot $runroot run --rm --network none busybox true" \
  -n "husk-runtime run (bare)" "$RT --root $rtroot run --bundle $work/bundle benchbare" >&2
hyperfine --warmup 1 --runs "$PEER_RUNS" --export-json "$work/podman.json" \
  -n "podman run --rm (runc)" "$(pod "$RUNC" "$prun")" \
  -n "podman run --rm (crun)" "$crun_wrap $(pod "$CRUN" "$prun")" >&2

exec_rows=0
if h exec --help >/dev/null 2>&1; then
  exec_rows=1
  log "exec: into a running container"
  h run -d --name benchexec --network none busybox sleep 100000 >/dev/null
  PODMAN_RUNTIME=$RUNC hpodman run -d --name benchexec --network none --cgroup-parent "$PODMAN_CGROUP_PARENT" \
    "$PODMAN_IMAGE" sleep 100000 >/dev/null
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/husk-exec.json" \
    -n "husk exec" "$HUSK --root $store --runroot $runroot exec benchexec true" >&2
  hyperfine --warmup 1 --runs "$PEER_RUNS" --export-json "$work/podman-exec.json" \
    -n "podman exec (runc)" "$(pod "$RUNC" exec benchexec true)" >&2
fi

jq -s '[.[].results[]] | map({(.command): .mean}) | add' "$work"/*.json >"$RESULTS_DIR/engine-run.json"
mean() { jq -r --arg n "$1" '.[$n]' "$RESULTS_DIR/engine-run.json"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
husk=$(mean "husk run --rm")
bare=$(mean "husk-runtime run (bare)")
runc_=$(mean "podman run --rm (runc)")
crun_=$(mean "podman run --rm (crun)")
printf '\n%-28s %10s\n' "row" "mean (ms)"
jq -r 'to_entries[] | "\(.key)\t\(.value * 1000)"' "$RESULTS_DIR/engine-run.json" |
  awk -F'\t' '{ printf "%-28s %10.2f\n", $1, $2 }'
echo
echo "husk run / podman (runc):     $(ratio "$husk" "$runc_")   (target < 0.2)"
echo "husk run / podman (crun):     $(ratio "$husk" "$crun_")   (target < 0.2)"
echo "husk run / husk-runtime bare: $(ratio "$husk" "$bare")   (target <= 2)"
if [ "$exec_rows" = 1 ]; then
  echo "husk exec / podman exec:      $(ratio "$(mean "husk exec")" "$(mean "podman exec (runc)")")"
fi

if [ "${NETWORK_ROWS:-1}" = 1 ]; then
  echo
  echo "the default network (bench/network-run.sh, in a network namespace of its own):"
  RUNS=$RUNS PEER_RUNS=$PEER_RUNS WARMUP=$WARMUP RESULTS_DIR=$RESULTS_DIR "$here/network-run.sh"
fi
