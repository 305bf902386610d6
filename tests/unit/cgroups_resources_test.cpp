// cgroups/resources: linux.resources -> the cgroup file writes, on the three
// kinds of host (pure v1, hybrid like the machine these tests were written
// on, pure v2), with runc's v1 -> v2 conversions and an error naming the
// resource where the host has no controller for it.
#include "cgroups/resources.hpp"

#include <gtest/gtest.h>

#include "test_helpers.hpp"

namespace husk::cgroups {
namespace {

using spec::DeviceRule;
using testing::FailsWith;

// Every v1 controller, no cgroup2 at all.
Controllers v1_host() {
  Controllers c;
  c.v1 = {"cpu",   "cpuacct", "cpuset",  "memory",  "devices",  "freezer",
          "blkio", "pids",    "hugetlb", "net_cls", "net_prio", "rdma"};
  return c;
}

// This machine: v1 controllers, and hugetlb alone in the v2 hierarchy.
Controllers hybrid_host() {
  Controllers c;
  c.v1 = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"};
  c.v2 = {"hugetlb"};
  c.has_unified = true;
  return c;
}

Controllers v2_host() {
  Controllers c;
  c.v2 = {"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"};
  c.has_unified = true;
  return c;
}

spec::Resources parse(std::string_view json) {
  auto r = spec::parse_resources(json);
  EXPECT_TRUE(r.has_value()) << r.error().what();
  return r.value_or(spec::Resources{});
}

Plan plan_ok(std::string_view json, const Controllers& host) {
  auto p = plan_resources(parse(json), host);
  EXPECT_TRUE(p.has_value()) << p.error().what();
  return p.value_or(Plan{});
}

Result<Plan> plan(std::string_view json, const Controllers& host) {
  return plan_resources(parse(json), host);
}

// The one write to FILE (a test failure when there is none or several).
const Write* find(const Plan& p, const std::string& file) {
  const Write* found = nullptr;
  for (auto& w : p.writes) {
    if (w.file != file) continue;
    if (found) ADD_FAILURE() << "more than one write to " << file;
    found = &w;
  }
  if (!found) ADD_FAILURE() << "no write to " << file;
  return found;
}

bool writes(const Plan& p, const std::string& file) {
  for (auto& w : p.writes)
    if (w.file == file) return true;
  return false;
}

// "file=value" in plan order, v2 ones marked.
std::vector<std::string> summary(const Plan& p) {
  std::vector<std::string> out;
  for (auto& w : p.writes)
    out.push_back(std::string(w.v2 ? "v2 " : "v1 ") + w.controller + " " + w.file + "=" + w.value);
  return out;
}
using Strings = std::vector<std::string>;

// --- conversions

TEST(CpuSharesToWeight, RuncsFormula) {
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
  EXPECT_EQ(cpu_shares_to_weight(512), 20u);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(cpu_shares_to_weight(0), 0u) << "unset stays unset";
}

TEST(BlkioWeightToIoWeight, RuncsFormula) {
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(100), 910u);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(blkio_weight_to_io_weight(0), 0u);
}

TEST(SwapToV2, SwapAloneIsMemoryPlusSwapMinusMemory) {
  EXPECT_EQ(swap_to_v2(3072, 1024).value_or(-99), 2048);
  EXPECT_EQ(swap_to_v2(1024, 1024).value_or(-99), 0) << "equal: no swap";
}

TEST(SwapToV2, UnlimitedAndUnset) {
  EXPECT_EQ(swap_to_v2(-1, 1024).value_or(-99), -1);
  EXPECT_EQ(swap_to_v2(-1, -1).value_or(-99), -1);
  EXPECT_EQ(swap_to_v2(0, -1).value_or(-99), -1) << "unlimited memory, swap not mentioned: both unlimited";
  EXPECT_EQ(swap_to_v2(0, 1024).value_or(-99), 0) << "unset stays unset";
}

TEST(SwapToV2, BelowTheLimitOrWithoutALimitIsAnError) {
  EXPECT_TRUE(FailsWith(swap_to_v2(512, 1024), EINVAL, "must not be below memory.limit"));
  EXPECT_TRUE(FailsWith(swap_to_v2(1024, 0), EINVAL, "a swap limit needs a memory limit"));
  EXPECT_TRUE(FailsWith(swap_to_v2(1024, -1), EINVAL, "a swap limit needs a memory limit"));
}

// --- device rules

TEST(DeviceRuleV1, AsDevicesAllowTakesThem) {
  EXPECT_EQ(device_rule_v1({true, 'c', 1, 3, "rwm"}), "c 1:3 rwm");
  EXPECT_EQ(device_rule_v1({false, 'b', 8, 0, "w"}), "b 8:0 w");
  EXPECT_EQ(device_rule_v1({true, 'c', 136, std::nullopt, "rwm"}), "c 136:* rwm");
  EXPECT_EQ(device_rule_v1({true, 'b', std::nullopt, std::nullopt, "m"}), "b *:* m");
  EXPECT_EQ(device_rule_v1({false, 'a', std::nullopt, std::nullopt, "rwm"}), "a");
}

bool has_rule(const std::vector<DeviceRule>& rules, char type, std::optional<int64_t> major,
              std::optional<int64_t> minor, const std::string& access) {
  for (auto& r : rules)
    if (r.allow && r.type == type && r.major == major && r.minor == minor && r.access == access) return true;
  return false;
}

TEST(EffectiveDeviceRules, ConfigFirstThenRuncsDefaultsThenCreatedDevices) {
  std::vector<DeviceRule> config = {{false, 'a', std::nullopt, std::nullopt, "rwm"},
                                    {true, 'c', 10, 200, "rwm"}};
  std::vector<DeviceRule> created = {{true, 'c', 4, 64, "rwm"}};
  auto rules = effective_device_rules(config, created);
  ASSERT_GE(rules.size(), 4u);
  EXPECT_FALSE(rules[0].allow) << "deny-all stays first: later rules override it";
  EXPECT_EQ(rules[1].major, 10);
  EXPECT_EQ(rules.back().major, 4) << "created devices last";
  EXPECT_EQ(rules.back().minor, 64);
  // The devices every container may use, as runc.
  EXPECT_TRUE(has_rule(rules, 'c', 1, 3, "rwm")) << "null";
  EXPECT_TRUE(has_rule(rules, 'c', 1, 5, "rwm")) << "zero";
  EXPECT_TRUE(has_rule(rules, 'c', 1, 7, "rwm")) << "full";
  EXPECT_TRUE(has_rule(rules, 'c', 1, 8, "rwm")) << "random";
  EXPECT_TRUE(has_rule(rules, 'c', 1, 9, "rwm")) << "urandom";
  EXPECT_TRUE(has_rule(rules, 'c', 5, 0, "rwm")) << "tty";
  EXPECT_TRUE(has_rule(rules, 'c', 5, 1, "rwm")) << "console";
  EXPECT_TRUE(has_rule(rules, 'c', 5, 2, "rwm")) << "ptmx";
  EXPECT_TRUE(has_rule(rules, 'c', 136, std::nullopt, "rwm")) << "pts/*";
  EXPECT_TRUE(has_rule(rules, 'c', 10, 200, "rwm")) << "net/tun, as runc 1.1";
  EXPECT_TRUE(has_rule(rules, 'c', std::nullopt, std::nullopt, "m")) << "mknod of char devices";
  EXPECT_TRUE(has_rule(rules, 'b', std::nullopt, std::nullopt, "m")) << "mknod of block devices";
  EXPECT_EQ(rules.size(), config.size() + 12 + created.size());
}

TEST(EffectiveDeviceRules, NoConfigRulesStillGivesTheDefaults) {
  auto rules = effective_device_rules({}, {});
  EXPECT_EQ(rules.size(), 12u);
  for (auto& r : rules) EXPECT_TRUE(r.allow);
}

// --- nothing asked

TEST(PlanResources, NothingAskedNothingWritten) {
  for (const Controllers& host : {v1_host(), hybrid_host(), v2_host(), Controllers{}}) {
    auto p = plan_resources(spec::Resources{}, host);
    ASSERT_TRUE(p.has_value()) << p.error().what();
    EXPECT_TRUE(p->writes.empty());
    EXPECT_TRUE(p->warnings.empty());
    EXPECT_FALSE(p->v2_devices);
  }
  // Sections present but only with "leave it alone" values.
  Plan p = plan_ok(R"({"cpu": {"shares": 0, "period": 0}, "pids": {"limit": 0}, "blockIO": {"weight": 0},
                       "memory": {}})",
                   Controllers{});
  EXPECT_TRUE(p.writes.empty()) << ::testing::PrintToString(summary(p));
}

