// A container's cgroup across every hierarchy of the host's layout: created,
// limited, joined, frozen, measured, emptied and removed through one
// interface, whatever the layout (v1, hybrid, v2).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "cgroups/layout.hpp"
#include "cgroups/resources.hpp"
#include "cgroups/stats.hpp"
#include "linux/rootfs.hpp"

namespace husk::cgroups {

// cgroupsPath -> the absolute path used in every hierarchy. Absolute paths
// are taken from each hierarchy's root; relative ones are placed under the
// runtime's own cgroup (SELF_CGROUP: /proc/self/cgroup's text; on v2 its
// parent, as runc); empty means "/husk/ID". systemd's "slice:prefix:name" is
// refused until the systemd driver exists. The "/husk" parent stays once
// made, as docker's "/docker" does: making and removing it with each
// container would double the cgroup work of every `run`.
inline constexpr std::string_view kDefaultParent = "/husk";
Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id,
                                         const Layout& layout, std::string_view self_cgroup);

class Manager {
 public:
  Manager(Layout layout, std::string path) : layout_(std::move(layout)), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const Layout& layout() const { return layout_; }
  // The directory of this cgroup in hierarchy H.
  std::string dir(const Hierarchy& h) const;

  // Which hierarchies create and add_process work on: the v1 ones can be
  // joined by the process itself (cheaply, see container_init), the cgroup2
  // one at clone.
  enum class Hierarchies { all, v1, unified };
  // Makes the directories; on cgroup v2 every parent lets its children use
  // the controllers it has (cgroup.subtree_control), as the seeds do by hand.
  Result<void> create(Hierarchies which = Hierarchies::all) const;
  bool has_v1() const { return layout_.kind != LayoutKind::v2; }
  bool has_unified() const { return layout_.unified() != nullptr; }
  // Where each controller lives on this host (reads the v2 root's list).
  Result<Controllers> controllers() const;
  // Writes a plan's files (see resources.hpp) and installs its device
  // filter. Writes the kernel orders against each other (memory before
  // memsw when growing, after when shrinking) are retried until they settle.
  Result<void> apply(const Plan& plan) const;
  // For `update`'s checkBeforeUpdate: bytes in use now.
  Result<uint64_t> memory_usage() const;
  Result<Stats> stats() const;
  // How many processes the OOM killer has killed in this cgroup so far.
  Result<uint64_t> oom_kills() const;
  Result<void> add_process(int pid, Hierarchies which = Hierarchies::all) const;
  // The v1 directories, for a process to join itself: writing "0" (this
  // thread) to a v1 `tasks` file skips the global threadgroup lock whose RCU
  // wait makes a cgroup.procs write by the runtime cost ~10 ms. The process
  // must be single-threaded and still see the host's /sys/fs/cgroup.
  std::vector<std::string> v1_dirs() const;
  static Result<void> join_v1_self(const std::vector<std::string>& v1_dirs);
  // The same in two steps: the `tasks` files opened while the host's
  // /sys/fs/cgroup is in view, written later (after pivot_root, say).
  struct V1Task {
    std::string dir;
    UniqueFd fd;
  };
  static Result<std::vector<V1Task>> open_v1_self(const std::vector<std::string>& v1_dirs);
  static Result<void> join_v1_self(const std::vector<V1Task>& tasks);
  // The cgroup2 directory, for clone3's CLONE_INTO_CGROUP; empty without one.
  Result<UniqueFd> open_unified() const;
  // runc's `exec --cgroup [CONTROLLER[,CONTROLLER]:]PATH`: where an exec'd
  // process goes instead of this cgroup. SUBS maps a controller to a path
  // under this cgroup, "" to the one for every hierarchy not named (and for
  // cgroup2). Each directory must exist and stay under this cgroup.
  struct SubDirs {
    std::vector<std::string> v1;  // as v1_dirs(), each its sub-cgroup where one is asked
    std::string unified;          // the cgroup2 one ("": none)
  };
  Result<SubDirs> sub_dirs(const std::map<std::string, std::string>& subs) const;
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
  // The v1 hierarchy holding CONTROLLER, if any.
  const Hierarchy* v1_hierarchy(const std::string& controller) const;
  Result<void> enable_v2_controllers(const std::set<std::string>& wanted) const;
  // v1: a process of ours that was moved into another freezer cgroup may be
  // frozen there, where SIGKILL cannot end it. Moved back into our (thawed)
  // freezer cgroup it thaws, without thawing that cgroup's other tasks.
  void reclaim_from_other_freezers(const std::vector<int>& pids) const;
  // A v1 cgroup's realtime budget comes out of its parent's, and a new
  // cgroup has none: the ancestors (not the root) that lack what the
  // plan's cpu.rt_runtime_us needs are given it, top-down.
  Result<void> grant_rt_budget(const Plan& plan) const;
  struct OpenFile {
    std::string path;
    UniqueFd fd;
  };
  // LAST: the file the previous write went to, kept open for the next.
  Result<void> write(const Write& w, OpenFile& last) const;

  Layout layout_;
  std::string path_;
};

}  // namespace husk::cgroups
