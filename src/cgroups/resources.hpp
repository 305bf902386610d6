// linux.resources -> the cgroup file writes that enforce them, for the
// controllers this host has: v1 files where a controller is mounted as v1,
// v2 files where it is in the unified hierarchy (a hybrid host has both).
// The conversions between the two are runc's (and so crun's and podman's):
// cpu.shares -> cpu.weight, quota/period -> cpu.max, memory+swap -> swap.max,
// blkio throttles -> io.max. Pure functions: the Manager does the writing.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "spec/resources.hpp"

namespace husk::cgroups {

// Which controllers the host has, and where. v1 names are the v1 ones
// ("blkio", "net_cls"); v2 names the v2 ones ("io").
struct Controllers {
  std::set<std::string> v1;
  std::set<std::string> v2;
  bool has_unified = false;  // a cgroup2 hierarchy is mounted (pure v2 or hybrid)
  bool in_v1(const std::string& c) const { return v1.contains(c); }
  bool in_v2(const std::string& c) const { return v2.contains(c); }
};

struct Write {
  bool v2 = false;
  std::string controller;  // v1: whose hierarchy; v2: which controller the file belongs to
  std::string file;
  std::string value;
  // Kernels differ in file names (BFQ's blkio.bfq.weight vs CFQ's
  // blkio.weight): when FILE does not exist, this one is written instead.
  std::string alt_file;
  std::string alt_value;
  // Nothing to do when the kernel lacks the file (lifting a swap limit on a
  // kernel without swap accounting).
  bool optional = false;
  bool operator==(const Write&) const = default;
};

struct Plan {
  std::vector<Write> writes;
  std::vector<std::string> warnings;
  // On cgroup v2 the device rules become an eBPF program (device_filter.hpp).
  bool v2_devices = false;
  std::vector<spec::DeviceRule> device_rules;
};

// runc's cgroup v1 -> v2 conversions.
uint64_t cpu_shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI swap is memory+swap (v1 memsw); v2's swap.max is swap alone. -1 means max.
Result<int64_t> swap_to_v2(int64_t swap, int64_t memory_limit);

// The device rules a container gets: its config's rules followed by the
// devices every container may use (null, zero, full, random, urandom, tty,
// console, ptmx, pts, net/tun) and those in linux.devices, as runc 1.1 does.
std::vector<spec::DeviceRule> effective_device_rules(const std::vector<spec::DeviceRule>& rules,
                                                     const std::vector<spec::DeviceRule>& created_devices);
// "c 1:3 rwm" as v1's devices.allow/deny take it.
std::string device_rule_v1(const spec::DeviceRule& r);

// Errors name the resource and what the host lacks. DEVICE_RULES are the
// effective rules (applied when the config has any device rule).
Result<Plan> plan_resources(const spec::Resources& r, const Controllers& host);

}  // namespace husk::cgroups
