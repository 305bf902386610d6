// spec/resources: linux.resources into the typed model, every field mapped,
// the value checks (each refusal names its field), update merges, and the
// way back to JSON.
#include "spec/resources.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_helpers.hpp"

namespace husk::spec {
namespace {

using nlohmann::json;
using testing::FailsWith;

// Every field of the runtime-spec's LinuxResources, with values that survive
// a trip through the model unchanged (explicit type and access, no -1 majors).
constexpr std::string_view kAllFields = R"json({
  "devices": [
    {"allow": false, "type": "a", "access": "rwm"},
    {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"},
    {"allow": true, "type": "b", "major": 8, "access": "m"}
  ],
  "memory": {
    "limit": 536870912, "reservation": 268435456, "swap": 1073741824,
    "kernel": -1, "kernelTCP": 1048576, "swappiness": 60,
    "disableOOMKiller": true, "useHierarchy": false, "checkBeforeUpdate": true
  },
  "cpu": {
    "shares": 1024, "quota": 50000, "burst": 10000, "period": 100000,
    "realtimeRuntime": 950000, "realtimePeriod": 1000000,
    "cpus": "0-2,4", "mems": "0-1", "idle": 1
  },
  "pids": {"limit": 32771},
  "blockIO": {
    "weight": 500, "leafWeight": 300,
    "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200},
                     {"major": 8, "minor": 16, "weight": 700}],
    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 10485760}],
    "throttleWriteBpsDevice": [{"major": 8, "minor": 16, "rate": 2097152}],
    "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 1000}],
    "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 300}, {"major": 8, "minor": 16, "rate": 400}]
  },
  "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "1GB", "limit": 1073741824}],
  "network": {"classID": 1048577, "priorities": [{"name": "lo", "priority": 2}, {"name": "eth0", "priority": 5}]},
  "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {"hcaObjects": 1000}},
  "unified": {"memory.high": "1073741824", "io.weight": "default 200"}
})json";

Resources parse_ok(std::string_view text) {
  auto r = parse_resources(text);
  EXPECT_TRUE(r.has_value()) << r.error().what();
  return r.value_or(Resources{});
}

// A failed parse of one field's document, for FailsWith.
Result<Resources> parse_json(const json& j) { return parse_resources(j.dump()); }

