// OCI image-spec documents (and docker's schema 2 twins) into the model and
// back. Every refusal names the field it is about
// ("manifest: layers[1].size: must not be negative").
#include "image/oci.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "base/strings.hpp"
#include "spec/json_fields.hpp"

namespace husk::image {
namespace {

using ojson = nlohmann::ordered_json;
using namespace spec::json_fields;

// Entrypoint and Cmd: docker's strslice also takes a lone string for a
// one-element list, and old docker images have them.
Result<std::vector<std::string>> get_command(const json& j, const char* key, const std::string& where) {
  if (const json* v = get_object(j, key); v && v->is_string())
    return std::vector<std::string>{v->get<std::string>()};
  return get_strings(j, key, where);
}

// ExposedPorts {"80/tcp": {}} and Volumes {"/data": {}}: sets kept as the
// keys of an object. nlohmann's objects iterate sorted, so the keys come out sorted.
Result<std::vector<std::string>> get_key_set(const json& j, const char* key, const std::string& where) {
  std::vector<std::string> out;
  const json* v = get_object(j, key);
  if (!v) return out;
  if (!v->is_object()) return fail(field_error(where + key, "must be an object"));
  for (auto& [k, unused] : v->items()) out.push_back(k);
  return out;
}

Result<Digest> get_digest(const json& j, const char* key, const std::string& where) {
  auto text = HUSK_TRY(get_string(j, key, where, true));
  return with_context(parse_digest(text), where + key);
}

Result<int64_t> get_size(const json& j, const char* key, const std::string& where) {
  auto size = HUSK_TRY(get_int<int64_t>(j, key, where));
  if (!size) return fail(field_error(where + key, "is required"));
  if (*size < 0) return fail(field_error(where + key, "must not be negative"));
  return *size;
}

Result<void> check_schema_version(const json& j) {
  const json* v = get_object(j, "schemaVersion");
  if (!v) return fail(field_error("schemaVersion", "is required"));
  if (!v->is_number_integer() || v->get<int64_t>() != 2)
    return fail(field_error("schemaVersion", "must be 2, not " + v->dump()));
  return {};
}

// The platform fields: of a descriptor's "platform", or the top level of an image config.
Result<Platform> platform_from_json(const json& j, const std::string& where) {
  Platform p;
  p.architecture = HUSK_TRY(get_string(j, "architecture", where));
  p.os = HUSK_TRY(get_string(j, "os", where));
  p.variant = HUSK_TRY(get_string(j, "variant", where));
  p.os_version = HUSK_TRY(get_string(j, "os.version", where));
  p.os_features = HUSK_TRY(get_strings(j, "os.features", where));
  return p;
}

Result<Descriptor> descriptor_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return fail(field_error(where, "must be an object"));
  const std::string w = where + ".";
  Descriptor d;
  d.media_type = HUSK_TRY(get_string(j, "mediaType", w, true));
  d.digest = HUSK_TRY(get_digest(j, "digest", w));
  d.size = HUSK_TRY(get_size(j, "size", w));
  d.urls = HUSK_TRY(get_strings(j, "urls", w));
  d.annotations = HUSK_TRY(get_string_map(j, "annotations", w));
  if (const json* p = get_object(j, "platform")) {
    if (!p->is_object()) return fail(field_error(w + "platform", "must be an object"));
    d.platform = HUSK_TRY(platform_from_json(*p, w + "platform."));
  }
  return d;
}

Result<std::vector<Descriptor>> descriptors_from_json(const json& j, const char* key) {
  std::vector<Descriptor> out;
  const json* list = get_object(j, key);
  if (!list) return out;
  if (!list->is_array()) return fail(field_error(key, "must be an array"));
  for (size_t i = 0; i < list->size(); ++i)
    out.push_back(
        HUSK_TRY(descriptor_from_json((*list)[i], std::string(key) + "[" + std::to_string(i) + "]")));
  return out;
}

Result<Manifest> manifest_from_json(const json& j) {
  Manifest m;
  HUSK_TRY(check_schema_version(j));
  m.media_type = HUSK_TRY(get_string(j, "mediaType", ""));
  const json* config = get_object(j, "config");
  if (!config) return fail(field_error("config", "is required (the descriptor of the image config)"));
  m.config = HUSK_TRY(descriptor_from_json(*config, "config"));
  m.layers = HUSK_TRY(descriptors_from_json(j, "layers"));
  m.annotations = HUSK_TRY(get_string_map(j, "annotations", ""));
  return m;
}

Result<Index> index_from_json(const json& j) {
  Index i;
  HUSK_TRY(check_schema_version(j));
  i.media_type = HUSK_TRY(get_string(j, "mediaType", ""));
  i.manifests = HUSK_TRY(descriptors_from_json(j, "manifests"));
  i.annotations = HUSK_TRY(get_string_map(j, "annotations", ""));
  return i;
}

Result<RunConfig> run_config_from_json(const json& j) {
  if (!j.is_object()) return fail(field_error("config", "must be an object"));
  const std::string w = "config.";
  RunConfig c;
  c.user = HUSK_TRY(get_string(j, "User", w));
  c.exposed_ports = HUSK_TRY(get_key_set(j, "ExposedPorts", w));
  c.env = HUSK_TRY(get_strings(j, "Env", w));
  c.entrypoint = HUSK_TRY(get_command(j, "Entrypoint", w));
  c.entrypoint_set = j.contains("Entrypoint");
  c.cmd = HUSK_TRY(get_command(j, "Cmd", w));
  c.cmd_set = j.contains("Cmd");
  c.volumes = HUSK_TRY(get_key_set(j, "Volumes", w));
  c.working_dir = HUSK_TRY(get_string(j, "WorkingDir", w));
  c.labels = HUSK_TRY(get_string_map(j, "Labels", w));
  c.stop_signal = HUSK_TRY(get_string(j, "StopSignal", w));
  c.on_build = HUSK_TRY(get_strings(j, "OnBuild", w));
  if (const json* h = get_object(j, "Healthcheck"); h && !h->is_null()) {
    if (!h->is_object()) return fail(field_error(w + "Healthcheck", "must be an object"));
    const std::string hw = w + "Healthcheck.";
    HealthConfig hc;
    hc.test = HUSK_TRY(get_strings(*h, "Test", hw));
    hc.interval = HUSK_TRY(get_int<int64_t>(*h, "Interval", hw)).value_or(0);
    hc.timeout = HUSK_TRY(get_int<int64_t>(*h, "Timeout", hw)).value_or(0);
    hc.start_period = HUSK_TRY(get_int<int64_t>(*h, "StartPeriod", hw)).value_or(0);
    hc.retries = static_cast<int>(HUSK_TRY(get_int<int64_t>(*h, "Retries", hw)).value_or(0));
    c.healthcheck = std::move(hc);
  }
  return c;
}

Result<HistoryEntry> history_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return fail(field_error(where, "must be an object"));
  const std::string w = where + ".";
  HistoryEntry h;
  h.created = HUSK_TRY(get_string(j, "created", w));
  h.created_by = HUSK_TRY(get_string(j, "created_by", w));
  h.author = HUSK_TRY(get_string(j, "author", w));
  h.comment = HUSK_TRY(get_string(j, "comment", w));
  h.empty_layer = HUSK_TRY(get_bool(j, "empty_layer", w));
  return h;
}

