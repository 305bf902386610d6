// What `husk version`, `husk info` and `husk system df` report, and what
// `husk system prune` removes: gathered here as typed values (the host's,
// the store's, the build's), turned into docker's documents (the --format
// templates' dot) and texts by pure functions the unit tests pin.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "engine/engine.hpp"
#include "engine/ps.hpp"

namespace husk::engine {

// Written by cmake/build_info.cmake (the generated build_info.cpp).
namespace build {
extern const char* const kVersion;    // the project's version, "0.1.0"
extern const char* const kGitCommit;  // "2574249", "2574249-dirty", or "unknown"
extern const char* const kBuilt;      // Go's time.ANSIC, as docker's Built
}  // namespace build

// --- husk version

struct VersionInfo {
  std::string version, git_commit, built;
  std::string compiler;            // docker's "Go version": what compiled husk
  std::string os = "linux", arch;  // Go's names, as docker's OS/Arch: "amd64", "arm64"
  std::string oci_spec;            // the runtime-spec version husk writes
  std::string oci_spec_accepted;   // the versions the runtime takes: "1.0.0 through 1.3.x"
};
VersionInfo version_info();
// {"Client": {...}, "Engine": {...}}: docker's Client fields; the engine
// (husk itself, no daemon) with its runtime as a component.
nlohmann::ordered_json to_json(const VersionInfo& v);
// docker's layout: a "Client:" block, then "Engine:" with husk-runtime's.
std::string version_text(const VersionInfo& v);

// --- husk info

struct SystemInfo {
  int containers = 0, running = 0, paused = 0, stopped = 0;
  int images = 0;  // unique images: several names of one are one
  std::string server_version;
  std::string root_dir, run_root;
  std::string backing_filesystem;             // the store's filesystem, docker's names ("extfs", "xfs")
  int cgroup_version = 1;                     // 2 only on a unified (v2-only) host: hybrid is 1, as docker's
  std::vector<std::string> security_options;  // "name=seccomp,profile=default", "name=apparmor"
  std::string kernel_version, operating_system, os_version, architecture, hostname;
  int cpus = 0;
  uint64_t mem_total = 0;
};
Result<SystemInfo> system_info(const Engine& eng);
// docker's /info document (the fields husk has; docker's names).
nlohmann::ordered_json to_json(const SystemInfo& s);
// docker's layout, under an "Engine:" heading (husk has no server).
std::string info_text(const SystemInfo& s);

// The name docker gives the filesystem of statfs's f_type ("extfs", "xfs",
// "tmpfs", ...), "<unknown>" otherwise.
std::string filesystem_name(int64_t f_type);
// Go's GOARCH for uname's machine ("x86_64": "amd64").
std::string go_arch(const std::string& machine);

// --- husk system df

struct ImageUsage {
  image::StoredImage image;
  uint64_t size = 0;         // its layers' bytes
  uint64_t shared_size = 0;  // of those, in layers another image has too
  int containers = 0;        // containers made from it
  uint64_t unique_size() const { return size - shared_size; }
};

struct VolumeUsage {
  std::string name;
  int links = 0;  // the containers using it
  uint64_t size = 0;
};

struct DiskUsage {
  uint64_t layers_size = 0;  // every layer once, however many images share it
  std::vector<ImageUsage> images;
  std::vector<PsEntry> containers;  // newest first, size_rw set
  std::vector<VolumeUsage> volumes;
};
Result<DiskUsage> disk_usage(const Engine& eng);

// The per-image sizes of IMAGES, given each one's layers (chain ids) and
// each layer's bytes: a layer is shared when two images have it.
struct LayerRef {
  std::string chain_id;
  uint64_t size = 0;
};
struct ImageSizes {
  uint64_t size = 0, shared_size = 0;
};
std::vector<ImageSizes> image_sizes(const std::vector<std::vector<LayerRef>>& layers, uint64_t* layers_size);

// One line of df's summary, as docker computes it.
struct DfSummary {
  std::string type;  // Images, Containers, Local Volumes, Build Cache
  int total = 0, active = 0;
  uint64_t size = 0, reclaimable = 0;
};
// docker's: an image is active with a container; its reclaimable bytes
// are the layers' total less the unique bytes of active images (docker's
// sum, so shared layers of an active image still count as reclaimable). A
// container is active while it runs or is paused; the others' upper dirs
// are reclaimable. A volume with no container is reclaimable.
std::vector<DfSummary> df_summary(const DiskUsage& du);
// docker's df row: Type, TotalCount, Active, Size, Reclaimable ("1.2MB (50%)").
nlohmann::ordered_json df_row(const DfSummary& s);
// "1.2MB (50%)": the percentage of TOTAL, rounded down; just the size when
// TOTAL is 0.
std::string reclaimable_text(uint64_t reclaimable, uint64_t total);

// --- husk system prune

struct PruneReport {
  std::vector<std::string> removed;   // ids or names, as docker lists them
  std::vector<std::string> warnings;  // what could not go (a container that started meanwhile)
  uint64_t reclaimed = 0;
};
// docker's prune --filter: until=TIME (made before TIME: a Unix time, an
// RFC 3339 date or time, or a Go duration before now), label=KEY[=VALUE]
// and label!=KEY[=VALUE] (every label term must hold). Checked before
// anything is removed: another key, or a bad time, is docker's error.
class PruneFilter {
 public:
  static Result<PruneFilter> parse(const std::vector<std::string>& args, int64_t now_ns);
  // Whether what was made at CREATED (RFC 3339) with LABELS is pruned.
  bool matches(const std::string& created, const std::map<std::string, std::string>& labels) const;
  bool has_until() const { return until_.has_value(); }

 private:
  struct Label {
    std::string key;
    std::optional<std::string> value;
    bool negated = false;
  };
  std::optional<int64_t> until_;
  std::vector<Label> labels_;
};

// `container prune`: every container that neither runs nor is paused (and
// that FILTER takes).
Result<PruneReport> prune_containers(const Engine& eng, const PruneFilter& filter = {});
// `image prune`: dangling images (loaded without a name), with ALL every
// image no container was made from, then what no name or container needs.
// REMOVED: "untagged: NAME" and "deleted: ..." lines, as docker's.
Result<PruneReport> prune_images(const Engine& eng, bool all, const PruneFilter& filter = {});

struct SystemPruneOptions {
  bool all = false;      // -a: unused images, not only dangling ones
  bool volumes = false;  // --volumes
  PruneFilter filter;    // --filter (docker's: until cannot go with --volumes)
};
// docker's "WARNING! This will remove:" list for OPTS.
std::vector<std::string> system_prune_warnings(const SystemPruneOptions& opts);
// OPTS as docker's CLI checks them before it asks: until cannot go with --volumes.
Result<void> check_system_prune(const SystemPruneOptions& opts);

struct SystemPruneReport {
  PruneReport containers, networks, volumes, images;
  uint64_t reclaimed() const {
    return containers.reclaimed + networks.reclaimed + volumes.reclaimed + images.reclaimed;
  }
};
// Containers, then networks, volumes (every unused one, as docker 20.10's)
// and images: what each prune removes, in the order docker's does them.
Result<SystemPruneReport> prune_system(const Engine& eng, const SystemPruneOptions& opts);

}  // namespace husk::engine
