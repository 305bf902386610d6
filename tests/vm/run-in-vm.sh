#!/usr/bin/env bash
# run-in-vm.sh [--filter REGEX] [--env NAME=VALUE] [--timeout SECONDS] FILE.bats...
# run-in-vm.sh --script 'SHELL COMMANDS'   (look around in the VM)
#
# Runs husk's bats files inside a qemu VM booted on Debian's kernel with
# cgroup v2 alone mounted on /sys/fs/cgroup (this host's hybrid layout
# cannot become pure v2).  Echoes the TAP stream and exits with bats' status.
# A VM that does not boot, panics, or prints no end marker in time fails
# (exit 2) with the console's tail; it is never a skip.
#
# FILEs must live under the source tree's tests/ (they are copied into the
# VM with tests/lib).  Runs as root, like the integration tests (the
# initramfs keeps the owners of the tests' rootfs).  qemu runs under TCG:
# nested KVM guests hang on CI machines.
#
# Environment:
#   HUSK_BUILD_DIR   build tree (default SOURCE/build): husk-runtime, cache
#   HUSK_VM_CACHE    kernel, initramfs, console logs (default BUILD/vm)
#   HUSK_VM_TIMEOUT  seconds for the whole VM run (default 1500)
#   HUSK_VM_MEM, HUSK_VM_SMP   guest size (default 2G, 2)
#   HUSK_VM_ROOT_CONTROLLERS   written to the root's cgroup.subtree_control
#                    (default: systemd's "+cpuset +cpu +io +memory +pids";
#                    empty: leave the kernel's default, nothing enabled)
#   HUSK_VM_RUNTIME  runtime copied in as husk-runtime (default
#                    BUILD/husk-runtime); must be static: the guest has only
#                    the libraries of the packages build-initramfs.sh copies
set -euo pipefail

# All of it in one block: bash reads a script as it runs, and this one runs
# for many minutes, long enough for someone to edit it meanwhile.
{
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${HUSK_BUILD_DIR:-$src/build}
cache=${HUSK_VM_CACHE:-$build/vm}
timeout_s=${HUSK_VM_TIMEOUT:-1500}
runtime=${HUSK_VM_RUNTIME:-$build/husk-runtime}
root_controllers=${HUSK_VM_ROOT_CONTROLLERS-+cpuset +cpu +io +memory +pids}
# brd: a RAM disk, the one block device the VM has (io.max and blkio
# tests need a device number).
modules=(overlay veth bridge brd)
bats_args=(--print-output-on-failure --timing)
script=
guest_env=()

die() {
  echo "run-in-vm: FAIL: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --filter) bats_args+=(--filter "${2:?--filter needs a regex}"); shift 2 ;;
    # For looking around in the VM: SCRIPT runs (bash -c) instead of bats,
    # its output is shown, and its status is the result.
    --script) script=${2:?--script needs a script}; shift 2 ;;
    # Exported to bats in the VM, e.g. --env RUNTIME=/usr/sbin/runc.
    --env) guest_env+=("${2:?--env needs NAME=VALUE}"); shift 2 ;;
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || [ -n "$script" ] || die "usage: run-in-vm.sh [--filter REGEX] [--timeout S] [--script SCRIPT] FILE.bats..."