// --- pure v1

TEST(PlanV1, Memory) {
  Plan p = plan_ok(R"({"memory": {"limit": 1073741824, "swap": 2147483648, "reservation": 536870912,
                                   "swappiness": 60, "disableOOMKiller": true}})",
                   v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 memory memory.limit_in_bytes=1073741824",
                                 "v1 memory memory.memsw.limit_in_bytes=2147483648",
                                 "v1 memory memory.soft_limit_in_bytes=536870912",
                                 "v1 memory memory.swappiness=60", "v1 memory memory.oom_control=1"}));
  EXPECT_TRUE(p.warnings.empty());
}

TEST(PlanV1, MemoryUnlimitedIsMinusOne) {
  Plan p = plan_ok(R"({"memory": {"limit": -1, "swap": -1}})", v1_host());
  EXPECT_EQ(summary(p),
            (Strings{"v1 memory memory.limit_in_bytes=-1", "v1 memory memory.memsw.limit_in_bytes=-1"}));
}

TEST(PlanV1, CpuWithThePeriodBeforeTheQuota) {
  Plan p = plan_ok(R"({"cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 1000,
                                "realtimeRuntime": 950000, "realtimePeriod": 1000000, "idle": 0}})",
                   v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 cpu cpu.shares=1024", "v1 cpu cpu.cfs_period_us=100000",
                                 "v1 cpu cpu.cfs_quota_us=50000", "v1 cpu cpu.cfs_burst_us=1000",
                                 "v1 cpu cpu.rt_period_us=1000000", "v1 cpu cpu.rt_runtime_us=950000",
                                 "v1 cpu cpu.idle=0"}));
}

