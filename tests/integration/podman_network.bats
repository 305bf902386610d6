#!/usr/bin/env bats
# husk's networks against podman's (netavark + aardvark-dns, Debian's
# packages): the same scenario run with each engine, the same observable
# behaviour asserted for both (issue 15): names and aliases on a
# user-defined network, isolation between networks, --internal, and -p on
# the default network.
#
# Each engine has a network namespace of its own for its "host" (the
# machine's network is never touched): husk the one tests/lib/network.bash
# makes ($NETNS), podman another ($PNETNS), set up the same way (only lo,
# up). Not one namespace for both: their default subnets overlap (husk's
# user networks take free /16s from 10.88.0.0, podman's default network is
# 10.88.0.0/16), and each engine's firewall (husk's table ip husk,
# netavark's iptables chains) would see the other's bridges; the comparison
# is of each engine on a host of its own.
#
# podman: an isolated podman (tests/lib/podman.bash: its own root, run
# root, temp dir and configs) with network_backend = "netavark" and runc as
# its runtime (this file compares the engines' networks, not the runtimes).
# Every podman command, the library's own set-up and teardown included,
# runs inside $PNETNS through a `podman` wrapper first on PATH: a netavark
# teardown run in the machine's namespace would touch the machine's network.
# Without podman, conmon, runc or netavark/aardvark-dns the husk half still
# runs (each test says so on fd 3).

load ../lib/network.bash
load ../lib/podman.bash

setup_file() {
  network_file_setup
  export PNETNS=husk-test-pnet-$$ ENGINES=husk
  local t missing=
  for t in podman conmon runc nsenter /usr/lib/podman/netavark /usr/lib/podman/aardvark-dns; do
    command -v "$t" >/dev/null || missing+=" $t"
  done
  if [ -n "$missing" ]; then
    export PODMAN_MISSING="missing:$missing"
    return 0
  fi
  ip netns add "$PNETNS"
  ip -n "$PNETNS" link set lo up
  export PMBIN=$BATS_FILE_TMPDIR/pmbin
  mkdir -p "$PMBIN"
  printf '#!/bin/sh\nexec nsenter --net=/run/netns/%s %s "$@"\n' "$PNETNS" "$(command -v podman)" >"$PMBIN/podman"
  chmod +x "$PMBIN/podman"
  # podman makes /run/containers/networks (ipam.db, aardvark.lock: below)
  # when it is not there: teardown_file removes it then.
  [ -e /run/containers/networks ] || touch "$BATS_FILE_TMPDIR/run-containers-networks.made"
  PATH=$PMBIN:$PATH PODMAN_NETWORK_BACKEND=netavark podman_setup
  PODMAN_RUNTIME=$(command -v runc)
  # A rootful podman hands netavark --config /run/containers/networks, the
  # same for every podman on the machine (it assumes one network namespace
  # for all), and netavark keeps aardvark-dns's config and pid file there:
  # one aardvark-dns for all of them, in the namespace of whichever started
  # it. Another podman on the machine (a bench, another test) would then
  # answer, or not, for this file's containers. netavark is found through
  # helper_binaries_dir: a wrapper first there gives it a --config of this
  # file's own, so this file's aardvark-dns is its own, in $PNETNS, and
  # named by its command line. (podman's address leases,
  # /run/containers/networks/ipam.db, stay shared: kept per network name,
  # they are only addresses; each namespace has its own bridges.)
  mkdir -p "$PMBIN/helpers" "$PODMAN_TMP/netavark"
  cat >"$PMBIN/helpers/netavark" <<EOF
#!/bin/bash
a=()
while [ \$# -gt 0 ]; do
  case \$1 in
    --config) a+=(--config "$PODMAN_TMP/netavark"); shift ;;
    --config=*) a+=(--config "$PODMAN_TMP/netavark") ;;
    *) a+=("\$1") ;;
  esac
  shift
done
exec /usr/lib/podman/netavark "\${a[@]}"
EOF
  chmod +x "$PMBIN/helpers/netavark"
  sed -i "/^\[engine\]\$/a helper_binaries_dir = [\"$PMBIN/helpers\", \"/usr/lib/podman\"]" "$PODMAN_TMP/containers.conf"
  export PODMAN_RUNTIME ENGINES="husk podman"
}

teardown_file() {
  if [ -n "${PODMAN_TMP:-}" ]; then PATH=$PMBIN:$PATH podman_teardown || true; fi
  if [ -e "$BATS_FILE_TMPDIR/run-containers-networks.made" ]; then
    rm -rf /run/containers/networks
    rmdir /run/containers 2>/dev/null || true
  fi
  ip netns del "$PNETNS" 2>/dev/null || true
  network_file_teardown
}

setup() {
  engine_setup husk-podman-net
  [ -z "${PODMAN_MISSING:-}" ] || echo "# podman half not run: $PODMAN_MISSING" >&3
}

teardown() {
  local left=0
  if [ "$ENGINES" != husk ]; then
    pm rm -af -t 0 >/dev/null 2>&1 || true
    pm network prune -f >/dev/null 2>&1 || true
    # Nothing of podman's left running on its host: conmon goes with its
    # container, aardvark-dns once netavark has taken the last container of
    # the last network with names out of its config (it exits then: nothing
    # to kill here; podman_teardown would kill one left, the test fails).
    wait_for 5 no_podman_host_procs || {
      echo "left in $PNETNS:" >&2
      podman_host_procs >&2
      left=1
    }
  fi
  h network prune -f >/dev/null 2>&1 || true
  network_teardown
  return "$left"
}

