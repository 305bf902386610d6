#!/usr/bin/env bash
# fetch-kernel.sh CACHE_DIR MODULE...
#
# Makes CACHE_DIR/kernel/<package>/ hold what the test VM boots: vmlinuz, a
# kver file, and lib/modules/<kver>/ with only MODULE... and their
# dependencies (decompressed, depmod'ed, so the guest can `modprobe` them).
# Prints that directory on stdout.
#
# The package is Debian's newest amd64 kernel, resolved at run time (the
# versioned packages come and go from the mirror).  A kernel already in the
# cache is reused; when the mirror cannot be asked or reached, the newest
# cached one is used with a note.
set -euo pipefail

cache=${1:?usage: fetch-kernel.sh CACHE_DIR MODULE...}
shift
modules=("$@")
kroot=$cache/kernel
mkdir -p "$kroot"

log() { echo "fetch-kernel: $*" >&2; }

# The metapackage names the current ABI (linux-image-6.1.0-NN-amd64); the
# -unsigned flavour is the same kernel without the signing shim dance.
resolve_package() {
  local dep pkg
  dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
  if [ -n "$dep" ] && apt-cache show "$dep-unsigned" >/dev/null 2>&1; then
    echo "$dep-unsigned"
    return
  fi
  pkg=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64-unsigned$' 2>/dev/null |
    awk '{ print $1 }' | sort -V | tail -1)
  [ -n "$pkg" ] && echo "$pkg"
}

newest_cached() {
  local d
  for d in "$kroot"/*-"$(modules_key)"/; do
    [ -e "$d/ready" ] && basename "$d"
  done | sort -V | tail -1
}

# Keyed by the module list too: asking for another module refetches.
modules_key() {
  printf '%s\n' "${modules[@]}" | sha256sum | cut -c1-12
}

uncompress_module() {
  local src=$1 dst=$2
  case "$src" in
    *.ko) cp "$src" "$dst" ;;
    *.ko.xz) xz -dc "$src" >"$dst" ;;
    *.ko.zst) zstd -qdc "$src" >"$dst" ;;
    *.ko.gz) gzip -dc "$src" >"$dst" ;;
    *) log "unknown module format: $src"; return 1 ;;
  esac
}

# Unpack PKG's .deb (in $work) and keep vmlinuz + the wanted modules in OUT.
# Called from `fetch || ...`, where set -e is off: every step checks.
extract_kernel() {
  local deb=$1 out=$2 work=$3 root kver mdir line path rel
  root=$work/root
  dpkg-deb -x "$deb" "$root" || return 1
  # Debian 12 ships /lib/modules, later releases /usr/lib/modules.
  mdir=$(find "$root/lib/modules" "$root/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -1)
  [ -n "$mdir" ] || { log "no lib/modules in $deb"; return 1; }
  kver=${mdir##*/}
  if [ ! -e "$root/lib/modules/$kver" ]; then
    mkdir -p "$root/lib" && ln -s ../usr/lib/modules "$root/lib/modules" || return 1
  fi
  depmod -b "$root" "$kver" &&
    mkdir -p "$out/lib/modules/$kver" &&
    cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz" &&
    cp "$mdir"/modules.builtin* "$mdir/modules.order" "$out/lib/modules/$kver/" || return 1
  # --show-depends prints "insmod PATH" for each module and its
  # dependencies, and "builtin NAME" for those compiled in.
  local deps
  deps=$(modprobe -d "$root" -S "$kver" --show-depends -a "${modules[@]}") || return 1
  while read -r line path _; do
    [ "$line" = insmod ] || continue
    rel=${path#"$mdir"/}
    rel=${rel%.xz}
    rel=${rel%.zst}
    rel=${rel%.gz}
    mkdir -p "$out/lib/modules/$kver/$(dirname "$rel")" &&
      uncompress_module "$path" "$out/lib/modules/$kver/$rel" || return 1
  done <<<"$deps"
  depmod -b "$out" "$kver" && echo "$kver" >"$out/kver"
}

work=
trap 'rm -rf "$work" "${dir:-}.tmp"' EXIT

fetch() {
  local pkg=$1 out=$2
  work=$(mktemp -d "$kroot/.fetch.XXXXXX") || return 1
  log "downloading $pkg from the Debian mirror"
  # _apt cannot write to the cache dir; the download is verified by apt anyway.
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || return 1
  rm -rf "$out.tmp"
  extract_kernel "$work"/*.deb "$out.tmp" "$work" || return 1
  touch "$out.tmp/ready" && rm -rf "$out" "$work" && mv "$out.tmp" "$out"
}

pkg=$(resolve_package || true)
if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
  # A machine whose package lists were never fetched (or were cleaned).
  log "no kernel package known to apt; running apt-get update"
  apt-get update -q >&2 || true
  pkg=$(resolve_package || true)
fi
if [ -n "$pkg" ]; then
  dir=$kroot/$pkg-$(modules_key)
  if [ ! -e "$dir/ready" ] && ! fetch "$pkg" "$dir"; then
    log "could not fetch $pkg"
    pkg=
  fi
fi
if [ -z "$pkg" ]; then
  cached=$(newest_cached)
  if [ -z "$cached" ]; then
    log "no kernel package found (run 'apt-get update'?) and none cached in $kroot for modules: ${modules[*]}"
    exit 1
  fi
  log "using the cached kernel $cached"
  dir=$kroot/$cached
fi
# Older kernels and other module sets are dead weight in the build tree.
for old in "$kroot"/*/; do
  old=${old%/}
  [ "$old" = "$dir" ] || rm -rf "$old"
done
echo "$dir"