Result<ImageConfig> image_config_from_json(const json& j) {
  ImageConfig c;
  c.created = HUSK_TRY(get_string(j, "created", ""));
  c.author = HUSK_TRY(get_string(j, "author", ""));
  c.comment = HUSK_TRY(get_string(j, "comment", ""));
  c.container = HUSK_TRY(get_string(j, "container", ""));
  c.platform = HUSK_TRY(platform_from_json(j, ""));
  if (const json* config = get_object(j, "config")) c.config = HUSK_TRY(run_config_from_json(*config));

  const json* rootfs = get_object(j, "rootfs");
  if (!rootfs) return fail(field_error("rootfs", "is required"));
  if (!rootfs->is_object()) return fail(field_error("rootfs", "must be an object"));
  auto type = HUSK_TRY(get_string(*rootfs, "type", "rootfs.", true));
  if (type != "layers") return fail(field_error("rootfs.type", "must be \"layers\", not \"" + type + "\""));
  auto diff_ids = HUSK_TRY(get_strings(*rootfs, "diff_ids", "rootfs."));
  for (size_t i = 0; i < diff_ids.size(); ++i)
    c.diff_ids.push_back(
        HUSK_TRY_CTX(parse_digest(diff_ids[i]), "rootfs.diff_ids[" + std::to_string(i) + "]"));

  if (const json* history = get_object(j, "history")) {
    if (!history->is_array()) return fail(field_error("history", "must be an array"));
    for (size_t i = 0; i < history->size(); ++i)
      c.history.push_back(HUSK_TRY(history_from_json((*history)[i], "history[" + std::to_string(i) + "]")));
  }
  return c;
}

