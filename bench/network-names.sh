#!/usr/bin/env bash
# Benchmark names on a user-defined network: start N containers
# (`run -d --network NAME --name cI busybox sleep 1000`, one after the
# other) on one network, husk against podman (runc, netavark), and measure
# the total wall time to start all N and the memory of what serves their
# names: husk's dnsmasq for that network (its --pid-file is
# RUNROOT/[.net/]dns/NAME/dnsmasq.pid) and podman's aardvark-dns (RSS and PSS from
# /proc/PID/smaps_rollup, total and per container). A new container on the
# network then looks up c1 and cN (busybox nslookup); the answer must be
# the address the engine gave that container.
# Each engine runs inside a network namespace of its own that this script
# makes (the machine's own network is never touched) and removes, with
# every container, the network, the stores and run dirs (under /tmp).
#
# Usage (as root):   bench/network-names.sh
# Environment:
#   HUSK_BUILD_DIR  where husk is (default <repo>/build)
#   N               containers per engine (default 100)
#
# Target (issue 15): report only: the total time and the per-container
# memory of what serves names, husk's dnsmasq vs podman's aardvark-dns.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$repo/build}
N=${N:-100}

die() { printf 'network-names.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root"
case "$N" in '' | *[!0-9]*) die "N must be a number" ;; esac
if [ "$N" -lt 1 ] || [ "$N" -gt 250 ]; then die "N must be 1..250 (podman's network is a /24)"; fi
for t in jq ip nsenter dnsmasq; do
  command -v "$t" >/dev/null || die "missing $t (scripts/install-deps.sh)"
done
HUSK=$HUSK_BUILD_DIR/husk
[ -x "$HUSK" ] || die "build husk first (scripts/build.sh)"

# shellcheck source=tests/lib/fixtures.bash
source "$repo/tests/lib/fixtures.bash"
# shellcheck source=tests/lib/podman.bash
source "$repo/tests/lib/podman.bash"
export HUSK_BUILD_DIR PODMAN_NETWORK_BACKEND=netavark

work=$(mktemp -d /tmp/husk-names-bench.XXXXXX)
store=$work/store
runroot=$work/run
net=benchnet
husk_ns=husk-bench-names-$$
pod_ns=husk-bench-names-pod-$$
# podman (netavark) makes /run/containers/networks: removed if it made it.
made_run_containers=0
[ -e /run/containers ] || made_run_containers=1
cleanup() {
  set +e
  if [ -e "/run/netns/$husk_ns" ]; then
    # shellcheck disable=SC2046 # container ids: no spaces
    h rm -f $(ls "$store/containers" 2>/dev/null) >/dev/null 2>&1
    h network rm "$net" >/dev/null 2>&1
  fi
  if [ -n "${PODMAN_TMP:-}" ]; then
    # Inside its namespace: netavark tears a container's network down in
    # the namespace podman runs in, which must not be the machine's own.
    [ -e "/run/netns/$pod_ns" ] && {
      pod rm --all --force --time 0 >/dev/null 2>&1
      pod network rm -f "$net" >/dev/null 2>&1
    }
    podman_teardown >/dev/null 2>&1
  fi
  [ "$made_run_containers" = 1 ] && rm -rf /run/containers
  husk_kill_procs_mentioning "$work"
  ip netns del "$husk_ns" 2>/dev/null
  ip netns del "$pod_ns" 2>/dev/null
  husk_unmount_under "$work" >/dev/null 2>&1
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

h() { nsenter --net="/run/netns/$husk_ns" "$HUSK" --root "$store" --runroot "$runroot" "$@"; }
# podman isolated as tests/lib/podman.bash's hpodman, inside its namespace.
pod() {
  case "${1:-}" in
    run | create) set -- "$1" --cgroup-parent "$PODMAN_CGROUP_PARENT" "${@:2}" ;;
  esac
  nsenter --net="/run/netns/$pod_ns" env CONTAINERS_CONF="$PODMAN_TMP/containers.conf" \
    CONTAINERS_STORAGE_CONF="$PODMAN_TMP/storage.conf" \
    CONTAINERS_REGISTRIES_CONF="$PODMAN_TMP/registries.conf" \
    timeout -s KILL "${HUSK_PEER_TIMEOUT:-120}" podman \
    --root "$PODMAN_TMP/root" --runroot "$PODMAN_TMP/runroot" --tmpdir "$PODMAN_TMP/tmp" \
    --storage-driver "$PODMAN_STORAGE_DRIVER" --cgroup-manager cgroupfs --events-backend file \
    --network-config-dir "$PODMAN_TMP/networks" --runtime "$(command -v runc)" "$@"
}
now_ns() { date +%s%N; }
# "FIRST LAST": the mean ms of the first and of the last tenth of the runs
# (at least one), from FILE's time stamps (the start, then one per run).
first_last() {
  awk 'NR > 1 { d[NR - 1] = ($1 - prev) / 1e6 } { prev = $1 }
    END { n = NR - 1; k = int(n / 10); if (k < 1) k = 1
      for (i = 1; i <= k; i++) { f += d[i]; l += d[n - k + i] }
      printf "%.1f %.1f\n", f / k, l / k }' "$1"
}
# "RSS PSS" in kB of PID.
mem_of() { awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } END { print r, p }' "/proc/$1/smaps_rollup"; }
# resolves ENGINE NAME IP: a new container on the network looks NAME up
# and gets IP.
resolves() {
  local out
  out=$("$1" run --rm --network "$net" busybox nslookup "$2" 2>&1) || true
  awk -v ip="$3" '/^Name:/ { f = 1 } f && /^Address/ && $NF == ip { ok = 1 } END { exit !ok }' <<<"$out"
}
ok_fail() { if resolves "$@"; then echo OK; else echo FAIL; fi; }