TEST(ParseResources, EveryField) {
  Resources r = parse_ok(kAllFields);

  ASSERT_EQ(r.devices.size(), 3u);
  EXPECT_FALSE(r.devices[0].allow);
  EXPECT_EQ(r.devices[0].type, 'a');
  EXPECT_EQ(r.devices[0].major, std::nullopt);
  EXPECT_EQ(r.devices[0].access, "rwm");
  EXPECT_TRUE(r.devices[1].allow);
  EXPECT_EQ(r.devices[1].type, 'c');
  EXPECT_EQ(r.devices[1].major, 10);
  EXPECT_EQ(r.devices[1].minor, 229);
  EXPECT_EQ(r.devices[1].access, "rw");
  EXPECT_EQ(r.devices[2].type, 'b');
  EXPECT_EQ(r.devices[2].major, 8);
  EXPECT_EQ(r.devices[2].minor, std::nullopt) << "no minor: the wildcard";
  EXPECT_EQ(r.devices[2].access, "m");

  ASSERT_TRUE(r.memory.has_value());
  EXPECT_EQ(r.memory->limit, 536870912);
  EXPECT_EQ(r.memory->reservation, 268435456);
  EXPECT_EQ(r.memory->swap, 1073741824);
  EXPECT_EQ(r.memory->kernel, -1);
  EXPECT_EQ(r.memory->kernel_tcp, 1048576);
  EXPECT_EQ(r.memory->swappiness, 60u);
  EXPECT_EQ(r.memory->disable_oom_killer, true);
  EXPECT_EQ(r.memory->use_hierarchy, false);
  EXPECT_EQ(r.memory->check_before_update, true);

  ASSERT_TRUE(r.cpu.has_value());
  EXPECT_EQ(r.cpu->shares, 1024u);
  EXPECT_EQ(r.cpu->quota, 50000);
  EXPECT_EQ(r.cpu->burst, 10000u);
  EXPECT_EQ(r.cpu->period, 100000u);
  EXPECT_EQ(r.cpu->realtime_runtime, 950000);
  EXPECT_EQ(r.cpu->realtime_period, 1000000u);
  EXPECT_EQ(r.cpu->cpus, "0-2,4");
  EXPECT_EQ(r.cpu->mems, "0-1");
  EXPECT_EQ(r.cpu->idle, 1);

  ASSERT_TRUE(r.pids.has_value());
  EXPECT_EQ(r.pids->limit, 32771);

  ASSERT_TRUE(r.block_io.has_value());
  const BlockIoResources& b = *r.block_io;
  EXPECT_EQ(b.weight, 500);
  EXPECT_EQ(b.leaf_weight, 300);
  ASSERT_EQ(b.weight_devices.size(), 2u);
  EXPECT_EQ(b.weight_devices[0].major, 8);
  EXPECT_EQ(b.weight_devices[0].minor, 0);
  EXPECT_EQ(b.weight_devices[0].weight, 600);
  EXPECT_EQ(b.weight_devices[0].leaf_weight, 200);
  EXPECT_EQ(b.weight_devices[1].minor, 16);
  EXPECT_EQ(b.weight_devices[1].leaf_weight, std::nullopt);
  ASSERT_EQ(b.throttle_read_bps.size(), 1u);
  EXPECT_EQ(b.throttle_read_bps[0].rate, 10485760u);
  ASSERT_EQ(b.throttle_write_bps.size(), 1u);
  EXPECT_EQ(b.throttle_write_bps[0].minor, 16);
  EXPECT_EQ(b.throttle_write_bps[0].rate, 2097152u);
  ASSERT_EQ(b.throttle_read_iops.size(), 1u);
  EXPECT_EQ(b.throttle_read_iops[0].rate, 1000u);
  ASSERT_EQ(b.throttle_write_iops.size(), 2u);
  EXPECT_EQ(b.throttle_write_iops[1].minor, 16);
  EXPECT_EQ(b.throttle_write_iops[1].rate, 400u);

  ASSERT_EQ(r.hugepage_limits.size(), 2u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r.hugepage_limits[0].limit, 209715200u);
  EXPECT_EQ(r.hugepage_limits[1].page_size, "1GB");

  ASSERT_TRUE(r.network.has_value());
  EXPECT_EQ(r.network->class_id, 1048577u);
  using Prios = std::vector<std::pair<std::string, uint32_t>>;
  EXPECT_EQ(r.network->priorities, (Prios{{"lo", 2}, {"eth0", 5}}));

  ASSERT_EQ(r.rdma.size(), 2u);
  EXPECT_EQ(r.rdma.at("mlx5_1").hca_handles, 3u);
  EXPECT_EQ(r.rdma.at("mlx5_1").hca_objects, 10000u);
  EXPECT_EQ(r.rdma.at("mlx4_0").hca_handles, std::nullopt);
  EXPECT_EQ(r.rdma.at("mlx4_0").hca_objects, 1000u);

  using Files = std::map<std::string, std::string>;
  EXPECT_EQ(r.unified, (Files{{"memory.high", "1073741824"}, {"io.weight", "default 200"}}));
}

TEST(ParseResources, EmptyObjectSetsNothing) {
  Resources r = parse_ok("{}");
  EXPECT_TRUE(r.devices.empty());
  EXPECT_FALSE(r.memory.has_value());
  EXPECT_FALSE(r.cpu.has_value());
  EXPECT_FALSE(r.pids.has_value());
  EXPECT_FALSE(r.block_io.has_value());
  EXPECT_TRUE(r.hugepage_limits.empty());
  EXPECT_FALSE(r.network.has_value());
  EXPECT_TRUE(r.rdma.empty());
  EXPECT_TRUE(r.unified.empty());
}

