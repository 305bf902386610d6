#include "cgroups/stats.hpp"

#include <dirent.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::cgroups {

std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (auto& line : split(text, '\n')) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    if (auto v = parse_i64(trim(line.substr(sp + 1)))) out[line.substr(0, sp)] = static_cast<uint64_t>(*v);
  }
  return out;
}

namespace {

constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

// Optional files: kernels differ in which they have.
uint64_t read_u64_or(const std::string& path, uint64_t fallback) {
  auto v = read_counter(path);
  return v ? *v : fallback;
}

std::map<std::string, uint64_t> read_flat_or_empty(const std::string& path) {
  auto text = read_file(path);
  return text ? parse_flat_keyed(*text) : std::map<std::string, uint64_t>{};
}

uint64_t get(const std::map<std::string, uint64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

Result<uint64_t> read_counter(const std::string& path) {
  auto text = HUSK_TRY(read_file(path));
  std::string t = trim(text);
  if (t == "max") return kUnlimited;
  auto v = parse_i64(t);
  if (!v) return fail_code(EINVAL, path + ": not a number: \"" + t + "\"");
  return static_cast<uint64_t>(*v);
}

Result<CpuStats> read_cpu_v1(const std::string& cpuacct_dir, const std::string& cpu_dir) {
  CpuStats s;
  s.total_ns = HUSK_TRY(read_counter(cpuacct_dir + "/cpuacct.usage"));
  if (auto per = read_file(cpuacct_dir + "/cpuacct.usage_percpu"))
    for (auto& f : split(trim(*per), ' '))
      if (auto v = parse_i64(f)) s.percpu_ns.push_back(static_cast<uint64_t>(*v));
  // cpuacct.stat counts USER_HZ ticks (100 a second on Linux).
  auto ticks = read_flat_or_empty(cpuacct_dir + "/cpuacct.stat");
  s.user_ns = get(ticks, "user") * 10000000ULL;
  s.kernel_ns = get(ticks, "system") * 10000000ULL;
  auto st = read_flat_or_empty(cpu_dir + "/cpu.stat");
  s.periods = get(st, "nr_periods");
  s.throttled_periods = get(st, "nr_throttled");
  s.throttled_ns = get(st, "throttled_time");
  return s;
}

Result<CpuStats> read_cpu_v2(const std::string& dir) {
  auto text = HUSK_TRY(read_file(dir + "/cpu.stat"));
  auto st = parse_flat_keyed(text);
  CpuStats s;
  s.total_ns = get(st, "usage_usec") * 1000;
  s.user_ns = get(st, "user_usec") * 1000;
  s.kernel_ns = get(st, "system_usec") * 1000;
  s.periods = get(st, "nr_periods");
  s.throttled_periods = get(st, "nr_throttled");
  s.throttled_ns = get(st, "throttled_usec") * 1000;
  return s;
}

Result<MemoryStats> read_memory_v1(const std::string& dir) {
  MemoryStats m;
  auto entry = [&](const std::string& prefix, MemoryEntry& e) {
    e.usage = read_u64_or(dir + "/" + prefix + "usage_in_bytes", 0);
    e.max = read_u64_or(dir + "/" + prefix + "max_usage_in_bytes", 0);
    e.limit = read_u64_or(dir + "/" + prefix + "limit_in_bytes", 0);
    e.failcnt = read_u64_or(dir + "/" + prefix + "failcnt", 0);
  };
  m.usage.usage = HUSK_TRY(read_counter(dir + "/memory.usage_in_bytes"));
  entry("memory.", m.usage);
  entry("memory.memsw.", m.swap);
  entry("memory.kmem.", m.kernel);
  m.raw = read_flat_or_empty(dir + "/memory.stat");
  m.cache = get(m.raw, "cache");  // the cgroup's own, as runc reports it
  return m;
}

Result<MemoryStats> read_memory_v2(const std::string& dir) {
  MemoryStats m;
  m.usage.usage = HUSK_TRY(read_counter(dir + "/memory.current"));
  m.usage.limit = read_u64_or(dir + "/memory.max", kUnlimited);
  m.usage.max = read_u64_or(dir + "/memory.peak", 0);
  m.usage.failcnt = get(read_flat_or_empty(dir + "/memory.events"), "max");
  // As runc: v2's swap is reported as memory+swap, v1's memsw.
  uint64_t swap_usage = read_u64_or(dir + "/memory.swap.current", 0);
  uint64_t swap_limit = read_u64_or(dir + "/memory.swap.max", kUnlimited);
  m.swap.usage = m.usage.usage + swap_usage;
  m.swap.limit =
      swap_limit == kUnlimited || m.usage.limit == kUnlimited ? kUnlimited : swap_limit + m.usage.limit;
  m.swap.failcnt = get(read_flat_or_empty(dir + "/memory.swap.events"), "max");
  m.raw = read_flat_or_empty(dir + "/memory.stat");
  m.cache = get(m.raw, "file");
  return m;
}

Result<PidsStats> read_pids(const std::string& dir) {
  PidsStats p;
  p.current = HUSK_TRY(read_counter(dir + "/pids.current"));
  uint64_t limit = read_u64_or(dir + "/pids.max", kUnlimited);
  p.limit = limit == kUnlimited ? 0 : limit;
  return p;
}

namespace {
// "8:0 Read 4096" lines (v1 blkio); the last "Total N" line has no device.
std::vector<BlkioEntry> parse_blkio_v1(std::string_view text) {
  std::vector<BlkioEntry> out;
  for (auto& line : split(text, '\n')) {
    auto f = split(trim(line), ' ');
    if (f.size() != 3) continue;
    auto colon = f[0].find(':');
    if (colon == std::string::npos) continue;
    auto major = parse_i64(f[0].substr(0, colon)), minor = parse_i64(f[0].substr(colon + 1));
    auto value = parse_i64(f[2]);
    if (!major || !minor || !value) continue;
    out.push_back(
        {static_cast<uint64_t>(*major), static_cast<uint64_t>(*minor), f[1], static_cast<uint64_t>(*value)});
  }
  return out;
}
}  // namespace

Result<BlkioStats> read_blkio_v1(const std::string& dir) {
  BlkioStats b;
  auto bytes = read_file(dir + "/blkio.throttle.io_service_bytes_recursive");
  if (!bytes) return fail(std::move(bytes).error());
  b.service_bytes = parse_blkio_v1(*bytes);
  if (auto ios = read_file(dir + "/blkio.throttle.io_serviced_recursive")) b.serviced = parse_blkio_v1(*ios);
  return b;
}

Result<BlkioStats> read_io_v2(const std::string& dir) {
  // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"
  auto text = HUSK_TRY(read_file(dir + "/io.stat"));
  BlkioStats b;
  for (auto& line : split(text, '\n')) {
    auto f = split(trim(line), ' ');
    if (f.empty()) continue;
    auto colon = f[0].find(':');
    if (colon == std::string::npos) continue;
    auto major = parse_i64(f[0].substr(0, colon)), minor = parse_i64(f[0].substr(colon + 1));
    if (!major || !minor) continue;
    for (size_t i = 1; i < f.size(); ++i) {
      auto eq = f[i].find('=');
      if (eq == std::string::npos) continue;
      auto key = f[i].substr(0, eq);
      auto v = parse_i64(f[i].substr(eq + 1));
      if (!v) continue;
      BlkioEntry e{static_cast<uint64_t>(*major), static_cast<uint64_t>(*minor), "",
                   static_cast<uint64_t>(*v)};
      if (key == "rbytes" || key == "wbytes") {
        e.op = key == "rbytes" ? "Read" : "Write";
        b.service_bytes.push_back(e);
      } else if (key == "rios" || key == "wios") {
        e.op = key == "rios" ? "Read" : "Write";
        b.serviced.push_back(e);
      }
    }
  }
  return b;
}

Result<std::map<std::string, HugetlbStats>> read_hugetlb(const std::string& dir, bool v2) {
  std::map<std::string, HugetlbStats> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_errno("open " + dir);
  std::vector<std::string> sizes;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    // hugetlb.2MB.limit_in_bytes (v1), hugetlb.2MB.max (v2): one per size.
    std::string_view suffix = v2 ? ".max" : ".limit_in_bytes";
    if (!name.starts_with("hugetlb.") || !name.ends_with(suffix) || name.find(".rsvd.") != std::string::npos)
      continue;
    sizes.push_back(name.substr(8, name.size() - 8 - suffix.size()));
  }
  ::closedir(d);
  for (auto& size : sizes) {
    std::string p = dir + "/hugetlb." + size;
    HugetlbStats h;
    if (v2) {
      h.usage = read_u64_or(p + ".current", 0);
      h.failcnt = get(read_flat_or_empty(p + ".events"), "max");
    } else {
      h.usage = read_u64_or(p + ".usage_in_bytes", 0);
      h.max = read_u64_or(p + ".max_usage_in_bytes", 0);
      h.failcnt = read_u64_or(p + ".failcnt", 0);
    }
    out[size] = h;
  }
  return out;
}

std::string stats_to_json(const Stats& s) {
  using ojson = nlohmann::ordered_json;
  ojson j = ojson::object();
  if (s.cpu) {
    auto& c = *s.cpu;
    j["cpu"] = {
        {"usage",
         {{"total", c.total_ns}, {"percpu", c.percpu_ns}, {"kernel", c.kernel_ns}, {"user", c.user_ns}}},
        {"throttling",
         {{"periods", c.periods},
          {"throttledPeriods", c.throttled_periods},
          {"throttledTime", c.throttled_ns}}}};
  }
  if (s.memory) {
    auto entry = [](const MemoryEntry& e) {
      return ojson{{"limit", e.limit}, {"usage", e.usage}, {"max", e.max}, {"failcnt", e.failcnt}};
    };
    auto& m = *s.memory;
    j["memory"] = {{"cache", m.cache},
                   {"usage", entry(m.usage)},
                   {"swap", entry(m.swap)},
                   {"kernel", entry(m.kernel)},
                   {"raw", m.raw}};
  }
  if (s.pids) j["pids"] = {{"current", s.pids->current}, {"limit", s.pids->limit}};
  if (s.blkio) {
    auto list = [](const std::vector<BlkioEntry>& v) {
      ojson a = ojson::array();
      for (auto& e : v)
        a.push_back({{"major", e.major}, {"minor", e.minor}, {"op", e.op}, {"value", e.value}});
      return a;
    };
    j["blkio"] = {{"ioServiceBytesRecursive", list(s.blkio->service_bytes)},
                  {"ioServicedRecursive", list(s.blkio->serviced)}};
  }
  if (!s.hugetlb.empty()) {
    ojson h = ojson::object();
    for (auto& [size, v] : s.hugetlb) h[size] = {{"usage", v.usage}, {"max", v.max}, {"failcnt", v.failcnt}};
    j["hugetlb"] = h;
  }
  return j.dump();
}

}  // namespace husk::cgroups
