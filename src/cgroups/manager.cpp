#include "cgroups/manager.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::cgroups {

Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id) {
  if (cgroups_path.empty()) return std::string(kDefaultParent) + "/" + id;
  if (cgroups_path.find(':') != std::string::npos && cgroups_path[0] != '/')
    return fail_code(ENOTSUP, "cgroupsPath \"" + cgroups_path +
                                  "\" is a systemd unit path; the systemd cgroup driver is not supported");
  for (auto& part : split(cgroups_path, '/'))
    if (part == "..")
      return fail_code(EINVAL, "cgroupsPath \"" + cgroups_path + "\" must not contain \"..\"");
  return cgroups_path;
}

namespace {
// PATH with the mount's root taken off, only at a component boundary.
std::string strip_root(const std::string& path, const std::string& root) {
  if (root == "/" || root.empty()) return path;
  if (path == root) return "/";
  if (path.starts_with(root) && path[root.size()] == '/') return path.substr(root.size());
  return path;
}
}  // namespace

std::string Manager::dir(const Hierarchy& h) const {
  if (!path_.empty() && path_[0] == '/') {
    // Absolute: from the hierarchy's root as this mount shows it.
    return path_join(h.mount_point, strip_root(path_, h.root));
  }
  // Relative: under the runtime's own cgroup in that hierarchy.
  std::string own = "/";
  if (auto text = read_file("/proc/self/cgroup")) {
    for (auto& [ctrls, p] : parse_proc_cgroup(*text)) {
      bool match = h.cgroup2 ? ctrls.empty() : ctrls == join(h.controllers, ",");
      if (match) own = p;
    }
  }
  return path_join(path_join(h.mount_point, strip_root(own, h.root)), path_);
}

namespace {
// A new v1 cpuset cgroup starts with no cpus and no mems, and refuses tasks
// until it has some: each level inherits its parent's, top-down.
Result<void> init_cpuset_levels(const std::string& mount_point, const std::string& dir) {
  std::string parent = mount_point;
  for (auto& part : split(dir.substr(mount_point.size()), '/')) {
    if (part.empty()) continue;
    std::string cur = parent + "/" + part;
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      auto mine = read_file(cur + "/" + file);
      if (mine && !trim(*mine).empty()) continue;
      auto theirs = HUSK_TRY(read_file(parent + "/" + file));
      HUSK_TRY(write_file(cur + "/" + file, trim(theirs)));
    }
    parent = cur;
  }
  return {};
}
}  // namespace

Result<void> Manager::create() const {
  for (auto& h : layout_.hierarchies) {
    std::string d = dir(h);
    // A concurrent destroy may remove the shared default parent between our
    // mkdirs of parent and child: one retry makes both again.
    auto made = mkdir_all(d);
    if (!made && made.error().err() == ENOENT) made = mkdir_all(d);
    HUSK_TRY_CTX(std::move(made), "create cgroup " + path_);
    if (!h.cgroup2 && std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end())
      HUSK_TRY_CTX(init_cpuset_levels(h.mount_point, d), "create cgroup " + path_);
  }
  return {};
}

Result<void> Manager::add_process(int pid) const {
  std::string p = std::to_string(pid);
  for (auto& h : layout_.hierarchies)
    HUSK_TRY_CTX(write_file(dir(h) + "/cgroup.procs", p), "join cgroup " + path_);
  return {};
}

Result<std::vector<int>> Manager::pids() const {
  std::set<int> all;
  for (auto& h : layout_.hierarchies) {
    auto text = read_file(dir(h) + "/cgroup.procs");
    if (!text) {
      if (text.error().err() == ENOENT) continue;
      return fail(std::move(text).error());
    }
    for (auto& line : split(*text, '\n'))
      if (auto v = parse_i64(line)) all.insert(static_cast<int>(*v));
    // One hierarchy is enough when it holds every controller's view (v2), but
    // on v1 a process may have been moved out of some: take the union.
  }
  return std::vector<int>(all.begin(), all.end());
}