# podman (tests/lib/podman.bash's hpodman: the isolated podman, runc) in
# podman's host namespace.
pm() { PATH=$PMBIN:$PATH hpodman "$@"; }
on_pm_host() { nsenter --net="/run/netns/$PNETNS" "$@"; }
# The processes in podman's host namespace ("PID COMM").
podman_host_procs() {
  local p
  for p in /proc/[0-9]*; do
    [ "$p/ns/net" -ef "/run/netns/$PNETNS" ] && echo "${p#/proc/} $(cat "$p/comm" 2>/dev/null)"
  done
  return 0
}
no_podman_host_procs() { [ -z "$(podman_host_procs)" ]; }

# For the engine $eng: e (the engine), on_eng_host (a command on its host),
# $img (its busybox).
e() { if [ "$eng" = husk ]; then h "$@"; else pm "$@"; fi; }
on_eng_host() { if [ "$eng" = husk ]; then on_host "$@"; else on_pm_host "$@"; fi; }
use() {
  eng=$1
  if [ "$eng" = husk ]; then img=busybox; else img=$PODMAN_IMAGE; fi
}

# The address NAME resolves to inside a container on NETWORK: the answer's
# line (busybox nslookup: "Address:<tab>SERVER" first, then
# "Address: ANSWER"). No early exit: a podman run --rm must not see SIGPIPE.
resolve() {
  e run --rm --network "$1" "$img" nslookup "$2" 2>/dev/null | awk '/^Address: / && !n++ { print $2 }'
}
# The address of container C on NETWORK.
addr_of() { e inspect -f "{{.NetworkSettings.Networks.$2.IPAddress}}" "$1"; }
# assert_status with a label (which engine, which case).
status_is() { assert_status "$1" || { echo "(that was: $2)" >&2; return 1; }; }
ping_from() { e run --rm --cap-add NET_RAW --network "$1" "$img" ping -c1 -W1 "$2"; }
web() {
  e run -d --name web "$@" "$img" sh -c 'echo hi >/tmp/i.html; exec httpd -f -p 80 -h /tmp' >/dev/null
}

@test "podman network: on a user-defined network a container's name and alias resolve, and it is reached by name (husk, podman)" {
  for eng in $ENGINES; do
    use "$eng"
    e network create n1 >/dev/null
    web --network n1 --network-alias www
    ip=$(addr_of web n1)
    assert_match '^10\.[0-9]+\.[0-9]+\.[0-9]+$' "$ip" "$eng: web's address on n1"
    assert_eq "$ip" "$(resolve n1 web)" "$eng: web resolves"
    assert_eq "$ip" "$(resolve n1 www)" "$eng: the alias www resolves"
    # One name server, on the engine's host: husk's dnsmasq, podman's
    # aardvark-dns (this file's own: setup_file).
    if [ "$eng" = husk ]; then
      assert_eq 1 "$(name_servers | wc -l)" "husk: its name servers"
    else
      assert_eq 1 "$(podman_host_procs | grep -c ' aardvark-dns$')" "podman: aardvark-dns in $PNETNS"
    fi
    run --separate-stderr e run --rm --network n1 "$img" wget -q -O - http://web/i.html
    assert_status 0
    assert_eq hi "$output" "$eng: web reached by name"
    e rm -f web >/dev/null
  done
}

@test "podman network: a container on another network cannot reach one on n1 (husk; podman: only with -o isolate=true)" {
  for eng in $ENGINES; do
    use "$eng"
    e network create n1 >/dev/null
    e network create n2 >/dev/null
    web --network n1
    ip=$(addr_of web n1)
    run ping_from n1 "$ip"
    status_is 0 "$eng: from n1 (the control)"
    run ping_from n2 "$ip"
    if [ "$eng" = husk ]; then
      status_is 1 "husk: from n2"
    else
      # Where the engines differ: netavark (1.4 here) does not isolate its
      # networks by default (docker's and husk's are): n2's traffic is
      # forwarded by the host, masqueraded to n1's gateway's address, and
      # reaches web. Only networks made with -o isolate=true are kept apart,
      # as husk's are.
      status_is 0 "podman: from n2 (not isolated by default)"
      e rm -f web >/dev/null
      e network rm n1 n2 >/dev/null
      e network create -o isolate=true n1 >/dev/null
      e network create -o isolate=true n2 >/dev/null
      web --network n1
      ip=$(addr_of web n1)
      run ping_from n1 "$ip"
      status_is 0 "podman: from isolated n1 (the control)"
      run ping_from n2 "$ip"
      status_is 1 "podman: from isolated n2"
    fi
    e rm -f web >/dev/null
  done
}

@test "podman network: a container on an --internal network has an address but no default route (husk, podman)" {
  for eng in $ENGINES; do
    use "$eng"
    e network create --internal i1 >/dev/null
    run --separate-stderr e run --rm --network i1 "$img" sh -c 'ip -4 -o addr show eth0; echo routes:; ip route'
    assert_status 0
    assert_match 'inet 10\.[0-9.]+/[0-9]+' "${lines[0]}" "$eng: an address on i1"
    [[ "$output" != *default* ]] || {
      echo "$eng: a default route on an --internal network: $output" >&2
      return 1
    }
  done
}

@test "podman network: -p HOST:80 on the default network is reached from the host at 127.0.0.1:HOST (husk, podman)" {
  for eng in $ENGINES; do
    use "$eng"
    # --network bridge: husk's default bridge, podman's default network
    # ("podman"; this podman's own default, netns "none", is the library's).
    web --network bridge -p 8080:80
    wait_for 10 on_eng_host curl -sf --max-time 1 -o /dev/null http://127.0.0.1:8080/i.html
    assert_eq hi "$(on_eng_host curl -sf --max-time 2 http://127.0.0.1:8080/i.html)" "$eng: from the host, 127.0.0.1"
    e rm -f web >/dev/null
  done
}
