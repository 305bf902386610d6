#!/usr/bin/env bash
# Benchmark `husk-runtime run` against crun, runc and a bare floor
# (bench/floor.c) on a busybox bundle whose process is /bin/true.
#
# Usage (as root):   bench/runtime-run.sh
# Environment:
#   HUSK_RUNTIME  husk-runtime binary (default: <repo>/build/husk-runtime;
#                 the row is skipped when it does not exist)
#   RUNS          hyperfine --runs   (default 50)
#   WARMUP        hyperfine --warmup (default 5)
#   RESULTS_DIR   where the hyperfine JSON and summary.json go
#                 (default: <repo>/bench/results, git-ignored)
#   KEEP_WORKDIR  1 = do not delete the temp dir (bundle, floor binary)
#   ROW_TIMEOUT   seconds allowed for one hyperfine row (default 900)
#   CONFIG_EDIT   extra jq filter applied to config.json for *all* runtimes,
#                 e.g. '.process.capabilities.ambient = []' (default: none)
#
# Exit status: 0 ok; 1 setup error; 3 a runtime left state or cgroups behind
# (they are cleaned up anyway); 4 a row failed (smoke run or hyperfine; the
# other rows are still measured and reported).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}
HUSK_RUNTIME=${HUSK_RUNTIME:-$repo/build/husk-runtime}
RESULTS_DIR=${RESULTS_DIR:-$repo/bench/results}
KEEP_WORKDIR=${KEEP_WORKDIR:-0}
ROW_TIMEOUT=${ROW_TIMEOUT:-900}
CG_UNIFIED=/sys/fs/cgroup/unified

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'runtime-run.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks ---
[ "$(id -u)" -eq 0 ] || die "must run as root (containers, mounts, cgroups)"
for tool in hyperfine jq cc unshare /usr/bin/time; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "missing '$tool' (run scripts/install-deps.sh)"
done
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || die "missing busybox (package busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; install busybox-static"
fi
RUNC=$(command -v runc || true)
CRUN=$(command -v crun || true)
[ -n "$RUNC" ] || die "missing runc (needed for 'runc spec' and as a peer)"
[ -n "$CRUN" ] || warn "crun not found: the crun rows will be skipped"
HUSK=""
if [ -x "$HUSK_RUNTIME" ]; then
  HUSK=$(readlink -f "$HUSK_RUNTIME")
else
  warn "husk-runtime not found at $HUSK_RUNTIME (set HUSK_RUNTIME): skipping the husk row"
fi

# crun refuses hybrid cgroups (v1 controllers + cgroup2 on /sys/fs/cgroup/unified).
# On such hosts it runs in a private mount namespace where the cgroup2 mount is
# removed; the host's mounts are untouched (unshare -m makes them private).
crun_wrap=0
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] && mountpoint -q "$CG_UNIFIED"; then
  crun_wrap=1
fi

# ------------------------------------------------------ workdir + cleanup ---
work=$(mktemp -d /tmp/husk-bench.XXXXXX)
prefix="huskbench-$$"          # every container id starts with this
declare -A root_of=(
  [husk]="$work/state/husk" [crun]="$work/state/crun" [runc]="$work/state/runc"
)
mkdir -p "${root_of[@]}"

# Runs "$@" for crun, inside the mount-namespace wrapper when needed.
crun_cmd() {
  if [ "$crun_wrap" = 1 ]; then
    unshare -m sh -c 'umount "$0" && exec "$@"' "$CG_UNIFIED" "$@"
  else
    "$@"
  fi
}

# run_rt NAME BUNDLE ID [PREFIX...]: `NAME run` of BUNDLE as ID; PREFIX (e.g.
# /usr/bin/time ...) goes right before the runtime binary (inside crun's wrapper).
run_rt() {
  local n=$1 b=$2 id=$3
  shift 3
  case $n in
    crun) crun_cmd "$@" "$CRUN" --root "${root_of[crun]}" run --bundle "$b" "$id" ;;
    runc) "$@" "$RUNC" --root "${root_of[runc]}" run --bundle "$b" "$id" ;;
    husk) "$@" "$HUSK" --root "${root_of[husk]}" run --bundle "$b" "$id" ;;
    floor) "$@" "$floor" "$b/rootfs" /bin/true ;;
  esac
}

