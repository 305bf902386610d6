#!/usr/bin/env bash
# build-initramfs.sh OUT.cpio KERNEL_DIR SOURCE_DIR RUNTIME
#
# Writes the test VM's initramfs (cpio newc, uncompressed: gunzip under TCG
# costs seconds of boot, while qemu loads a plain file at host speed).
#
# Layout: the real root is /sysroot (init.sh moves it over / so containers
# can pivot_root); /init and a few symlinks at the top let the kernel start
# /init with /sysroot's bash.  /sysroot holds:
#   - the files of the Debian packages below, as installed on this host
#     (so the guest runs the same bash, bats, jq, runc, coreutils as CI),
#     minus documentation, plus every shared library they load;
#   - KERNEL_DIR's modules (fetch-kernel.sh), for modprobe;
#   - /husk: RUNTIME as build/husk-runtime, SOURCE_DIR/tests.
#
# Prints nothing on success; the caller decides when to rebuild
# (run-in-vm.sh keys it on these inputs).
set -euo pipefail

out=${1:?usage: build-initramfs.sh OUT.cpio KERNEL_DIR SOURCE_DIR RUNTIME}
kernel=${2:?}
src=${3:?}
runtime=${4:?}

# Whole packages rather than a list of binaries: a test that starts using
# another coreutils or util-linux tool keeps working in the VM.
# python3 for the tests' pty and console-socket helpers, by the version
# /usr/bin/python3 is on this release.
py=$(basename "$(readlink -f /usr/bin/python3)")
PACKAGES=(
  bash dash coreutils util-linux mount procps iproute2 kmod hostname
  grep sed mawk findutils diffutils gzip tar
  busybox-static bats jq runc
  python3-minimal "$py-minimal" "lib$py-minimal" "lib$py-stdlib"
)

die() {
  echo "build-initramfs: $*" >&2
  exit 1
}

stage=$(mktemp -d "${TMPDIR:-/tmp}/husk-vm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/sysroot

# Debian 12 is merged-/usr: /bin, /sbin, /lib, /lib64 are symlinks into /usr,
# but dpkg still lists files under their old names.
usr_path() {
  case "$1" in
    /bin/* | /sbin/* | /lib/* | /lib64/*) echo "/usr$1" ;;
    *) echo "$1" ;;
  esac
}

# Copy host file $1 into the root as it is (a symlink stays a symlink).
copy_in() {
  local dst
  dst=$root$(usr_path "$1")
  [ -e "$dst" ] || [ -L "$dst" ] && return 0
  mkdir -p "$(dirname "$dst")"
  cp -a "$1" "$dst"
}

# Copy host file $1 into the root as a regular file at $1 (libraries: the
# loader looks them up by the name ldd reports, whatever it links to).
copy_resolved() {
  local dst
  dst=$root$(usr_path "$1")
  [ -e "$dst" ] && return 0
  mkdir -p "$(dirname "$dst")"
  cp -L "$1" "$dst"
}

make_skeleton() {
  local d
  mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc,proc,sys,dev,tmp,run,root,var/tmp,husk/build,husk-vm}
  for d in bin sbin lib lib64; do
    ln -s "usr/$d" "$root/$d"
    # The kernel runs /init from the top level: it needs bash and its
    # libraries there too, which these links into /sysroot provide.
    ln -s "sysroot/usr/$d" "$stage/$d"
  done
  ln -s sysroot/usr "$stage/usr"
  mkdir -p "$stage"/{proc,sys,dev}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  chmod 0700 "$root/root"
}

copy_packages() {
  local p f missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || die "packages missing on this host: ${missing[*]} (scripts/install-deps.sh)"
  while IFS= read -r f; do
    [ -f "$f" ] || [ -L "$f" ] || continue
    [ -d "$f" ] && [ ! -L "$f" ] && continue
    copy_in "$f"
  done < <(dpkg-query -L "${PACKAGES[@]}" | sort -u |
    grep -Ev '^/usr/share/(doc|doc-base|man|info|locale|lintian|bash-completion|bug|menu|zsh|fish)/' |
    grep -Ev '^/etc/(init\.d|cron|logrotate|systemd|default)')
  # Links dpkg does not own: alternatives (awk) and dash's diversion (sh).
  [ -e "$root/usr/bin/awk" ] || ln -s mawk "$root/usr/bin/awk"
  [ -e "$root/usr/bin/sh" ] || ln -s dash "$root/usr/bin/sh"
}

# Every ELF file's libraries, and the dynamic loader.  ldd lists the whole
# closure of each file, so one pass is enough.
copy_libraries() {
  local f lib
  while IFS= read -r lib; do
    copy_resolved "$lib"
  done < <(
    find "$root" -type f -perm /111 -o -type f -name '*.so*' | while IFS= read -r f; do
      [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
      # Static files make ldd fail; they need nothing.
      { ldd "$f" 2>/dev/null || true; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
    done | sort -u
  )
  # Without a cache the loader still searches the multiarch dirs, but a
  # cache is what the host has and what dlopen() users expect.
  cp -a /etc/ld.so.conf /etc/ld.so.conf.d "$root/etc/" 2>/dev/null || true
  ldconfig -r "$root"
}

copy_kernel_modules() {
  local kver
  kver=$(cat "$kernel/kver")
  mkdir -p "$root/usr/lib/modules" "$root/etc/modprobe.d"
  cp -a "$kernel/lib/modules/$kver" "$root/usr/lib/modules/"
  # One small RAM disk (allocated as written) rather than brd's default 16.
  echo 'options brd rd_nr=1 rd_size=16384' >"$root/etc/modprobe.d/husk-vm.conf"
}

copy_husk() {
  # Debug info is most of a debug build's size, and every byte is loaded
  # into guest memory at boot.
  strip --strip-debug -o "$root/husk/build/husk-runtime" "$runtime" 2>/dev/null ||
    cp "$runtime" "$root/husk/build/husk-runtime"
  mkdir -p "$root/husk/tests"
  cp -a "$src/tests/integration" "$src/tests/lib" "$root/husk/tests/"
}

# The tests' busybox rootfs (tests/lib/fixtures.bash) costs an `ln` per
# applet the first time: ~10 s under TCG, a moment here.  Same busybox, same
# cache key, so the guest finds it ready in its default HUSK_TEST_CACHE.
prebuild_test_cache() {
  (
    HUSK_TEST_CACHE=$root/var/tmp/husk-test-cache
    HUSK_BUSYBOX=/bin/busybox
    # shellcheck source=../lib/fixtures.bash
    . "$src/tests/lib/fixtures.bash"
    _husk_cache_locked _husk_cached_rootfs
  ) || die "building the tests' busybox rootfs failed"
}

write_etc() {
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
  echo husk-vm >"$root/etc/hostname"
  printf '127.0.0.1\tlocalhost husk-vm\n::1\tlocalhost\n' >"$root/etc/hosts"
  : >"$root/etc/resolv.conf"
  # findmnt and friends read it; the kernel's view is the truth anyway.
  ln -sf ../proc/self/mounts "$root/etc/mtab"
}

make_skeleton
copy_packages
copy_libraries
copy_kernel_modules
copy_husk
prebuild_test_cache
write_etc
install -m 0755 "$src/tests/vm/init.sh" "$stage/init"
install -m 0755 "$src/tests/vm/init.sh" "$root/init"

# Sorted, fixed mtimes: the same inputs give the same archive.  Owners are
# kept (all root, but the test rootfs's /home/user).
find "$stage" -exec touch -h -d @0 {} +
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null --create --format=newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
