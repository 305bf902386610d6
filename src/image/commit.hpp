// Images made from a container (`husk commit`): its image's layers plus one
// layer of what the container changed (its overlay upper dir), and the
// shared last step of every image made here (commit, import): a config and
// manifest over the layers, stored and named.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "image/store.hpp"

namespace husk::image {

// What a new image says of itself besides its layers.
struct NewImage {
  RunConfig config;
  std::string created;  // RFC 3339 (empty: now)
  std::string author;
  std::string comment;    // docker's "comment", and the history line's
  std::string container;  // the container it was made from (commit)
  std::string created_by;
  std::vector<std::string> names;  // normalised references; none: untagged (<none>), kept under its digest
};

// BASE's layers (none when BASE is null) plus LAYER, stored as an image:
// BASE's platform and history, one history line more.
Result<StoredImage> add_layer_image(const Store& store, const StoredImage* base, const LayerInfo& layer,
                                    const NewImage& what);

// The upper dir UPPER of a container of BASE as a new layer on top of
// BASE's (image/tar_stream.hpp's write_upper_tar: overlayfs's whiteouts
// made OCI's), and the image of them.
Result<StoredImage> commit_upper(const Store& store, const StoredImage& base, const std::string& upper,
                                 const NewImage& what);

}  // namespace husk::image