# Leftovers: container state dirs in our state roots, cgroups named after our ids.
leftover_state() {
  local rt
  for rt in husk crun runc; do
    find "${root_of[$rt]}" -mindepth 1 -maxdepth 1 2>/dev/null | sed "s|^|$rt state: |"
  done
}
leftover_cgroups() {
  find /sys/fs/cgroup -mindepth 1 -type d -name "*${prefix}*" 2>/dev/null || true
}

# Deletes our leftover containers and removes cgroups named after our ids.
# Runs in a subshell with errexit off: best effort, never aborts the caller.
reap_leftovers() (
  set +e
  for rt in husk crun runc; do
    for d in "${root_of[$rt]}"/*; do
      [ -d "$d" ] || continue
      id=$(basename "$d")
      case $rt in
        husk) [ -n "$HUSK" ] && "$HUSK" --root "${root_of[husk]}" delete --force "$id" ;;
        runc) "$RUNC" --root "${root_of[runc]}" delete --force "$id" ;;
        crun) [ -n "$CRUN" ] && crun_cmd "$CRUN" --root "${root_of[crun]}" delete --force "$id" ;;
      esac
      [ -e "$d" ] && rm -rf --one-file-system "$d"
    done >/dev/null 2>&1
  done
  # deepest first; kill anything still inside (only cgroups carrying our prefix)
  leftover_cgroups | sort -r | while read -r cg; do
    if [ -s "$cg/cgroup.procs" ]; then
      xargs -r kill -9 <"$cg/cgroup.procs" 2>/dev/null
      sleep 0.2
    fi
    rmdir "$cg" 2>/dev/null || warn "could not remove cgroup $cg"
  done
  true
)

cleanup() {
  local rc=$?
  set +e
  reap_leftovers
  if [ "$KEEP_WORKDIR" = 1 ]; then
    log "kept $work"
  else
    # --one-file-system: never descend into a mount a runtime may have leaked
    rm -rf --one-file-system "$work" || warn "could not remove $work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- bundle ---
bundle="$work/bundle"
log "building busybox bundle in $bundle"
mkdir -p "$bundle/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp "$BUSYBOX" "$bundle/rootfs/bin/busybox"
"$BUSYBOX" --list | while read -r applet; do
  [ "$applet" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$applet"
done
(cd "$bundle" && "$RUNC" spec)
jq ".process.terminal = false | .process.args = [\"/bin/true\"] | ${CONFIG_EDIT:-.}" \
  "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

if [ -n "$HUSK" ]; then
  # snapshot: a concurrent rebuild must not swap the binary in the middle of a run
  husk_src=$HUSK
  HUSK="$work/husk-runtime"
  cp "$husk_src" "$HUSK"
  log "husk-runtime: $husk_src (copied to $HUSK, sha256 $(sha256sum "$HUSK" | cut -c1-12))"
fi

log "building floor (cc -O2 bench/floor.c)"
floor="$work/floor"
cc -O2 -o "$floor" "$here/floor.c"

# Sanity bundle: same rootfs and config, but the process prints its pid and
# the hostname, to check that each runtime really starts it as pid 1 of a new
# pid namespace in a new UTS namespace with the configured hostname.
sanity="$work/sanity"
mkdir -p "$sanity"
jq --arg r "$bundle/rootfs" \
  '.root.path = $r | .process.args = ["/bin/sh", "-c", "echo pid=$$ hostname=$(hostname)"]' \
  "$bundle/config.json" >"$sanity/config.json"
sanity_want="pid=1 hostname=$(jq -r '.hostname // ""' "$bundle/config.json")"
declare -A sanity_res=()

# ------------------------------------------------------------- commands ---
# The id is fixed per row: `run` deletes the container when it exits, which is
# what is measured; leftovers are checked after every row.
# Quote for both `eval` and hyperfine -N (which splits like a POSIX shell).
q() {
  local a out=""
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./=:@%+,-]+$ ]]; then
      out+="$a "
    else
      out+="'${a//\'/\'\\\'\'}' "
    fi
  done
  printf '%s' "${out% }"
}
declare -A cmd=()
names=()
cmd[floor]=$(q "$floor" "$bundle/rootfs" /bin/true); names+=(floor)
if [ -n "$CRUN" ]; then
  if [ "$crun_wrap" = 1 ]; then
    # same wrapper as crun_cmd(); the wrapper row ends with a builtin instead
    # of exec'ing crun, so crun_row - wrapper_row ~= exec(crun) + crun's work.
    cmd[wrapper]=$(q unshare -m sh -c 'umount "$0" && exit 0' "$CG_UNIFIED")
    names+=(wrapper)
    cmd[crun]=$(q unshare -m sh -c 'umount "$0" && exec "$@"' "$CG_UNIFIED" \
      "$CRUN" --root "${root_of[crun]}" run --bundle "$bundle" "$prefix-crun")
  else
    cmd[crun]=$(q "$CRUN" --root "${root_of[crun]}" run --bundle "$bundle" "$prefix-crun")
  fi
  names+=(crun)
fi
cmd[runc]=$(q "$RUNC" --root "${root_of[runc]}" run --bundle "$bundle" "$prefix-runc")
names+=(runc)
if [ -n "$HUSK" ]; then
  cmd[husk]=$(q "$HUSK" --root "${root_of[husk]}" run --bundle "$bundle" "$prefix-husk")
  names+=(husk)
fi

declare -A label=(
  [floor]="floor (bench/floor.c)"
  [wrapper]="unshare+umount wrapper alone"
  [crun]="crun run"
  [runc]="runc run"
  [husk]="husk-runtime run"
)
[ "$crun_wrap" = 0 ] || label[crun]="crun run (in wrapper)"

leaks=0
leakers=()
# After every step: report anything left behind, blame $1, then reap it so the
# next step starts clean.
check_leaks() {
  local s c
  s=$(leftover_state); c=$(leftover_cgroups)
  if [ -n "$s$c" ]; then
    warn "$1 left things behind (removing them now):"
    { [ -z "$s" ] || printf '%s\n' "$s"; [ -z "$c" ] || printf 'cgroup: %s\n' $c; } | sed 's/^/  /' >&2
    leaks=1
    leakers+=("$1")
    reap_leftovers
    return 1
  fi
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_start%% *}" 'BEGIN{exit !(l > 0.5)}'; then
  warn "load average is $load_start: other work on this host will inflate and scatter the timings"
fi

failed=0

# ------------------------------------------------------------ smoke test ---
# One run each outside hyperfine, with a timeout, so that a broken runtime is
# reported clearly instead of hanging or aborting the whole benchmark.
ok=()
for n in "${names[@]}"; do
  # output to a file, not a pipe: a leaked container process could hold a pipe
  # open forever
  if eval "timeout 60 ${cmd[$n]}" >"$work/smoke.out" 2>&1 </dev/null; then
    ok+=("$n")
  else
    warn "${label[$n]} failed its smoke run (exit $?), skipping it: $(head -c 2000 "$work/smoke.out")"
    failed=1
  fi
  check_leaks "${label[$n]} (smoke run)" || true
  case $n in crun | runc | husk) ;; *) continue ;; esac
  if run_rt "$n" "$sanity" "$prefix-sanity-$n" timeout 60 >"$work/sanity.out" 2>&1 </dev/null; then
    got=$(grep -m1 '^pid=' "$work/sanity.out" || head -c 300 "$work/sanity.out")
  else
    got="FAILED (exit $?): $(head -c 300 "$work/sanity.out")"
  fi
  if [ "$got" = "$sanity_want" ]; then
    sanity_res[$n]="ok ($got)"
  elif [[ $got == FAILED* ]]; then
    sanity_res[$n]=$got
  else
    sanity_res[$n]="MISMATCH: want '$sanity_want', got '$got'"
    warn "${label[$n]} sanity check: ${sanity_res[$n]}"
  fi
  check_leaks "${label[$n]} (sanity run)" || true
done

# ------------------------------------------------------------- hyperfine ---
mkdir -p "$RESULTS_DIR"
rm -f "$RESULTS_DIR"/*.json
declare -A done_=()
log "hyperfine --warmup $WARMUP --runs $RUNS (no shell, -N)"
for n in "${ok[@]}"; do
  log "${label[$n]}: ${cmd[$n]}"
  if timeout "$ROW_TIMEOUT" hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
      --command-name "${label[$n]}" \
      --export-json "$RESULTS_DIR/$n.json" "${cmd[$n]}" >&2; then
    done_[$n]=1
  else
    warn "hyperfine failed for ${label[$n]}"
    failed=1
  fi
  check_leaks "${label[$n]} (benchmark)" || true
done

# -------------------------------------------------------------- peak RSS ---
# GNU time's %M is ru_maxrss from wait4() on the runtime process: the largest
# peak RSS of that process *or of any descendant it waited for* (a maximum,
# not a sum). runc: covers `runc run`, its `runc init` child (the runc binary
# re-exec'd via /proc/self/exe, nsexec stages included, all reaped by runc run
# as child subreaper) and the container's /bin/true. crun/husk: the runtime
# and whatever children it reaps. For crun, time runs inside the wrapper, so
# unshare/sh/umount are not counted.
rss_file="$work/rss"
declare -A rss=()
rss_of() { # $1 = name; prints KiB or "n/a"
  rm -f "$rss_file"
  run_rt "$1" "$bundle" "$prefix-rss-$1" /usr/bin/time -f %M -o "$rss_file" \
    >/dev/null 2>&1 </dev/null || { echo n/a; return 0; }
  tail -n1 "$rss_file"
}
log "peak RSS (/usr/bin/time -f %M, one run each)"
for n in "${ok[@]}"; do
  [ "$n" != wrapper ] || continue
  rss[$n]=$(rss_of "$n")
  check_leaks "${label[$n]} (RSS run)" || true
done

# ---------------------------------------------------------------- report ---
ms() { jq -r ".results[0].$2 * 1000" "$RESULTS_DIR/$1.json"; }
declare -A mean=() sd=() med=() mn=()
for n in "${!done_[@]}"; do
  mean[$n]=$(ms "$n" mean); sd[$n]=$(ms "$n" stddev)
  med[$n]=$(ms "$n" median); mn[$n]=$(ms "$n" min)
done
if [ -n "${done_[crun]:-}" ] && [ -n "${done_[wrapper]:-}" ]; then
  mean[crun_net]=$(awk -v a="${mean[crun]}" -v b="${mean[wrapper]}" 'BEGIN{print a-b}')
  sd[crun_net]=$(awk -v a="${sd[crun]}" -v b="${sd[wrapper]}" 'BEGIN{print sqrt(a*a+b*b)}')
  med[crun_net]=$(awk -v a="${med[crun]}" -v b="${med[wrapper]}" 'BEGIN{print a-b}')
  mn[crun_net]=""
  label[crun_net]="crun run, wrapper subtracted"
  done_[crun_net]=1
fi

{
  echo
  echo "husk runtime benchmark: \`<runtime> run\` of /bin/true in a busybox bundle"
  echo "host: $(uname -r), $(nproc) CPUs; runs=$RUNS warmup=$WARMUP; loadavg start [$load_start] end [$(cut -d' ' -f1-3 /proc/loadavg)]"
  echo "config.json: runc spec + terminal=false, args=[/bin/true]${CONFIG_EDIT:+ + CONFIG_EDIT: $CONFIG_EDIT}"
  echo "runc: $("$RUNC" --version | head -n1)"
  if [ -n "$CRUN" ]; then
    echo "crun: $("$CRUN" --version | head -n1)$([ "$crun_wrap" = 0 ] || echo " (hybrid cgroups: run inside unshare -m + umount $CG_UNIFIED)")"
  fi
  [ -z "$HUSK" ] || echo "husk: $husk_src ($("$HUSK" --version 2>/dev/null | head -n1 || true); sha256 $(sha256sum "$HUSK" | cut -c1-12), $(date -r "$husk_src" '+%F %T'))"
  echo
  for n in crun runc husk; do
    if [ -n "${sanity_res[$n]:-}" ]; then echo "sanity ${label[$n]}: ${sanity_res[$n]}"; fi
  done
  echo
  printf '%-32s %10s %10s %10s %10s %10s %10s\n' row mean_ms stddev_ms median_ms min_ms husk/row peak_RSS
  for n in floor wrapper crun crun_net runc husk; do
    [ -n "${done_[$n]:-}" ] || continue
    ratio="-"
    if [ -n "${done_[husk]:-}" ] && [ "$n" != husk ] && [ "$n" != wrapper ]; then
      ratio=$(awk -v h="${mean[husk]}" -v p="${mean[$n]}" 'BEGIN{printf "%.2f", h/p}')
    fi
    r=${rss[$n]:-}
    [ -n "$r" ] && [ "$r" != n/a ] && r=$(awk -v k="$r" 'BEGIN{printf "%.1fMiB", k/1024}')
    printf '%-32s %10.2f %10.2f %10.2f %10s %10s %10s\n' "${label[$n]}" \
      "${mean[$n]}" "${sd[$n]}" "${med[$n]}" \
      "$( [ -n "${mn[$n]}" ] && printf '%.2f' "${mn[$n]}" || echo -)" "$ratio" "${r:--}"
  done
  echo
  if [ -n "${done_[husk]:-}" ]; then
    verdict() { awk -v r="$1" -v t="$2" 'BEGIN{print (r < t) ? "PASS" : "FAIL"}'; }
    if [ -n "${done_[crun]:-}" ]; then
      c=crun; [ -n "${done_[crun_net]:-}" ] && c=crun_net
      r=$(awk -v h="${mean[husk]}" -v p="${mean[$c]}" 'BEGIN{printf "%.2f", h/p}')
      echo "target: husk faster than crun  (husk/${label[$c]} = $r < 1)    $(verdict "$r" 1)"
    fi
    if [ -n "${done_[floor]:-}" ]; then
      r=$(awk -v h="${mean[husk]}" -v p="${mean[floor]}" 'BEGIN{printf "%.2f", h/p}')
      echo "target: husk within 2x floor   (husk/floor = $r <= 2)    $(awk -v r="$r" 'BEGIN{print (r <= 2) ? "PASS" : "FAIL"}')"
    fi
    if [[ ${rss[husk]:-n/a} =~ ^[0-9]+$ && ${rss[crun]:-n/a} =~ ^[0-9]+$ ]]; then
      echo "peak RSS: husk ${rss[husk]} KiB vs crun ${rss[crun]} KiB (husk/crun = $(awk -v h="${rss[husk]}" -v c="${rss[crun]}" 'BEGIN{printf "%.2f", h/c}'))"
    fi
  else
    echo "no husk-runtime row (missing or failed): no ratios/targets (HUSK_RUNTIME=$HUSK_RUNTIME)"
  fi
  echo "peak RSS = /usr/bin/time %M: max over the runtime process and the children it reaped"
  echo "  (runc: includes 'runc init', the re-exec'd runc binary); one run each."
  echo "hyperfine JSON: $RESULTS_DIR/<row>.json; summary: $RESULTS_DIR/summary.json"
}

# machine-readable summary
{
  for n in "${!done_[@]}"; do
    jq -n --arg n "$n" --arg lbl "${label[$n]}" --arg mean "${mean[$n]}" \
      --arg sd "${sd[$n]}" --arg med "${med[$n]}" --arg rss "${rss[$n]:-}" \
      '{($n): {"label": $lbl, mean_ms: ($mean|tonumber), stddev_ms: ($sd|tonumber),
               median_ms: ($med|tonumber),
               peak_rss_kib: (if ($rss|test("^[0-9]+$")) then ($rss|tonumber) else null end)}}'
  done
} | jq -s --arg runs "$RUNS" --arg warmup "$WARMUP" --arg husk "${husk_src:-}" \
      --arg edit "${CONFIG_EDIT:-}" --arg load "$load_start" \
      '{runs: ($runs|tonumber), warmup: ($warmup|tonumber), husk_runtime: $husk,
        config_edit: $edit, loadavg_start: $load, rows: (add // {})}' \
      >"$RESULTS_DIR/summary.json"

# ------------------------------------------------------ final leak check ---
final_s=$(leftover_state); final_c=$(leftover_cgroups)
if [ -z "$final_s$final_c" ] && [ "$leaks" = 0 ]; then
  echo "leak check: no container state in $work/state/*, no cgroups matching *$prefix* under /sys/fs/cgroup"
else
  echo "leak check: FAILED: left state/cgroups behind: $(IFS=,; echo "${leakers[*]:-?}") (removed)"
fi

[ "$leaks" = 0 ] || exit 3
[ "$failed" = 0 ] || exit 4
exit 0
