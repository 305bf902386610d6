#include "cgroups/manager.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "cgroups/device_filter.hpp"

namespace husk::cgroups {

Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id,
                                         const Layout& layout, std::string_view self_cgroup) {
  if (cgroups_path.empty()) return std::string(kDefaultParent) + "/" + id;
  if (cgroups_path.find(':') != std::string::npos && cgroups_path[0] != '/')
    return fail_code(ENOTSUP, "cgroupsPath \"" + cgroups_path +
                                  "\" is a systemd unit path; the systemd cgroup driver is not supported");
  for (auto& part : split(cgroups_path, '/'))
    if (part == "..")
      return fail_code(EINVAL, "cgroupsPath \"" + cgroups_path + "\" must not contain \"..\"");
  if (cgroups_path[0] == '/') return cgroups_path;
  // Relative: under the runtime's own cgroup, made absolute now so that
  // later commands, run from anywhere, find the same place. On v2 it is the
  // parent of our own (which has us in it, so it could not hand controllers
  // down to a child), as runc does; on v1 the first hierarchy's says where.
  std::string own = "/";
  if (!layout.hierarchies.empty()) {
    const Hierarchy& h = layout.kind == LayoutKind::v2 ? *layout.unified() : layout.hierarchies.front();
    for (auto& [ctrls, p] : parse_proc_cgroup(self_cgroup))
      if (h.cgroup2 ? ctrls.empty() : ctrls == join(h.controllers, ",")) own = p;
    if (layout.kind == LayoutKind::v2) own = own.substr(0, std::max<size_t>(own.rfind('/'), 1));
  }
  return clean_path(own + "/" + cgroups_path);
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
  // From the hierarchy's root as this mount shows it.
  return path_join(h.mount_point, strip_root(path_, h.root));
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

Result<void> Manager::create(Hierarchies which) const {
  for (auto& h : layout_.hierarchies) {
    if ((which == Hierarchies::v1 && h.cgroup2) || (which == Hierarchies::unified && !h.cgroup2)) continue;
    std::string d = dir(h);
    HUSK_TRY_CTX(mkdir_all(d), "create cgroup " + path_);
    if (!h.cgroup2 && std::find(h.controllers.begin(), h.controllers.end(), "cpuset") != h.controllers.end())
      HUSK_TRY_CTX(init_cpuset_levels(h.mount_point, d), "create cgroup " + path_);
  }
  // On pure v2 the container gets every controller the host has (as runc);
  // a hybrid host's v2 hierarchy only gets what a resource needs (apply).
  if (layout_.kind == LayoutKind::v2 && which != Hierarchies::v1) {
    auto c = HUSK_TRY(controllers());
    HUSK_TRY_CTX(enable_v2_controllers(c.v2), "create cgroup " + path_);
  }
  return {};
}

Result<Controllers> Manager::controllers() const {
  Controllers c;
  for (auto& h : layout_.hierarchies) {
    if (h.cgroup2) {
      c.has_unified = true;
      auto text = HUSK_TRY(read_file(h.mount_point + "/cgroup.controllers"));
      for (auto& name : split(trim(text), ' '))
        if (!name.empty()) c.v2.insert(name);
    } else {
      for (auto& name : h.controllers) c.v1.insert(name);
    }
  }
  // cpu and cpuacct may be one v1 hierarchy ("cpu,cpuacct") or two; the
  // entries above are single names either way.
  return c;
}

const Hierarchy* Manager::v1_hierarchy(const std::string& controller) const {
  for (auto& h : layout_.hierarchies)
    if (!h.cgroup2 &&
        std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end())
      return &h;
  return nullptr;
}

Result<void> Manager::enable_v2_controllers(const std::set<std::string>& wanted) const {
  const Hierarchy* h = layout_.unified();
  if (!h || wanted.empty()) return {};
  std::string leaf = dir(*h);
  // Already usable in our cgroup: nothing to do (the common case on update).
  if (auto have = read_file(leaf + "/cgroup.controllers")) {
    auto list = split(trim(*have), ' ');
    std::set<std::string> present(list.begin(), list.end());
    if (std::includes(present.begin(), present.end(), wanted.begin(), wanted.end())) return {};
  }
  // Each level from the hierarchy's root down to our parent hands the
  // controllers on to its children.
  std::string level = h->mount_point;
  for (auto& part : split(leaf.substr(h->mount_point.size()), '/')) {
    if (part.empty()) continue;
    auto enabled = HUSK_TRY(read_file(level + "/cgroup.subtree_control"));
    auto list = split(trim(enabled), ' ');
    std::set<std::string> on(list.begin(), list.end());
    for (auto& c : wanted) {
      if (on.contains(c)) continue;
      auto r = write_file(level + "/cgroup.subtree_control", "+" + c);
      if (!r)
        return fail(Error(r.error().err(),
                          "enable the " + c + " controller in " + level + "/cgroup.subtree_control"));
    }
    level += "/" + part;
  }
  return {};
}

Result<void> Manager::write(const Write& w, OpenFile& last) const {
  std::string d;
  if (w.v2) {
    d = dir(*layout_.unified());
  } else {
    const Hierarchy* h = v1_hierarchy(w.controller);
    if (!h) return fail_code(ENOTSUP, "no " + w.controller + " cgroup hierarchy");
    d = dir(*h);
  }
  // A cgroup file takes each write(2) as one value, so a run of writes to
  // one file (the device rules) shares one open.
  auto put = [&](const std::string& file, std::string_view value) -> Result<void> {
    std::string path = d + "/" + file;
    if (!last.fd || last.path != path) {
      last.fd = HUSK_TRY(open_fd(path, O_WRONLY | O_TRUNC));
      last.path = std::move(path);
    }
    ssize_t n;
    do {
      n = ::write(last.fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      int err = errno;
      last.fd.reset();
      return fail(Error(err, "write " + last.path));
    }
    return {};
  };
  auto r = put(w.file, w.value);
  if (!r && r.error().err() == ENOENT && !w.alt_file.empty()) r = put(w.alt_file, w.alt_value);
  if (!r && r.error().err() == ENOENT && w.optional) return {};
  if (!r) {
    int err = r.error().err();
    std::string files = w.alt_file.empty() ? w.file : w.file + " nor " + w.alt_file;
    if (err == ENOENT)
      return fail_code(ENOTSUP, "cgroup " + path_ + ": this kernel has no " + files + " (" + w.controller +
                                    " controller), so \"" + w.value + "\" cannot be set");
    return fail(Error(err, "cgroup " + path_ + ": write \"" + w.value + "\" to " + w.file));
  }
  return {};
}

namespace {
struct RtBudget {
  int64_t period = 0, runtime = 0;
};

Result<RtBudget> read_rt_budget(const std::string& dir) {
  RtBudget b;
  for (auto [file, out] : {std::pair{"/cpu.rt_period_us", &b.period}, {"/cpu.rt_runtime_us", &b.runtime}}) {
    auto text = HUSK_TRY(read_file(dir + file));
    auto v = parse_i64(trim(text));
    if (!v) return fail_code(EINVAL, dir + file + ": not a number: \"" + trim(text) + "\"");
    *out = *v;
  }
  return b;
}

// RUNTIME of every PERIOD as microseconds of PER, rounded up: what a parent
// with period PER must hold for it. The kernel compares shares of the
// period rounded down, so a parent holding the rounded-up sum of its
// children's always passes.
int64_t rt_share(int64_t runtime, int64_t period, int64_t per) {
  if (runtime <= 0 || period <= 0) return 0;
  return static_cast<int64_t>((static_cast<__int128>(runtime) * per + period - 1) / period);
}

// What DIR's children other than SKIP hold of its budget (period PER).
int64_t rt_runtime_of_children(const std::string& dir, const std::string& skip, int64_t per) {
  int64_t sum = 0;
  for (auto& name : list_dir(dir)) {
    std::string child = dir + "/" + name;
    if (child == skip) continue;
    if (auto b = read_rt_budget(child)) sum += rt_share(b->runtime, b->period, per);
  }
  return sum;
}
}  // namespace

Result<void> Manager::grant_rt_budget(const Plan& plan) const {
  int64_t runtime = 0, period = 0;
  for (auto& w : plan.writes) {
    if (w.v2 || w.controller != "cpu") continue;
    if (w.file == "cpu.rt_runtime_us") runtime = parse_i64(w.value).value_or(0);
    if (w.file == "cpu.rt_period_us") period = parse_i64(w.value).value_or(0);
  }
  const Hierarchy* h = v1_hierarchy("cpu");
  if (!h || runtime <= 0) return {};
  std::string leaf = dir(*h);
  if (period == 0) period = HUSK_TRY(read_rt_budget(leaf)).period;
  // Bottom-up from the leaf's parent: what each level must hold for its
  // children, until one already does. The root's budget is the kernel's
  // (kernel.sched_rt_runtime_us), never raised.
  struct Grant {
    std::string dir;
    int64_t runtime, period;
  };
  std::vector<Grant> grants;
  int64_t need_runtime = runtime, need_period = period;
  std::string child = leaf;
  while (true) {
    std::string parent = child.substr(0, child.rfind('/'));
    if (parent.size() <= h->mount_point.size()) break;
    auto have = HUSK_TRY(read_rt_budget(parent));
    if (have.runtime < 0) break;  // unlimited
    int64_t want =
        rt_share(need_runtime, need_period, have.period) + rt_runtime_of_children(parent, child, have.period);
    if (have.runtime >= want) break;
    grants.push_back({parent, want, have.period});
    need_runtime = want;
    need_period = have.period;
    child = parent;
  }
  // Top-down: a level can hold only what its parent can spare.
  for (auto it = grants.rbegin(); it != grants.rend(); ++it) {
    auto r = write_file(it->dir + "/cpu.rt_runtime_us", std::to_string(it->runtime));
    if (r) continue;
    std::string parent = it->dir.substr(0, it->dir.rfind('/'));
    return fail(Error(r.error().err(), "cgroup " + path_ + ": realtimeRuntime " + std::to_string(runtime) +
                                           " of " + std::to_string(period) + " us needs " +
                                           std::to_string(it->runtime) + " of " + std::to_string(it->period) +
                                           " us in " + it->dir + ", and its parent " + parent +
                                           " lacks the realtime budget for it (cpu.rt_runtime_us)"));
  }
  return {};
}

Result<void> Manager::apply(const Plan& plan) const {
  std::set<std::string> v2_needed;
  for (auto& w : plan.writes)
    if (w.v2 && w.controller != "cgroup") v2_needed.insert(w.controller);
  HUSK_TRY_CTX(enable_v2_controllers(v2_needed), "cgroup " + path_);
  HUSK_TRY(grant_rt_budget(plan));
  // Some limits constrain others (memsw >= memory, quota vs period, a
  // child's cpuset within its parent's): a write the kernel refuses now may
  // be right once the others are in. Retry while rounds make progress.
  std::vector<const Write*> pending;
  for (auto& w : plan.writes) pending.push_back(&w);
  OpenFile last;
  while (!pending.empty()) {
    std::vector<const Write*> failed;
    std::optional<Error> first;
    for (auto* w : pending) {
      auto r = write(*w, last);
      if (r) continue;
      if (r.error().err() == ENOTSUP) return r;
      failed.push_back(w);
      if (!first) first = std::move(r).error();
    }
    if (failed.size() == pending.size()) return fail(std::move(*first));
    pending = std::move(failed);
  }
  if (plan.v2_devices) {
    const Hierarchy* h = layout_.unified();
    if (!h) return fail_code(ENOTSUP, "device rules need cgroup v2 or a v1 devices hierarchy");
    HUSK_TRY_CTX(install_device_filter(dir(*h), plan.device_rules), "cgroup " + path_);
  }
  return {};
}

Result<uint64_t> Manager::memory_usage() const {
  if (auto* h = v1_hierarchy("memory")) return read_counter(dir(*h) + "/memory.usage_in_bytes");
  if (auto* h = layout_.unified()) return read_counter(dir(*h) + "/memory.current");
  return fail_code(ENOTSUP, "no memory controller");
}

Result<Stats> Manager::stats() const {
  auto host = HUSK_TRY(controllers());
  const Hierarchy* v2 = layout_.unified();
  std::string v2dir = v2 ? dir(*v2) : "";
  // A v2 controller shows its files in our cgroup only once enabled.
  auto v2_has = [&](const std::string& c) { return v2 && host.in_v2(c); };
  Stats s;
  if (auto* acct = v1_hierarchy("cpuacct")) {
    auto* cpu = v1_hierarchy("cpu");
    s.cpu = HUSK_TRY(read_cpu_v1(dir(*acct), cpu ? dir(*cpu) : dir(*acct)));
  } else if (v2) {
    // cpu.stat's usage lines exist in every v2 cgroup, the cpu controller or not.
    if (auto c = read_cpu_v2(v2dir)) s.cpu = *c;
  }
  if (auto* mem = v1_hierarchy("memory"))
    s.memory = HUSK_TRY(read_memory_v1(dir(*mem)));
  else if (v2_has("memory"))
    s.memory = HUSK_TRY(read_memory_v2(v2dir));
  if (auto* pids = v1_hierarchy("pids"))
    s.pids = HUSK_TRY(read_pids(dir(*pids)));
  else if (v2_has("pids"))
    s.pids = HUSK_TRY(read_pids(v2dir));
  if (auto* blkio = v1_hierarchy("blkio")) {
    if (auto b = read_blkio_v1(dir(*blkio))) s.blkio = *b;
  } else if (v2_has("io")) {
    if (auto b = read_io_v2(v2dir)) s.blkio = *b;
  }
  if (auto* huge = v1_hierarchy("hugetlb"))
    s.hugetlb = HUSK_TRY(read_hugetlb(dir(*huge), false));
  else if (v2_has("hugetlb"))
    if (auto h = read_hugetlb(v2dir, true)) s.hugetlb = *h;
  return s;
}

Result<uint64_t> Manager::oom_kills() const {
  std::string file;
  if (auto* mem = v1_hierarchy("memory"))
    file = dir(*mem) + "/memory.oom_control";
  else if (auto* v2 = layout_.unified())
    file = dir(*v2) + "/memory.events";
  else
    return fail_code(ENOTSUP, "no memory controller");
  auto text = HUSK_TRY(read_file(file));
  auto m = parse_flat_keyed(text);
  auto it = m.find("oom_kill");
  return it == m.end() ? 0 : it->second;
}

Result<void> Manager::add_process(int pid, Hierarchies which) const {
  std::string p = std::to_string(pid);
  for (auto& h : layout_.hierarchies) {
    if (h.cgroup2 ? which == Hierarchies::v1 : which == Hierarchies::unified) continue;
    HUSK_TRY_CTX(write_file(dir(h) + "/cgroup.procs", p), "join cgroup " + path_);
  }
  return {};
}

std::vector<std::string> Manager::v1_dirs() const {
  std::vector<std::string> out;
  for (auto& h : layout_.hierarchies)
    if (!h.cgroup2) out.push_back(dir(h));
  return out;
}

Result<std::vector<Manager::V1Task>> Manager::open_v1_self(const std::vector<std::string>& v1_dirs) {
  std::vector<V1Task> out;
  out.reserve(v1_dirs.size());
  for (auto& d : v1_dirs)
    out.push_back({d, HUSK_TRY_CTX(open_fd(d + "/tasks", O_WRONLY), "join cgroup " + d)});
  return out;
}

Result<void> Manager::join_v1_self(const std::vector<V1Task>& tasks) {
  for (auto& t : tasks)
    if (::write(t.fd.get(), "0", 1) != 1) return fail_errno("join cgroup " + t.dir);
  return {};
}

Result<void> Manager::join_v1_self(const std::vector<std::string>& v1_dirs) {
  return join_v1_self(HUSK_TRY(open_v1_self(v1_dirs)));
}

Result<UniqueFd> Manager::open_unified() const {
  const Hierarchy* h = layout_.unified();
  if (!h) return UniqueFd();
  return open_fd(dir(*h), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

Result<Manager::SubDirs> Manager::sub_dirs(const std::map<std::string, std::string>& subs) const {
  auto under = [&](const Hierarchy& h, const std::string& sub) -> Result<std::string> {
    std::string base = dir(h);
    for (auto& part : split(sub, '/'))
      if (part == "..")
        return fail_code(EINVAL, "bad sub cgroup path \"" + sub + "\": it leaves the container's cgroup");
    std::string d = sub.empty() ? base : base + "/" + sub;
    struct stat st;
    if (::stat(d.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
      return fail_code(ENOENT, "sub cgroup " + d + " does not exist");
    return d;
  };
  SubDirs out;
  auto all = subs.find("");
  for (auto& h : layout_.hierarchies) {
    const std::string* sub = all != subs.end() ? &all->second : nullptr;
    for (auto& c : h.controllers)
      if (auto it = subs.find(c); it != subs.end()) sub = &it->second;
    // On a v2-only host one tree holds every controller: a path given for
    // one of them is the path.
    if (h.cgroup2 && !sub && layout_.kind == LayoutKind::v2 && subs.size() == 1) sub = &subs.begin()->second;
    std::string d = HUSK_TRY(under(h, sub ? *sub : ""));
    if (h.cgroup2)
      out.unified = d;
    else
      out.v1.push_back(d);
  }
  for (auto& [ctrl, sub] : subs)
    if (!ctrl.empty() && layout_.kind != LayoutKind::v2 && !v1_hierarchy(ctrl))
      return fail_code(
          EINVAL, "exec --cgroup " + ctrl + ":" + sub + ": this host has no " + ctrl + " cgroup hierarchy");
  return out;
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

void Manager::reclaim_from_other_freezers(const std::vector<int>& pids) const {
  const Hierarchy* h = freezer();
  if (!h || h->cgroup2) return;
  std::string procs = dir(*h) + "/cgroup.procs";
  for (int pid : pids) {
    auto text = read_file("/proc/" + std::to_string(pid) + "/cgroup");
    if (!text) continue;  // gone already
    for (auto& [ctrls, p] : parse_proc_cgroup(*text)) {
      auto list = split(ctrls, ',');
      if (std::find(list.begin(), list.end(), "freezer") == list.end()) continue;
      if (p == path_) continue;
      // destroy's first pass may have removed ours already (it was empty).
      (void)::mkdir(dir(*h).c_str(), 0755);
      (void)write_file(procs, std::to_string(pid));
    }
  }
}

Result<void> Manager::signal_all(int signal) const {
  // Frozen tasks do not act on SIGKILL until thawed.
  if (signal == SIGKILL)
    if (auto f = frozen(); f && *f) HUSK_TRY(set_frozen(false));
  int64_t start = monotonic_ms();
  // cgroup.kill (Linux 5.14) kills the whole cgroup at once, forks racing us
  // included; on a hybrid host our processes are in the v2 hierarchy too.
  if (signal == SIGKILL)
    if (auto* h = layout_.unified()) (void)write_file(dir(*h) + "/cgroup.kill", "1");
  while (true) {
    auto pids = HUSK_TRY(this->pids());
    if (pids.empty()) return {};
    if (signal == SIGKILL) reclaim_from_other_freezers(pids);
    for (int pid : pids) ::kill(pid, signal);
    if (signal != SIGKILL) return {};
    if (monotonic_ms() - start > 10000)
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

namespace {

// The cgroup directory D with the cgroups made under it (by the container,
// or `exec --cgroup`'s), deepest first, as runc removes them: what still
// runs in one is killed. A just-killed process can linger a moment as a
// member: each rmdir is tried for up to half a second.
Result<void> remove_cgroup_tree(const std::string& d) {
  struct stat st;
  for (auto& name : list_dir(d))
    if (::lstat((d + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      HUSK_TRY(remove_cgroup_tree(d + "/" + name));
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(d.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY || attempt > 500) return fail_errno("remove cgroup " + d);
    if (attempt == 0)
      if (auto procs = read_file(d + "/cgroup.procs"))
        for (auto& line : split(*procs, '\n'))
          if (auto pid = parse_i64(line); pid && *pid > 0) ::kill(static_cast<pid_t>(*pid), SIGKILL);
    ::usleep(1000);
  }
}

}  // namespace

Result<void> Manager::destroy() const {
  // An empty cgroup just goes (the usual case: `run` and `delete` after the
  // init has exited); only a busy one costs the search for its processes.
  bool busy = false;
  for (auto& h : layout_.hierarchies) {
    std::string d = dir(h);
    if (::rmdir(d.c_str()) == 0 || errno == ENOENT) continue;
    if (errno != EBUSY) return fail_errno("remove cgroup " + d);
    busy = true;
  }
  if (!busy) return {};
  HUSK_TRY(signal_all(SIGKILL));
  for (auto& h : layout_.hierarchies) HUSK_TRY(remove_cgroup_tree(dir(h)));
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