TEST(ParseResources, NullsAreUnset) {
  Resources r = parse_ok(R"({"memory": null, "cpu": {"shares": null, "cpus": null}, "devices": null})");
  EXPECT_FALSE(r.memory.has_value());
  ASSERT_TRUE(r.cpu.has_value());
  EXPECT_EQ(r.cpu->shares, std::nullopt);
  EXPECT_EQ(r.cpu->cpus, "");
  EXPECT_TRUE(r.devices.empty());
}

TEST(ParseResources, PartialObjectsLeaveTheRestUnset) {
  Resources r = parse_ok(R"({"memory": {"limit": 1048576}, "cpu": {"quota": -1}})");
  ASSERT_TRUE(r.memory.has_value());
  EXPECT_EQ(r.memory->limit, 1048576);
  EXPECT_EQ(r.memory->swap, std::nullopt);
  EXPECT_EQ(r.memory->disable_oom_killer, std::nullopt);
  ASSERT_TRUE(r.cpu.has_value());
  EXPECT_EQ(r.cpu->quota, -1);
  EXPECT_EQ(r.cpu->period, std::nullopt);
  EXPECT_EQ(r.cpu->cpus, "");
}

TEST(ParseResources, NotJsonOrNotAnObject) {
  EXPECT_TRUE(FailsWith(parse_resources("{"), EINVAL, "not valid JSON"));
  EXPECT_TRUE(FailsWith(parse_resources(""), EINVAL, "not valid JSON"));
  EXPECT_TRUE(FailsWith(parse_resources("[]"), EINVAL, "resources: must be an object"));
  EXPECT_TRUE(FailsWith(resources_from_json(json(5), "linux.resources."), EINVAL,
                        "linux.resources: must be an object"));
}

TEST(ParseResources, WrongTypesNameTheField) {
  EXPECT_TRUE(FailsWith(parse_json({{"memory", 5}}), EINVAL, "memory: must be an object"));
  EXPECT_TRUE(FailsWith(parse_json({{"devices", json::object()}}), EINVAL, "devices: must be an array"));
  EXPECT_TRUE(FailsWith(parse_json({{"devices", {5}}}), EINVAL, "devices[0]: must be an object"));
  EXPECT_TRUE(
      FailsWith(parse_json({{"memory", {{"limit", "1g"}}}}), EINVAL, "memory.limit: must be an integer"));
  EXPECT_TRUE(
      FailsWith(parse_json({{"memory", {{"limit", 1.5}}}}), EINVAL, "memory.limit: must be an integer"));
  EXPECT_TRUE(FailsWith(parse_json({{"memory", {{"disableOOMKiller", 1}}}}), EINVAL,
                        "memory.disableOOMKiller: must be a boolean"));
  EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"cpus", 3}}}}), EINVAL, "cpu.cpus: must be a string"));
  EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"shares", -5}}}}), EINVAL, "cpu.shares: must not be negative"));
  EXPECT_TRUE(
      FailsWith(parse_json({{"blockIO", {{"weight", 70000}}}}), EINVAL, "blockIO.weight: is out of range"));
  EXPECT_TRUE(
      FailsWith(parse_json({{"pids", {{"limit", "max"}}}}), EINVAL, "pids.limit: must be an integer"));
  EXPECT_TRUE(FailsWith(parse_json({{"rdma", {{"mlx5_0", 3}}}}), EINVAL, "rdma.mlx5_0: must be an object"));
  EXPECT_TRUE(FailsWith(parse_json({{"unified", {{"memory.high", 5}}}}), EINVAL,
                        "unified.memory.high: must be a string"));
  EXPECT_TRUE(
      FailsWith(parse_json({{"unified", json::array()}}), EINVAL, "unified: must be an object of strings"));
}