// dockerd's update sends every field, 0 for those not asked for: runc's
// managers leave those alone, and so does the plan.
TEST(PlanResources, ZeroIsNotSetAsRuncsManagersTakeIt) {
  const char* update = R"({"memory": {"limit": 0, "reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0},
                           "cpu": {"shares": 512, "quota": 0, "period": 0}, "pids": {"limit": 0},
                           "blockIO": {"weight": 0}})";
  EXPECT_EQ(summary(plan_ok(update, v1_host())), (Strings{"v1 cpu cpu.shares=512"}));
  EXPECT_EQ(summary(plan_ok(update, v2_host())), (Strings{"v2 cpu cpu.weight=20"}));
}

TEST(PlanV1, CpuQuotaMinusOne) {
  Plan p = plan_ok(R"({"cpu": {"quota": -1}})", v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 cpu cpu.cfs_quota_us=-1"}));
}

TEST(PlanV1, Cpuset) {
  Plan p = plan_ok(R"({"cpu": {"cpus": "0-1,3", "mems": "0"}})", v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 cpuset cpuset.cpus=0-1,3", "v1 cpuset cpuset.mems=0"}));
}

TEST(PlanV1, PidsNegativeIsMax) {
  EXPECT_EQ(summary(plan_ok(R"({"pids": {"limit": 100}})", v1_host())), (Strings{"v1 pids pids.max=100"}));
  EXPECT_EQ(summary(plan_ok(R"({"pids": {"limit": -1}})", v1_host())), (Strings{"v1 pids pids.max=max"}));
}

TEST(PlanV1, BlkioWeightsWithCfqFallback) {
  Plan p = plan_ok(R"({"blockIO": {"weight": 500, "leafWeight": 300,
                                    "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200}]}})",
                   v1_host());
  const Write* w = find(p, "blkio.bfq.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(*w, (Write{false, "blkio", "blkio.bfq.weight", "500", "blkio.weight", "500"}));
  w = find(p, "blkio.bfq.weight_device");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(*w,
            (Write{false, "blkio", "blkio.bfq.weight_device", "8:0 600", "blkio.weight_device", "8:0 600"}));
  w = find(p, "blkio.leaf_weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->value, "300");
  w = find(p, "blkio.leaf_weight_device");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->value, "8:0 200");
}

TEST(PlanV1, BlkioThrottles) {
  Plan p = plan_ok(R"({"blockIO": {
      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 10485760}],
      "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}, {"major": 8, "minor": 16, "rate": 0}],
      "throttleReadIOPSDevice": [{"major": 253, "minor": 1, "rate": 1000}],
      "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 300}]}})",
                   v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 blkio blkio.throttle.read_bps_device=8:0 10485760",
                                 "v1 blkio blkio.throttle.write_bps_device=8:0 2097152",
                                 "v1 blkio blkio.throttle.write_bps_device=8:16 0",
                                 "v1 blkio blkio.throttle.read_iops_device=253:1 1000",
                                 "v1 blkio blkio.throttle.write_iops_device=8:0 300"}));
}

