// husk-full: every husk command: images (pull, push, login, image ...,
// load, save, commit), export, the system ones (version, info, system df|prune), and the
// container commands. The lean husk (lean.cpp) hands it what it lacks.
#include <cstdio>

#include "cli/husk/commands.hpp"
#include "engine/launcher.hpp"
#include "image/import.hpp"
#include "image/pull.hpp"
#include "image/tar_stream.hpp"
#include "image/unpack.hpp"

namespace {

using namespace husk;

// The default image is made offline, anything else pulled, as the engine
// decided.
Result<image::StoredImage> make_or_pull(const image::Store& store, const engine::ImageFetch& what) {
  if (what.step == engine::ImageStep::make_default) return image::find_or_make_default(store, what.name);
  auto ref = HUSK_TRY(image::parse_reference(what.name));
  if (what.step == engine::ImageStep::pull_missing)
    std::fprintf(stderr, "Unable to find image '%s' locally\n", ref.familiar().c_str());
  image::PullOptions o;
  if (!what.platform.empty()) o.platform = HUSK_TRY(image::parse_platform(what.platform));
  return image::pull_image(store, ref, o);
}

}  // namespace

int main(int argc, char** argv) {
  if (husk::engine::is_record_end(argc, argv)) return husk::engine::record_end_main(argc, argv);
  husk::cli::Flavor flavor;
  flavor.add_more = [](CLI::App& app, husk::cli::Invocation& inv) {
    using namespace husk::cli;
    for (auto add : {add_image, add_images, add_rmi, add_load, add_save, add_pull, add_push, add_login,
                     add_logout, add_commit, add_export, add_version, add_info, add_system, add_events})
      add(app, inv);
  };
  flavor.fetch_image = make_or_pull;
  flavor.tar.write = husk::image::write_tree_tar;
  flavor.tar.read = [](int in, const std::string& dir) -> husk::Result<void> {
    HUSK_TRY(husk::image::unpack_layer_fd(in, dir));
    return {};
  };
  return husk::cli::husk_main(argc, argv, flavor);
}
