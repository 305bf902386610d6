// The container's root filesystem: mounts resolved safely inside the rootfs,
// /dev, pivot_root (chroot only with --no-pivot), masked and read-only paths.
// Runs in the container's init, inside its new mount namespace; every mount,
// pivot_root and mknod goes through the Kernel it is given (linux/kernel.hpp).
#pragma once

#include <functional>
#include <map>
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
  // Binds the runtime made before the init existed (prepare_binds),
  // by the index of their mount in config->mounts: attached as they are.
  std::map<size_t, int> prepared_binds;
};

// Whether M is an id-mapped bind: "idmap"/"ridmap", or uidMappings or
// gidMappings on the mount.
bool is_idmapped_bind(const spec::Mount& m);
// Binds made by the runtime, in the host's namespaces, as detached trees
// with every attribute set; the init only attaches them. Id-mapped ones
// always: the kernel id-maps a mount only for a caller with CAP_SYS_ADMIN
// over its filesystem, which an init in a user namespace of its own lacks
// (each maps ids by the mount's uidMappings/gidMappings, else by the
// container's). EVERY_BIND (an init in a user namespace): all of them, as
// runc opens bind sources before it enters one, so a source under a
// directory only the host's root may enter still works. BUNDLE: relative
// sources are under it. Trees by mount index.
Result<std::map<size_t, UniqueFd>> prepare_binds(Kernel& k, const spec::Config& c, const std::string& bundle,
                                                 bool every_bind);

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
