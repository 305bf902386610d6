#!/usr/bin/env bash
# Benchmark husk-runtime under dockerd: `docker run --rm --runtime husk
# busybox true` against `--runtime runc`, in the same dockerd (Debian's
# docker.io 20.10, its own containerd and the runc-v2 shim), same hyperfine
# run. What differs between the rows is the runtime alone: the shim's
# create, start, state and delete calls to it.
#
# The dockerd is tests/lib/dockerd.bash's: everything under a temp dir, no
# bridge, no iptables; this script runs itself in a network namespace of its
# own (tests/lib/in-netns.sh), so the machine's network is never touched.
#
# Usage (as root):   bench/runtime-dockerd.sh
# Environment:
#   HUSK_BUILD_DIR  where husk-runtime is (default <repo>/build); the binary
#                   is copied first, so a rebuild during the run does not matter
#   RUNS            hyperfine --runs per row (default 30)
#   WARMUP          hyperfine --warmup (default 3)
#   RESULTS_DIR     hyperfine JSON (default <repo>/bench/results, git-ignored)
#
# Target (issue 18): husk / runc <= 0.9.
# Exit status: 0 ok; 1 setup error; 3 dockerd's teardown found leftovers.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
export HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$repo/build}
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
RESULTS_DIR=${RESULTS_DIR:-$repo/bench/results}

die() { printf 'runtime-dockerd.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
if [ -z "${_HUSK_DOCKERD_BENCH_NETNS:-}" ]; then
  _HUSK_DOCKERD_BENCH_NETNS=1 exec "$repo/tests/lib/in-netns.sh" "$0" "$@"
fi
for t in hyperfine jq dockerd containerd containerd-shim-runc-v2 runc skopeo; do
  command -v "$t" >/dev/null || die "missing $t (scripts/install-deps.sh)"
done
[ -x "$HUSK_BUILD_DIR/husk-runtime" ] || die "build husk-runtime first (scripts/build.sh)"

# shellcheck source=tests/lib/dockerd.bash
source "$repo/tests/lib/dockerd.bash"
[ -x "$DOCKER_CLI" ] || die "missing $DOCKER_CLI (docker.io)"

work=$(mktemp -d /tmp/husk-dockerd-bench.XXXXXX)
cleanup() {
  local rc=$?
  set +e
  if ! dockerd_teardown; then
    echo "runtime-dockerd.sh: dockerd's teardown found leftovers (see above)" >&2
    [ "$rc" -ne 0 ] || rc=3
  fi
  rm -rf --one-file-system "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# snapshot: a concurrent rebuild must not swap the binary in the middle of a run
cp "$HUSK_BUILD_DIR/husk-runtime" "$work/husk-runtime"
export RUNTIME=$work/husk-runtime
log "husk-runtime: $HUSK_BUILD_DIR/husk-runtime (copied, sha256 $(sha256sum "$RUNTIME" | cut -c1-12))"

log "dockerd: a private one, busybox loaded"
dockerd_setup || die "dockerd did not start (its log is above)"

drun_cmd() {
  printf '%s -H unix://%s run --rm --runtime %s --network none --pull never %s true' \
    "$DOCKER_CLI" "$DOCKERD_SOCK" "$1" "$DOCKERD_IMAGE"
}
for rt in runc husk; do
  out=$(hdocker run --rm --runtime "$rt" --network none --pull never "$DOCKERD_IMAGE" \
    sh -c 'echo "$$"' 2>&1) || die "docker run --runtime $rt failed: $out"
  [ "$out" = 1 ] || die "docker run --runtime $rt: expected pid 1, got: $out"
done

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$RESULTS_DIR"
log "hyperfine -N --warmup $WARMUP --runs $RUNS"
hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
  --export-json "$RESULTS_DIR/runtime-dockerd.json" \
  -n "docker run --rm --runtime runc" "$(drun_cmd runc)" \
  -n "docker run --rm --runtime husk" "$(drun_cmd husk)" >&2

ms() { jq -r --arg n "$1" --arg k "$2" '.results[] | select(.command == $n) | .[$k] * 1000' \
  "$RESULTS_DIR/runtime-dockerd.json"; }
echo
echo "docker run --rm busybox true through dockerd $(dockerd --version | awk '{ print $3 }' | tr -d ,), runc $(runc --version | awk 'NR == 1 { print $3 }')"
echo "host: $(uname -r), $(nproc) CPUs; runs=$RUNS warmup=$WARMUP; loadavg start [$load_start] end [$(cut -d' ' -f1-3 /proc/loadavg)]"
printf '\n%-34s %10s %10s %10s %10s\n' row mean_ms stddev_ms median_ms min_ms
for rt in runc husk; do
  n="docker run --rm --runtime $rt"
  printf '%-34s %10.2f %10.2f %10.2f %10.2f\n' "$n" "$(ms "$n" mean)" "$(ms "$n" stddev)" \
    "$(ms "$n" median)" "$(ms "$n" min)"
done
ratio=$(awk -v h="$(ms "docker run --rm --runtime husk" mean)" \
  -v r="$(ms "docker run --rm --runtime runc" mean)" 'BEGIN { printf "%.3f", h / r }')
echo
echo "husk / runc (means): $ratio   (target <= 0.9: $(awk -v r="$ratio" 'BEGIN { print (r <= 0.9) ? "PASS" : "FAIL" }'))"
