// A container's cgroup across every hierarchy of the host's layout: created,
// joined, emptied and removed through one interface. (Resource limits,
// freeze and stats come with the cgroups issue and live behind the same type.)
#pragma once

#include <string>
#include <vector>

#include "cgroups/layout.hpp"
#include "linux/rootfs.hpp"

namespace husk::cgroups {

// cgroupsPath -> the path used in every hierarchy. Absolute paths are taken
// from each hierarchy's root; relative ones sit under the runtime's own
// cgroup; empty means "/husk/ID". systemd's "slice:prefix:name" is refused
// until the systemd driver exists.
inline constexpr std::string_view kDefaultParent = "/husk";
Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id);

class Manager {
 public:
  Manager(Layout layout, std::string path) : layout_(std::move(layout)), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const Layout& layout() const { return layout_; }
  // The directory of this cgroup in hierarchy H, honouring relative paths.
  std::string dir(const Hierarchy& h) const;

  Result<void> create() const;
  Result<void> add_process(int pid) const;
  Result<std::vector<int>> pids() const;
  // SIGNAL to every process; with SIGKILL, waits until the cgroup is empty.
  Result<void> signal_all(int signal) const;
  // Freezes or thaws every process (v1 freezer, or v2 cgroup.freeze) and
  // waits until the kernel reports the new state.
  Result<void> set_frozen(bool frozen) const;
  Result<bool> frozen() const;
  // Kills what is left and removes the directories (not their parents).
  Result<void> destroy() const;
  std::vector<linux::CgroupView> views() const;

 private:
  // The freezer: the v1 freezer hierarchy when mounted, else cgroup2.
  const Hierarchy* freezer() const;

  Layout layout_;
  std::string path_;
};

}  // namespace husk::cgroups
