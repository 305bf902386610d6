// inspect's "Isolation" section: what `lsns -p`, /proc/PID/cgroup,
// /proc/PID/mountinfo and /proc/PID/uid_map tell about a running container,
// gathered in one place. Everything is read live from the kernel; a part
// that cannot be read says why instead of failing the whole inspect.
#include <unistd.h>

#include <cstdint>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "cgroups/layout.hpp"
#include "engine/inspect.hpp"
#include "linux/namespaces.hpp"
#include "runtime/container.hpp"
#include "runtime/live.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

// Above this a cgroup limit means "none" (v1 reports unlimited memory as
// LONG_MAX rounded down to a page; v2 and pids say "max").
constexpr uint64_t kNoLimit = uint64_t{1} << 62;

json limit_or_null(uint64_t v) { return v == 0 || v >= kNoLimit ? json(nullptr) : json(v); }

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The host's namespaces are PID 1's; where we may not read those (no
// CAP_SYS_PTRACE over it, as in some sandboxes), husk's own: the ones its
// containers are made from.
int host_reference() {
  return linux::namespace_inode(1, spec::NamespaceType::mount) ? 1 : static_cast<int>(::getpid());
}

json namespaces(pid_t pid) {
  json out = json::object();
  int host_pid = host_reference();
  for (auto t : spec::kAllNamespaceTypes) {
    auto mine = linux::namespace_inode(pid, t);
    if (!mine) continue;  // a kernel without it (time before 5.6)
    auto host = linux::namespace_inode(host_pid, t);
    std::string name = spec::namespace_proc_name(t);
    out[name] = {
        {"Inode", *mine},
        {"HostInode", host ? json(*host) : json(nullptr)},
        {"SharedWithHost", host && *host == *mine},
        {"Path", "/proc/" + std::to_string(pid) + "/ns/" + name},
        {"HostPath", "/proc/" + (host_pid == 1 ? std::string("1") : std::string("self")) + "/ns/" + name}};
  }
  return out;
}

// cpu.max ("max 100000") on v2, cfs_quota_us/cfs_period_us on v1.
json cpu_limits(const cgroups::Manager& m) {
  for (auto& h : m.layout().hierarchies) {
    bool v1cpu =
        !h.cgroup2 && std::find(h.controllers.begin(), h.controllers.end(), "cpu") != h.controllers.end();
    if (v1cpu) {
      auto quota = read_file(m.dir(h) + "/cpu.cfs_quota_us");
      auto period = read_file(m.dir(h) + "/cpu.cfs_period_us");
      if (!quota || !period) break;
      auto q = parse_i64(trim(*quota));
      return {{"Quota", q && *q >= 0 ? json(*q) : json(nullptr)},
              {"Period", parse_i64(trim(*period)).value_or(0)}};
    }
  }
  if (auto* u = m.layout().unified())
    if (auto max = read_file(m.dir(*u) + "/cpu.max")) {
      auto f = split(trim(*max), ' ');
      if (f.size() == 2)
        return {{"Quota", f[0] == "max" ? json(nullptr) : json(parse_i64(f[0]).value_or(0))},
                {"Period", parse_i64(f[1]).value_or(0)}};
    }
  return nullptr;
}

json cgroup_section(const Engine& eng, const ContainerRecord& rec) {
  auto m = container_cgroup(eng, rec);
  if (!m) return {{"Error", m.error().what()}};
  json dirs = json::object();
  for (auto& h : m->layout().hierarchies)
    dirs[h.cgroup2 ? std::string("unified") : join(h.controllers, ",")] = m->dir(h);
  json c = {{"Path", m->path()}, {"Layout", cgroups::layout_name(m->layout().kind)}, {"Dirs", dirs}};
  auto stats = m->stats();
  if (!stats) {
    c["Error"] = stats.error().what();
    return c;
  }
  if (stats->memory)
    c["Memory"] = {{"Limit", limit_or_null(stats->memory->usage.limit)},
                   {"Usage", stats->memory->usage.usage}};
  c["Cpu"] = cpu_limits(*m);
  if (stats->cpu) c["Cpu"]["UsageNanos"] = stats->cpu->total_ns;
  if (stats->pids)
    c["Pids"] = {{"Max", limit_or_null(stats->pids->limit)}, {"Current", stats->pids->current}};
  return c;
}

json mounts(pid_t pid) {
  json out = json::array();
  auto text = read_file("/proc/" + std::to_string(pid) + "/mountinfo");
  if (!text) return out;
  for (auto& m : parse_mountinfo(*text))
    out.push_back({{"Target", m.target}, {"Type", m.fstype}, {"Source", m.source}, {"Options", m.options}});
  return out;
}

json id_map(pid_t pid, const char* file) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/" + file);
  return text ? json(parse_id_map(*text)) : json(nullptr);
}

}  // namespace

Result<cgroups::Manager> container_cgroup(const Engine& eng, const ContainerRecord& rec) {
  auto live = eng.live_status(rec);
  if (live != LiveStatus::running && live != LiveStatus::paused)
    return fail_code(EINVAL, "container " + rec.name + " is not running");
  auto state = HUSK_TRY(runtime::container_state(eng.runtime_context(), rec.id));
  return runtime::cgroup_manager_for(state);
}

std::vector<MountInfo> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> out;
  for (auto& line : split(text, '\n')) {
    auto f = split(line, ' ');
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 2 >= f.size()) continue;  // not a mountinfo line
    MountInfo m;
    m.target = unescape_octal(f[4]);
    m.fstype = f[dash + 1];
    m.source = unescape_octal(f[dash + 2]);
    m.options = f[5];
    if (dash + 3 < f.size()) m.options += ";" + f[dash + 3];
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> parse_id_map(std::string_view text) {
  std::vector<std::string> out;
  for (auto& line : split(text, '\n')) {
    std::vector<std::string> words;
    for (auto& w : split(line, ' '))
      if (!w.empty()) words.push_back(w);
    if (!words.empty()) out.push_back(join(words, " "));
  }
  return out;
}

json isolation_section(const Engine& eng, const ContainerRecord& rec, pid_t pid) {
  OverlayDirs d = overlay_dirs(eng, rec);
  return {{"Pid", pid},
          {"Namespaces", namespaces(pid)},
          {"Cgroup", cgroup_section(eng, rec)},
          {"Overlay",
           {{"LowerDirs", d.lowers}, {"UpperDir", d.upper}, {"WorkDir", d.work}, {"MergedDir", d.merged}}},
          {"Mounts", mounts(pid)},
          {"UidMap", id_map(pid, "uid_map")},
          {"GidMap", id_map(pid, "gid_map")}};
}

}  // namespace husk::engine
