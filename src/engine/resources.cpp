// docker's resource flags -> linux.resources. The messages are docker's (its
// CLI's for a value that does not parse, its daemon's for one out of range),
// so what people search for finds the answer.
#include "engine/resources.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/spec.hpp"

namespace husk::engine {

namespace {

constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // docker's floor for -m and --memory-reservation
constexpr int64_t kCpuPeriod = 100000;           // what --cpus divides (microseconds)
constexpr int64_t kMinCpuShares = 2, kMaxCpuShares = 262144;

Error bad_flag(const std::string& value, const char* flag, const std::string& why) {
  return Error(EINVAL, "invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why, false,
               ErrorKind::invalid_argument);
}

// A docker size ("100m", "1.5g", "512"): 0 when unset.
Result<int64_t> size_flag(const std::string& value, const char* flag) {
  if (value.empty()) return 0;
  auto v = parse_ram_bytes(value);
  if (!v) return fail(bad_flag(value, flag, "invalid size: '" + value + "'"));
  return static_cast<int64_t>(*v);
}

Result<int64_t> int_flag(const std::string& value, const char* flag) {
  if (value.empty()) return 0;
  auto v = parse_i64(value);
  if (!v) return fail(bad_flag(value, flag, "strconv.ParseInt: parsing \"" + value + "\": invalid syntax"));
  return static_cast<int64_t>(*v);
}

std::optional<std::set<unsigned long long>> parse_list(const std::string& s) {
  std::set<unsigned long long> out;
  for (auto& item : split(s, ',')) {
    auto dash = item.find('-');
    auto first = parse_u64(item.substr(0, dash));
    auto last = dash == std::string::npos ? first : parse_u64(item.substr(dash + 1));
    if (!first || !last || *last < *first || *last - *first > 65536) return std::nullopt;
    for (auto i = *first; i <= *last; ++i) out.insert(i);
  }
  return out;
}

Result<std::optional<spec::MemoryResources>> memory(const ResourceFlags& f, const ResourceHost& host,
                                                    ResourceMode mode, std::vector<std::string>& warnings) {
  int64_t limit = HUSK_TRY(size_flag(f.memory, "-m, --memory"));
  int64_t reservation = HUSK_TRY(size_flag(f.memory_reservation, "--memory-reservation"));
  int64_t swap = f.memory_swap == "-1" ? -1 : HUSK_TRY(size_flag(f.memory_swap, "--memory-swap"));
  if (limit != 0 && limit < kMinMemory) return fail_code(EINVAL, "Minimum memory limit allowed is 6MB");
  if (reservation != 0 && reservation < kMinMemory)
    return fail_code(EINVAL, "Minimum memory reservation allowed is 6MB");
  if (mode == ResourceMode::create && swap > 0 && limit == 0)
    return fail_code(EINVAL, "You should always set the Memory limit when using Memoryswap limit, see usage");
  if (limit > 0 && swap > 0 && swap < limit)
    return fail_code(EINVAL, "Minimum memoryswap limit should be larger than memory limit, see usage");
  if (limit > 0 && reservation > 0 && limit < reservation)
    return fail_code(EINVAL, "Minimum memory limit can not be less than memory reservation limit, see usage");
  if (limit > 0 && swap > 0 && !host.swap_limit) {
    warnings.push_back(
        "Your kernel does not support swap limit capabilities or the cgroup is not mounted. "
        "Memory limited without swap.");
    swap = 0;
  } else if (mode == ResourceMode::create && limit > 0 && swap == 0 && host.swap_limit) {
    swap = 2 * limit;  // docker: swap as much as the memory itself unless told otherwise
  }
  spec::MemoryResources m;
  if (limit) m.limit = limit;
  if (swap) m.swap = swap;
  if (reservation) m.reservation = reservation;
  if (f.oom_kill_disable) m.disable_oom_killer = true;
  if (!m.limit && !m.swap && !m.reservation && !m.disable_oom_killer) return std::nullopt;
  return m;
}

Result<std::optional<spec::CpuResources>> cpu(const ResourceFlags& f, const ResourceHost& host,
                                              std::vector<std::string>& warnings) {
  int64_t nano = f.cpus.empty() ? 0 : HUSK_TRY(parse_nano_cpus(f.cpus));
  int64_t period = HUSK_TRY(int_flag(f.cpu_period, "--cpu-period"));
  int64_t quota = HUSK_TRY(int_flag(f.cpu_quota, "--cpu-quota"));
  int64_t shares = HUSK_TRY(int_flag(f.cpu_shares, "-c, --cpu-shares"));
  if (nano != 0 && period != 0)
    return fail_code(EINVAL, "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (nano != 0 && quota != 0)
    return fail_code(EINVAL, "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  // Below 0.01 the quota would be under the kernel's 1ms floor.
  if (nano < 0 || nano > int64_t{host.cpu_count} * 1000000000 || (nano > 0 && nano < 10000000))
    return fail_code(EINVAL, "Range of CPUs is from 0.01 to " + std::to_string(host.cpu_count) +
                                 ".00, as there are only " + std::to_string(host.cpu_count) +
                                 " CPUs available");
  if (period != 0 && (period < 1000 || period > 1000000))
    return fail_code(EINVAL,
                     "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  if ((quota > 0 && quota < 1000) || quota < -1)
    return fail_code(EINVAL, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  if (shares != 0 && (shares < kMinCpuShares || shares > kMaxCpuShares)) {
    int64_t to = shares < kMinCpuShares ? kMinCpuShares : kMaxCpuShares;
    warnings.push_back("Changing requested CPUShares of " + std::to_string(shares) + " to " +
                       (to == kMinCpuShares ? "minimum" : "maximum") + " allowed of " + std::to_string(to));
    shares = to;
  }
  if (!f.cpuset_cpus.empty()) HUSK_TRY(check_cpu_list(f.cpuset_cpus, host.cpus_online, "cpus"));
  if (!f.cpuset_mems.empty()) HUSK_TRY(check_cpu_list(f.cpuset_mems, host.mems_online, "mems"));
  spec::CpuResources c;
  if (nano) {
    c.period = kCpuPeriod;
    c.quota = nano * kCpuPeriod / 1000000000;
  }
  if (period) c.period = static_cast<uint64_t>(period);
  if (quota) c.quota = quota;
  if (shares) c.shares = static_cast<uint64_t>(shares);
  c.cpus = f.cpuset_cpus;
  c.mems = f.cpuset_mems;
  if (!c.period && !c.quota && !c.shares && c.cpus.empty() && c.mems.empty()) return std::nullopt;
  return c;
}

// DEVICE:RATE, the device a block device under /dev.
Result<spec::ThrottleDevice> throttle(const std::string& value, const char* flag, bool bytes,
                                      const ResourceHost& host) {
  auto parts = split(value, ':');
  if (parts.size() != 2) return fail(bad_flag(value, flag, "bad format: " + value));
  if (!starts_with(parts[0], "/dev/"))
    return fail(bad_flag(value, flag, "bad format for device path: " + value));
  std::optional<long long> rate = bytes ? parse_ram_bytes(parts[1]) : parse_i64(parts[1]);
  if (!rate || *rate < 0)
    return fail(
        bad_flag(value, flag,
                 "invalid rate for device: " + value + ". The correct format is <device-path>:<number>" +
                     (bytes ? "[<unit>]. Number must be a positive integer. Unit is optional and can be "
                              "kb, mb, or gb"
                            : ". Number must be a positive integer")));
  auto dev = HUSK_TRY_CTX(host.block_device(parts[0]), std::string(flag) + " " + value);
  return spec::ThrottleDevice{dev.major, dev.minor, static_cast<uint64_t>(*rate)};
}

Result<std::optional<spec::BlockIoResources>> block_io(const ResourceFlags& f, const ResourceHost& host,
                                                       std::vector<std::string>& warnings) {
  spec::BlockIoResources b;
  int64_t weight = HUSK_TRY(int_flag(f.blkio_weight, "--blkio-weight"));
  if (weight != 0 && (weight < 10 || weight > 1000))
    return fail_code(EINVAL, "Range of blkio weight is from 10 to 1000");
  if (weight != 0 && !host.blkio_weight)
    warnings.push_back(
        "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight "
        "discarded.");
  else if (weight != 0)
    b.weight = static_cast<uint16_t>(weight);
  auto each = [&](const std::vector<std::string>& values, const char* flag, bool bytes,
                  std::vector<spec::ThrottleDevice>& into) -> Result<void> {
    for (auto& v : values) into.push_back(HUSK_TRY(throttle(v, flag, bytes, host)));
    return {};
  };
  HUSK_TRY(each(f.device_read_bps, "--device-read-bps", true, b.throttle_read_bps));
  HUSK_TRY(each(f.device_write_bps, "--device-write-bps", true, b.throttle_write_bps));
  HUSK_TRY(each(f.device_read_iops, "--device-read-iops", false, b.throttle_read_iops));
  HUSK_TRY(each(f.device_write_iops, "--device-write-iops", false, b.throttle_write_iops));
  if (!b.weight && b.throttle_read_bps.empty() && b.throttle_write_bps.empty() &&
      b.throttle_read_iops.empty() && b.throttle_write_iops.empty())
    return std::nullopt;
  return b;
}

Result<DeviceNumber> stat_block_device(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return fail_errno("stat " + path);
  if (!S_ISBLK(st.st_mode)) return fail_code(EINVAL, path + " is not a block device");
  return DeviceNumber{major(st.st_rdev), minor(st.st_rdev)};
}

std::string first_line(const std::string& path, const std::string& fallback) {
  auto text = read_file(path);
  if (!text || trim(*text).empty()) return fallback;
  return trim(*text);
}

}  // namespace

Result<int64_t> parse_nano_cpus(const std::string& value) {
  // A decimal with at most nine places: docker's rational, short of fractions.
  auto bad = [&](const std::string& why) { return fail(bad_flag(value, "--cpus", why)); };
  std::string_view s = value;
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  auto dot = s.find('.');
  std::string_view whole = s.substr(0, dot), frac = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if ((whole.empty() && frac.empty()) || !digits(whole) || !digits(frac) || whole.size() > 9)
    return bad("failed to parse " + value + " as a rational number");
  if (frac.size() > 9) return bad("value is too precise");
  int64_t nano = whole.empty() ? 0 : static_cast<int64_t>(*parse_u64(whole)) * 1000000000;
  if (!frac.empty())
    nano += static_cast<int64_t>(*parse_u64(std::string(frac) + std::string(9 - frac.size(), '0')));
  return negative ? -nano : nano;
}

Result<void> check_cpu_list(const std::string& requested, const std::string& available, const char* what) {
  std::string noun = std::string(what) == "cpus" ? "CPUs" : "memory nodes";
  auto want = parse_list(requested);
  if (!want) return fail_code(EINVAL, "Invalid value " + requested + " for cpuset " + what);
  auto have = parse_list(available);
  for (auto i : *want)
    if (!have || !have->contains(i))
      return fail_code(EINVAL, "Requested " + noun + " are not available - requested " + requested +
                                   ", available: " + available);
  return {};
}

ResourceHost probe_resource_host() {
  ResourceHost h;
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  h.cpu_count = n > 0 ? static_cast<unsigned>(n) : 1;
  // The root cpuset says what a container may be given (v1; v2 keeps it
  // in cpuset.cpus.effective); the system's online lists otherwise.
  h.cpus_online = first_line(
      "/sys/fs/cgroup/cpuset/cpuset.cpus",
      first_line("/sys/fs/cgroup/cpuset.cpus.effective", first_line("/sys/devices/system/cpu/online", "0")));
  h.mems_online = first_line(
      "/sys/fs/cgroup/cpuset/cpuset.mems",
      first_line("/sys/fs/cgroup/cpuset.mems.effective", first_line("/sys/devices/system/node/online", "0")));
  // Swap is accounted for where v1 has memsw files, and on v2 unless the
  // kernel was booted without it (then memory.swap.max is missing too).
  h.swap_limit = ::access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0 ||
                 (::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 &&
                  ::access("/sys/fs/cgroup/memory", F_OK) != 0);
  h.blkio_weight = false;
  for (const char* f : {"/sys/fs/cgroup/blkio/blkio.weight", "/sys/fs/cgroup/blkio/blkio.bfq.weight",
                        "/sys/fs/cgroup/io.weight", "/sys/fs/cgroup/io.bfq.weight"})
    h.blkio_weight |= ::access(f, F_OK) == 0;
  // A v2 root has no io.weight of its own: its children's say whether one exists.
  if (!h.blkio_weight && ::access("/sys/fs/cgroup/cgroup.subtree_control", F_OK) == 0)
    h.blkio_weight = first_line("/sys/fs/cgroup/cgroup.subtree_control", "").find("io") != std::string::npos;
  h.block_device = stat_block_device;
  return h;
}

Result<ResourceLimits> resources_from_flags(const ResourceFlags& f, const ResourceHost& host,
                                            ResourceMode mode) {
  ResourceLimits out;
  auto& r = out.resources;
  r.memory = HUSK_TRY(memory(f, host, mode, out.warnings));
  r.cpu = HUSK_TRY(cpu(f, host, out.warnings));
  int64_t pids = HUSK_TRY(int_flag(f.pids_limit, "--pids-limit"));
  // 0 and -1 are "unlimited"; on create that is what a new cgroup has.
  if (pids > 0 || (!f.pids_limit.empty() && mode == ResourceMode::update))
    r.pids = spec::PidsResources{pids > 0 ? pids : -1};
  r.block_io = HUSK_TRY(block_io(f, host, out.warnings));
  if (f.oom_kill_disable && f.memory.empty() && mode == ResourceMode::create)
    out.warnings.push_back(
        "Disabling the OOM killer on containers without setting a '-m/--memory' limit may "
        "be dangerous.");
  return out;
}

bool asks_for_resources(const ResourceFlags& f) {
  for (auto* v : {&f.cpus, &f.cpu_period, &f.cpu_quota, &f.cpu_shares, &f.cpuset_cpus, &f.cpuset_mems,
                  &f.memory, &f.memory_swap, &f.memory_reservation, &f.pids_limit, &f.blkio_weight})
    if (!v->empty()) return true;
  for (auto* v : {&f.device_read_bps, &f.device_write_bps, &f.device_read_iops, &f.device_write_iops})
    if (!v->empty()) return true;
  return f.oom_kill_disable;
}

Result<void> apply_resources(const SpecContext& ctx, const RunFlags& f, spec::Config& spec) {
  // A run that asks for no limit skips probing the host (cpus, cpusets,
  // swap accounting, blkio files) on its way.
  if (!asks_for_resources(f.resources)) return {};
  auto limits = HUSK_TRY(resources_from_flags(f.resources, probe_resource_host(), ResourceMode::create));
  for (auto& w : limits.warnings) ctx.warn(w);
  // Each part in its place, next to the device rules already there.
  auto& into = spec.linux.resources;
  into = spec::merge_resources(into.value_or(spec::Resources{}), limits.resources);
  return {};
}

}  // namespace husk::engine