TEST(ParseResources, WherePrefixesEveryFieldName) {
  json j = {{"memory", {{"swappiness", 101}}}};
  EXPECT_TRUE(FailsWith(resources_from_json(j, "linux.resources."), EINVAL,
                        "linux.resources.memory.swappiness: must be between 0 and 100"));
  json d = {{"devices", {{{"allow", true}}, {{"allow", true}, {"type", "x"}}}}};
  EXPECT_TRUE(
      FailsWith(resources_from_json(d, "linux.resources."), EINVAL, "linux.resources.devices[1].type"));
}

// --- devices

TEST(ParseResourcesDevices, DefaultsAndWildcards) {
  // Type defaults to "a", access to "rwm"; -1 is runc's wildcard.
  Resources r = parse_ok(R"({"devices": [{"allow": true},
                                         {"allow": false, "type": "c", "major": -1, "minor": -1, "access": ""}]})");
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_TRUE(r.devices[0].allow);
  EXPECT_EQ(r.devices[0].type, 'a');
  EXPECT_EQ(r.devices[0].access, "rwm");
  EXPECT_EQ(r.devices[1].type, 'c');
  EXPECT_EQ(r.devices[1].major, std::nullopt);
  EXPECT_EQ(r.devices[1].minor, std::nullopt);
  EXPECT_EQ(r.devices[1].access, "rwm");
}

TEST(ParseResourcesDevices, AllowIsRequired) {
  EXPECT_TRUE(
      FailsWith(parse_resources(R"({"devices": [{"type": "c"}]})"), EINVAL, "devices[0].allow: is required"));
}

TEST(ParseResourcesDevices, TypeIsABOrC) {
  for (const char* t : {"a", "b", "c"})
    EXPECT_TRUE(parse_json({{"devices", {{{"allow", true}, {"type", t}}}}}).has_value()) << t;
  for (const char* t : {"u", "p", "cc", "A"})
    EXPECT_TRUE(FailsWith(parse_json({{"devices", {{{"allow", true}, {"type", t}}}}}), EINVAL,
                          "devices[0].type: must be \"a\", \"b\" or \"c\""))
        << t;
}

TEST(ParseResourcesDevices, AccessIsLettersOfRwm) {
  for (const char* a : {"r", "w", "m", "rw", "mr", "rwm"})
    EXPECT_TRUE(parse_json({{"devices", {{{"allow", true}, {"access", a}}}}}).has_value()) << a;
  for (const char* a : {"x", "rwx", "RW", "r w"})
    EXPECT_TRUE(FailsWith(parse_json({{"devices", {{{"allow", true}, {"access", a}}}}}), EINVAL,
                          "devices[0].access: must be letters of \"rwm\""))
        << a;
}

// --- memory

TEST(ParseResourcesMemory, MinusOneIsUnlimitedAndBelowIsRefused) {
  EXPECT_TRUE(parse_resources(R"({"memory": {"limit": -1, "swap": -1, "reservation": -1}})").has_value());
  for (const char* f : {"limit", "reservation", "swap"})
    EXPECT_TRUE(
        FailsWith(parse_json({{"memory", {{f, -2}}}}), EINVAL, std::string("memory.") + f + ": must be -1"))
        << f;
}

TEST(ParseResourcesMemory, Swappiness) {
  EXPECT_TRUE(parse_resources(R"({"memory": {"swappiness": 0}})").has_value());
  EXPECT_TRUE(parse_resources(R"({"memory": {"swappiness": 100}})").has_value());
  EXPECT_TRUE(FailsWith(parse_resources(R"({"memory": {"swappiness": 101}})"), EINVAL,
                        "memory.swappiness: must be between 0 and 100"));
}

