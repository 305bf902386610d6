// linux.resources of the runtime-spec as a typed model: what config.json asks
// of a container's cgroup, and what `update` changes. Field names follow the
// spec; an unset field is std::nullopt ("leave the kernel's value alone").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "spec/extra.hpp"

namespace husk::spec {

// One devices-cgroup rule. type 'a' matches every device; an unset
// major/minor is the wildcard "*". access is a subset of "rwm".
struct DeviceRule {
  bool allow = false;
  char type = 'a';
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access = "rwm";

  bool operator==(const DeviceRule&) const = default;
};

struct MemoryResources {
  std::optional<int64_t> limit;        // bytes; -1 = unlimited
  std::optional<int64_t> reservation;  // soft limit / memory.low
  std::optional<int64_t> swap;         // memory + swap, as cgroup v1's memsw
  std::optional<int64_t> kernel;       // NOT RECOMMENDED; kernels >= 5.16 have no such limit
  std::optional<int64_t> kernel_tcp;
  std::optional<uint64_t> swappiness;  // 0..100, v1 only
  std::optional<bool> disable_oom_killer;
  std::optional<bool> use_hierarchy;
  std::optional<bool> check_before_update;

  bool operator==(const MemoryResources&) const = default;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;  // -1 = unlimited
  std::optional<uint64_t> burst;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus;  // cpuset list, e.g. "0-1,3"
  std::string mems;
  std::optional<int64_t> idle;

  bool operator==(const CpuResources&) const = default;
};

struct PidsResources {
  int64_t limit = 0;  // as runc: 0 leaves it alone, negative means "max"

  bool operator==(const PidsResources&) const = default;
};

struct WeightDevice {
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;

  bool operator==(const WeightDevice&) const = default;
};

struct ThrottleDevice {
  int64_t major = 0;
  int64_t minor = 0;
  uint64_t rate = 0;

  bool operator==(const ThrottleDevice&) const = default;
};

struct BlockIoResources {
  std::optional<uint16_t> weight;  // 10..1000
  std::optional<uint16_t> leaf_weight;
  std::vector<WeightDevice> weight_devices;
  std::vector<ThrottleDevice> throttle_read_bps, throttle_write_bps, throttle_read_iops, throttle_write_iops;

  bool operator==(const BlockIoResources&) const = default;
};

struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB", as in hugetlb.<size>.* file names
  uint64_t limit = 0;

  bool operator==(const HugepageLimit&) const = default;
};

struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::vector<std::pair<std::string, uint32_t>> priorities;  // interface, priority

  bool operator==(const NetworkResources&) const = default;
};

struct RdmaLimit {
  std::optional<uint32_t> hca_handles;
  std::optional<uint32_t> hca_objects;

  bool operator==(const RdmaLimit&) const = default;
};

struct Resources {
  std::vector<DeviceRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  std::optional<BlockIoResources> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<NetworkResources> network;
  std::map<std::string, RdmaLimit> rdma;
  std::map<std::string, std::string> unified;  // raw cgroup v2 "file": "value"
  Extra extra;  // members the model does not know

  bool operator==(const Resources&) const = default;
};

// A LinuxResources object; WHERE prefixes field names in errors
// ("linux.resources." in config.json, "" for `update --resources`).
Result<Resources> resources_from_json(const nlohmann::json& j, const std::string& where);
Result<Resources> parse_resources(std::string_view json_text);

// A later update on top of an earlier state: every field UPDATE sets wins.
// Device rules are replaced as a whole when the update has any.
Resources merge_resources(Resources base, const Resources& update);
// Back to a LinuxResources document (parse_resources reads it again).
std::string resources_to_json(const Resources& r);
// The same document, to place inside another (config.json's linux.resources).
nlohmann::ordered_json resources_json(const Resources& r);

}  // namespace husk::spec