TEST(PlanV1, HugetlbLimitInBytes) {
  Plan p = plan_ok(
      R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "1GB", "limit": 0}]})",
      v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 hugetlb hugetlb.2MB.limit_in_bytes=209715200",
                                 "v1 hugetlb hugetlb.1GB.limit_in_bytes=0"}));
}

TEST(PlanV1, NetClsAndNetPrio) {
  Plan p = plan_ok(R"({"network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5},
                                                                         {"name": "lo", "priority": 2}]}})",
                   v1_host());
  EXPECT_EQ(summary(p),
            (Strings{"v1 net_cls net_cls.classid=1048577", "v1 net_prio net_prio.ifpriomap=eth0 5",
                     "v1 net_prio net_prio.ifpriomap=lo 2"}));
}

TEST(PlanV1, Rdma) {
  Plan p =
      plan_ok(R"({"rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {"hcaObjects": 1000},
                                 "empty_0": {}}})",
              v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 rdma rdma.max=mlx4_0 hca_object=1000",
                                 "v1 rdma rdma.max=mlx5_1 hca_handle=3 hca_object=10000"}))
      << "a device with no limit is skipped";
}

TEST(PlanV1, DevicesBecomeAllowAndDenyWrites) {
  Plan p = plan_ok(R"({"devices": [{"allow": false, "access": "rwm"},
                                   {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                                   {"allow": false, "type": "b", "major": 8, "access": "w"}]})",
                   v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 devices devices.deny=a", "v1 devices devices.allow=c 1:3 rwm",
                                 "v1 devices devices.deny=b 8:* w"}));
  EXPECT_FALSE(p.v2_devices);
  EXPECT_TRUE(p.device_rules.empty());
}

TEST(PlanV1, UnifiedNeedsCgroupV2) {
  EXPECT_TRUE(FailsWith(plan(R"({"unified": {"memory.high": "1G"}})", v1_host()), ENOTSUP,
                        "linux.resources.unified: \"memory.high\" needs cgroup v2"));
  EXPECT_TRUE(
      FailsWith(plan(R"({"unified": {"cgroup.max.depth": "2"}})", v1_host()), ENOTSUP, "cgroup.max.depth"));
}

TEST(PlanV1, KernelMemoryIsOnlyAWarning) {
  for (const Controllers& host : {v1_host(), hybrid_host(), v2_host(), Controllers{}}) {
    Plan p = plan_ok(R"({"memory": {"kernel": 1073741824}})", host);
    EXPECT_TRUE(p.writes.empty()) << ::testing::PrintToString(summary(p));
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_NE(p.warnings[0].find("memory.kernel"), std::string::npos) << p.warnings[0];
  }
  // Beside a real limit: the limit is written, the kernel limit is not.
  Plan p = plan_ok(R"({"memory": {"limit": 4096, "kernel": 1024}})", v1_host());
  EXPECT_EQ(summary(p), (Strings{"v1 memory memory.limit_in_bytes=4096"}));
  EXPECT_EQ(p.warnings.size(), 1u);
}

TEST(PlanV1, KernelTcpIsWrittenWhereTheKernelHasIt) {
  // v1's memory controller: written, and nothing to do on a kernel without the file.
  for (const Controllers& host : {v1_host(), hybrid_host()}) {
    Plan p = plan_ok(R"({"memory": {"kernel": 1073741824, "kernelTCP": 1048576}})", host);
    EXPECT_EQ(summary(p), (Strings{"v1 memory memory.kmem.tcp.limit_in_bytes=1048576"}));
    ASSERT_EQ(p.writes.size(), 1u);
    EXPECT_TRUE(p.writes[0].optional);
    ASSERT_EQ(p.warnings.size(), 1u);  // memory.kernel's
    EXPECT_NE(p.warnings[0].find("memory.kernel "), std::string::npos) << p.warnings[0];
  }
  // cgroup v2 (or no memory controller at all): a warning, never a failure.
  for (const Controllers& host : {v2_host(), Controllers{}}) {
    Plan p = plan_ok(R"({"memory": {"kernelTCP": 1048576}})", host);
    EXPECT_TRUE(p.writes.empty()) << ::testing::PrintToString(summary(p));
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_NE(p.warnings[0].find("memory.kernelTCP"), std::string::npos) << p.warnings[0];
  }
}

TEST(PlanV1, UseHierarchyIsAWarning) {
  Plan p = plan_ok(R"({"memory": {"useHierarchy": true}})", v1_host());
  EXPECT_TRUE(p.writes.empty());
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("useHierarchy"), std::string::npos);
}