TEST(ParseResourcesMemory, SwapIsMemoryPlusSwapSoNotBelowTheLimit) {
  EXPECT_TRUE(FailsWith(parse_resources(R"({"memory": {"limit": 2048, "swap": 1024}})"), EINVAL,
                        "memory.swap: (memory+swap) must not be below memory.limit"));
  EXPECT_TRUE(parse_resources(R"({"memory": {"limit": 2048, "swap": 2048}})").has_value())
      << "equal: no swap";
  EXPECT_TRUE(parse_resources(R"({"memory": {"limit": 2048, "swap": 4096}})").has_value());
  EXPECT_TRUE(parse_resources(R"({"memory": {"limit": 2048, "swap": -1}})").has_value()) << "unlimited swap";
  EXPECT_TRUE(parse_resources(R"({"memory": {"limit": -1, "swap": 1024}})").has_value())
      << "no limit to compare with (the cgroup planner decides)";
}

// --- cpu

TEST(ParseResourcesCpu, CpuAndNodeLists) {
  for (const char* ok : {"0", "0-3", "0-2,4", "1,3,5", "0-1,4-7,9", "10-11"})
    EXPECT_TRUE(parse_json({{"cpu", {{"cpus", ok}, {"mems", ok}}}}).has_value()) << ok;
  for (const char* bad : {"a", "0-", "-1", ",1", "1,", "1,,2", "0--2", "1 2", "0x1", "1;2"}) {
    EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"cpus", bad}}}}), EINVAL, "cpu.cpus: \"")) << bad;
    EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"mems", bad}}}}), EINVAL, "cpu.mems: \"")) << bad;
  }
}

// The kernel's list parser refuses a range with three ends, and so do we
// (an early version took "0-2-4"; fixed in 38f964e).
TEST(ParseResourcesCpu, ARangeHasTwoEnds) {
  EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"cpus", "0-2-4"}}}}), EINVAL, "cpu.cpus"));
  EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"mems", "0-1-2"}}}}), EINVAL, "cpu.mems"));
  EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"cpus", "3-1"}}}}), EINVAL, "cpu.cpus"))
      << "a range runs upwards";
}

TEST(ParseResourcesCpu, SharesBetween2And262144) {
  for (uint64_t ok : {0ULL, 2ULL, 1024ULL, 262144ULL})
    EXPECT_TRUE(parse_json({{"cpu", {{"shares", ok}}}}).has_value()) << ok;
  for (uint64_t bad : {1ULL, 262145ULL})
    EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"shares", bad}}}}), EINVAL,
                          "cpu.shares: must be between 2 and 262144"))
        << bad;
}

TEST(ParseResourcesCpu, QuotaAtLeast1000OrMinusOne) {
  for (int64_t ok : {-1LL, 0LL, 1000LL, 50000LL, 10000000LL})
    EXPECT_TRUE(parse_json({{"cpu", {{"quota", ok}}}}).has_value()) << ok;
  EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"quota", 999}}}}), EINVAL, "cpu.quota: must be at least 1000"));
  EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"quota", 1}}}}), EINVAL, "cpu.quota: must be at least 1000"));
  EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"quota", -2}}}}), EINVAL,
                        "cpu.quota: must be -1 (unlimited) or positive"));
}

TEST(ParseResourcesCpu, PeriodBetween1000And1000000) {
  for (uint64_t ok : {0ULL, 1000ULL, 100000ULL, 1000000ULL})
    EXPECT_TRUE(parse_json({{"cpu", {{"period", ok}}}}).has_value()) << ok;
  for (uint64_t bad : {1ULL, 999ULL, 1000001ULL})
    EXPECT_TRUE(FailsWith(parse_json({{"cpu", {{"period", bad}}}}), EINVAL,
                          "cpu.period: must be between 1000 and 1000000"))
        << bad;
}

TEST(ParseResourcesCpu, IdleIsZeroOrOne) {
  EXPECT_TRUE(parse_resources(R"({"cpu": {"idle": 0}})").has_value());
  EXPECT_TRUE(parse_resources(R"({"cpu": {"idle": 1}})").has_value());
  EXPECT_TRUE(FailsWith(parse_resources(R"({"cpu": {"idle": 2}})"), EINVAL, "cpu.idle: must be 0 or 1"));
  EXPECT_TRUE(FailsWith(parse_resources(R"({"cpu": {"idle": -1}})"), EINVAL, "cpu.idle: must be 0 or 1"));
}

