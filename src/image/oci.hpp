// The OCI image-spec model (and docker's v2 schema 2, which has the same
// shape under other media types): descriptors, manifests, indexes, image
// configs. Parsed once at the edge into these structs; the raw bytes of
// every manifest and config are kept alongside, since their digests are
// computed over exactly those bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace husk::image {

namespace media {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNondistGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerForeignGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media

bool is_manifest_type(std::string_view media_type);  // OCI or docker image manifest
bool is_index_type(std::string_view media_type);     // OCI index or docker manifest list
bool is_layer_type(std::string_view media_type);     // every tar layer type above (plain, gzip, zstd)

struct Platform {
  std::string architecture;  // GOARCH names: "amd64", "arm64", "arm", "386", "ppc64le", "s390x"
  std::string os;            // "linux"
  std::string variant;       // "v7", "v8"; may be empty
  std::string os_version;
  std::vector<std::string> os_features;
  friend bool operator==(const Platform&, const Platform&) = default;
};
// This machine's platform in GOARCH terms (uname's x86_64 -> "amd64", aarch64 -> "arm64").
Platform host_platform();
// The linux platform of a uname machine name ("armv7l" -> arm/v7); an
// unknown machine is passed through as the architecture.
Platform platform_from_machine(std::string_view machine);
// "linux/amd64", "linux/arm/v7".
std::string platform_str(const Platform& p);
// Parses "os/arch[/variant]" (as --platform takes it). EINVAL otherwise.
Result<Platform> parse_platform(std::string_view text);

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // in an index
  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

struct Manifest {
  int schema_version = 2;
  std::string media_type;  // may be empty in OCI manifests (then it is OCI's)
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

struct Index {
  int schema_version = 2;
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
  friend bool operator==(const Index&, const Index&) = default;
};

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

// The image config's "config": what a container of this image runs with.
// docker's Healthcheck (HEALTHCHECK in a Dockerfile, --health-* flags): the
// test and its timing, durations in nanoseconds (0: docker's default).
struct HealthConfig {
  // [] (take the image's), ["NONE"], ["CMD", ARG...] or ["CMD-SHELL", "CMD"]
  std::vector<std::string> test;
  int64_t interval = 0, timeout = 0, start_period = 0;
  int retries = 0;
  friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

struct RunConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> env;            // "K=V"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  bool entrypoint_set = false;  // present in the JSON (an explicit [] or null differs from absent)
  bool cmd_set = false;
  std::vector<std::string> volumes;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::vector<std::string> on_build;  // docker's OnBuild: instructions for images built FROM this one
  std::optional<HealthConfig> healthcheck;
  friend bool operator==(const RunConfig&, const RunConfig&) = default;
};

struct ImageConfig {
  std::string created;
  std::string author;
  // docker's own fields (commit sets them): the commit's message and the
  // container the image was made from.
  std::string comment;
  std::string container;
  Platform platform;  // architecture, os, variant, os.version, os.features
  RunConfig config;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids, bottom layer first
  std::vector<HistoryEntry> history;
  friend bool operator==(const ImageConfig&, const ImageConfig&) = default;
};

// Parsers check what the spec requires (schemaVersion 2, digests that parse,
// sizes >= 0, a config descriptor, rootfs.type "layers") and fail with
// EINVAL naming the field. Unknown fields are ignored, unknown media types
// are left for the caller to judge.
Result<Manifest> parse_manifest(std::string_view json);
Result<Index> parse_index(std::string_view json);
Result<ImageConfig> parse_image_config(std::string_view json);
// The "mediaType" field of a manifest or index document, or "" when absent.
Result<std::string> sniff_media_type(std::string_view json);

// Canonical serialisations (compact JSON, keys in the order the spec lists
// them), used for what husk writes itself (import, save, push).
std::string to_json(const Manifest& m);
std::string to_json(const Index& i);
std::string to_json(const ImageConfig& c);
std::string to_json(const Descriptor& d);
// docker's Healthcheck object (zero fields left out), as image configs and
// `inspect`'s Config have it.
nlohmann::ordered_json health_config_json(const HealthConfig& h);

// The manifest of INDEX for PLATFORM: exact os/architecture match, then the
// variant (an empty wanted variant takes the first match; arm64 takes "v8" or
// none). ENOENT listing the platforms the index has when none matches.
Result<Descriptor> select_platform(const Index& index, const Platform& wanted);

}  // namespace husk::image
