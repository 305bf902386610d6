// Image documents as pull, load and the store read them: manifests, indexes
// (and docker's manifest lists), image configs. Whatever parses must also
// survive what husk then does with it: write it back out (save, push,
// import write to_json's output and read it again later, so it must parse
// to the same model), pick a platform from an index, and read the image
// names that `load` takes from an OCI layout's index annotations.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "image/oci.hpp"
#include "image/reference.hpp"

namespace {

using namespace husk;
using namespace husk::image;

template <typename Model, typename Parse>
void check_round_trip(const Model& m, Parse parse, const char* what) {
  std::string text = to_json(m);
  auto again = parse(text);
  FUZZ_CHECK(again.has_value(), "%s: to_json wrote what the parser refuses: %s: %s", what,
             again ? "" : again.error().what().c_str(), text.c_str());
  FUZZ_CHECK(*again == m, "%s: the model changes on a round trip through %s", what, text.c_str());
}

void check_names(const Descriptor& d) {
  for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
    auto it = d.annotations.find(key);
    if (it == d.annotations.end()) continue;
    auto ref = parse_reference(it->second);
    if (!ref) continue;
    // A normalised name is a fixed point: what husk stores must name the same image.
    auto again = parse_reference(ref->str());
    FUZZ_CHECK(again.has_value(), "reference %s normalises to %s, which does not parse", it->second.c_str(),
               ref->str().c_str());
    FUZZ_CHECK(*again == *ref, "reference %s: %s reads back differently", it->second.c_str(),
               ref->str().c_str());
    (void)ref->familiar();
  }
}

void exercise_index(const Index& index) {
  check_round_trip(index, parse_index, "index");
  for (const auto& d : index.manifests) {
    check_names(d);
    (void)is_manifest_type(d.media_type);
    (void)is_index_type(d.media_type);
  }
  for (const char* p : {"linux/amd64", "linux/arm64/v8", "linux/arm/v7", "windows/amd64"}) {
    auto found = select_platform(index, *parse_platform(p));
    if (found) FUZZ_CHECK(found->platform.has_value(), "select_platform chose an entry without a platform");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sniff_media_type(text);
  if (auto m = parse_manifest(text)) {
    check_round_trip(*m, parse_manifest, "manifest");
    for (const auto& l : m->layers) (void)is_layer_type(l.media_type);
  }
  if (auto i = parse_index(text)) exercise_index(*i);
  if (auto c = parse_image_config(text)) check_round_trip(*c, parse_image_config, "image config");
  return 0;
}