// nlohmann's messages open with "[json.exception.parse_error.101] ".
std::string json_error_text(const json::exception& e) {
  std::string_view text = e.what();
  if (auto end = text.find("] "); text.starts_with("[json.exception.") && end != std::string_view::npos)
    text.remove_prefix(end + 2);
  return std::string(text);
}

// The edge: nlohmann throws, husk returns errors. WHAT names the document in
// every message ("image config: rootfs.type: ...").
template <typename FromJson>
std::invoke_result_t<FromJson, const json&> parse_document(std::string_view text, const char* what,
                                                           FromJson from_json) {
  try {
    json j = json::parse(text.begin(), text.end());
    if (!j.is_object()) return fail_code(EINVAL, std::string(what) + ": must be a JSON object");
    return with_context(from_json(j), what);
  } catch (const json::exception& e) {
    return fail_code(EINVAL, std::string(what) + ": " + json_error_text(e));
  }
}

// Compact, and never throwing: a string that is not UTF-8 (which no parsed
// document holds) is written with U+FFFD rather than aborting.
std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }

ojson platform_json(const Platform& p) {
  ojson j = ojson::object();
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

ojson descriptor_json(const Descriptor& d) {
  ojson j = ojson::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest.str();
  j["size"] = d.size;
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) j["platform"] = platform_json(*d.platform);
  return j;
}

ojson descriptors_json(const std::vector<Descriptor>& list) {
  ojson j = ojson::array();
  for (auto& d : list) j.push_back(descriptor_json(d));
  return j;
}

ojson key_set_json(std::vector<std::string> keys) {
  std::ranges::sort(keys);
  ojson j = ojson::object();
  for (auto& k : keys) j[k] = ojson::object();
  return j;
}

}  // namespace

ojson health_config_json(const HealthConfig& h) {
  ojson j = ojson::object();
  if (!h.test.empty()) j["Test"] = h.test;
  if (h.interval) j["Interval"] = h.interval;
  if (h.timeout) j["Timeout"] = h.timeout;
  if (h.start_period) j["StartPeriod"] = h.start_period;
  if (h.retries) j["Retries"] = h.retries;
  return j;
}

namespace {

ojson run_config_json(const RunConfig& c) {
  ojson j = ojson::object();
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.exposed_ports.empty()) j["ExposedPorts"] = key_set_json(c.exposed_ports);
  if (!c.env.empty()) j["Env"] = c.env;
  // An explicit empty Entrypoint or Cmd overrides the base image's: keep it.
  if (c.entrypoint_set || !c.entrypoint.empty()) j["Entrypoint"] = c.entrypoint;
  if (c.cmd_set || !c.cmd.empty()) j["Cmd"] = c.cmd;
  if (!c.volumes.empty()) j["Volumes"] = key_set_json(c.volumes);
  if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) j["Labels"] = c.labels;
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  if (!c.on_build.empty()) j["OnBuild"] = c.on_build;
  if (c.healthcheck) j["Healthcheck"] = health_config_json(*c.healthcheck);
  return j;
}