for ns in "$husk_ns" "$pod_ns"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done

# ---- husk ----
log "husk: the default busybox image, the network $net"
h run --rm --network none busybox true
h network create "$net" >/dev/null
log "husk: $N containers on $net"
t0=$(now_ns)
echo "$t0" >"$work/husk.t"
for i in $(seq "$N"); do
  h run -d --network "$net" --name "c$i" busybox sleep 1000 >/dev/null || die "husk run c$i failed"
  now_ns >>"$work/husk.t"
done
t1=$(now_ns)
husk_ms=$(( (t1 - t0) / 1000000 ))
sleep 1 # idle: what start-up left behind is what counts
# RUNROOT/dns/NAME/dnsmasq.pid (RUNROOT/.net/dns/NAME in later versions)
pidfile=$(find "$runroot" -path "*/dns/$net/dnsmasq.pid" 2>/dev/null | head -n1)
[ -n "$pidfile" ] || die "no dnsmasq.pid for $net under $runroot"
dns_pid=$(cat "$pidfile")
tr '\0' ' ' <"/proc/$dns_pid/cmdline" | grep -qF -- "--pid-file=$pidfile" ||
  die "pid $dns_pid is not $net's dnsmasq"
read -r husk_rss husk_pss < <(mem_of "$dns_pid")
husk_ip1=$(h inspect -f "{{.NetworkSettings.Networks.$net.IPAddress}}" c1)
husk_ipn=$(h inspect -f "{{.NetworkSettings.Networks.$net.IPAddress}}" "c$N")
husk_r1=$(ok_fail h c1 "$husk_ip1")
husk_rn=$(ok_fail h "c$N" "$husk_ipn")
log "husk: removing its containers and network"
# shellcheck disable=SC2046
h rm -f $(ls "$store/containers") >/dev/null
h network rm "$net" >/dev/null

# ---- podman ----
pod_ok=1 pod_why=""
for t in podman conmon runc /usr/lib/podman/netavark /usr/lib/podman/aardvark-dns; do
  command -v "$t" >/dev/null || { pod_ok=0 pod_why="missing $t"; break; }
done
if [ "$pod_ok" = 1 ]; then
  log "podman: an isolated podman (netavark, aardvark-dns) with the same busybox"
  if ! podman_setup >/dev/null; then
    pod_ok=0 pod_why="podman_setup failed"
  elif ! pod network create "$net" >/dev/null 2>"$work/pod.err"; then
    pod_ok=0 pod_why="podman network create: $(tail -1 "$work/pod.err")"
  elif ! pod run -d --network "$net" --name probe "$PODMAN_IMAGE" true >/dev/null 2>"$work/pod.err"; then
    pod_ok=0 pod_why="podman run on $net: $(tail -1 "$work/pod.err")"
  else
    pod rm -f probe >/dev/null 2>&1 || true
  fi
