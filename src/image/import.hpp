// Images made on this machine: `husk image import` of a rootfs tarball (what
// the seeds made with `docker export`), and the default image, busybox, made
// from Debian's busybox-static so a fresh machine runs containers offline.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/store.hpp"

namespace husk::image {

// The default image's name, and where its one binary comes from.
inline constexpr std::string_view kDefaultImage = "busybox";
inline constexpr std::string_view kBusyboxBinary = "/bin/busybox";

struct ImportOptions {
  std::vector<std::string> names;  // normalised references
  RunConfig config;                // cmd, env, ... (docker import --change)
  std::string created_by;          // the history line
  std::string created;             // RFC 3339 (empty: now)
};

// A rootfs tarball (plain, gzip, zstd, xz, bzip2) as a one-layer image. The
// file is read once: stored as the layer blob as it is, and unpacked.
// TARBALL "-": our stdin (docker import -).
Result<StoredImage> import_rootfs(const Store& store, const std::string& tarball, const ImportOptions& opts);

// The image NAME_OR_ID names; when that is the default image and it is not
// in the store yet, it is made first (from kBusyboxBinary).
Result<StoredImage> find_or_make_default(const Store& store, const std::string& name_or_id);

}  // namespace husk::image
