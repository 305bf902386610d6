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
  ContainerRoot(ContainerRoot&&) = default;
  ~ContainerRoot();
  int fd() const { return fd_.get(); }
  // The host ids of the container's root user (its user namespace's map).
  std::pair<uid_t, gid_t> root_owner() const { return owner_; }

 private:
  ContainerRoot() = default;
  UniqueFd fd_;
  std::string mounted_;  // the rootfs we mounted (unmounted on destruction)
  std::pair<uid_t, gid_t> owner_{0, 0};
};

}  // namespace husk::engine
