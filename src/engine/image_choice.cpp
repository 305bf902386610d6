#include "engine/image_choice.hpp"

#include <array>
#include <utility>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "image/import.hpp"
#include "image/reference.hpp"

namespace husk::engine {

Result<PullPolicy> parse_pull_policy(const std::string& text) {
  if (text.empty() || text == "missing") return PullPolicy::missing;
  if (text == "always") return PullPolicy::always;
  if (text == "never") return PullPolicy::never;
  return fail_code(EINVAL,
                   "invalid pull option: '" + text + "': must be one of \"always\", \"missing\" or \"never\"",
                   ErrorKind::invalid_argument);
}

bool is_default_image(const std::string& name) {
  auto want = image::parse_reference(name);
  auto def = image::parse_reference(std::string(image::kDefaultImage));
  return want && def && want->str() == def->str();
}

ImageStep plan_image(const ImageFacts& f) {
  if (f.policy == PullPolicy::always) return ImageStep::pull;
  if (f.stored && f.platform_matches) return ImageStep::use;
  // The default image is husk's own, made here for this machine: not a
  // pull, so --pull never makes it too.
  if (!f.stored && f.is_default && f.host_platform) return ImageStep::make_default;
  if (f.policy == PullPolicy::never) return f.stored ? ImageStep::wrong_platform : ImageStep::no_such_image;
  // docker pulls the asked platform over a stored image of another one.
  return ImageStep::pull_missing;
}

bool platform_matches(const image::Platform& image, const image::Platform& wanted) {
  if (image.architecture.empty()) return true;
  if (image.os != wanted.os || image.architecture != wanted.architecture) return false;
  if (wanted.variant.empty() || image.variant == wanted.variant) return true;
  return wanted.architecture == "arm64" && wanted.variant == "v8" && image.variant.empty();
}

namespace {

// GOARCH -> the machine name qemu-user registers with binfmt_misc.
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kQemuNames = {{
    {"amd64", "x86_64"},
    {"386", "i386"},
    {"arm64", "aarch64"},
    {"arm", "arm"},
    {"ppc64le", "ppc64le"},
    {"ppc64", "ppc64"},
    {"s390x", "s390x"},
    {"riscv64", "riscv64"},
    {"mips64le", "mips64el"},
    {"mips64", "mips64"},
    {"mipsle", "mipsel"},
    {"mips", "mips"},
    {"loong64", "loongarch64"},
}};

bool binfmt_enabled(std::string_view qemu_name) {
  auto text = read_file("/proc/sys/fs/binfmt_misc/qemu-" + std::string(qemu_name));
  return text && text->starts_with("enabled");
}

}  // namespace

bool runs_here(const image::Platform& p, const image::Platform& host,
               const std::function<bool(std::string_view qemu_name)>& has_emulator) {
  if (p.os != host.os) return false;
  if (platform_matches(host, p)) return true;
  // A 64-bit x86 kernel runs 32-bit x86 programs.
  if (host.architecture == "amd64" && p.architecture == "386") return true;
  for (auto& [arch, qemu] : kQemuNames)
    if (arch == p.architecture) return has_emulator(qemu);
  return false;
}

Result<void> check_runs_here(const image::Platform& p) {
  image::Platform host = image::host_platform();
  if (runs_here(p, host, binfmt_enabled)) return {};
  return fail_code(ENOEXEC,
                   "image platform " + image::platform_str(p) + " cannot run on this machine (" +
                       image::platform_str(host) + "): no emulator for it is registered in binfmt_misc",
                   ErrorKind::invalid_argument);
}

Result<image::StoredImage> choose_image(const image::Store& store, const ImageFetcher& fetch,
                                        const RunFlags& f, std::vector<std::string>& warnings) {
  ImageFacts facts;
  facts.policy = HUSK_TRY(parse_pull_policy(f.pull));
  std::optional<image::Platform> wanted;
  if (!f.platform.empty()) {
    wanted = HUSK_TRY(image::parse_platform(f.platform));
    // Before a pull of what could not run anyway.
    HUSK_TRY(check_runs_here(*wanted));
  }
  auto mismatch = [&](const image::StoredImage& img) {
    return fail_code(ENOENT, "image with reference " + f.image +
                                 " was found but does not match the specified platform: wanted " +
                                 image::platform_str(wanted.value_or(image::Platform{})) +
                                 ", actual: " + image::platform_str(img.config.platform));
  };
  auto found = store.find_image(f.image);
  if (!found && found.error().err() != ENOENT) return found;
  facts.stored = found.has_value();
  facts.platform_matches = !found || !wanted || platform_matches(found->config.platform, *wanted);
  facts.is_default = is_default_image(f.image);
  facts.host_platform = !wanted || platform_matches(image::host_platform(), *wanted);
  ImageStep step = plan_image(facts);
  switch (step) {
    case ImageStep::use:
      break;
    case ImageStep::no_such_image: {
      auto ref = image::parse_reference(f.image);
      return fail_code(ENOENT, "No such image: " + (ref ? ref->familiar() : f.image));
    }
    case ImageStep::wrong_platform:
      return mismatch(*found);
    case ImageStep::make_default:
    case ImageStep::pull_missing:
    case ImageStep::pull:
      if (!fetch) return fail_code(ENOTSUP, "no image puller: " + f.image + " cannot be made or pulled");
      found = fetch(store, ImageFetch{f.image, f.platform, step});
      break;
  }
  auto img = HUSK_TRY(std::move(found));
  // A pulled single-platform image is what the registry had.
  if (wanted && !platform_matches(img.config.platform, *wanted)) return mismatch(img);
  image::Platform host = image::host_platform();
  if (!wanted && !platform_matches(img.config.platform, host))
    warnings.push_back("The requested image's platform (" + image::platform_str(img.config.platform) +
                       ") does not match the detected host platform (" + image::platform_str(host) +
                       ") and no specific platform was requested");
  return img;
}

}  // namespace husk::engine
