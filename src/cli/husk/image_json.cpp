// An image as `husk image inspect` shows it (docker's shape); container
// commands use it too (`husk inspect NAME` falls back to images).
#include "cli/husk/image_json.hpp"

#include "image/store.hpp"

namespace husk::cli {

namespace {
using json = nlohmann::ordered_json;
}  // namespace

using image::Store;
using image::StoredImage;

json run_config_json(const image::RunConfig& c) {
  json j = json::object();
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.exposed_ports.empty()) {
    j["ExposedPorts"] = json::object();
    for (auto& p : c.exposed_ports) j["ExposedPorts"][p] = json::object();
  }
  j["Env"] = c.env;
  j["Entrypoint"] = c.entrypoint_set || !c.entrypoint.empty() ? json(c.entrypoint) : json(nullptr);
  j["Cmd"] = c.cmd_set || !c.cmd.empty() ? json(c.cmd) : json(nullptr);
  if (c.healthcheck) j["Healthcheck"] = image::health_config_json(*c.healthcheck);
  if (!c.volumes.empty()) {
    j["Volumes"] = json::object();
    for (auto& v : c.volumes) j["Volumes"][v] = json::object();
  }
  j["WorkingDir"] = c.working_dir;
  j["OnBuild"] = c.on_build.empty() ? json(nullptr) : json(c.on_build);
  j["Labels"] = c.labels.empty() ? json(nullptr) : json(c.labels);
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  return j;
}

// docker's `image inspect` shape, plus where the layers live (GraphDriver).
namespace {

json inspect_json(const Store& store, const StoredImage& img) {
  json tags = json::array(), digests = json::array();
  for (auto& n : img.names) {
    if (n.starts_with("sha256:")) continue;  // unnamed
    auto ref = image::parse_reference(n);
    if (ref && !ref->tag.empty() && !ref->digest) tags.push_back(ref->familiar());
    if (ref) {
      image::Reference by_digest = *ref;
      by_digest.tag.clear();
      by_digest.digest = img.manifest_digest;
      std::string d = by_digest.familiar();
      if (std::find(digests.begin(), digests.end(), d) == digests.end()) digests.push_back(d);
    }
  }
  json layers = json::array();
  for (auto& d : img.config.diff_ids) layers.push_back(d.str());
  std::string lower;
  if (auto links = store.lower_links(img))
    for (auto& l : *links) lower += (lower.empty() ? "" : ":") + store.root() + "/" + l;
  json j;
  j["Id"] = img.id().str();
  j["RepoTags"] = tags;
  j["RepoDigests"] = digests;
  j["Comment"] = img.config.comment;
  j["Created"] = img.config.created;
  j["Container"] = img.config.container;
  j["Author"] = img.config.author;
  j["Config"] = run_config_json(img.config.config);
  j["Architecture"] = img.config.platform.architecture;
  if (!img.config.platform.variant.empty()) j["Variant"] = img.config.platform.variant;
  j["Os"] = img.config.platform.os;
  j["Size"] = image_size(store, img);
  j["GraphDriver"] = {{"Name", "overlay"}, {"Data", {{"LowerDir", lower}}}};
  j["RootFS"] = {{"Type", "layers"}, {"Layers", layers}};
  j["Manifest"] = {{"Digest", img.manifest_digest.str()}, {"MediaType", img.manifest_media_type}};
  return j;
}
}  // namespace

std::string image_inspect_json(const image::Store& store, const image::StoredImage& img) {
  return inspect_json(store, img).dump();
}

std::pair<std::string, std::string> repository_and_tag(const std::string& name) {
  auto ref = name.starts_with("sha256:") ? Result<image::Reference>(fail_code(EINVAL, name))
                                         : image::parse_reference(name);
  if (!ref) return {"<none>", "<none>"};
  std::string repo = ref->familiar();
  std::string tag = ref->digest ? "<none>" : ref->tag;
  if (auto cut = repo.rfind(':');
      !ref->digest && cut != std::string::npos && repo.find('/', cut) == std::string::npos)
    repo = repo.substr(0, cut);
  if (ref->digest) repo = repo.substr(0, repo.find('@'));
  return {repo, tag};
}

}  // namespace husk::cli