TEST(PlanV1, MissingControllersNameTheResource) {
  Controllers only_cpu;
  only_cpu.v1 = {"cpu"};
  EXPECT_TRUE(FailsWith(plan(R"({"memory": {"limit": 1}})", only_cpu), ENOTSUP,
                        "linux.resources.memory: this host has no memory cgroup controller"));
  EXPECT_TRUE(FailsWith(plan(R"({"pids": {"limit": 1}})", only_cpu), ENOTSUP, "linux.resources.pids"));
  EXPECT_TRUE(FailsWith(plan(R"({"cpu": {"cpus": "0"}})", only_cpu), ENOTSUP,
                        "linux.resources.cpu.cpus/mems: this host has no cpuset cgroup controller"));
  EXPECT_TRUE(FailsWith(plan(R"({"blockIO": {"weight": 100}})", only_cpu), ENOTSUP,
                        "linux.resources.blockIO: this host has no blkio cgroup controller (v2: io)"));
  EXPECT_TRUE(FailsWith(plan(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]})", only_cpu), ENOTSUP,
                        "linux.resources.hugepageLimits"));
  EXPECT_TRUE(FailsWith(plan(R"({"rdma": {"mlx5_0": {"hcaHandles": 1}}})", only_cpu), ENOTSUP,
                        "linux.resources.rdma"));
  EXPECT_TRUE(FailsWith(plan(R"({"network": {"classID": 1}})", only_cpu), ENOTSUP,
                        "linux.resources.network.classID: this host has no net_cls"));
  EXPECT_TRUE(FailsWith(plan(R"({"network": {"priorities": [{"name": "lo", "priority": 1}]}})", only_cpu),
                        ENOTSUP, "linux.resources.network.priorities: this host has no net_prio"));
  Controllers only_memory;
  only_memory.v1 = {"memory"};
  EXPECT_TRUE(FailsWith(plan(R"({"cpu": {"shares": 512}})", only_memory), ENOTSUP,
                        "linux.resources.cpu: this host has no cpu cgroup controller"));
}

TEST(PlanV1, DevicesWithoutAnyWayToEnforceThemIsAWarning) {
  Controllers only_memory;
  only_memory.v1 = {"memory"};
  Plan p = plan_ok(R"({"devices": [{"allow": false}]})", only_memory);
  EXPECT_TRUE(p.writes.empty());
  EXPECT_FALSE(p.v2_devices);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("device rules are not enforced"), std::string::npos);
}

// --- hybrid: v1 for most, v2 for hugetlb

TEST(PlanHybrid, V1ControllersStayV1) {
  Plan p =
      plan_ok(R"({"memory": {"limit": 1048576}, "cpu": {"shares": 1024, "cpus": "0"}, "pids": {"limit": 5},
                       "blockIO": {"weight": 100}})",
              hybrid_host());
  for (auto& w : p.writes) EXPECT_FALSE(w.v2) << w.file;
  EXPECT_EQ(find(p, "memory.limit_in_bytes")->value, "1048576");
  EXPECT_EQ(find(p, "cpu.shares")->value, "1024");
  EXPECT_EQ(find(p, "cpuset.cpus")->value, "0");
  EXPECT_EQ(find(p, "pids.max")->value, "5");
  EXPECT_EQ(find(p, "blkio.bfq.weight")->value, "100");
  EXPECT_FALSE(writes(p, "memory.max"));
  EXPECT_FALSE(writes(p, "cpu.weight"));
}

TEST(PlanHybrid, HugetlbIsInTheV2Hierarchy) {
  Plan p = plan_ok(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}]})", hybrid_host());
  EXPECT_EQ(summary(p), (Strings{"v2 hugetlb hugetlb.2MB.max=209715200"}));
  EXPECT_FALSE(writes(p, "hugetlb.2MB.limit_in_bytes"));
}

TEST(PlanHybrid, UnifiedOnlyForControllersInTheV2Hierarchy) {
  Plan p = plan_ok(R"({"unified": {"hugetlb.2MB.max": "1048576", "cgroup.max.descendants": "10"}})",
                   hybrid_host());
  const Write* w = find(p, "hugetlb.2MB.max");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(*w, (Write{true, "hugetlb", "hugetlb.2MB.max", "1048576", "", ""}));
  w = find(p, "cgroup.max.descendants");
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->v2);
  EXPECT_EQ(w->controller, "cgroup");
  for (const char* v1_file : {"memory.high", "cpu.weight", "pids.max", "io.max"})
    EXPECT_TRUE(FailsWith(plan(R"({"unified": {")" + std::string(v1_file) + R"(": "1"}})", hybrid_host()),
                          ENOTSUP, "is not available in this host's cgroup v2 hierarchy"))
        << v1_file;
}

