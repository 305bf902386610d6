// Which image a container is made from: docker's --pull policy and
// --platform over what the store has. The decision is a pure function of
// what was asked and what the store holds (plan_image); the engine then
// uses the stored image, or has it made or pulled (engine.hpp's
// ImageFetcher), or refuses with docker's message.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "engine/run_flags.hpp"
#include "image/oci.hpp"
#include "image/store.hpp"

namespace husk::engine {

enum class PullPolicy { missing, always, never };
// --pull: "" is docker's default, missing.
Result<PullPolicy> parse_pull_policy(const std::string& text);

// Whether NAME is the default image, which husk makes offline (image/import.hpp).
bool is_default_image(const std::string& name);

enum class ImageStep {
  use,             // the stored image
  make_default,    // made offline: the default image, for this machine
  pull_missing,    // pulled, the store lacking it ("Unable to find image ... locally")
  pull,            // pulled though the store has it (--pull always)
  no_such_image,   // --pull never, and the store lacks it
  wrong_platform,  // --pull never, and the stored one is for another platform
};

struct ImageFacts {
  PullPolicy policy = PullPolicy::missing;
  bool stored = false;           // the store has an image of that name
  bool platform_matches = true;  // ... for the platform asked (none asked: any)
  bool is_default = false;       // the default image's name
  bool host_platform = true;     // no --platform, or this machine's
};
ImageStep plan_image(const ImageFacts& f);

// What an ImageFetcher is asked to do: make_default, pull_missing or pull.
struct ImageFetch {
  std::string name;
  std::string platform;  // --platform for the pull ("": this machine's)
  ImageStep step = ImageStep::pull_missing;
};

// Makes or pulls an image into STORE as WHAT says: the engine decides, the
// fetcher acts (the lean husk through husk-full); the engine itself only
// reads the store.
using ImageFetcher =
    std::function<Result<image::StoredImage>(const image::Store& store, const ImageFetch& what)>;

// The image F names: the stored one, or made or pulled as --pull and
// --platform say, or docker's error ("No such image", another platform).
// WARNINGS: docker's when the image is for another platform than this
// machine's and none was asked for.
Result<image::StoredImage> choose_image(const image::Store& store, const ImageFetcher& fetch,
                                        const RunFlags& f, std::vector<std::string>& warnings);

// Whether IMAGE (an image config's platform) is WANTED: the same os and
// architecture, and the variant when WANTED names one (arm64's "v8" and
// none are one CPU). An image that names no architecture matches anything.
bool platform_matches(const image::Platform& image, const image::Platform& wanted);

// Whether this machine runs P's programs: its own platform, 386 on amd64,
// or one the kernel has an emulator for (binfmt_misc's qemu-NAME entries:
// HAS_EMULATOR("aarch64")).
bool runs_here(const image::Platform& p, const image::Platform& host,
               const std::function<bool(std::string_view qemu_name)>& has_emulator);
// runs_here on this machine, or docker-style 125 error naming both platforms.
Result<void> check_runs_here(const image::Platform& p);

}  // namespace husk::engine
