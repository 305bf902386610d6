# shellcheck shell=bash
# An isolated dockerd (Debian's docker.io 20.10) for driving the OCI runtime
# under test as docker does: dockerd -> its own containerd ->
# containerd-shim-runc-v2 -> the runtime, chosen per container with
# `docker run --runtime husk|runc`.
#
#   dockerd_setup        starts a private dockerd in the caller's network
#                        namespace (tests/lib/in-netns.sh gives each bats
#                        file its own), everything under one temp dir: its
#                        --data-root, --exec-root (where it starts its own
#                        containerd), --pidfile, socket, trust key and the
#                        CLI's config; --iptables=false --ip6tables=false
#                        --bridge=none --ip-forward=false --ip-masq=false,
#                        so it makes no interface, rule or sysctl of its own;
#                        the husk runtime registered with --add-runtime; a
#                        cgroup parent of its own (--cgroup-parent); then
#                        loads $DOCKERD_IMAGE (busybox, built offline) with
#                        `docker load`.  Exports DOCKERD_TMP, DOCKERD_SOCK,
#                        DOCKERD_RUNTIME, DOCKERD_CGROUP_PARENT, DOCKER_CONFIG.
#   hdocker ARGS...      Debian's docker client on that socket, time-bounded.
#   dockerd_remove_all   removes every container (docker rm -f).
#   dockerd_teardown     removes the containers, stops dockerd (which stops
#                        its containerd), kills any shim or container process
#                        left, removes the cgroup parent in every hierarchy,
#                        unmounts everything under the temp dir, removes the
#                        host dirs dockerd/containerd make whatever they are
#                        told (if this run made them) and the temp dir.
#
# RUNTIME: path of the OCI runtime binary (default $HUSK_BUILD_DIR/husk-runtime).
# DOCKER_CLI: the client (default /usr/bin/docker, Debian's: another docker
# earlier in PATH may speak a newer API than dockerd 20.10).
# HUSK_PEER_TIMEOUT (default 120): seconds before a docker command is killed.

# shellcheck source=tests/lib/fixtures.bash
source "$(dirname "${BASH_SOURCE[0]}")/fixtures.bash"

DOCKERD_IMAGE=${DOCKERD_IMAGE:-busybox:latest}
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}

# Paths dockerd 20.10 and containerd 1.6 use whatever they are told: the
# plugin manager's exec root is hard-wired to /run/docker/plugins (socket
# paths must stay short), and shims listen on /run/containerd/s/<sha256>.
# Teardown removes these only if this run created them and they are empty.
_DOCKERD_HOST_DIRS=(/run/docker/plugins /run/docker /run/containerd/s /run/containerd)

dockerd_setup() {
  local p
  for p in dockerd "$DOCKER_CLI" containerd containerd-shim-runc-v2 runc skopeo; do
    command -v "$p" >/dev/null 2>&1 || { echo "$p not installed (scripts/install-deps.sh)" >&2; return 1; }
  done
  DOCKERD_RUNTIME=$(husk_runtime)
  # Short path: unix socket paths (containerd's, under the exec root) must
  # stay under 108 bytes.
  DOCKERD_TMP=$(mktemp -d /var/tmp/husk-dkd.XXXXXX) || return 1
  DOCKERD_SOCK=$DOCKERD_TMP/d.sock
  # The cgroupfs driver puts each container in PARENT/<id> in every v1
  # hierarchy; a parent per run, so concurrent runs never share one.
  DOCKERD_CGROUP_PARENT=/husk-dockerd-$(printf '%04x%04x' "$RANDOM" "$RANDOM")
  DOCKER_CONFIG=$DOCKERD_TMP/cli
  export DOCKERD_TMP DOCKERD_SOCK DOCKERD_RUNTIME DOCKERD_CGROUP_PARENT DOCKER_CONFIG
  mkdir -p "$DOCKERD_TMP"/{data,exec,tmp,cli} || return 1

  : >"$DOCKERD_TMP/hostdirs.before"
  for p in "${_DOCKERD_HOST_DIRS[@]}"; do
    [ -e "$p" ] && echo "$p" >>"$DOCKERD_TMP/hostdirs.before"
  done
  [ -z "$(husk_cgroup_dirs "$DOCKERD_CGROUP_PARENT")" ] || {
    echo "dockerd_setup: cgroup $DOCKERD_CGROUP_PARENT exists already" >&2
    return 1
  }

  # The trust key (else /etc/docker/key.json) has no flag in 20.10, only
  # this key of the config file; a file of our own also keeps the host's
  # /etc/docker/daemon.json out.
  jq -n --arg key "$DOCKERD_TMP/key.json" '{"deprecated-key-path": $key}' \
    >"$DOCKERD_TMP/daemon.json" || return 1

  # setsid: dockerd must not get the test's signals (bats, ^C) before
  # teardown has removed the containers.  TMPDIR: dockerd, its containerd
  # and the shims write temporary files (exec process specs) there.
  TMPDIR=$DOCKERD_TMP/tmp setsid dockerd \
    --config-file "$DOCKERD_TMP/daemon.json" \
    --data-root "$DOCKERD_TMP/data" \
    --exec-root "$DOCKERD_TMP/exec" \
    --pidfile "$DOCKERD_TMP/dockerd.pid" \
    -H "unix://$DOCKERD_SOCK" \
    --iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
    --cgroup-parent "$DOCKERD_CGROUP_PARENT" \
    --add-runtime "husk=$DOCKERD_RUNTIME" \
    >"$DOCKERD_TMP/dockerd.log" 2>&1 </dev/null &
  DOCKERD_PID=$!
  export DOCKERD_PID

  HUSK_PEER_TIMEOUT=10 husk_await_daemon dockerd "$DOCKERD_PID" 60 "$DOCKERD_TMP/dockerd.log" hdocker version ||
    return 1
  # (setsid forks when it has to: the pid dockerd wrote is the one to stop.)
  DOCKERD_PID=$(cat "$DOCKERD_TMP/dockerd.pid" 2>/dev/null) || DOCKERD_PID=$!
  echo "$DOCKERD_PID" >"$DOCKERD_TMP/dockerd.launched"

  dockerd_load_busybox || return 1
}