TEST(PlanHybrid, DevicesUseTheV1Controller) {
  Plan p = plan_ok(R"({"devices": [{"allow": false}]})", hybrid_host());
  EXPECT_EQ(summary(p), (Strings{"v1 devices devices.deny=a"}));
  EXPECT_FALSE(p.v2_devices);
}

TEST(PlanHybrid, MissingControllersNameTheResource) {
  EXPECT_TRUE(FailsWith(plan(R"({"network": {"classID": 1}})", hybrid_host()), ENOTSUP,
                        "linux.resources.network.classID: this host has no net_cls cgroup controller"));
  EXPECT_TRUE(FailsWith(plan(R"({"rdma": {"mlx5_0": {"hcaHandles": 1}}})", hybrid_host()), ENOTSUP,
                        "linux.resources.rdma: this host has no rdma cgroup controller"));
}

// --- pure v2

TEST(PlanV2, MemoryWithSwapAsSwapAlone) {
  Plan p = plan_ok(R"({"memory": {"limit": 1073741824, "swap": 3221225472, "reservation": 536870912}})",
                   v2_host());
  EXPECT_EQ(find(p, "memory.max")->value, "1073741824");
  EXPECT_EQ(find(p, "memory.swap.max")->value, "2147483648") << "swap - limit";
  EXPECT_EQ(find(p, "memory.low")->value, "536870912");
  for (auto& w : p.writes) {
    EXPECT_TRUE(w.v2) << w.file;
    EXPECT_EQ(w.controller, "memory") << w.file;
  }
  EXPECT_EQ(p.writes.size(), 3u);
}

TEST(PlanV2, MemoryUnlimited) {
  Plan p = plan_ok(R"({"memory": {"limit": -1}})", v2_host());
  EXPECT_EQ(find(p, "memory.max")->value, "max");
  EXPECT_EQ(find(p, "memory.swap.max")->value, "max") << "as v1: unlimited memory, swap too";
  p = plan_ok(R"({"memory": {"limit": 1048576, "swap": -1}})", v2_host());
  EXPECT_EQ(find(p, "memory.max")->value, "1048576");
  EXPECT_EQ(find(p, "memory.swap.max")->value, "max");
  p = plan_ok(R"({"memory": {"reservation": -1}})", v2_host());
  EXPECT_EQ(summary(p), (Strings{"v2 memory memory.low=max"}));
}

TEST(PlanV2, MemoryLimitAloneLeavesSwapAlone) {
  Plan p = plan_ok(R"({"memory": {"limit": 1048576}})", v2_host());
  EXPECT_EQ(summary(p), (Strings{"v2 memory memory.max=1048576"}));
}

// swap == limit means "memory+swap = memory", i.e. no swap at all: runc
// writes memory.swap.max=0 ("memory and memorySwap set to the same value --
// disable swap"). An early version wrote nothing, leaving swap unlimited
// (fixed in 38f964e).
TEST(PlanV2, SwapEqualToTheLimitDisablesSwap) {
  Plan p = plan_ok(R"({"memory": {"limit": 1073741824, "swap": 1073741824}})", v2_host());
  EXPECT_EQ(find(p, "memory.max")->value, "1073741824");
  ASSERT_TRUE(writes(p, "memory.swap.max")) << ::testing::PrintToString(summary(p));
  EXPECT_EQ(find(p, "memory.swap.max")->value, "0");
}

TEST(PlanV2, SwapWithoutALimitIsAnError) {
  EXPECT_TRUE(FailsWith(plan(R"({"memory": {"swap": 1073741824}})", v2_host()), EINVAL,
                        "a swap limit needs a memory limit"));
  EXPECT_TRUE(FailsWith(plan(R"({"memory": {"limit": -1, "swap": 1073741824}})", v2_host()), EINVAL,
                        "a swap limit needs a memory limit"));
  // On v1 memsw without a limit is the kernel's business.
  EXPECT_TRUE(plan(R"({"memory": {"swap": 1073741824}})", v1_host()).has_value());
}

