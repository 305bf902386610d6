// Images as JSON, docker's shape (image_json.cpp).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "image/store.hpp"

namespace husk::cli {

// The bytes of the image's layers (their tars).
using image::image_size;
// The image's config as docker shows it.
nlohmann::ordered_json run_config_json(const image::RunConfig& c);
// `image inspect`'s document for IMG.
std::string image_inspect_json(const image::Store& store, const image::StoredImage& img);

}  // namespace husk::cli
