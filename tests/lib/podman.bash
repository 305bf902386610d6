# shellcheck shell=bash
# An isolated podman for driving the OCI runtime under test.
#
#   podman_setup      temp dir with its own storage, run dir, configs; loads
#                     localhost/busybox:latest.  Exports PODMAN_TMP etc.
#   hpodman ARGS...   podman with that isolation and --runtime "$RUNTIME"
#   podman_teardown   removes every container, unmounts everything under the
#                     temp dir, removes cgroups this run created, the dir.
#   podman_file_setup / podman_file_teardown
#                     a bats file's setup_file/teardown_file around those: the
#                     runtime, podman and conmon must exist (else every test
#                     skips, saying which; setup returns 1), and the leak check.
#
# HUSK_PEER_TIMEOUT (default 120): seconds before a podman command is killed.
# PODMAN_NETWORK_BACKEND (default cni): netavark for its bridge networks (run
# podman inside a network namespace of the caller's own, then).
#
# RUNTIME: path of the OCI runtime binary (default $HUSK_BUILD_DIR/husk-runtime).
#
# Why all the isolation: a plain `podman` (even `podman info`) as root creates
# /var/lib/containers, /run/containers, /run/libpod and /dev/shm/libpod_lock,
# and shares containers/images with whatever else uses podman on the host.
# Everything here lives in PODMAN_TMP and disappears with it.

# shellcheck source=tests/lib/fixtures.bash
source "$(dirname "${BASH_SOURCE[0]}")/fixtures.bash"

PODMAN_IMAGE=${PODMAN_IMAGE:-localhost/busybox:latest}

podman_setup() {
  command -v podman >/dev/null 2>&1 || { echo "podman not installed" >&2; return 1; }
  command -v conmon >/dev/null 2>&1 || { echo "conmon not installed" >&2; return 1; }
  PODMAN_RUNTIME=$(husk_runtime)
  PODMAN_TMP=$(mktemp -d /var/tmp/husk-podman.XXXXXX) || return 1
  chmod 0711 "$PODMAN_TMP"
  export PODMAN_RUNTIME PODMAN_TMP
  mkdir -p "$PODMAN_TMP"/{root,runroot,tmp,volumes,networks,cni,ovl-check} || return 1

  # Our own cgroup parent (cgroupfs manager): containers go to
  # /<parent>/libpod-<id> and conmon to /<parent>/conmon in every hierarchy.
  # podman's default, /libpod_parent, is shared by every podman on the host,
  # so teardown could not tell our cgroups from a concurrent run's.
  PODMAN_CGROUP_PARENT=/$(basename "$PODMAN_TMP" | tr '.A-Z' '-a-z')
  export PODMAN_CGROUP_PARENT

  # overlay is much faster than vfs (no full copy per container), but some
  # kernels/backing filesystems (overlay-on-overlay, tmpfs on old kernels)
  # refuse it: try a real overlay mount on the same filesystem first.
  local driver=vfs o=$PODMAN_TMP/ovl-check
  mkdir -p "$o"/{lower,upper,work,merged}
  if mount -t overlay overlay -o "lowerdir=$o/lower,upperdir=$o/upper,workdir=$o/work" "$o/merged" 2>/dev/null; then
    umount "$o/merged" && driver=overlay
  fi
  rm -rf "$o"
  PODMAN_STORAGE_DRIVER=$driver
  export PODMAN_STORAGE_DRIVER

  cat >"$PODMAN_TMP/storage.conf" <<EOF
[storage]
driver = "$driver"
runroot = "$PODMAN_TMP/runroot"
graphroot = "$PODMAN_TMP/root"
EOF

  # CONTAINERS_CONF replaces (not extends) /etc/containers/containers.conf
  # and /usr/share/containers/containers.conf, so this is the whole config.
  #  - default_ulimits: podman's default is the host's nofile hard limit
  #    (1048576 elsewhere); here the hard limit is 20000 and root lacks
  #    CAP_SYS_RESOURCE, so anything higher makes setrlimit fail in the runtime.
  #  - netns "none": no CNI/netavark, no /etc/cni or /run/netns state.
  #  - log_driver k8s-file: no journald on this machine.
  #  - lock_type file: shm locks would live in the host-global
  #    /dev/shm/libpod_lock and collide with any other podman.
  #  - conmon_env_vars TMPDIR: conmon makes its console sockets
  #    (conmon-term.XXXXXX, passed as --console-socket) in TMPDIR; if the
  #    runtime fails they stay behind, so keep them in our dir, not /tmp.
  #  - runtime_supports_json lists husk-runtime: podman then passes it the same
  #    `--log-format=json` it passes runc, so husk sees runc's argv.
  cat >"$PODMAN_TMP/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
log_driver = "k8s-file"
pids_limit = 0

[network]
network_backend = "${PODMAN_NETWORK_BACKEND:-cni}"
network_config_dir = "$PODMAN_TMP/networks"
cni_plugin_dirs = ["/usr/lib/cni"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PODMAN_TMP/events.log"
tmp_dir = "$PODMAN_TMP/tmp"
volume_path = "$PODMAN_TMP/volumes"
static_dir = "$PODMAN_TMP/root/libpod"
lock_type = "file"
conmon_env_vars = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR=$PODMAN_TMP/tmp"]
num_locks = 256
image_default_transport = "docker://"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "husk-runtime"]
EOF
  # No registries at all: nothing may touch the network, and short names
  # must resolve to localhost/ only.
  cat >"$PODMAN_TMP/registries.conf" <<'EOF'
unqualified-search-registries = []
short-name-mode = "disabled"
EOF
  echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$PODMAN_TMP/policy.json"

  # containers/image writes its blob-info cache to the hard-wired
  # /var/lib/containers/cache on load/import whatever --root says; note
  # whether it pre-exists so teardown removes it only if we made it.
  [ -e /var/lib/containers ] && touch "$PODMAN_TMP/varlib.existed"
  [ -e /var/lib/containers/cache ] && touch "$PODMAN_TMP/varlibcache.existed"

  husk_oci_image_archive "$PODMAN_TMP/busybox.tar" "$PODMAN_IMAGE" || return 1
  hpodman load -q -i "$PODMAN_TMP/busybox.tar" >"$PODMAN_TMP/load.log" 2>&1 || {
    cat "$PODMAN_TMP/load.log" >&2
    return 1
  }
  rm -f "$PODMAN_TMP/busybox.tar"
  # podman load names an oci-archive after its ref.name annotation; make sure
  # the expected name exists whatever podman made of it.
  if ! hpodman image exists "$PODMAN_IMAGE"; then
    local id
    id=$(hpodman images -q | head -n1)
    if [ -z "$id" ] || ! hpodman tag "$id" "$PODMAN_IMAGE"; then
      echo "podman_setup: could not name the busybox image $PODMAN_IMAGE" >&2
      cat "$PODMAN_TMP/load.log" >&2
      return 1
    fi
  fi
}