Result<void> Manager::signal_all(int signal) const {
  // Frozen tasks do not act on SIGKILL until thawed.
  if (signal == SIGKILL)
    if (auto f = frozen(); f && *f) HUSK_TRY(set_frozen(false));
  auto deadline = [] {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  };
  long start = deadline();
  while (true) {
    auto pids = HUSK_TRY(this->pids());
    if (pids.empty()) return {};
    for (int pid : pids) ::kill(pid, signal);
    if (signal != SIGKILL) return {};
    if (deadline() - start > 10000)
      return fail_code(EBUSY, "cgroup " + path_ + " still has processes after SIGKILL");
    ::usleep(1000);
  }
}

const Hierarchy* Manager::freezer() const {
  for (auto& h : layout_.hierarchies)
    if (!h.cgroup2 && std::find(h.controllers.begin(), h.controllers.end(), "freezer") != h.controllers.end())
      return &h;
  return layout_.unified();
}

Result<bool> Manager::frozen() const {
  auto* h = freezer();
  if (!h) return fail_code(ENOTSUP, "no freezer: neither a v1 freezer hierarchy nor cgroup2");
  if (!h->cgroup2) {
    auto state = HUSK_TRY(read_file(dir(*h) + "/freezer.state"));
    return trim(state) == "FROZEN";
  }
  auto events = read_file(dir(*h) + "/cgroup.events");
  if (!events) return false;  // a hybrid host's cgroup2 may predate cgroup.freeze
  return events->find("frozen 1") != std::string::npos;
}

Result<void> Manager::set_frozen(bool frozen) const {
  auto* h = freezer();
  if (!h) return fail_code(ENOTSUP, "no freezer: neither a v1 freezer hierarchy nor cgroup2");
  std::string d = dir(*h);
  if (!h->cgroup2) {
    const char* want = frozen ? "FROZEN" : "THAWED";
    // FREEZING can linger while tasks are caught; ask again until it holds.
    for (int attempt = 0; attempt < 5000; ++attempt) {
      HUSK_TRY_CTX(write_file(d + "/freezer.state", want), frozen ? "freeze" : "thaw");
      auto state = HUSK_TRY(read_file(d + "/freezer.state"));
      if (trim(state) == want) return {};
      ::usleep(1000);
    }
    return fail_code(EBUSY, std::string("cgroup ") + path_ + " did not become " + want);
  }
  HUSK_TRY_CTX(write_file(d + "/cgroup.freeze", frozen ? "1" : "0"), frozen ? "freeze" : "thaw");
  for (int attempt = 0; attempt < 5000; ++attempt) {
    if (HUSK_TRY(this->frozen()) == frozen) return {};
    ::usleep(1000);
  }
  return fail_code(EBUSY, "cgroup " + path_ + (frozen ? " did not freeze" : " did not thaw"));
}

Result<void> Manager::destroy() const {
  HUSK_TRY(signal_all(SIGKILL));
  for (auto& h : layout_.hierarchies) {
    std::string d = dir(h);
    for (int attempt = 0;; ++attempt) {
      if (::rmdir(d.c_str()) == 0 || errno == ENOENT) break;
      // A just-killed process can linger a moment as the cgroup's member.
      if (errno != EBUSY || attempt > 500) return fail_errno("remove cgroup " + d);
      ::usleep(1000);
    }
    // The default parent ("/husk") is ours too: gone with its last container.
    // Another container keeps it busy (EBUSY/ENOTEMPTY), which is fine.
    if (path_.starts_with(std::string(kDefaultParent) + "/")) {
      std::string parent = d.substr(0, d.rfind('/'));
      ::rmdir(parent.c_str());
    }
  }
  return {};
}

std::vector<linux::CgroupView> Manager::views() const {
  std::vector<linux::CgroupView> out;
  if (layout_.kind == LayoutKind::v2) {
    out.push_back({"", dir(layout_.hierarchies.front()), true});
    return out;
  }
  for (auto& h : layout_.hierarchies) {
    std::string name = h.mount_point.substr(h.mount_point.rfind('/') + 1);
    out.push_back({name, dir(h), h.cgroup2});
  }
  return out;
}

}  // namespace husk::cgroups
