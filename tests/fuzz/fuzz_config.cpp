// config.json, as `husk-runtime create` reads a bundle's: parse + validate
// (spec::parse_config), then the pure steps create runs on what it got
// before touching the kernel: id maps, mount options, the resources model
// (serialised for `update` and read back), the whole config written back
// and read again (parse(serialize(c)) == c), the cgroup file writes planned
// for a v1, a v2 and a hybrid host, the cgroup v2 device program.
// The same bytes also go through the exec path's process.json parser and
// `update --resources`'s.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "cgroups/device_filter.hpp"
#include "cgroups/resources.hpp"
#include "fuzz_check.hpp"
#include "linux/idmap.hpp"
#include "linux/mount_options.hpp"
#include "spec/config.hpp"
#include "spec/resources.hpp"

namespace {

using namespace husk;

void check_resources(const spec::Resources& r) {
  // What update stores must read back, and the same way.
  std::string text = spec::resources_to_json(r);
  auto again = spec::parse_resources(text);
  FUZZ_CHECK(again.has_value(), "resources_to_json wrote what parse_resources refuses: %s: %s",
             again ? "" : again.error().what().c_str(), text.c_str());
  FUZZ_CHECK(spec::resources_to_json(*again) == text, "resources do not survive a round trip: %s",
             text.c_str());
  (void)spec::merge_resources(r, *again);
  static const std::set<std::string> kV1 = {"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb",
                                            "memory", "net_cls", "net_prio", "perf_event", "pids", "rdma"};
  static const std::set<std::string> kV2 = {"cpu", "cpuset", "hugetlb", "io", "memory", "misc", "pids", "rdma"};
  static const cgroups::Controllers kHosts[] = {
      {kV1, {}, false},  // cgroup v1
      {{}, kV2, true},   // cgroup v2
      {kV1, {}, true},   // hybrid, as this project's CI host
  };
  for (const auto& host : kHosts) {
    auto plan = cgroups::plan_resources(r, host);
    if (!plan) continue;
    auto rules = cgroups::effective_device_rules(plan->device_rules, {});
    for (const auto& rule : rules) (void)cgroups::device_rule_v1(rule);
    if (plan->v2_devices) (void)cgroups::compile_device_filter(rules);
  }
  (void)cgroups::compile_device_filter(r.devices);
}

// What the engine writes back must read back the same: parse(serialize(c)) == c.
void check_round_trip(const spec::Config& c) {
  std::string text = spec::serialize_config(c);
  auto again = spec::parse_config(text);
  FUZZ_CHECK(again.has_value(), "serialize_config wrote what parse_config refuses: %s: %s",
             again ? "" : again.error().what().c_str(), text.c_str());
  FUZZ_CHECK(*again == c, "the config differs after a round trip: %s", text.c_str());
  FUZZ_CHECK(spec::serialize_config(*again) == text, "serialize_config is not stable: %s", text.c_str());
}

void exercise(const spec::Config& c) {
  check_round_trip(c);
  for (const auto* maps : {&c.linux.uid_mappings, &c.linux.gid_mappings}) {
    (void)linux::check_id_map(*maps, "maps");
    (void)linux::format_id_map(*maps);
    (void)linux::host_id(*maps, 0);
  }
  for (const auto& m : c.mounts) {
    (void)linux::parse_mount_options(m.options);
    (void)linux::check_id_map(m.uid_mappings, "mount");
  }
  if (c.linux.resources) check_resources(*c.linux.resources);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto c = spec::parse_config(text)) exercise(*c);
  (void)spec::parse_process(text);
  if (auto r = spec::parse_resources(text)) check_resources(*r);
  return 0;
}