# hpodman ARGS... : podman in the isolated environment.
#  - The global flags duplicate the config on purpose, so a podman that
#    ignores one of the env vars still cannot fall back to the host's
#    /var/lib/containers.
#  - run/create get --cgroup-parent (see podman_setup).
#  - timeout -s KILL: `podman run` proxies SIGTERM to the container, whose
#    PID 1 may ignore it, so a plain timeout would not end a hung test.
#    --foreground keeps podman in the terminal's foreground process group
#    (needed for -t from an interactive shell).
hpodman() {
  [ -n "${PODMAN_TMP:-}" ] || { echo "hpodman: podman_setup not run" >&2; return 1; }
  case "${1:-}" in
    run | create)
      set -- "$1" --cgroup-parent "$PODMAN_CGROUP_PARENT" "${@:2}" ;;
  esac
  CONTAINERS_CONF=$PODMAN_TMP/containers.conf \
    CONTAINERS_STORAGE_CONF=$PODMAN_TMP/storage.conf \
    CONTAINERS_REGISTRIES_CONF=$PODMAN_TMP/registries.conf \
    timeout --foreground -s KILL "${HUSK_PEER_TIMEOUT:-120}" \
    podman \
    --root "$PODMAN_TMP/root" \
    --runroot "$PODMAN_TMP/runroot" \
    --tmpdir "$PODMAN_TMP/tmp" \
    --storage-driver "$PODMAN_STORAGE_DRIVER" \
    --cgroup-manager cgroupfs \
    --events-backend file \
    --network-config-dir "$PODMAN_TMP/networks" \
    --runtime "$PODMAN_RUNTIME" \
    "$@"
}

podman_file_setup() {
  husk_require_runtime || return 1
  local p
  for p in podman conmon; do
    command -v "$p" >/dev/null || { husk_skip_file "$p not installed (scripts/install-deps.sh)"; return 1; }
  done
  export HUSK_LEAK_SNAPSHOT="$BATS_FILE_TMPDIR/leak.before"
  leakcheck_snapshot "$HUSK_LEAK_SNAPSHOT"
  podman_setup
}

podman_file_teardown() {
  podman_teardown
  [ -z "${HUSK_LEAK_SNAPSHOT:-}" ] || leakcheck_compare "$HUSK_LEAK_SNAPSHOT"
}

podman_teardown() {
  if [ -z "${PODMAN_TMP:-}" ] || [ ! -d "$PODMAN_TMP" ]; then return 0; fi
  local rc=0 root
  PODMAN_CGROUP_PARENT=${PODMAN_CGROUP_PARENT:-/$(basename "$PODMAN_TMP" | tr '.A-Z' '-a-z')}
  if [ -e "$PODMAN_TMP/containers.conf" ]; then
    # --time 0: don't wait out stop timeouts; teardown must be quick.
    hpodman rm --all --force --time 0 >/dev/null 2>&1 || true
    hpodman pod rm --all --force >/dev/null 2>&1 || true
    hpodman unmount --all >/dev/null 2>&1 || true
    # Drop images, too, so containers/storage unmounts its layer mounts.
    hpodman rmi --all --force >/dev/null 2>&1 || true
  fi
  husk_kill_procs_mentioning "$PODMAN_TMP"
  sleep 0.1
  husk_unmount_under "$PODMAN_TMP" || {
    echo "podman_teardown: mounts left under $PODMAN_TMP:" >&2
    _husk_mounts_under "$PODMAN_TMP" >&2
    rc=1
  }
  for root in $(husk_cgroup_roots); do
    husk_rm_cgroup_tree "$root$PODMAN_CGROUP_PARENT" || {
      echo "podman_teardown: cannot remove cgroup $root$PODMAN_CGROUP_PARENT" >&2
      rc=1
    }
  done
  if [ ! -e "$PODMAN_TMP/varlibcache.existed" ]; then
    rm -rf /var/lib/containers/cache
    [ -e "$PODMAN_TMP/varlib.existed" ] || rmdir /var/lib/containers 2>/dev/null
  fi
  if ! rm -rf "$PODMAN_TMP"; then
    echo "podman_teardown: cannot remove $PODMAN_TMP" >&2
    rc=1
  fi
  unset PODMAN_TMP
  return $rc
}