// --- pids, blockIO, hugepages, network, rdma, unified

TEST(ParseResourcesPids, LimitDefaultsToZeroAndMayBeNegative) {
  Resources r = parse_ok(R"({"pids": {}})");
  ASSERT_TRUE(r.pids.has_value());
  EXPECT_EQ(r.pids->limit, 0);
  EXPECT_EQ(parse_ok(R"({"pids": {"limit": -1}})").pids->limit, -1);
}

TEST(ParseResourcesBlockIo, WeightsBetween10And1000) {
  for (int ok : {0, 10, 500, 1000}) {
    EXPECT_TRUE(parse_json({{"blockIO", {{"weight", ok}}}}).has_value()) << ok;
    EXPECT_TRUE(parse_json({{"blockIO", {{"leafWeight", ok}}}}).has_value()) << ok;
  }
  for (int bad : {1, 9, 1001}) {
    EXPECT_TRUE(FailsWith(parse_json({{"blockIO", {{"weight", bad}}}}), EINVAL,
                          "blockIO.weight: must be between 10 and 1000"))
        << bad;
    EXPECT_TRUE(FailsWith(parse_json({{"blockIO", {{"leafWeight", bad}}}}), EINVAL,
                          "blockIO.leafWeight: must be between 10 and 1000"))
        << bad;
    json wd = {{"blockIO", {{"weightDevice", {{{"major", 8}, {"minor", 0}, {"weight", bad}}}}}}};
    EXPECT_TRUE(
        FailsWith(parse_json(wd), EINVAL, "blockIO.weightDevice[0].weight: must be between 10 and 1000"))
        << bad;
    json lwd = {{"blockIO", {{"weightDevice", {{{"major", 8}, {"minor", 0}, {"leafWeight", bad}}}}}}};
    EXPECT_TRUE(FailsWith(parse_json(lwd), EINVAL, "blockIO.weightDevice[0].leafWeight")) << bad;
  }
}

TEST(ParseResourcesBlockIo, DevicesNeedMajorAndMinor) {
  EXPECT_TRUE(FailsWith(parse_resources(R"({"blockIO": {"weightDevice": [{"major": 8, "weight": 100}]}})"),
                        EINVAL, "blockIO.weightDevice[0].major: major and minor are required"));
  EXPECT_TRUE(
      FailsWith(parse_resources(R"({"blockIO": {"throttleReadBpsDevice": [{"minor": 0, "rate": 1}]}})"),
                EINVAL, "blockIO.throttleReadBpsDevice[0].major: major and minor are required"));
  EXPECT_TRUE(
      FailsWith(parse_resources(
                    R"({"blockIO": {"throttleWriteIOPSDevice": [{"major": 8, "minor": 0}, {"major": 8}]}})"),
                EINVAL, "blockIO.throttleWriteIOPSDevice[1].major"));
}

TEST(ParseResourcesHugepages, PageSizeIsRequiredAndAFileNamePart) {
  EXPECT_TRUE(FailsWith(parse_resources(R"({"hugepageLimits": [{"limit": 1}]})"), EINVAL,
                        "hugepageLimits[0].pageSize: is required"));
  EXPECT_TRUE(FailsWith(parse_resources(R"({"hugepageLimits": [{"pageSize": "../../x", "limit": 1}]})"),
                        EINVAL, "hugepageLimits[0].pageSize: \"../../x\" is not a page size"));
  EXPECT_TRUE(FailsWith(parse_resources(R"({"hugepageLimits": [{"pageSize": "", "limit": 1}]})"), EINVAL,
                        "hugepageLimits[0].pageSize"));
}

