# shellcheck shell=bash
# Test fixtures shared by the bats tests and the bench scripts.
#
# Source this file; it defines functions only (plus a few variables) and does
# not change shell options, so it is safe to source from `set -euo pipefail`
# scripts as well as from bats.
#
#   husk_busybox_rootfs DIR            minimal busybox rootfs in DIR
#   husk_bundle DIR [ARGS...]          OCI bundle (rootfs + config.json) in DIR
#   husk_oci_image_archive OUT NAME:TAG  oci-archive tar of the busybox rootfs
#   husk_unique_name PREFIX            unique-ish name for containers etc.
#   husk_runtime                       path of the runtime under test
#   husk_with_pty CMD...               run CMD on a fresh pseudo-terminal
#   husk_make_runtime_logger OUT REAL LOG [rc]
#                                      argv-logging wrapper around a runtime
#   husk_cgroup_layout                 v2, hybrid or v1
#   husk_cgroup_dirs REL, husk_cgroup_dir CONTROLLER REL
#                                      where a cgroup lives, on any layout
#   husk_cgroup_roots, husk_unmount_under DIR, husk_kill_procs_mentioning DIR,
#   husk_rm_cgroup_tree CG             host cleanup helpers for teardowns
#
# Everything expensive is cached under HUSK_TEST_CACHE
# (default /var/tmp/husk-test-cache).  The cache is keyed by the sha256 of the
# busybox binary and _HUSK_FIXTURE_VERSION, so a busybox upgrade or a fixture
# change invalidates it automatically.  Delete the directory to force a
# rebuild.

HUSK_REPO_ROOT=${HUSK_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HUSK_BUILD_DIR=${HUSK_BUILD_DIR:-$HUSK_REPO_ROOT/build}
HUSK_TEST_CACHE=${HUSK_TEST_CACHE:-/var/tmp/husk-test-cache}
# Debian's busybox-static installs /bin/busybox (= /usr/bin/busybox, merged /usr).
HUSK_BUSYBOX=${HUSK_BUSYBOX:-/bin/busybox}

# The runtime under test: an explicit RUNTIME wins, else the freshly built one.
husk_runtime() {
  printf '%s\n' "${RUNTIME:-$HUSK_BUILD_DIR/husk-runtime}"
}

husk_die() {
  echo "husk fixtures: $*" >&2
  return 1
}

# husk_unique_name PREFIX -> PREFIX-<pid>-<random>
# Lower-case alphanumerics and '-' only, so it is valid as a podman/ctr
# container name, a cgroup name and a hostname.
husk_unique_name() {
  local prefix=${1:-husk}
  printf '%s-%s-%04x%04x\n' "$prefix" "${BASHPID:-$$}" "$RANDOM" "$RANDOM"
}

# Run "$@" while holding an exclusive lock on the cache, so that two test
# processes building the same cache entry don't trample each other.
# Re-entrant: a nested call (OCI archive build -> rootfs copy) would otherwise
# deadlock, since flock on a second open of the file blocks against the first.
_husk_cache_locked() {
  if [ -n "${_HUSK_CACHE_LOCKED:-}" ]; then
    "$@"
    return
  fi
  mkdir -p "$HUSK_TEST_CACHE" || return 1
  (
    flock -w 300 9 || { echo "husk fixtures: cannot lock $HUSK_TEST_CACHE" >&2; exit 1; }
    _HUSK_CACHE_LOCKED=1
    "$@"
  ) 9>"$HUSK_TEST_CACHE/.lock"
}

# Bump when the rootfs or image layout below changes, to invalidate caches.
_HUSK_FIXTURE_VERSION=1

_husk_busybox_key() {
  local sum
  sum=$(sha256sum "$HUSK_BUSYBOX") || return 1
  printf '%s-v%s\n' "${sum:0:16}" "$_HUSK_FIXTURE_VERSION"
}

# Build the rootfs into $1 (which must not exist yet).
_husk_build_busybox_rootfs() {
  local dir=$1 applet
  [ -x "$HUSK_BUSYBOX" ] || husk_die "$HUSK_BUSYBOX missing (apt-get install busybox-static)" || return 1
  # Must be static: the rootfs has no libc.
  if ! file -L "$HUSK_BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
    command -v file >/dev/null 2>&1 && { husk_die "$HUSK_BUSYBOX is not statically linked"; return 1; }
  fi
  # usr/bin and sbin stay empty; they exist because PATH names them.
  mkdir -p "$dir"/{bin,etc,proc,sys,dev,tmp,root,var,usr/bin,sbin} || return 1
  chmod 1777 "$dir/tmp"
  chmod 0700 "$dir/root"
  chmod 0755 "$dir"
  cp "$HUSK_BUSYBOX" "$dir/bin/busybox" || return 1
  # Every applet lives in /bin (not busybox's /sbin, /usr/bin split), so one
  # PATH entry is enough and tests can rely on /bin/<applet> existing.
  while IFS= read -r applet; do
    case "$applet" in "" | busybox) continue ;; esac
    ln -s busybox "$dir/bin/$applet" || return 1
  done < <("$HUSK_BUSYBOX" --list)
  cat >"$dir/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$dir/etc/group" <<'EOF'
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
EOF
  mkdir -p "$dir/home/user" && chown 1000:1000 "$dir/home/user"
  echo husk >"$dir/etc/hostname"
  # Peers bind-mount these over, but the files must exist to be mount points
  # for runtimes that don't create them.
  : >"$dir/etc/hosts"
  : >"$dir/etc/resolv.conf"
}

