// Images as docker shows them: JSON, and the REPOSITORY and TAG columns
// (image_json.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "image/store.hpp"

namespace husk::cli {

// The bytes of the image's layers (their tars).
using image::image_size;
// The image's config as docker shows it.
nlohmann::ordered_json run_config_json(const image::RunConfig& c);
// `image inspect`'s document for IMG.
std::string image_inspect_json(const image::Store& store, const image::StoredImage& img);
// NAME as docker's REPOSITORY and TAG columns show it; an image loaded
// without a name is kept under its digest: docker's <none> <none>.
std::pair<std::string, std::string> repository_and_tag(const std::string& name);

}  // namespace husk::cli