# The busybox image of the tests (tests/lib/fixtures.bash: an OCI archive
# built offline), as the docker-archive `docker load` of 20.10 reads.
dockerd_load_busybox() {
  local oci=$DOCKERD_TMP/busybox.oci.tar archive=$DOCKERD_TMP/busybox.docker.tar
  husk_oci_image_archive "$oci" "$DOCKERD_IMAGE" || return 1
  if ! TMPDIR=$DOCKERD_TMP/tmp skopeo --insecure-policy copy -q \
    "oci-archive:$oci" "docker-archive:$archive:$DOCKERD_IMAGE" >"$DOCKERD_TMP/load.log" 2>&1 ||
    ! hdocker load -i "$archive" >>"$DOCKERD_TMP/load.log" 2>&1; then
    echo "dockerd_load_busybox: loading $DOCKERD_IMAGE failed:" >&2
    cat "$DOCKERD_TMP/load.log" >&2
    return 1
  fi
  rm -f "$oci" "$archive"
  hdocker image inspect "$DOCKERD_IMAGE" >/dev/null || {
    echo "dockerd_load_busybox: $DOCKERD_IMAGE not in dockerd after load:" >&2
    cat "$DOCKERD_TMP/load.log" >&2
    return 1
  }
}

# timeout -s KILL: a hung client is killed; the container it may have left
# is removed by dockerd_remove_all.
hdocker() {
  [ -n "${DOCKERD_SOCK:-}" ] || { echo "hdocker: dockerd_setup not run" >&2; return 1; }
  timeout -s KILL "${HUSK_PEER_TIMEOUT:-120}" "$DOCKER_CLI" -H "unix://$DOCKERD_SOCK" "$@"
}

dockerd_remove_all() {
  local ids=()
  mapfile -t ids < <(hdocker ps -aq --no-trunc 2>/dev/null)
  [ ${#ids[@]} -eq 0 ] || HUSK_PEER_TIMEOUT=60 hdocker rm -f "${ids[@]}" >/dev/null 2>&1 || true
}

dockerd_teardown() {
  if [ -z "${DOCKERD_TMP:-}" ] || [ ! -d "$DOCKERD_TMP" ]; then return 0; fi
  local rc=0 pid p id sockets=() cg
  # A shim killed below cannot remove its socket:
  # /run/containerd/s/sha256(containerd address/namespace/container id), for
  # each container dockerd knows (its dir in the data root, dockerd alive or not).
  for p in "$DOCKERD_TMP"/data/containers/*/; do
    [ -d "$p" ] || continue
    id=$(basename "$p")
    sockets+=("/run/containerd/s/$(printf '%s' "$DOCKERD_TMP/exec/containerd/containerd.sock/moby/$id" | sha256sum | cut -d' ' -f1)")
  done
  pid=$(cat "$DOCKERD_TMP/dockerd.launched" 2>/dev/null)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    dockerd_remove_all
    # SIGTERM: dockerd stops its containerd, then itself.
    husk_stop_daemon "$pid" 20
  fi
  # Whatever is left of this run: its containerd and shims name the temp dir
  # in their argv; container processes are killed with their cgroups below.
  husk_kill_procs_mentioning "$DOCKERD_TMP"
  sleep 0.1
  [ ${#sockets[@]} -eq 0 ] || rm -f "${sockets[@]}"
  # A paused container's processes cannot die until thawed, and the freezer
  # hierarchy may come after the others: thaw first, then remove each.
  cg=$(husk_cgroup_dir freezer "$DOCKERD_CGROUP_PARENT")
  [ ! -d "$cg" ] || husk_rm_cgroup_tree "$cg" || true
  while IFS= read -r cg; do
    husk_rm_cgroup_tree "$cg" || {
      echo "dockerd_teardown: cannot remove cgroup $cg" >&2
      rc=1
    }
  done < <(husk_cgroup_dirs "$DOCKERD_CGROUP_PARENT")
  husk_unmount_under "$DOCKERD_TMP" || {
    echo "dockerd_teardown: mounts left under $DOCKERD_TMP:" >&2
    _husk_mounts_under "$DOCKERD_TMP" >&2
    rc=1
  }
  for p in "${_DOCKERD_HOST_DIRS[@]}"; do
    grep -qxF "$p" "$DOCKERD_TMP/hostdirs.before" 2>/dev/null && continue
    [ -d "$p" ] && rmdir "$p" 2>/dev/null
  done
  if ! rm -rf --one-file-system "$DOCKERD_TMP"; then
    echo "dockerd_teardown: cannot remove $DOCKERD_TMP" >&2
    rc=1
  fi
  unset DOCKERD_TMP DOCKERD_SOCK DOCKERD_PID
  return $rc
}