TEST(ParseResourcesNetwork, PriorityNeedsAName) {
  EXPECT_TRUE(FailsWith(parse_resources(R"({"network": {"priorities": [{"priority": 1}]}})"), EINVAL,
                        "network.priorities[0].name: is required"));
  EXPECT_TRUE(FailsWith(parse_resources(R"({"network": {"classID": -1}})"), EINVAL, "network.classID"));
}

TEST(ParseResourcesUnified, KeysMustLookLikeV2FileNames) {
  EXPECT_TRUE(
      parse_resources(R"({"unified": {"memory.high": "max", "cgroup.max.descendants": "10"}})").has_value());
  for (const char* bad : {"memoryhigh", "../memory.high", "a/memory.high", ".high", ""})
    EXPECT_TRUE(FailsWith(parse_json({{"unified", {{bad, "1"}}}}), EINVAL,
                          "unified: \"" + std::string(bad) + "\" is not a cgroup v2 file name"))
        << bad;
}

// --- merge

TEST(MergeResources, UpdateFieldsWinAndTheRestIsKept) {
  Resources base = parse_ok(R"({
    "memory": {"limit": 1073741824, "reservation": 536870912},
    "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0-1"},
    "pids": {"limit": 100},
    "blockIO": {"weight": 100, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1}]},
    "unified": {"memory.high": "1", "io.weight": "50"}})");
  Resources update = parse_ok(R"({
    "memory": {"limit": 2147483648, "swap": 4294967296},
    "cpu": {"quota": 50000, "mems": "0"},
    "blockIO": {"weight": 200},
    "unified": {"memory.high": "2", "pids.max": "7"}})");
  Resources m = merge_resources(base, update);
  ASSERT_TRUE(m.memory.has_value());
  EXPECT_EQ(m.memory->limit, 2147483648);
  EXPECT_EQ(m.memory->swap, 4294967296);
  EXPECT_EQ(m.memory->reservation, 536870912) << "kept";
  ASSERT_TRUE(m.cpu.has_value());
  EXPECT_EQ(m.cpu->shares, 512u);
  EXPECT_EQ(m.cpu->quota, 50000);
  EXPECT_EQ(m.cpu->period, 100000u);
  EXPECT_EQ(m.cpu->cpus, "0-1") << "an empty string in the update is \"not set\"";
  EXPECT_EQ(m.cpu->mems, "0");
  ASSERT_TRUE(m.pids.has_value());
  EXPECT_EQ(m.pids->limit, 100);
  ASSERT_TRUE(m.block_io.has_value());
  EXPECT_EQ(m.block_io->weight, 200);
  ASSERT_EQ(m.block_io->throttle_read_bps.size(), 1u) << "lists the update leaves empty are kept";
  using Files = std::map<std::string, std::string>;
  EXPECT_EQ(m.unified, (Files{{"memory.high", "2"}, {"io.weight", "50"}, {"pids.max", "7"}}));
}

TEST(MergeResources, SectionsOnlyInTheUpdateAreAdded) {
  Resources m = merge_resources(Resources{}, parse_ok(R"({"memory": {"limit": 4096}, "cpu": {"shares": 2},
                                                         "pids": {"limit": -1}, "hugepageLimits": [{"pageSize": "2MB", "limit": 0}],
                                                         "network": {"classID": 7}, "rdma": {"mlx5_0": {"hcaHandles": 1}}})"));
  ASSERT_TRUE(m.memory && m.cpu && m.pids && m.network);
  EXPECT_EQ(m.memory->limit, 4096);
  EXPECT_EQ(m.cpu->shares, 2u);
  EXPECT_EQ(m.pids->limit, -1);
  ASSERT_EQ(m.hugepage_limits.size(), 1u);
  EXPECT_EQ(m.network->class_id, 7u);
  EXPECT_EQ(m.rdma.at("mlx5_0").hca_handles, 1u);
}

TEST(MergeResources, PidsLimitZeroLeavesItAlone) {
  Resources base = parse_ok(R"({"pids": {"limit": 100}})");
  EXPECT_EQ(merge_resources(base, parse_ok(R"({"pids": {"limit": 0}})")).pids->limit, 100);
  EXPECT_EQ(merge_resources(base, parse_ok(R"({"pids": {"limit": -1}})")).pids->limit, -1);
}

