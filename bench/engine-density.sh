#!/usr/bin/env bash
# Density: what stays on the host for each running container besides the
# container itself. husk's monitor vs podman's conmon, both for an idle
# `run -d busybox sleep 1000` (podman with --network none and husk-runtime,
# so only the monitor differs). RSS and PSS from /proc/PID/smaps_rollup,
# with N containers of each running at once (PSS splits the pages the
# monitors share, e.g. their binary's text, between them).
#
#   N=5 bench/engine-density.sh
#
# Environment: HUSK_BUILD_DIR (default build; husk and husk-runtime from
# there), N (containers of each, default 5).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$repo/build}
N=${N:-5}
HUSK=$HUSK_BUILD_DIR/husk
# shellcheck source=../tests/lib/podman.bash
. "$repo/tests/lib/podman.bash"

[ "$(id -u)" -eq 0 ] || { echo "engine-density: run as root" >&2; exit 1; }
for tool in podman conmon "$HUSK"; do
  command -v "$tool" >/dev/null || { echo "engine-density: missing $tool" >&2; exit 1; }
done

T=$(mktemp -d /var/tmp/husk-density.XXXXXX)
cleanup() {
  for d in "$T"/store/containers/*/; do
    [ -d "$d" ] && "$HUSK" --root "$T/store" --runroot "$T/run" rm -f "$(basename "$d")" >/dev/null 2>&1 || true
  done
  podman_teardown >/dev/null 2>&1 || true
  husk_unmount_under "$T" || true
  rm -rf --one-file-system "$T"
}
trap cleanup EXIT

# "RSS PSS USS" in kB of PID. USS (its private pages) is what one more
# container adds; RSS counts the binary's shared pages in full, PSS a 1/N
# share of them.
mem_of() {
  awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { u += $2 } END { print r, p, u }' \
    "/proc/$1/smaps_rollup"
}

# The mean "RSS PSS USS" of the pids on stdin.
mean() { awk '{ r += $1; p += $2; u += $3; n++ } END { printf "%d %d %d\n", r / n, p / n, u / n }'; }

husk_pids=()
for i in $(seq "$N"); do
  "$HUSK" --root "$T/store" --runroot "$T/run" run -d --name "idle$i" --network none busybox sleep 1000 >/dev/null
done
for f in "$T"/store/containers/*/monitor.pid; do husk_pids+=("$(cat "$f")"); done
sleep 1  # idle: whatever start-up left behind is what counts
read -r husk_rss husk_pss husk_uss < <(for p in "${husk_pids[@]}"; do mem_of "$p"; done | mean)

podman_setup >/dev/null
conmon_pids=()
for i in $(seq "$N"); do
  id=$(hpodman run -d --network none "$PODMAN_IMAGE" sleep 1000)
  conmon_pids+=("$(hpodman inspect --format '{{.State.ConmonPid}}' "$id")")
done
sleep 1
read -r conmon_rss conmon_pss conmon_uss < <(for p in "${conmon_pids[@]}"; do mem_of "$p"; done | mean)

printf '%-14s %10s %10s %10s\n' "per container" "RSS kB" "PSS kB" "USS kB"
printf '%-14s %10d %10d %10d\n' "husk monitor" "$husk_rss" "$husk_pss" "$husk_uss"
printf '%-14s %10d %10d %10d\n' "conmon" "$conmon_rss" "$conmon_pss" "$conmon_uss"
awk -v a="$husk_rss" -v b="$conmon_rss" -v c="$husk_pss" -v d="$conmon_pss" -v e="$husk_uss" -v f="$conmon_uss" \
  'BEGIN { printf "husk/conmon: RSS %.2fx, PSS %.2fx, USS %.2fx\n", a / b, c / d, e / f }'