TEST(PlanV2, V1OnlyMemorySettingsAreWarnings) {
  Plan p = plan_ok(R"({"memory": {"swappiness": 10, "disableOOMKiller": true}})", v2_host());
  EXPECT_TRUE(p.writes.empty()) << ::testing::PrintToString(summary(p));
  ASSERT_EQ(p.warnings.size(), 2u);
  EXPECT_NE(p.warnings[0].find("swappiness"), std::string::npos) << p.warnings[0];
  EXPECT_NE(p.warnings[1].find("disableOOMKiller"), std::string::npos) << p.warnings[1];
  // disableOOMKiller false asks for nothing.
  EXPECT_TRUE(plan_ok(R"({"memory": {"disableOOMKiller": false}})", v2_host()).warnings.empty());
}

TEST(PlanV2, CpuWeightAndMax) {
  Plan p = plan_ok(R"({"cpu": {"shares": 1024, "quota": 50000, "period": 100000}})", v2_host());
  EXPECT_EQ(summary(p), (Strings{"v2 cpu cpu.weight=39", "v2 cpu cpu.max=50000 100000"}));
}

TEST(PlanV2, CpuMaxForms) {
  EXPECT_EQ(find(plan_ok(R"({"cpu": {"quota": -1, "period": 100000}})", v2_host()), "cpu.max")->value,
            "max 100000");
  EXPECT_EQ(find(plan_ok(R"({"cpu": {"quota": -1}})", v2_host()), "cpu.max")->value, "max");
  EXPECT_EQ(find(plan_ok(R"({"cpu": {"quota": 20000}})", v2_host()), "cpu.max")->value, "20000")
      << "a quota alone keeps the period";
  EXPECT_EQ(find(plan_ok(R"({"cpu": {"period": 250000}})", v2_host()), "cpu.max")->value, "max 250000");
  EXPECT_FALSE(writes(plan_ok(R"({"cpu": {"shares": 2}})", v2_host()), "cpu.max"));
}

TEST(PlanV2, CpuBurstIdleAndCpuset) {
  Plan p = plan_ok(R"({"cpu": {"burst": 5000, "idle": 1, "cpus": "0-3", "mems": "0"}})", v2_host());
  EXPECT_EQ(summary(p), (Strings{"v2 cpu cpu.max.burst=5000", "v2 cpu cpu.idle=1",
                                 "v2 cpuset cpuset.cpus=0-3", "v2 cpuset cpuset.mems=0"}));
}

TEST(PlanV2, RealtimeIsAnError) {
  EXPECT_TRUE(FailsWith(plan(R"({"cpu": {"realtimeRuntime": 950000}})", v2_host()), ENOTSUP,
                        "realtimeRuntime/realtimePeriod: cgroup v2 has no realtime cpu limits"));
  EXPECT_TRUE(FailsWith(plan(R"({"cpu": {"realtimePeriod": 1000000, "shares": 1024}})", v2_host()), ENOTSUP,
                        "realtime"));
}

TEST(PlanV2, PidsNegativeIsMax) {
  EXPECT_EQ(summary(plan_ok(R"({"pids": {"limit": -1}})", v2_host())), (Strings{"v2 pids pids.max=max"}));
  EXPECT_EQ(summary(plan_ok(R"({"pids": {"limit": 64}})", v2_host())), (Strings{"v2 pids pids.max=64"}));
}

TEST(PlanV2, IoWeightsBfqFirstThenConvertedIoWeight) {
  Plan p =
      plan_ok(R"({"blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 100}]}})",
              v2_host());
  ASSERT_EQ(p.writes.size(), 2u);
  EXPECT_EQ(p.writes[0], (Write{true, "io", "io.bfq.weight", "500", "io.weight", "4950"}));
  EXPECT_EQ(p.writes[1], (Write{true, "io", "io.bfq.weight", "8:0 100", "io.weight", "8:0 910"}));
}

TEST(PlanV2, IoMaxOneLinePerLimit) {
  Plan p = plan_ok(R"({"blockIO": {
      "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 20971520}],
      "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 10485760}],
      "throttleReadIOPSDevice": [{"major": 8, "minor": 16, "rate": 1000}],
      "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 0}]}})",
                   v2_host());
  EXPECT_EQ(summary(p), (Strings{"v2 io io.max=8:0 rbps=20971520", "v2 io io.max=8:0 wbps=10485760",
                                 "v2 io io.max=8:16 riops=1000", "v2 io io.max=8:16 wiops=max"}))
      << "rate 0 lifts the limit";
}

TEST(PlanV2, LeafWeightsAreAnError) {
  EXPECT_TRUE(FailsWith(plan(R"({"blockIO": {"leafWeight": 300}})", v2_host()), ENOTSUP,
                        "blockIO.leafWeight: cgroup v2 has no leaf weights"));
  EXPECT_TRUE(FailsWith(
      plan(R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "leafWeight": 300}]}})", v2_host()),
      ENOTSUP, "weightDevice.leafWeight: cgroup v2 has no leaf weights"));
}

