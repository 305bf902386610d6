// What a container's cgroup has used, read from v1 or v2 files into one
// shape: runc's events "stats" document, so tools reading `runc events
// --stats` read ours.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk::cgroups {

struct CpuStats {
  uint64_t total_ns = 0, kernel_ns = 0, user_ns = 0;
  std::vector<uint64_t> percpu_ns;
  uint64_t periods = 0, throttled_periods = 0, throttled_ns = 0;
};

struct MemoryEntry {
  uint64_t limit = 0, usage = 0, max = 0, failcnt = 0;
};

struct MemoryStats {
  uint64_t cache = 0;
  MemoryEntry usage, swap, kernel;
  std::map<std::string, uint64_t> raw;  // memory.stat
};

struct PidsStats {
  uint64_t current = 0, limit = 0;  // limit 0: unlimited
};

struct BlkioEntry {
  uint64_t major = 0, minor = 0;
  std::string op;  // Read, Write, Sync, Async, Discard, Total
  uint64_t value = 0;
  bool operator==(const BlkioEntry&) const = default;
};

struct BlkioStats {
  std::vector<BlkioEntry> service_bytes, serviced;
};

struct HugetlbStats {
  uint64_t usage = 0, max = 0, failcnt = 0;
};

struct Stats {
  std::optional<CpuStats> cpu;
  std::optional<MemoryStats> memory;
  std::optional<PidsStats> pids;
  std::optional<BlkioStats> blkio;
  std::map<std::string, HugetlbStats> hugetlb;  // by page size, "2MB"
};

// Readers of one controller's files in DIR (fakes in tests, cgroupfs for real).
// A v1 "cpu" reader takes the cpuacct dir for usage and the cpu dir for
// throttling (they are separate hierarchies on some hosts).
Result<CpuStats> read_cpu_v1(const std::string& cpuacct_dir, const std::string& cpu_dir);
Result<CpuStats> read_cpu_v2(const std::string& dir);
Result<MemoryStats> read_memory_v1(const std::string& dir);
Result<MemoryStats> read_memory_v2(const std::string& dir);
Result<PidsStats> read_pids(const std::string& dir);  // same files on v1 and v2
Result<BlkioStats> read_blkio_v1(const std::string& dir);
Result<BlkioStats> read_io_v2(const std::string& dir);
// Every hugetlb.<size>.* set in DIR.
Result<std::map<std::string, HugetlbStats>> read_hugetlb(const std::string& dir, bool v2);

// A cgroup number file ("max" is UINT64_MAX), with the path in errors.
Result<uint64_t> read_counter(const std::string& path);

// The "data" object of runc's stats event.
std::string stats_to_json(const Stats& s);

// "key value" lines (memory.stat, cpu.stat, memory.events) into a map.
std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text);

}  // namespace husk::cgroups
