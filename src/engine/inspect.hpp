// `husk inspect` of a container: docker's JSON shape, read from the
// container's record (what was asked), its bundle's config.json (what the
// runtime was given) and the runtime's state (what runs), plus husk's own
// "Isolation" section that shows how a running container is made: its
// namespaces next to the host's, its cgroups with their limits and usage,
// its overlay layers, its mounts and its id maps.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "cgroups/manager.hpp"
#include "engine/engine.hpp"

namespace husk::engine {

// The whole document (one element of `inspect`'s array).
Result<nlohmann::ordered_json> inspect_container(const Engine& eng, const ContainerRecord& rec);

// docker's Config.Labels: the image's under --label's.
std::map<std::string, std::string> container_labels(const Engine& eng, const ContainerRecord& rec);
// docker's Mounts (Type, Name, Source, Destination, ...): the binds and
// volumes the container was given.
nlohmann::ordered_json container_mounts(const Engine& eng, const ContainerRecord& rec);

// The Isolation section of a container whose init is PID (running), with
// the overlay dirs of its record.
nlohmann::ordered_json isolation_section(const Engine& eng, const ContainerRecord& rec, pid_t pid);

// The cgroup of a running container (stats, top, inspect); ENOTSUP for one
// without (rootless), EINVAL when it does not run.
Result<cgroups::Manager> container_cgroup(const Engine& eng, const ContainerRecord& rec);

// One line of /proc/PID/mountinfo, the fields people read.
struct MountInfo {
  std::string target;
  std::string fstype;
  std::string source;
  std::string options;  // per-mount options, then the superblock's
};
std::vector<MountInfo> parse_mountinfo(std::string_view text);
// /proc/PID/uid_map text into its lines, spaces squeezed: "0 0 4294967295".
std::vector<std::string> parse_id_map(std::string_view text);

// The overlay layers of a container as GraphDriver shows them.
struct OverlayDirs {
  std::vector<std::string> lowers;  // top layer first, absolute
  std::string upper, work, merged;
};
OverlayDirs overlay_dirs(const Engine& eng, const ContainerRecord& rec);

}  // namespace husk::engine