_husk_cached_rootfs() {
  local cached=$HUSK_TEST_CACHE/busybox-rootfs key tmp
  key=$(_husk_busybox_key) || return 1
  if [ -d "$cached" ] && [ "$(cat "$cached.key" 2>/dev/null)" = "$key" ]; then
    return 0
  fi
  rm -rf "$cached" "$cached.key"
  tmp=$(mktemp -d "$HUSK_TEST_CACHE/busybox-rootfs.tmp.XXXXXX") || return 1
  rmdir "$tmp"
  _husk_build_busybox_rootfs "$tmp" || { rm -rf "$tmp"; return 1; }
  # Rename last so a half-built tree is never mistaken for a good one.
  mv "$tmp" "$cached" && echo "$key" >"$cached.key"
}

# husk_busybox_rootfs DIR
# Populate DIR (created if needed; should be empty) with the busybox rootfs.
husk_busybox_rootfs() {
  local dir=${1:?usage: husk_busybox_rootfs DIR}
  _husk_cache_locked _husk_cached_rootfs || return 1
  mkdir -p "$dir" || return 1
  # "/." copies the contents (and the top dir's mode) into an existing DIR.
  cp -a "$HUSK_TEST_CACHE/busybox-rootfs/." "$dir/"
}

# husk_bundle DIR [ARGS...]
# Create an OCI bundle in DIR: DIR/rootfs (busybox) and DIR/config.json.
# config.json is `runc spec`'s default with these edits:
#   process.terminal = false   tests pipe stdio; a terminal needs --console-socket
#   process.args     = ARGS    (default ["sh"])
#   root.readonly    = false   tests write into the rootfs (e.g. /tmp markers)
# Everything else (namespaces, mounts, masked paths, caps, rlimits,
# hostname "runc") is runc's default, so the bundle is what `runc spec` users
# get.  Callers needing more edit DIR/config.json with jq afterwards.
husk_bundle() {
  local dir=${1:?usage: husk_bundle DIR [ARGS...]}
  shift
  local args_json
  [ $# -gt 0 ] || set -- sh
  command -v jq >/dev/null 2>&1 || husk_die "jq missing (scripts/install-deps.sh)" || return 1
  command -v runc >/dev/null 2>&1 || husk_die "runc missing: needed for 'runc spec'" || return 1
  mkdir -p "$dir" || return 1
  husk_busybox_rootfs "$dir/rootfs" || return 1
  rm -f "$dir/config.json"
  runc spec --bundle "$dir" || return 1
  args_json=$(jq -n '$ARGS.positional' --args -- "$@") || return 1
  jq --argjson args "$args_json" '
      .process.terminal = false
    | .process.args = $args
    | .root.readonly = false
  ' "$dir/config.json" >"$dir/config.json.tmp" &&
    mv "$dir/config.json.tmp" "$dir/config.json"
}

# Build an OCI image layout + archive for NAME:TAG into the cache.
_husk_build_oci_archive() {
  local ref=$1 out=$2 work layout bundle
  command -v umoci >/dev/null 2>&1 || husk_die "umoci missing" || return 1
  work=$(mktemp -d "$HUSK_TEST_CACHE/oci.tmp.XXXXXX") || return 1
  layout=$work/layout
  bundle=$work/bundle
  # umoci's tag grammar forbids '/' and ':', so build under a plain tag and
  # rewrite the ref annotation to the full NAME:TAG afterwards.
  if ! {
    umoci init --layout "$layout" &&
      umoci new --image "$layout:build" &&
      umoci config --image "$layout:build" \
        --config.cmd sh \
        --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --config.workingdir / \
        --architecture "$(_husk_oci_arch)" --os linux \
        --author husk-tests &&
      umoci unpack --image "$layout:build" "$bundle" &&
      husk_busybox_rootfs "$bundle/rootfs" &&
      umoci repack --image "$layout:build" "$bundle" &&
      umoci gc --layout "$layout"
  } >"$work/log" 2>&1; then
    cat "$work/log" >&2
    rm -rf "$work"
    husk_die "building OCI image $ref failed"
    return 1
  fi
  # org.opencontainers.image.ref.name = full reference: podman load uses it as
  # the image name; ctr import uses it too when it is a full reference.
  # io.containerd.image.name makes containerd's intent explicit.
  jq --arg ref "$ref" '
    .manifests |= map(.annotations = {
      "org.opencontainers.image.ref.name": $ref,
      "io.containerd.image.name": $ref
    })' "$layout/index.json" >"$work/index.json" || { rm -rf "$work"; return 1; }
  mv "$work/index.json" "$layout/index.json" || { rm -rf "$work"; return 1; }
  # An oci-archive is just a tar of the layout directory's contents.
  tar -C "$layout" -cf "$work/archive.tar" . &&
    mv "$work/archive.tar" "$out"
  local rc=$?
  rm -rf "$work"
  return $rc
}

_husk_oci_arch() {
  case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    armv7l) echo arm ;;
    *) uname -m ;;
  esac
}