fi
if [ "$pod_ok" = 1 ]; then
  log "podman: $N containers on $net"
  t0=$(now_ns)
  echo "$t0" >"$work/pod.t"
  for i in $(seq "$N"); do
    pod run -d --network "$net" --name "c$i" "$PODMAN_IMAGE" sleep 1000 >/dev/null ||
      die "podman run c$i failed"
    now_ns >>"$work/pod.t"
  done
  t1=$(now_ns)
  pod_ms=$(( (t1 - t0) / 1000000 ))
  sleep 1
  # podman 4.3 keeps netavark's state (aardvark-dns's config, IPAM) in
  # /run/containers/networks whatever --runroot says: this podman's
  # aardvark-dns is the one in its namespace.
  aardvark_pid="" pod_netns=$(stat -L -c %i "/run/netns/$pod_ns")
  for p in $(pgrep -x aardvark-dns || true); do
    [ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$pod_netns" ] && aardvark_pid=$p
  done
  if [ -n "$aardvark_pid" ]; then
    read -r pod_rss pod_pss < <(mem_of "$aardvark_pid")
  else
    pod_why="no aardvark-dns of this podman found"
  fi
  pod_ip1=$(pod inspect -f "{{.NetworkSettings.Networks.$net.IPAddress}}" c1)
  pod_ipn=$(pod inspect -f "{{.NetworkSettings.Networks.$net.IPAddress}}" "c$N")
  pod_r1=$(ok_fail pod c1 "$pod_ip1")
  pod_rn=$(ok_fail pod "c$N" "$pod_ipn")
  log "podman: removing its containers and network"
  pod rm --all --force --time 0 >/dev/null
  pod network rm "$net" >/dev/null
fi

# ---- report ----
printf '\nN = %d containers per engine, one user-defined network each;' "$N"
printf ' first/last: mean ms/run of the first and last tenth of the runs\n\n'
printf '%-26s %8s %7s %12s %8s %8s %11s %11s %5s %5s\n' \
  "engine (name server)" "start s" "ms/run" "first/last" "NS RSS" "NS PSS" "RSS/ctr kB" "PSS/ctr kB" "c1" "cN"
row() { # name ms rss pss r1 rn times-file
  local fl
  fl=$(first_last "$7")
  awk -v name="$1" -v ms="$2" -v r="$3" -v p="$4" -v a="$5" -v b="$6" -v n="$N" -v fl="$fl" 'BEGIN {
    split(fl, x, " ")
    printf "%-26s %8.2f %7.1f %5.0f/%-6.0f %5d kB %5d kB %11.1f %11.1f %5s %5s\n", name, ms / 1000, ms / n, x[1], x[2], r, p, r / n, p / n, a, b }'
}
row "husk (dnsmasq)" "$husk_ms" "$husk_rss" "$husk_pss" "$husk_r1" "$husk_rn" "$work/husk.t"
if [ "$pod_ok" = 1 ] && [ -n "${pod_rss:-}" ]; then
  row "podman runc (aardvark-dns)" "$pod_ms" "$pod_rss" "$pod_pss" "$pod_r1" "$pod_rn" "$work/pod.t"
  awk -v hm="$husk_ms" -v pm="$pod_ms" -v hr="$husk_rss" -v pr="$pod_rss" -v hp="$husk_pss" -v pp="$pod_pss" 'BEGIN {
    printf "\nhusk/podman: total start time %.3f, name server RSS %.3f, PSS %.3f\n", hm / pm, hr / pr, hp / pp }'
elif [ "$pod_ok" = 1 ]; then
  printf '%-26s %9.2f   (%s)\n' "podman runc (aardvark-dns)" "$(awk -v m="$pod_ms" 'BEGIN { print m / 1000 }')" "$pod_why"
  awk -v hm="$husk_ms" -v pm="$pod_ms" 'BEGIN { printf "\nhusk/podman: total start time %.3f\n", hm / pm }'
else
  printf '\npodman with netavark/aardvark-dns is not workable here (%s): husk only\n' "$pod_why"
fi
fail=0
for r in "$husk_r1" "$husk_rn" "${pod_r1:-}" "${pod_rn:-}"; do [ "$r" = FAIL ] && fail=1; done
[ "$fail" = 0 ] || { echo "name resolution FAILED (see the c1/cN columns)"; exit 2; }
echo "name resolution: OK"
