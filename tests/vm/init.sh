#!/bin/bash
# PID 1 of the test VM that tests/vm/run-in-vm.sh boots: brings up a pure
# cgroup v2 machine, runs the bats files named in /husk-vm/job, prints the
# end marker the host waits for, and powers off.
#
# Runs twice.  From the initramfs (no argument) it only moves the payload in
# /sysroot to be the root: pivot_root(2) refuses to move away from the
# initramfs itself, and every container pivot_roots.  Then, as "stage2"
# inside /sysroot, it does the real work.
#
# PID 1 must never exit (the kernel would panic), so every failure ends in
# vm_end with a status, never in `exit`.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# The host looks for exactly this line; anything else is "no end marker".
vm_end() {
  local status=$1
  sync
  echo "HUSK-VM-END status=$status"
  busybox poweroff -f
  # Not reached unless poweroff failed; with panic=-1 and qemu -no-reboot a
  # panic ends the VM too, and the marker above has already been printed.
  sleep 5
  echo o >/proc/sysrq-trigger
  sleep 1000
}

vm_fail() {
  echo "husk-vm: FAIL: $*"
  vm_end 125
}

stage1() {
  mount -t proc proc /proc 2>/dev/null
  # A bind mount of /sysroot moved over / is a real mount with a parent,
  # which is all pivot_root needs; copying the payload to a tmpfs would cost
  # seconds under TCG for the same result.
  busybox mount -o bind /sysroot /sysroot || vm_fail "bind /sysroot"
  cd /sysroot || vm_fail "cd /sysroot"
  busybox mount -o move . / || vm_fail "move /sysroot to /"
  umount /proc 2>/dev/null
  # shellcheck disable=SC2093 # the next line runs only if exec failed
  exec chroot . /init stage2
  vm_fail "exec chroot /init stage2"
}

mount_basics() {
  mount -t proc -o nosuid,nodev,noexec proc /proc &&
    mount -t sysfs -o nosuid,nodev,noexec sysfs /sys &&
    mount -t devtmpfs -o nosuid,mode=755 devtmpfs /dev || return 1
  # udev would make these; bash's process substitution needs /dev/fd.
  ln -sfn /proc/self/fd /dev/fd
  ln -sfn /proc/self/fd/0 /dev/stdin
  ln -sfn /proc/self/fd/1 /dev/stdout
  ln -sfn /proc/self/fd/2 /dev/stderr
  mkdir -p /dev/pts /dev/shm /dev/mqueue
  mount -t devpts -o nosuid,noexec,gid=5,mode=620,ptmxmode=666 devpts /dev/pts &&
    mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /dev/shm &&
    mount -t mqueue -o nosuid,nodev,noexec mqueue /dev/mqueue &&
    mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp &&
    mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs /run || return 1
  # The options systemd mounts cgroup2 with on a pure v2 host, so the VM
  # behaves like the machines husk will meet.
  mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup ||
    mount -t cgroup2 cgroup2 /sys/fs/cgroup || return 1
  # systemd makes / shared; tests that check propagation expect that.
  mount --make-rshared /
}

# Root's cgroup.controllers lists what the kernel offers; the tests need all
# of these, and a missing one means the wrong kernel, not a test failure.
check_cgroup_controllers() {
  local want=(cpuset cpu io memory hugetlb pids rdma misc) have c missing=()
  have=" $(cat /sys/fs/cgroup/cgroup.controllers) "
  for c in "${want[@]}"; do
    [[ $have == *" $c "* ]] || missing+=("$c")
  done
  echo "husk-vm: cgroup2 on /sys/fs/cgroup, controllers:${have% }"
  [ ${#missing[@]} -eq 0 ] || vm_fail "cgroup controllers missing: ${missing[*]}"
}

# Count TAP results so the VM reports its own totals, and notice a run that
# stopped before its plan (bats killed, or a test that never returned).
report_tap() {
  local tap=$1 planned passed failed skipped
  planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$tap" | head -1)
  passed=$(grep -E '^ok [0-9]+' "$tap" | grep -vc ' # skip' || true)
  skipped=$(grep -Ec '^ok [0-9]+ .* # skip' "$tap" || true)
  failed=$(grep -Ec '^not ok [0-9]+' "$tap" || true)
  echo "husk-vm: bats: $passed passed, $failed failed, $skipped skipped (of ${planned:-?} planned)"
  if [ "${planned:-x}" != $((passed + failed + skipped)) ]; then
    echo "husk-vm: bats ran $((passed + failed + skipped)) of ${planned:-?} planned tests"
    return 1
  fi
}

stage2() {
  mount_basics || vm_fail "mounting /proc, /sys, /dev, /tmp, /run or cgroup2"
  # Keep kernel chatter (overlayfs notes and the like) off the TAP stream;
  # warnings and worse still reach the console.
  echo 4 >/proc/sys/kernel/printk
  hostname husk-vm
  ip link set lo up

  # shellcheck source=/dev/null # written by run-in-vm.sh into the initramfs
  . /husk-vm/job || vm_fail "no job file /husk-vm/job"
  modprobe -a "${HUSK_VM_MODULES[@]}" || vm_fail "modprobe ${HUSK_VM_MODULES[*]}"
  check_cgroup_controllers
  if [ -n "$HUSK_VM_ROOT_CONTROLLERS" ]; then
    # Like systemd on a v2 host: controllers enabled for the root's children.
    echo "$HUSK_VM_ROOT_CONTROLLERS" >/sys/fs/cgroup/cgroup.subtree_control ||
      vm_fail "enabling controllers: $HUSK_VM_ROOT_CONTROLLERS"
  fi
  echo "husk-vm: root cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  echo "HUSK-VM-BEGIN kernel=$(uname -r) uptime=$(cut -d' ' -f1 /proc/uptime)s"

  export HOME=/root TERM=dumb LANG=C.UTF-8
  export HUSK_SOURCE_DIR=/husk HUSK_BUILD_DIR=/husk/build
  cd /husk || vm_fail "cd /husk"
  local status
  if [ -n "${HUSK_VM_SCRIPT:-}" ]; then
    bash -c "$HUSK_VM_SCRIPT" </dev/null 2>&1
    vm_end $?
  fi
  bats --tap "${HUSK_VM_BATS_ARGS[@]}" "${HUSK_VM_TESTS[@]}" </dev/null 2>&1 | tee /tmp/bats.tap
  status=${PIPESTATUS[0]}
  report_tap /tmp/bats.tap || { [ "$status" -ne 0 ] || status=1; }
  echo "husk-vm: bats exit status $status after $(cut -d' ' -f1 /proc/uptime)s of uptime"
  vm_end "$status"
}

case "${1:-}" in
  stage2) stage2 ;;
  *) stage1 ;;
esac
vm_end 125