_husk_cached_oci_archive() {
  local ref=$1 cached=$2
  [ -s "$cached" ] || _husk_build_oci_archive "$ref" "$cached"
}

# husk_oci_image_archive OUT.tar NAME:TAG
# Write an oci-archive of the busybox rootfs (one layer, cmd ["sh"]) whose
# index names it NAME:TAG.  Built offline with umoci; cached per
# (busybox, NAME:TAG).  Load with `podman load -i OUT.tar` or
# `ctr images import OUT.tar`.
husk_oci_image_archive() {
  local out=${1:?usage: husk_oci_image_archive OUT.tar NAME:TAG}
  local ref=${2:?usage: husk_oci_image_archive OUT.tar NAME:TAG}
  local key cached
  key=$(_husk_busybox_key) || return 1
  # Make the ref filesystem-safe for the cache file name.
  cached=$HUSK_TEST_CACHE/oci-$key-$(printf '%s' "$ref" | tr -c 'A-Za-z0-9._-' '_').tar
  _husk_cache_locked _husk_cached_oci_archive "$ref" "$cached" || return 1
  cp "$cached" "$out"
}

# ---- host cleanup helpers used by the peer harnesses ----

# The host's cgroup layout: v2 (cgroup2 alone on /sys/fs/cgroup), hybrid (v1
# hierarchies plus cgroup2 on /sys/fs/cgroup/unified) or v1.  Only a v2 root
# has cgroup.controllers at the top; tested without a fork, as teardowns call
# this often and forks are slow in the TCG test VM (tests/vm).
husk_cgroup_layout() {
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    echo v2
  elif [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
    echo hybrid
  else
    echo v1
  fi
}

# Every mounted cgroup hierarchy root: /sys/fs/cgroup itself on v2; the v1
# controllers, name=systemd and unified otherwise.
husk_cgroup_roots() {
  local d
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    echo /sys/fs/cgroup
    return
  fi
  for d in /sys/fs/cgroup/*/; do
    [ -e "$d/cgroup.procs" ] && printf '%s\n' "${d%/}"
  done
}

# husk_cgroup_dirs REL : the directory of cgroup REL (relative to the
# hierarchy roots, e.g. a cgroupsPath) in every hierarchy that has it.
husk_cgroup_dirs() {
  local rel=${1#/} root
  while IFS= read -r root; do
    [ -d "$root/$rel" ] && printf '%s\n' "$root/$rel"
  done < <(husk_cgroup_roots)
  return 0
}

# husk_cgroup_dir CONTROLLER REL : where cgroup REL's CONTROLLER files are:
# /sys/fs/cgroup/REL on v2, /sys/fs/cgroup/CONTROLLER/REL on v1 and hybrid.
# (It need not exist.)
husk_cgroup_dir() {
  local controller=$1 rel=${2#/}
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    printf '%s\n' "/sys/fs/cgroup/$rel"
  else
    printf '%s\n' "/sys/fs/cgroup/$controller/$rel"
  fi
}

# Mount points at or below DIR, deepest first (so children go before parents).
_husk_mounts_under() {
  local dir=$1
  # mountinfo field 5 is the mount point, with spaces etc. octal-escaped.
  awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo |
    awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- | uniq
}

# Unmount everything under DIR; lazy unmount as a last resort so teardown
# never leaves DIR un-removable.
husk_unmount_under() {
  local dir=$1 m tries
  for tries in 1 2 3; do
    m=$(_husk_mounts_under "$dir")
    [ -n "$m" ] || return 0
    while IFS= read -r m; do
      umount "$m" 2>/dev/null || { [ "$tries" -eq 3 ] && umount -l "$m" 2>/dev/null; }
    done <<<"$m"
  done
  [ -z "$(_husk_mounts_under "$dir")" ]
}

# husk_await_daemon NAME PID SECS LOG CMD... : until CMD (a client's
# request) succeeds, for at most SECS seconds while daemon PID lives; if it
# never does, says so with the last lines of the daemon's LOG and fails.
husk_await_daemon() {
  local name=$1 pid=$2 deadline=$((SECONDS + $3)) log=$4
  shift 4
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "${name}_setup: $name did not come up; log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 0.1
  done
}

# A daemon of this run (PID) told to stop with SIGTERM, given SECS seconds
# to (a daemon stops its children first), then killed.
husk_stop_daemon() {
  local pid=$1 deadline=$((SECONDS + $2))
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# Kill processes whose command line mentions DIR (conmon, shims, container
# inits started from this run's bundles).  Only ever our own processes: the
# dir is a fresh mktemp name.
husk_kill_procs_mentioning() {
  local dir=$1 p pids=()
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    case "$p" in "$$" | "${BASHPID:-$$}") continue ;; esac
    if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$dir"; then
      pids+=("$p")
    fi
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -KILL "${pids[@]}" 2>/dev/null || true
}

# Remove a cgroup subtree this run created: thaw it (a frozen task cannot
# die), SIGKILL whatever still runs in it (container processes of a peer that
# crashed or was killed), then rmdir depth-first -- cgroup dirs can only be
# rmdir'ed, and only once they have no children and no processes.
husk_rm_cgroup_tree() {
  local cg=$1 deadline=$((SECONDS + 10)) f pids
  [ -d "$cg" ] || return 0
  while :; do
    while IFS= read -r f; do
      echo THAWED >"$f" 2>/dev/null
    done < <(find "$cg" -name freezer.state 2>/dev/null)
    pids=$(find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
    # shellcheck disable=SC2086 # word splitting of the pid list is intended
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
    find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
    [ -d "$cg" ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# husk_with_pty CMD [ARGS...]
# Run CMD with a fresh pseudo-terminal as its stdin/stdout/stderr (and
# controlling tty), copy what it writes to our stdout, exit with its status
# (128+N if killed by signal N).  For peers that insist on a console, e.g.
# `ctr run -t`.  Nothing is ever typed into the terminal; `script(1)` from
# util-linux 2.38 is no substitute: it busy-waits for EOF on its own stdin
# after the child exits, and at that EOF types ^D into the pty.
husk_with_pty() {
  [ $# -gt 0 ] || { echo "usage: husk_with_pty CMD [ARGS...]" >&2; return 2; }
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  "$py" - "$@" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
out = sys.stdout.buffer
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: every holder of the slave side closed it
        break
    if not data:
        break
    out.write(data)
    out.flush()
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
PY
}

# husk_make_runtime_logger OUT REAL LOG [rc]
# Write an executable OUT that appends one line per invocation to LOG and
# then execs REAL: time, parent's comm, cwd, where fds 0-2 point, any other
# open fds, environment variable names, and the argv (each arg quoted).  For
# `create`/`run` it also copies the bundle's config.json next to LOG
# (LOG.config.<n>.json).  Point a peer at OUT to see exactly how it drives a
# runtime.  Name OUT after a runtime podman knows (.../runc, or
# .../husk-runtime with tests/lib/podman.bash) so podman passes it the same
# flags; paths are baked in because conmon and the containerd shim do not
# reliably pass our environment through.
# With a 4th argument "rc", OUT runs REAL as a child instead of exec'ing it
# and logs its exit status too ("rc=N argv: ..."); that changes the process
# tree (signals sent to OUT are not forwarded), so use it for diagnosis only.
husk_make_runtime_logger() {
  local out=${1:?usage: husk_make_runtime_logger OUT REAL LOG [rc]} real=${2:?} log=${3:?} mode=${4:-exec}
  mkdir -p "$(dirname "$out")" "$(dirname "$log")" || return 1
  cat >"$out" <<EOS
#!/bin/bash
log=$(printf '%q' "$log")
real=$(printf '%q' "$real")
mode=$(printf '%q' "$mode")
EOS
  cat >>"$out" <<'EOS'
# fds as inherited (before this script opens the log); 255 is bash's own.
fds=
for fd in /proc/$$/fd/*; do
  fd=${fd##*/} t=
  [ "$fd" = 255 ] || t=$(readlink "/proc/$$/fd/$fd") || continue
  [ -z "$t" ] || fds+=" fd$fd=$t"
done
{
  printf '%s ppid=%s[%s] cwd=%s%s' "$(date +%T.%N)" "$PPID" "$(cat /proc/$PPID/comm 2>/dev/null)" "$PWD" "$fds"
  printf ' env=%s' "$(compgen -e | grep -vE '^(PWD|SHLVL|_|OLDPWD)$' | tr '\n' ',')"
  printf ' argv:'
  printf " '%s'" "$@"
  echo
} >>"$log" 2>/dev/null
bundle= prev= cmd=
for a in "$@"; do
  case "$prev" in --bundle | -b) bundle=$a ;; esac
  case "$a" in create | run) [ -n "$cmd" ] || cmd=$a ;; esac
  prev=$a
done
if [ -n "$cmd" ]; then
  [ -n "$bundle" ] || bundle=$PWD
  n=$(ls "$log".config.*.json 2>/dev/null | wc -l)
  cp "$bundle/config.json" "$log.config.$n.json" 2>/dev/null
fi
[ "$mode" = rc ] || exec "$real" "$@"
"$real" "$@"
rc=$?
{ printf '%s rc=%s argv:' "$(date +%T.%N)" "$rc"; printf " '%s'" "$@"; echo; } >>"$log" 2>/dev/null
exit "$rc"
EOS
  chmod +x "$out"
}
