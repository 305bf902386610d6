// docker's resource flags (-m, --cpus, --pids-limit, --device-read-bps, ...)
// as linux.resources: docker's units, conversions, defaults and messages.
// Pure over a description of the host, so the rules are unit-tested; `run`
// and `update` share them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/run_flags.hpp"
#include "spec/resources.hpp"

namespace husk::engine {

struct DeviceNumber {
  int64_t major = 0;
  int64_t minor = 0;
};

// What the flags are checked against.
struct ResourceHost {
  unsigned cpu_count = 1;
  std::string cpus_online = "0";  // the cpus a container may be given ("0-3")
  std::string mems_online = "0";  // the memory nodes
  bool swap_limit = true;         // memory+swap can be limited (swap accounting)
  bool blkio_weight = true;       // the kernel has a block IO weight to set
  // The block device at PATH (for --device-*-bps/iops).
  std::function<Result<DeviceNumber>(const std::string& path)> block_device;
};
ResourceHost probe_resource_host();

// create: docker's defaults apply (memory+swap is twice -m unless given);
// update: only what the flags say changes.
enum class ResourceMode { create, update };

struct ResourceLimits {
  spec::Resources resources;
  std::vector<std::string> warnings;  // docker's "WARNING: ..." lines
};
Result<ResourceLimits> resources_from_flags(const ResourceFlags& flags, const ResourceHost& host,
                                            ResourceMode mode);
// Whether FLAGS ask for any limit at all.
bool asks_for_resources(const ResourceFlags& flags);

// --cpus as nano CPUs: "1.5" -> 1500000000.
Result<int64_t> parse_nano_cpus(const std::string& value);
// "0-2,4" -> false when it is no list, or names one not in AVAILABLE.
Result<void> check_cpu_list(const std::string& requested, const std::string& available, const char* what);

}  // namespace husk::engine
