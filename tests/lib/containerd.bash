# shellcheck shell=bash
# An isolated containerd for driving the OCI runtime under test through
# ctr and containerd-shim-runc-v2.
#
#   containerd_setup     starts a private containerd (own root, state,
#                        sockets, no CRI) and imports
#                        docker.io/library/busybox:latest.  Exports
#                        CONTAINERD_TMP, CONTAINERD_ADDRESS, CONTAINERD_RUNTIME.
#   hctr ARGS...         ctr --address SOCK --namespace $CONTAINERD_NAMESPACE ARGS...
#   hctr_run ARGS...     hctr run with the runtime under test and a private
#                        runc root: ctr run --runc-binary "$RUNTIME"
#                        --runc-root "$CONTAINERD_TMP/runtime-root" ARGS...
#   containerd_teardown  kills tasks, removes containers, stops containerd,
#                        unmounts, removes cgroups/dirs this run created.
#
# RUNTIME: path of the OCI runtime binary (default $HUSK_BUILD_DIR/husk-runtime).
# HUSK_PEER_TIMEOUT (default 120): seconds before a ctr command is killed.
#
# Beware: `ctr run` and `ctr task exec` always forward ctr's own stdin into
# the process -- redirect it (</dev/null) in scripts whose stdin matters.

# shellcheck source=tests/lib/fixtures.bash
source "$(dirname "${BASH_SOURCE[0]}")/fixtures.bash"

CONTAINERD_IMAGE=${CONTAINERD_IMAGE:-docker.io/library/busybox:latest}
# One namespace per run (husk-test-<random>): ctr puts each task in the
# cgroup /<namespace>/<id> in every hierarchy, so a fixed name would make two
# concurrent runs share (and tear down) one another's cgroups.
CONTAINERD_NAMESPACE=${CONTAINERD_NAMESPACE:-husk-test-$(printf '%04x%04x' "$RANDOM" "$RANDOM")}

# Paths that containerd 1.6 / the runc-v2 shim use whatever the config says:
# shim sockets go to /run/containerd/s/<sha256> (hard-wired socket root), and
# ctr creates its stdio FIFOs in /run/containerd/fifo unless --fifo-dir.
# Teardown removes these only if this run created them.
_CONTAINERD_HOST_DIRS=(/run/containerd/s /run/containerd/fifo /run/containerd)

containerd_setup() {
  local p
  for p in containerd ctr containerd-shim-runc-v2; do
    command -v "$p" >/dev/null 2>&1 || { echo "$p not installed" >&2; return 1; }
  done
  CONTAINERD_RUNTIME=$(husk_runtime)
  # Short path: unix socket paths must stay under 108 bytes.
  CONTAINERD_TMP=$(mktemp -d /var/tmp/husk-ctrd.XXXXXX) || return 1
  CONTAINERD_ADDRESS=$CONTAINERD_TMP/c.sock
  export CONTAINERD_TMP CONTAINERD_ADDRESS CONTAINERD_RUNTIME CONTAINERD_NAMESPACE
  mkdir -p "$CONTAINERD_TMP"/{root,state,runtime-root,fifo,tmp} || return 1

  for p in "${_CONTAINERD_HOST_DIRS[@]}"; do
    [ -e "$p" ] && echo "$p" >>"$CONTAINERD_TMP/hostdirs.before"
  done
  # ctr puts tasks in the cgroup /<namespace>/<container id> in every
  # hierarchy; remember whether the namespace's parent cgroup pre-existed.
  local root
  : >"$CONTAINERD_TMP/cgroups.before"
  for root in $(husk_cgroup_roots); do
    [ -d "$root/$CONTAINERD_NAMESPACE" ] &&
      find "$root/$CONTAINERD_NAMESPACE" -maxdepth 1 -type d >>"$CONTAINERD_TMP/cgroups.before"
  done

  # Disabled plugins: CRI (slow to start, wants CNI), snapshotters that only
  # log errors on ext4, tracing, and "opt" (it creates /opt/containerd).
  cat >"$CONTAINERD_TMP/config.toml" <<EOF
version = 2
root = "$CONTAINERD_TMP/root"
state = "$CONTAINERD_TMP/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$CONTAINERD_ADDRESS"

[ttrpc]
  address = "$CONTAINERD_ADDRESS.ttrpc"

[debug]
  level = "info"

[plugins."io.containerd.service.v1.diff-service"]
  default = ["walking"]
EOF

  # setsid: containerd must not get the test's signals (bats, ^C) before
  # teardown has removed the tasks.  TMPDIR: the shim (which inherits
  # containerd's environment) writes exec process specs (runc-process*) and
  # console sockets (pty*/pty.sock) there; keep them out of /tmp.
  TMPDIR=$CONTAINERD_TMP/tmp setsid containerd --config "$CONTAINERD_TMP/config.toml" \
    >"$CONTAINERD_TMP/containerd.log" 2>&1 </dev/null &
  CONTAINERD_PID=$!
  export CONTAINERD_PID
  echo "$CONTAINERD_PID" >"$CONTAINERD_TMP/containerd.pid"

  husk_await_daemon containerd "$CONTAINERD_PID" 30 "$CONTAINERD_TMP/containerd.log" hctr version || return 1

  husk_oci_image_archive "$CONTAINERD_TMP/busybox.tar" "$CONTAINERD_IMAGE" || return 1
  if ! hctr images import --snapshotter overlayfs "$CONTAINERD_TMP/busybox.tar" \
    >"$CONTAINERD_TMP/import.log" 2>&1; then
    cat "$CONTAINERD_TMP/import.log" >&2
    return 1
  fi
  rm -f "$CONTAINERD_TMP/busybox.tar"
  hctr images check "name==$CONTAINERD_IMAGE" 2>/dev/null | grep -q complete || {
    echo "containerd_setup: $CONTAINERD_IMAGE not imported:" >&2
    cat "$CONTAINERD_TMP/import.log" >&2
    hctr images ls >&2
    return 1
  }
}