TEST(PlanV2, HugetlbMax) {
  Plan p = plan_ok(
      R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "1GB", "limit": 0}]})",
      v2_host());
  EXPECT_EQ(summary(p), (Strings{"v2 hugetlb hugetlb.2MB.max=209715200", "v2 hugetlb hugetlb.1GB.max=0"}));
}

TEST(PlanV2, RdmaMax) {
  Plan p = plan_ok(R"({"rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}}})", v2_host());
  EXPECT_EQ(summary(p), (Strings{"v2 rdma rdma.max=mlx5_1 hca_handle=3 hca_object=10000"}));
}

TEST(PlanV2, NetworkHasNoV2Form) {
  EXPECT_TRUE(FailsWith(plan(R"({"network": {"classID": 1048577}})", v2_host()), ENOTSUP,
                        "linux.resources.network.classID: this host has no net_cls cgroup controller"));
  EXPECT_TRUE(FailsWith(plan(R"({"network": {"priorities": [{"name": "eth0", "priority": 5}]}})", v2_host()),
                        ENOTSUP, "linux.resources.network.priorities"));
  EXPECT_TRUE(plan_ok(R"({"network": {}})", v2_host()).writes.empty()) << "nothing asked, no error";
}

TEST(PlanV2, UnifiedWritesComeLastAndWin) {
  Plan p =
      plan_ok(R"({"memory": {"limit": 1048576}, "unified": {"memory.max": "2097152", "memory.high": "max",
                                                                 "cgroup.freeze": "0"}})",
              v2_host());
  ASSERT_EQ(p.writes.size(), 4u);
  EXPECT_EQ(p.writes[0].file, "memory.max");
  EXPECT_EQ(p.writes[0].value, "1048576");
  // The unified map is ordered by file name.
  EXPECT_EQ(p.writes[1], (Write{true, "cgroup", "cgroup.freeze", "0", "", ""}));
  EXPECT_EQ(p.writes[2], (Write{true, "memory", "memory.high", "max", "", ""}));
  EXPECT_EQ(p.writes[3], (Write{true, "memory", "memory.max", "2097152", "", ""}));
}

TEST(PlanV2, UnifiedForAControllerTheHostLacks) {
  EXPECT_TRUE(FailsWith(plan(R"({"unified": {"net_cls.classid": "1"}})", v2_host()), ENOTSUP,
                        "\"net_cls.classid\": controller net_cls is not available"));
}

TEST(PlanV2, DevicesBecomeTheEbpfProgramsRules) {
  Plan p = plan_ok(R"({"devices": [{"allow": false, "access": "rwm"},
                                   {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}]})",
                   v2_host());
  EXPECT_TRUE(p.writes.empty()) << "v2 has no devices files";
  EXPECT_TRUE(p.v2_devices);
  ASSERT_EQ(p.device_rules.size(), 2u);
  EXPECT_FALSE(p.device_rules[0].allow);
  EXPECT_EQ(p.device_rules[0].type, 'a');
  EXPECT_TRUE(p.device_rules[1].allow);
  EXPECT_EQ(p.device_rules[1].major, 1);
  EXPECT_EQ(p.device_rules[1].minor, 3);
  EXPECT_EQ(p.device_rules[1].access, "rw");
}

TEST(PlanV2, MissingControllerNamesItsV2Name) {
  Controllers no_io = v2_host();
  no_io.v2.erase("io");
  EXPECT_TRUE(FailsWith(plan(R"({"blockIO": {"weight": 100}})", no_io), ENOTSUP,
                        "linux.resources.blockIO: this host has no blkio cgroup controller (v2: io)"));
  Controllers no_memory = v2_host();
  no_memory.v2.erase("memory");
  EXPECT_TRUE(FailsWith(plan(R"({"memory": {"limit": 1}})", no_memory), ENOTSUP,
                        "linux.resources.memory: this host has no memory cgroup controller"));
}

TEST(PlanResources, AFailureInOneResourceFailsThePlan) {
  // No half plans: the error is the result, whatever came before it.
  EXPECT_TRUE(
      FailsWith(plan(R"({"memory": {"limit": 1048576}, "cpu": {"realtimeRuntime": 1000}})", v2_host()),
                ENOTSUP, "realtime"));
}

}  // namespace
}  // namespace husk::cgroups
