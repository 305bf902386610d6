// Images in and out of the store as files, with no registry: docker's
// archive format (`docker save` / `docker load`) and the OCI image layout
// (a directory, or a tar of one), so what husk saves skopeo and podman
// read, and the other way round.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/store.hpp"

namespace husk::image {

enum class ArchiveFormat { docker_archive, oci_archive, oci_dir };
Result<ArchiveFormat> parse_archive_format(
    const std::string& name);  // "docker-archive", "oci-archive", "oci-dir"

// Loads every image in PATH: a docker-archive or OCI layout, as a tar
// (plain or compressed) or as a directory. Returns the images loaded; their
// names come from the archive (docker's RepoTags; OCI's
// io.containerd.image.name or a full org.opencontainers.image.ref.name),
// an image with none is kept under its id. Every blob and layer is verified.
Result<std::vector<StoredImage>> load_archive(const Store& store, const std::string& path);

// Writes IMAGES (with NAMES, as the archive should list them) to PATH in FORMAT.
struct SaveItem {
  StoredImage image;
  std::vector<std::string> names;  // normalised references
};
Result<void> save_archive(const Store& store, const std::vector<SaveItem>& items, ArchiveFormat format,
                          const std::string& path);

}  // namespace husk::image