# timeout -s KILL: ctr run forwards SIGTERM to the container (whose PID 1
# may ignore it), so only SIGKILL reliably ends a hung ctr.  --foreground
# keeps ctr in the terminal's foreground process group (for -t).
hctr() {
  [ -n "${CONTAINERD_ADDRESS:-}" ] || { echo "hctr: containerd_setup not run" >&2; return 1; }
  timeout --foreground -s KILL "${HUSK_PEER_TIMEOUT:-120}" \
    ctr --address "$CONTAINERD_ADDRESS" --namespace "$CONTAINERD_NAMESPACE" "$@"
}

# The runc-root keeps the runtime's state dir (normally
# /run/containerd/runc/<namespace>) inside CONTAINERD_TMP; fifo-dir does the
# same for ctr's stdio FIFOs.
hctr_run() {
  hctr run --runc-binary "$CONTAINERD_RUNTIME" \
    --runc-root "$CONTAINERD_TMP/runtime-root" \
    --fifo-dir "$CONTAINERD_TMP/fifo" \
    --snapshotter overlayfs "$@"
}

# hctr_exec ARGS... : ctr task exec with FIFOs in CONTAINERD_TMP.
hctr_exec() {
  hctr task exec --fifo-dir "$CONTAINERD_TMP/fifo" "$@"
}

# Kill and delete every task, then every container (and its snapshot).
containerd_remove_all() {
  local id
  for id in $(hctr task ls -q 2>/dev/null); do
    hctr task kill --signal SIGKILL "$id" >/dev/null 2>&1 || true
  done
  for id in $(hctr task ls -q 2>/dev/null); do
    # delete --force waits for the task to stop, but not forever.
    HUSK_PEER_TIMEOUT=15 hctr task delete --force "$id" >/dev/null 2>&1 || true
  done
  for id in $(hctr container ls -q 2>/dev/null); do
    hctr container rm "$id" >/dev/null 2>&1 || true
  done
}

containerd_teardown() {
  if [ -z "${CONTAINERD_TMP:-}" ] || [ ! -d "$CONTAINERD_TMP" ]; then return 0; fi
  local rc=0 root pid p sockets=()
  pid=$(cat "$CONTAINERD_TMP/containerd.pid" 2>/dev/null)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # Shim socket of each container: /run/containerd/s/sha256(address/ns/id).
    # A shim killed below cannot remove its own; we remove them afterwards.
    local id
    for id in $(hctr container ls -q 2>/dev/null); do
      sockets+=("/run/containerd/s/$(printf '%s' "$CONTAINERD_ADDRESS/$CONTAINERD_NAMESPACE/$id" | sha256sum | cut -d' ' -f1)")
    done
    containerd_remove_all
    hctr images rm "$CONTAINERD_IMAGE" >/dev/null 2>&1 || true
    husk_stop_daemon "$pid" 10
  fi
  # Shims outlive containerd by design (they are reparented to init); kill any
  # left over from this run along with container processes that mention the
  # run's dir (shim argv has -address .../c.sock).
  husk_kill_procs_mentioning "$CONTAINERD_TMP"
  sleep 0.1
  [ ${#sockets[@]} -eq 0 ] || rm -f "${sockets[@]}"
  husk_unmount_under "$CONTAINERD_TMP" || {
    echo "containerd_teardown: mounts left under $CONTAINERD_TMP:" >&2
    _husk_mounts_under "$CONTAINERD_TMP" >&2
    rc=1
  }
  for root in $(husk_cgroup_roots); do
    [ -d "$root/$CONTAINERD_NAMESPACE" ] || continue
    local c todo=()
    if grep -qxF "$root/$CONTAINERD_NAMESPACE" "$CONTAINERD_TMP/cgroups.before" 2>/dev/null; then
      for c in "$root/$CONTAINERD_NAMESPACE"/*/; do
        [ -d "$c" ] && ! grep -qxF "${c%/}" "$CONTAINERD_TMP/cgroups.before" && todo+=("${c%/}")
      done
    else
      todo=("$root/$CONTAINERD_NAMESPACE")
    fi
    for c in "${todo[@]}"; do
      husk_rm_cgroup_tree "$c" || {
        echo "containerd_teardown: cannot remove cgroup $c" >&2
        rc=1
      }
    done
  done
  # Host dirs containerd/ctr create regardless of config: remove if ours and
  # empty (an empty /run/containerd/s means no shim of anyone's is running).
  for p in "${_CONTAINERD_HOST_DIRS[@]}"; do
    grep -qxF "$p" "$CONTAINERD_TMP/hostdirs.before" 2>/dev/null && continue
    [ -d "$p" ] && rmdir "$p" 2>/dev/null
  done
  if ! rm -rf "$CONTAINERD_TMP"; then
    echo "containerd_teardown: cannot remove $CONTAINERD_TMP" >&2
    rc=1
  fi
  unset CONTAINERD_TMP CONTAINERD_ADDRESS CONTAINERD_PID
  return $rc
}
