// From an image to a ready-to-run OCI bundle: a writable overlay root of the
// image's layers (the container owns only its upper dir) and the config.json
// its caller makes for it (the engine: engine/container_config.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "spec/config.hpp"
#include "image/store.hpp"

namespace husk::image {

struct BundleOptions {
  std::string id;  // the container's name in the store (containers/ID)
  // The text of BUNDLE/config.json, made once the root is mounted at
  // BUNDLE/rootfs (the engine makes it: engine/container_config.hpp).
  std::function<Result<std::string>(const std::string& bundle)> config;
  // Not empty: the container runs in a user namespace with these maps; its
  // root's layers are id-mapped to match and its upper dir belongs to the
  // container's root (overlay.hpp).
  std::vector<spec::IdMapping> uid_map, gid_map;
};

// Resolves "name[:group]" / "uid[:gid]" against ROOTFS's /etc/passwd and
// /etc/group (read inside the root: symlinks cannot lead out), as docker
// does: a name that is not there is an error; a numeric uid absent from
// passwd is fine (gid 0). Supplementary groups come from /etc/group.
struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
};
Result<ResolvedUser> resolve_user(const std::string& rootfs, const std::string& user);
// docker's --group-add: each of GROUPS a name or gid in ROOTFS's /etc/group,
// else a number taken as it is (0..2^31-1, runc's range); once each, in
// order. An unknown name is docker's "Unable to find group NAME".
Result<std::vector<uint32_t>> resolve_groups(const std::string& rootfs,
                                             const std::vector<std::string>& groups);

// Makes BUNDLE_DIR (must not exist or be empty) with rootfs/ mounted and
// config.json written; the store keeps containers/ID/{upper,work,image,bundle}.
// On failure nothing is left: no mount, no directories.
Result<void> create_bundle(const Store& store, const StoredImage& image, const std::string& bundle_dir,
                           const BundleOptions& opts);
// Whether BUNDLE_DIR/rootfs is a mount (of its own device).
Result<bool> bundle_mounted(const std::string& bundle_dir);
// Mounts the overlay root of container ID (made by create_bundle) on
// BUNDLE_DIR/rootfs again, after it was unmounted (an exited container that
// starts again); nothing when it is mounted.
Result<void> remount_bundle(const Store& store, const StoredImage& image, const std::string& id,
                            const std::string& bundle_dir,
                            const std::vector<spec::IdMapping>& uid_map = {},
                            const std::vector<spec::IdMapping>& gid_map = {});
// Unmounts BUNDLE_DIR/rootfs and removes the bundle and the container's
// upper/work dirs from the store.
Result<void> remove_bundle(const Store& store, const std::string& bundle_dir);

}  // namespace husk::image
