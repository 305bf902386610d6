// The container's root filesystem: mounts resolved safely inside the rootfs,
// /dev, pivot_root (chroot only with --no-pivot), masked and read-only paths.
// Runs in the container's init, inside its new mount namespace; every mount,
// pivot_root and mknod goes through the Kernel it is given (linux/kernel.hpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "linux/kernel.hpp"
#include "spec/config.hpp"

namespace husk::linux {

// One cgroup hierarchy as the container should see it under /sys/fs/cgroup.
struct CgroupView {
  std::string name;      // directory under the mount point ("memory", "unified"); "" = the mount itself
  std::string host_dir;  // the container's cgroup directory on the host
  bool cgroup2 = false;
};

struct RootfsSpec {
  const spec::Config* config = nullptr;
  std::string rootfs;              // absolute host path of root.path
  std::string bundle;              // relative bind sources are resolved against it
  bool in_user_namespace = false;  // devices are bind-mounted, not mknod-ed
  bool new_cgroup_namespace = false;
  bool no_pivot = false;
  std::string mount_label;  // SELinux's context for the mounts that take one (empty: none)
  std::vector<CgroupView> cgroups;
  // Called before the first cgroup mount, and again once all mounts are
  // done: the runtime creates the cgroup while the init mounts, and this
  // waits for it (and, with a cgroup namespace, enters it). Must be idempotent.
  std::function<Result<void>()> await_cgroup;
};

// Step 1, before the createContainer hooks: propagation, the rootfs bind,
// every mount in config order, /dev. Returns an O_PATH fd of the new root.
Result<UniqueFd> prepare_rootfs(Kernel& k, const RootfsSpec& spec);
// Step 2: pivot_root into it (or chroot for --no-pivot) and drop the old root.
Result<void> enter_rootfs(Kernel& k, const RootfsSpec& spec);
// /dev/console for a terminal: a bind of the pty's slave. After enter_rootfs.
Result<void> mount_console(Kernel& k, const std::string& slave_path);
// Step 3: sysctl, masked and read-only paths, root.readonly, rootfsPropagation.
Result<void> finalize_rootfs(Kernel& k, const RootfsSpec& spec);

// Copies the contents of SRC (a directory fd) into DST, with modes and
// owners, symlinks as symlinks (runc's tmpcopyup; a new volume's seed).
Result<void> copy_tree(int src, int dst);

// Create PATH (a directory, or a file when DIR is false) inside ROOTFD with
// every component resolved in the root; returns it opened O_PATH.
Result<UniqueFd> ensure_path_in_root(int rootfd, const std::string& path, bool dir);

}  // namespace husk::linux