ojson history_json(const HistoryEntry& h) {
  ojson j = ojson::object();
  if (!h.created.empty()) j["created"] = h.created;
  if (!h.created_by.empty()) j["created_by"] = h.created_by;
  if (!h.author.empty()) j["author"] = h.author;
  if (!h.comment.empty()) j["comment"] = h.comment;
  if (h.empty_layer) j["empty_layer"] = true;
  return j;
}

bool valid_platform_part(std::string_view s) {
  return !s.empty() && std::ranges::all_of(s, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

bool is_manifest_type(std::string_view media_type) {
  return media_type == media::kOciManifest || media_type == media::kDockerManifest;
}

bool is_index_type(std::string_view media_type) {
  return media_type == media::kOciIndex || media_type == media::kDockerManifestList;
}

bool is_layer_type(std::string_view media_type) {
  // The non-distributable plain and zstd siblings are deprecated but still
  // in the spec; an image that has them is unpacked all the same.
  static constexpr std::string_view kLayerTypes[] = {
      media::kOciLayer,
      media::kOciLayerGzip,
      media::kOciLayerZstd,
      media::kOciLayerNondistGzip,
      "application/vnd.oci.image.layer.nondistributable.v1.tar",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
      media::kDockerLayerGzip,
      media::kDockerLayerForeignGzip,
  };
  return std::ranges::find(kLayerTypes, media_type) != std::end(kLayerTypes);
}

Platform platform_from_machine(std::string_view machine) {
  Platform p;
  p.os = "linux";
  p.architecture = machine;
  if (machine == "x86_64" || machine == "amd64") {
    p.architecture = "amd64";
  } else if (machine == "aarch64" || machine == "arm64") {
    p.architecture = "arm64";
  } else if (machine.size() == 4 && machine[0] == 'i' && machine.substr(2) == "86") {
    p.architecture = "386";  // i386 .. i686
  } else if (machine == "armv7l" || machine == "armv8l") {
    // armv8l is a 32-bit personality on an ARMv8 CPU: 32-bit arm images
    // for it are published as arm/v7.
    p.architecture = "arm";
    p.variant = "v7";
  } else if (machine == "armv6l") {
    p.architecture = "arm";
    p.variant = "v6";
  } else if (machine.starts_with("armv5")) {
    p.architecture = "arm";
    p.variant = "v5";
  } else if (machine == "loongarch64") {
    p.architecture = "loong64";
  }
  return p;
}

Platform host_platform() {
  struct utsname u {};
  if (::uname(&u) != 0) return platform_from_machine("");
  return platform_from_machine(u.machine);
}

std::string platform_str(const Platform& p) {
  std::string out = p.os + "/" + p.architecture;
  if (!p.variant.empty()) out += "/" + p.variant;
  return out;
}

Result<Platform> parse_platform(std::string_view text) {
  // As docker: "Linux/AMD64" is linux/amd64.
  std::string lower(text);
  std::ranges::transform(lower, lower.begin(),
                         [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  auto parts = split(lower, '/');
  if (parts.size() < 2 || parts.size() > 3 || !std::ranges::all_of(parts, valid_platform_part))
    return fail_code(EINVAL, "invalid platform \"" + std::string(text) +
                                 "\": want os/arch[/variant], like linux/amd64 or linux/arm/v7");
  Platform p;
  p.os = parts[0];
  p.architecture = parts[1];
  // The kernel's names for the architectures mean the same (--platform linux/x86_64).
  if (p.architecture == "x86_64" || p.architecture == "x86-64") p.architecture = "amd64";
  if (p.architecture == "aarch64") p.architecture = "arm64";
  if (p.architecture == "i386" || p.architecture == "i686") p.architecture = "386";
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

Result<Manifest> parse_manifest(std::string_view json) {
  return parse_document(json, "manifest", manifest_from_json);
}

Result<Index> parse_index(std::string_view json) { return parse_document(json, "index", index_from_json); }

Result<ImageConfig> parse_image_config(std::string_view json) {
  return parse_document(json, "image config", image_config_from_json);
}

Result<std::string> sniff_media_type(std::string_view json) {
  return parse_document(json, "manifest",
                        [](const nlohmann::json& j) { return get_string(j, "mediaType", ""); });
}

std::string to_json(const Descriptor& d) { return dump(descriptor_json(d)); }

std::string to_json(const Manifest& m) {
  ojson j = ojson::object();
  j["schemaVersion"] = m.schema_version;
  if (!m.media_type.empty()) j["mediaType"] = m.media_type;
  j["config"] = descriptor_json(m.config);
  j["layers"] = descriptors_json(m.layers);
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  return dump(j);
}

std::string to_json(const Index& i) {
  ojson j = ojson::object();
  j["schemaVersion"] = i.schema_version;
  if (!i.media_type.empty()) j["mediaType"] = i.media_type;
  j["manifests"] = descriptors_json(i.manifests);
  if (!i.annotations.empty()) j["annotations"] = i.annotations;
  return dump(j);
}

std::string to_json(const ImageConfig& c) {
  ojson j = ojson::object();
  if (!c.created.empty()) j["created"] = c.created;
  if (!c.author.empty()) j["author"] = c.author;
  if (!c.comment.empty()) j["comment"] = c.comment;
  if (!c.container.empty()) j["container"] = c.container;
  j["architecture"] = c.platform.architecture;
  j["os"] = c.platform.os;
  if (!c.platform.variant.empty()) j["variant"] = c.platform.variant;
  if (!c.platform.os_version.empty()) j["os.version"] = c.platform.os_version;
  if (!c.platform.os_features.empty()) j["os.features"] = c.platform.os_features;
  if (ojson config = run_config_json(c.config); !config.empty()) j["config"] = std::move(config);
  ojson diff_ids = ojson::array();
  for (auto& d : c.diff_ids) diff_ids.push_back(d.str());
  j["rootfs"] = ojson::object();
  j["rootfs"]["type"] = "layers";
  j["rootfs"]["diff_ids"] = std::move(diff_ids);
  if (!c.history.empty()) {
    ojson history = ojson::array();
    for (auto& h : c.history) history.push_back(history_json(h));
    j["history"] = std::move(history);
  }
  return dump(j);
}

Result<Descriptor> select_platform(const Index& index, const Platform& wanted) {
  // arm64 images are published both as arm64/v8 and as plain arm64: for
  // arm64 the two mean the same CPU.
  const bool arm64_v8 = wanted.architecture == "arm64" && wanted.variant == "v8";
  const Descriptor* unversioned_arm64 = nullptr;
  for (auto& d : index.manifests) {
    if (!d.platform || d.platform->os != wanted.os || d.platform->architecture != wanted.architecture)
      continue;
    if (wanted.variant.empty() || d.platform->variant == wanted.variant) return d;
    if (arm64_v8 && d.platform->variant.empty() && !unversioned_arm64) unversioned_arm64 = &d;
  }
  if (unversioned_arm64) return *unversioned_arm64;

  std::vector<std::string> have;
  for (auto& d : index.manifests) {
    // buildkit's attestations sit in the index as unknown/unknown: no image to offer.
    if (!d.platform || d.platform->os == "unknown" || d.platform->architecture == "unknown") continue;
    auto p = platform_str(*d.platform);
    if (std::ranges::find(have, p) == have.end()) have.push_back(std::move(p));
  }
  return fail_code(ENOENT,
                   "no image for " + platform_str(wanted) + " in the index" +
                       (have.empty() ? " (it names no platforms)" : " (it has " + join(have, ", ") + ")"));
}

}  // namespace husk::image
