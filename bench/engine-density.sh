#!/usr/bin/env bash
# Density: what stays on the host for each running container besides the
# container itself. husk's monitor vs podman's conmon, both for an idle
# `run -d busybox sleep 1000` (podman with --network none and husk-runtime,
# so only the monitor differs). RSS and PSS from /proc/PID/smaps_rollup,
# with N containers of each running at once (PSS splits the pages the
# monitors share, e.g. their binary's text, between them). husk's twice:
# plain, and with `--restart always` and a healthcheck every second (its
# monitor then also starts `husk healthcheck run` each interval; what it
# holds between runs is measured). conmon is the same either way: podman's
# healthchecks are systemd timers, apart from conmon.
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

# The mean "RSS PSS USS" of N idle husk monitors of containers run with
# FLAGS, then those containers removed.
husk_monitors() {
  local i f p pids=()
  for i in $(seq "$N"); do
    "$HUSK" --root "$T/store" --runroot "$T/run" run -d --network none "$@" busybox sleep 1000 >/dev/null
  done
  for f in "$T"/store/containers/*/monitor.pid; do pids+=("$(cat "$f")"); done
  sleep 1.5  # idle: whatever start-up left behind is what counts
  for p in "${pids[@]}"; do mem_of "$p"; done | mean
  for f in "$T"/store/containers/*/; do
    "$HUSK" --root "$T/store" --runroot "$T/run" rm -f "$(basename "$f")" >/dev/null
  done
}
read -r husk_rss husk_pss husk_uss <<<"$(husk_monitors)"
read -r hc_rss hc_pss hc_uss <<<"$(husk_monitors --restart always --health-cmd true --health-interval 1s)"

podman_setup >/dev/null
conmon_pids=()
for i in $(seq "$N"); do
  id=$(hpodman run -d --network none "$PODMAN_IMAGE" sleep 1000)
  conmon_pids+=("$(hpodman inspect --format '{{.State.ConmonPid}}' "$id")")
done
sleep 1
read -r conmon_rss conmon_pss conmon_uss < <(for p in "${conmon_pids[@]}"; do mem_of "$p"; done | mean)

row() { printf '%-26s %10s %10s %10s\n' "$@"; }
row "per container" "RSS kB" "PSS kB" "USS kB"
row "husk monitor" "$husk_rss" "$husk_pss" "$husk_uss"
row "husk monitor, restart+hc" "$hc_rss" "$hc_pss" "$hc_uss"
row "conmon" "$conmon_rss" "$conmon_pss" "$conmon_uss"
ratio() {
  awk -v what="$1" -v a="$2" -v b="$conmon_rss" -v c="$3" -v d="$conmon_pss" -v e="$4" -v f="$conmon_uss" \
    'BEGIN { printf "%s/conmon: RSS %.2fx, PSS %.2fx, USS %.2fx\n", what, a / b, c / d, e / f }'
}
ratio husk "$husk_rss" "$husk_pss" "$husk_uss"
ratio "husk (restart always, healthcheck)" "$hc_rss" "$hc_pss" "$hc_uss"
