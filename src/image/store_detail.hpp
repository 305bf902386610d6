// What the store's files share beyond its interface: store.cpp (blobs,
// images, names, gc) and store_layers.cpp (unpacking a layer into the store,
// kept apart so code that only reads the store does not link the unpacker).
#pragma once

#include <string>

#include "image/store.hpp"

namespace husk::image::detail {

// A name nobody else will pick: for temporary entries and short links.
std::string random_name(size_t len);
// A layer's layer.json.
std::string layer_json(const LayerInfo& l);

}  // namespace husk::image::detail
