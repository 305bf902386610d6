// A container's root: an overlayfs mount of an image's layers (read-only
// lowerdirs, shared) under the container's own upper and work dirs.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "spec/config.hpp"

namespace husk::image {

struct OverlaySpec {
  std::string store_root;           // lowers are relative to it ("l/SHORT")
  std::vector<std::string> lowers;  // top layer first
  std::string upper;                // absolute; empty with work: a read-only mount of the lowers
  std::string work;
  // Not empty: the lowers are id-mapped (container id -> host id, as a user
  // namespace's maps) so a container in such a namespace sees the image's
  // root-owned files as its root's. Needs "lowerdir+" taking mount fds
  // (Linux 6.13); the upper dir is not mapped (its files are the container's
  // host ids already).
  std::vector<spec::IdMapping> uid_map, gid_map;
};

// Mounts the overlay on TARGET. Deep images must work: the new mount API
// takes one "lowerdir+" per layer (Linux 6.8), with no limit on the count;
// older kernels get the classic mount(2) whose options must fit one page, so
// the short links are passed relative to the store (from its directory),
// which leaves room for ~270 layers (overlayfs itself stops at 500). An image with one layer and no upper
// dir gets a read-only bind mount of that layer instead (overlay needs two).
// API: automatic (the new API, else classic), or one of them only (tests).
enum class MountApi { automatic, fsconfig, classic };
Result<void> mount_overlay(const OverlaySpec& spec, const std::string& target,
                           MountApi api = MountApi::automatic);
// Lazily unmounts TARGET (MNT_DETACH); not mounted is fine.
Result<void> unmount_overlay(const std::string& target);

}  // namespace husk::image