TEST(MergeResources, DeviceRulesAreReplacedAsAWhole) {
  Resources base =
      parse_ok(R"({"devices": [{"allow": false}, {"allow": true, "type": "c", "major": 1, "minor": 3}]})");
  Resources kept = merge_resources(base, parse_ok(R"({"memory": {"limit": 1}})"));
  EXPECT_EQ(kept.devices.size(), 2u) << "no rules in the update: the old ones stay";
  Resources replaced =
      merge_resources(base, parse_ok(R"({"devices": [{"allow": true, "type": "b", "major": 8}]})"));
  ASSERT_EQ(replaced.devices.size(), 1u);
  EXPECT_EQ(replaced.devices[0].type, 'b');
}

TEST(MergeResources, ListsInTheUpdateReplaceTheOldOnes) {
  Resources base =
      parse_ok(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}, {"pageSize": "1GB", "limit": 2}],
                                "blockIO": {"throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 1},
                                                                       {"major": 8, "minor": 16, "rate": 2}]}})");
  Resources m = merge_resources(base, parse_ok(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 9}],
                                                 "blockIO": {"throttleWriteBpsDevice": [{"major": 8, "minor": 32, "rate": 3}]}})"));
  ASSERT_EQ(m.hugepage_limits.size(), 1u);
  EXPECT_EQ(m.hugepage_limits[0].limit, 9u);
  ASSERT_EQ(m.block_io->throttle_write_bps.size(), 1u);
  EXPECT_EQ(m.block_io->throttle_write_bps[0].minor, 32);
}

// --- back to JSON

TEST(ResourcesToJson, EveryFieldRoundTrips) {
  std::string out = resources_to_json(parse_ok(kAllFields));
  json back = json::parse(out, nullptr, false);
  ASSERT_FALSE(back.is_discarded()) << out;
  EXPECT_EQ(back, json::parse(kAllFields)) << out;
  // And the model read back writes the same document again.
  EXPECT_EQ(resources_to_json(parse_ok(out)), out);
}

TEST(ResourcesToJson, UnsetFieldsAreLeftOut) {
  EXPECT_EQ(resources_to_json(Resources{}), "{}");
  json j = json::parse(resources_to_json(parse_ok(R"({"memory": {"limit": -1}, "cpu": {"cpus": "1"}})")));
  EXPECT_EQ(j, json::parse(R"({"memory": {"limit": -1}, "cpu": {"cpus": "1"}})"));
}

TEST(ResourcesToJson, WildcardDevicesAndDefaultsComeBackExplicit) {
  Resources r = parse_ok(R"({"devices": [{"allow": true, "major": -1}]})");
  json j = json::parse(resources_to_json(r));
  EXPECT_EQ(j, json::parse(R"({"devices": [{"allow": true, "type": "a", "access": "rwm"}]})"));
  Resources again = parse_ok(j.dump());
  ASSERT_EQ(again.devices.size(), 1u);
  EXPECT_EQ(again.devices[0].major, std::nullopt);
}

TEST(ResourcesToJson, AMergedStateRoundTrips) {
  // What `update` stores: the merge of config and update, read back later.
  Resources m = merge_resources(parse_ok(kAllFields), parse_ok(R"({"memory": {"limit": 805306368},
                                                                    "unified": {"pids.max": "9"}})"));
  Resources back = parse_ok(resources_to_json(m));
  EXPECT_EQ(back.memory->limit, 805306368);
  EXPECT_EQ(back.memory->swap, 1073741824);
  EXPECT_EQ(back.unified.at("pids.max"), "9");
  EXPECT_EQ(back.unified.at("memory.high"), "1073741824");
  EXPECT_EQ(resources_to_json(back), resources_to_json(m));
}

}  // namespace
}  // namespace husk::spec
