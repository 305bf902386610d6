// `husk cp`: files and directories between the host and a container, as
// docker cp: modes, times and ownership kept, symlinks copied as links. The
// container's side is resolved inside its root (openat2 RESOLVE_IN_ROOT):
// a symlink in the container that points at "/" or "../.." leads to the
// container's own root, never the host's. Below the named path every step
// is an *at call on an opened directory with O_NOFOLLOW, so nothing the
// container changes meanwhile can redirect the copy.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/fd.hpp"
#include "engine/engine.hpp"

namespace husk::engine {

// One side of a copy: a directory tree PATHs are resolved in (ROOT >= 0:
// inside it; -1: the host's paths as they are).
struct CopySide {
  int root = -1;
  std::string path;
};

struct CopyOptions {
  // Owner of what lands (copy into a container: its root, unless -a kept the
  // source's); nullopt keeps the source's.
  std::optional<std::pair<uid_t, gid_t>> owner;
  bool follow_link = false;  // -L: copy what a symlink SRC points at
};

// docker cp's rules: DST an existing directory receives SRC by its name
// (SRC ending in "/." gives its contents instead); a DST that does not exist
// becomes the copy (its parent must exist); a directory never replaces a file.
Result<void> copy_path(const CopySide& src, const CopySide& dst, const CopyOptions& opts);

// A container's root for cp: a running one's through /proc/PID/root (its
// mounts included); a stopped one's overlay root, mounted for as long as
// this lives when it was not.
class ContainerRoot {
 public:
  static Result<ContainerRoot> open(const Engine& eng, const ContainerRecord& rec);
  // Its filesystem alone (export): the overlay root on the host, image
  // layers and its changes, without the volumes and binds, which are
  // mounted in the container's own mount namespace (rslave: none come back
  // to this mount). A running container's processes may change it while it
  // is read: the reader walks it by fds without following a link
  // (image/tar_stream.hpp's write_root_tar), so no swap under the walk leads
  // out of it. (A read-only overlay of the same dirs elsewhere would not
  // hold still either: overlayfs reads its lowers live.)
  static Result<ContainerRoot> open_filesystem(const Engine& eng, const ContainerRecord& rec);
  ContainerRoot(ContainerRoot&&) = default;
  ~ContainerRoot();
  int fd() const { return fd_.get(); }
  // The host ids of the container's root user (its user namespace's map).
  std::pair<uid_t, gid_t> root_owner() const { return owner_; }

 private:
  ContainerRoot() = default;
  // The overlay root at the bundle's rootfs, mounted again if an exit unmounted it.
  Result<void> open_rootfs(const Engine& eng, const ContainerRecord& rec);
  UniqueFd fd_;
  std::string mounted_;  // the rootfs we mounted (unmounted on destruction)
  std::pair<uid_t, gid_t> owner_{0, 0};
};

}  // namespace husk::engine
