// Pulls and pushes: images between a registry and the store. A pull fetches
// only what the store lacks, streams each layer straight into its unpacker
// (several layers at once), verifies every digest and size, and names the
// image only once all of it is in.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.hpp"
#include "image/oci.hpp"
#include "image/reference.hpp"
#include "image/registry.hpp"
#include "image/store.hpp"

namespace husk::image {

// What a progress display is told, from any of the pull's threads.
struct LayerProgress {
  Digest digest;
  enum class Phase { waiting, exists, downloading, done, failed } phase = Phase::waiting;
  uint64_t bytes = 0;  // so far
  uint64_t total = 0;
};
using ProgressFn = std::function<void(const LayerProgress&)>;

struct PullOptions {
  RegistryOptions registry;
  Platform platform = host_platform();
  int parallel = 3;  // layers downloaded and unpacked at once
  ProgressFn progress;
};

Result<StoredImage> pull_image(const Store& store, const Reference& ref, const PullOptions& opts);

// Pushes the stored IMAGE as DEST (blobs the registry has are skipped).
Result<Digest> push_image(const Store& store, const StoredImage& image, const Reference& dest,
                          const RegistryOptions& opts, const ProgressFn& progress = {});

}  // namespace husk::image
