#!/usr/bin/env bash
# Pull + unpack of the same image from a local registry: husk vs skopeo copy +
# umoci unpack vs podman pull, in one run (hyperfine), with the ratios.
#
# The image: Debian bookworm minbase made with debootstrap (apt caches and
# lists removed), one gzip layer of ~50 MB, cached in $HUSK_BENCH_CACHE.
# Every run starts from an empty store: what is measured is a first pull.
#
#   RUNS=5 bench/image-pull.sh
#
# Environment: HUSK (default build/husk), RUNS (5), HUSK_BENCH_CACHE
# (/var/tmp/husk-bench-cache), MIRROR (the apt mirror for debootstrap; default
# the first deb.debian.org-style URI in /etc/apt/sources.list.d/debian.sources),
# RESULTS_DIR (bench/results).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
HUSK=${HUSK:-$repo/build/husk}
RUNS=${RUNS:-5}
CACHE=${HUSK_BENCH_CACHE:-/var/tmp/husk-bench-cache}
RESULTS_DIR=${RESULTS_DIR:-$repo/bench/results}
# shellcheck source=../tests/lib/fixtures.bash
. "$repo/tests/lib/fixtures.bash"
# shellcheck source=../tests/lib/registry.bash
. "$repo/tests/lib/registry.bash"

[ "$(id -u)" -eq 0 ] || { echo "image-pull: run as root" >&2; exit 1; }
for tool in hyperfine skopeo umoci podman docker-registry debootstrap jq "$HUSK"; do
  command -v "$tool" >/dev/null || { echo "image-pull: missing $tool (scripts/install-deps.sh; build husk)" >&2; exit 1; }
done

image=$CACHE/debian-minbase.tar.gz
if [ ! -s "$image" ]; then
  mirror=${MIRROR:-$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "image-pull: making the Debian minbase image with debootstrap from $mirror (once)" >&2
  mkdir -p "$CACHE"
  rm -rf "$CACHE/minbase"
  debootstrap --variant=minbase bookworm "$CACHE/minbase" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail "$CACHE/debootstrap.log" >&2; exit 1; }
  rm -rf "$CACHE"/minbase/var/cache/apt/archives/*.deb "$CACHE"/minbase/var/lib/apt/lists/*_*
  tar -C "$CACHE/minbase" --numeric-owner --xattrs -cf - . | gzip -6 >"$image.tmp"
  mv "$image.tmp" "$image"
  rm -rf "$CACHE/minbase"
fi

W=$(mktemp -d /tmp/husk-bench-pull.XXXXXX)
# The stores live on a tmpfs: every run starts by deleting the last run's
# ~7000 files, and on an ext4 without a journal (this VM's root) the next
# run's inode allocation then crawls past inodes deleted in the last 30 s
# (ext4's recently_deleted), which would measure the filesystem, not the tools.
# BENCH_ON_DISK=1 keeps them on the disk instead.
[ "${BENCH_ON_DISK:-0}" = 1 ] || mount -t tmpfs -o size=8g husk-bench "$W"
cleanup() {
  "$HUSK" --root "$W/h" image unbundle "$W/hb" >/dev/null 2>&1 || true
  registry_stop
  husk_unmount_under "$W" || true
  rm -rf --one-file-system "$W"
  umount "$W" 2>/dev/null || true
  rmdir "$W" 2>/dev/null || true
}
trap cleanup EXIT
registry_start "$W/registry"
ref=$REGISTRY/bench/debian:minbase
"$HUSK" --root "$W/seed" image import -c 'CMD ["/bin/bash"]' "$image" bench/debian:minbase >/dev/null
"$HUSK" --root "$W/seed" push -q bench/debian:minbase "$ref" >/dev/null
size=$(stat -c %s "$image")
echo "image: $ref, one gzip layer of $((size / 1000000)) MB; $RUNS runs per row; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
echo "husk: $("$HUSK" --version | head -1); $(skopeo --version); umoci $(umoci --version | awk '{print $3}'); $(podman --version)"

P="podman --root $W/p --runroot $W/pr --storage-driver overlay"
mkdir -p "$RESULTS_DIR"
hyperfine --runs "$RUNS" --warmup 1 --export-json "$RESULTS_DIR/image-pull.json" \
  -n "husk pull + bundle" \
  --prepare "$HUSK --root $W/h image unbundle $W/hb >/dev/null 2>&1; rm -rf $W/h $W/hb" \
  "$HUSK --root $W/h pull -q $ref >/dev/null && $HUSK --root $W/h image bundle $ref $W/hb >/dev/null" \
  -n "husk pull" \
  --prepare "rm -rf $W/h2" \
  "$HUSK --root $W/h2 pull -q $ref" \
  -n "skopeo copy + umoci unpack" \
  --prepare "rm -rf $W/oci $W/ub" \
  "skopeo copy -q --src-tls-verify=false docker://$ref oci:$W/oci:x && umoci unpack --image $W/oci:x $W/ub" \
  -n "skopeo copy" \
  --prepare "rm -rf $W/oci2" \
  "skopeo copy -q --src-tls-verify=false docker://$ref oci:$W/oci2:x" \
  -n "podman pull" \
  --prepare "$P rmi -af >/dev/null 2>&1; rm -rf $W/p $W/pr" \
  "$P pull -q --tls-verify=false $ref" >&2

jq -r '
  (.results | map({key: .command, value: .}) | from_entries) as $r
  | def m(n): $r[n].mean;
  "row                              mean_s  stddev_s   min_s",
  (.results[] | "\(.command | . + " " * (30 - length))  \(.mean * 1000 | round / 1000)   \(.stddev * 1000 | round / 1000)   \(.min * 1000 | round / 1000)"),
  "",
  "husk pull + bundle / (skopeo copy + umoci unpack) = \(m("husk pull + bundle") / m("skopeo copy + umoci unpack") * 1000 | round / 1000)   (target < 0.333: \(if m("husk pull + bundle") / m("skopeo copy + umoci unpack") < (1/3) then "PASS" else "FAIL" end))",
  "husk pull + bundle / podman pull              = \(m("husk pull + bundle") / m("podman pull") * 1000 | round / 1000)",
  "husk pull + bundle: \(m("husk pull + bundle") * 1000 | round / 1000) s   (target < 1 s: \(if m("husk pull + bundle") < 1 then "PASS" else "FAIL" end))"
' "$RESULTS_DIR/image-pull.json"
