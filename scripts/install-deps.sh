#!/usr/bin/env bash
# Installs every Debian package husk's build, tests and benchmarks need.
# Idempotent: safe to run again; does nothing when all are present.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config g++
  nlohmann-json3-dev libcli11-dev libseccomp-dev libcap-dev libgtest-dev
  libarchive-dev libcurl4-openssl-dev libssl-dev libisal-dev
  # container networks: rtnetlink (libnl-route, linked statically into husk)
  libnl-3-dev libnl-route-3-dev
  # container networks: NAT and forwarding (husk-net, through libnftables)
  libnftables-dev
  # container networks: the names of a user-defined network's containers (one dnsmasq per network)
  dnsmasq-base
  # the fuzz harnesses (tests/fuzz): clang, libFuzzer and the sanitizers' runtimes, llvm-symbolizer
  clang libclang-rt-14-dev llvm
  # the container image used by `husk` and the tests
  busybox-static
  # tests and peers
  bats iproute2 procps util-linux kmod uidmap python3 nftables
  runc crun podman containerd conmon
  # dockerd, the third real client of husk-runtime (tests/integration/runtime_dockerd.bats,
  # which starts its own in its network namespace); the host's is not started (below)
  docker.io
  # podman's bridge networks, the peer of husk's in bench/network-run.sh
  netavark aardvark-dns iptables
  # /usr/lib/cni: the tests' podman (tests/lib/podman.bash) uses the cni
  # backend, and podman refuses to start without its plugin dir
  containernetworking-plugins
  # podman's default seccomp profile: the reference husk's default is checked against
  golang-github-containers-common
  skopeo umoci docker-registry curl openssl
  # the pure cgroup v2 VM (tests/vm): qemu boots Debian's kernel on an initramfs
  qemu-system-x86 cpio
  # benchmarks
  hyperfine time jq debootstrap
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/husk-update-stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
  apt-get update -q
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
# docker.io's postinst starts the host's dockerd (and on systemd enables it)
# with its default config: a docker0 bridge and iptables rules on the
# machine's network. Nothing here needs it: while apt installs docker.io, a
# policy-rc.d (asked by invoke-rc.d and deb-systemd-invoke) denies every
# start, unless the machine has one of its own; on systemd, it stays disabled.
new_docker=0
case " ${missing[*]} " in *" docker.io "*) new_docker=1 ;; esac
policy=/usr/sbin/policy-rc.d
if [ "$new_docker" = 1 ] && [ ! -e "$policy" ]; then
  trap 'rm -f "$policy"' EXIT
  printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs packages\nexit 101\n' >"$policy"
  chmod 755 "$policy"
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
if [ "$new_docker" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl disable docker.service docker.socket || true
fi