# Guest paths of the bats files: the VM has SOURCE/tests at /husk/tests.
guest_tests=()
for f in "$@"; do
  [ -f "$f" ] || die "no such bats file: $f"
  f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
  case "$f" in
    "$src"/tests/*) guest_tests+=("/husk/${f#"$src"/}") ;;
    *) die "$f is not under $src/tests (only that tree is copied into the VM)" ;;
  esac
done

for tool in qemu-system-x86_64 cpio apt-get dpkg-deb depmod modprobe ldconfig; do
  command -v "$tool" >/dev/null || die "$tool missing (scripts/install-deps.sh)"
done
[ -x "$runtime" ] || die "runtime not built: $runtime"

mkdir -p "$cache/logs"
work=$(mktemp -d "$cache/run.XXXXXX")
qemu_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [ -s "$work/qemu.pid" ]; then
    qemu_pid=$(cat "$work/qemu.pid")
    # Only our qemu: the pid file is ours and the name must match.
    if [ "$(cat "/proc/$qemu_pid/comm" 2>/dev/null)" = qemu-system-x86 ]; then
      kill -KILL "$qemu_pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- kernel and initramfs (cached in the build tree) ----------------------

# One VM build at a time per cache: ctest runs these serially, but a
# developer may start one by hand meanwhile.
exec 9>"$cache/.lock"
flock -w 900 9 || die "cannot lock $cache/.lock"

t0=$SECONDS
kernel=$("$here/fetch-kernel.sh" "$cache" "${modules[@]}") || die "no kernel for the VM (see above)"

# Rebuilt when anything that goes into it changes: the runtime, the tests,
# these scripts, the kernel, or a host package upgrade.
initramfs=$cache/initramfs.cpio
key=$(
  {
    sha256sum "$runtime"
    (cd "$src" && find tests/integration tests/lib tests/vm -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    echo "$kernel"
    dpkg-query -W 2>/dev/null
  } | sha256sum | cut -c1-16
)
if [ ! -s "$initramfs" ] || [ "$(cat "$initramfs.key" 2>/dev/null)" != "$key" ]; then
  echo "run-in-vm: building the initramfs" >&2
  rm -f "$initramfs.key"
  "$here/build-initramfs.sh" "$initramfs" "$kernel" "$src" "$runtime" || die "building the initramfs failed"
  echo "$key" >"$initramfs.key"
fi
flock -u 9
prep_s=$((SECONDS - t0))

# ---- this run's job: appended as a second cpio archive ----------------------

# The kernel unpacks concatenated archives in order, so the job file lands
# in the cached tree without rebuilding it.
mkdir -p "$work/job/sysroot/husk-vm"
{
  printf 'HUSK_VM_TESTS=(%s)\n' "$(printf '%q ' "${guest_tests[@]}")"
  printf 'HUSK_VM_BATS_ARGS=(%s)\n' "$(printf '%q ' "${bats_args[@]}")"
  printf 'HUSK_VM_MODULES=(%s)\n' "$(printf '%q ' "${modules[@]}")"
  printf 'HUSK_VM_ROOT_CONTROLLERS=%q\n' "$root_controllers"
  printf 'HUSK_VM_SCRIPT=%q\n' "$script"
  for e in "${guest_env[@]}"; do
    printf 'export %q\n' "$e"
  done
} >"$work/job/sysroot/husk-vm/job"
(cd "$work/job" && find . -mindepth 1 | LC_ALL=C sort |
  cpio --create --format=newc --owner=0:0 --quiet) >"$work/job.cpio"
cat "$initramfs" "$work/job.cpio" >"$work/initrd"

# ---- boot ------------------------------------------------------------------

if [ ${#guest_tests[@]} -eq 0 ]; then
  name=script
else
  name=$(basename "${guest_tests[0]}" .bats)
  [ ${#guest_tests[@]} -eq 1 ] || name+="+$((${#guest_tests[@]} - 1))"
fi
console=$cache/logs/$name.console.log
: >"$console"
echo "run-in-vm: booting $(basename "$kernel") under TCG (prepared in ${prep_s}s), console log: $console" >&2

# Reads the serial console: keeps all of it in $console, echoes the TAP
# stream and the VM's own lines, and notes when the VM began and ended.
follow_console() {
  local line begin_s='' end_status=''
  while IFS= read -r line; do
    line=${line%$'\r'}
    printf '%s\n' "$line" >>"$console"
    case "$line" in
      HUSK-VM-BEGIN*)
        begin_s=$((SECONDS - boot_t0))
        echo "run-in-vm: VM up after ${begin_s}s (${line#HUSK-VM-BEGIN })" ;;
      HUSK-VM-END\ status=*)
        end_status=${line#HUSK-VM-END status=} ;;
      "ok "* | "not ok "* | 1..* | "#"* | husk-vm:*) printf '%s\n' "$line" ;;
      *"Kernel panic"* | *"Oops"* | *"BUG:"* | *"Call Trace"* | *"blocked for more than"* | *"Out of memory"*)
        printf 'console: %s\n' "$line" ;;
      *) [ -z "$script" ] || printf '%s\n' "$line" ;;
    esac
  done
  printf '%s %s\n' "${begin_s:--}" "${end_status:--}" >"$work/result"
}

boot_t0=$SECONDS
set +e
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg -cpu qemu64 -m "${HUSK_VM_MEM:-2G}" -smp "${HUSK_VM_SMP:-2}" \
  -nodefaults -no-user-config -display none -no-reboot \
  -serial stdio -monitor none -pidfile "$work/qemu.pid" \
  -kernel "$kernel/vmlinuz" -initrd "$work/initrd" \
  -append "console=ttyS0 panic=-1 quiet mitigations=off" \
  </dev/null 2>&1 | follow_console
qemu_rc=${PIPESTATUS[0]}
set -e
run_s=$((SECONDS - boot_t0))

read -r begin_s end_status <"$work/result"
if [ "$end_status" = - ]; then
  echo "run-in-vm: last console lines:" >&2
  tail -n 40 "$console" | sed 's/^/  | /' >&2
  if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
    die "the VM printed no end marker within ${timeout_s}s (HUSK_VM_TIMEOUT); console: $console"
  elif [ "$begin_s" = - ]; then
    die "the VM did not boot (qemu exit $qemu_rc, no HUSK-VM-BEGIN); console: $console"
  fi
  die "the VM stopped without an end marker (qemu exit $qemu_rc; panic?); console: $console"
fi
echo "run-in-vm: VM ran ${run_s}s (boot ${begin_s}s); bats exit status $end_status; console: $console" >&2
case "$end_status" in
  0) exit 0 ;;
  125) die "the VM's init failed before or around bats (see husk-vm: lines above)" ;;
  *) exit 1 ;;
esac
}
