// engine/resources: docker's resource flags as linux.resources: units,
// conversions (--cpus over a 100ms period, memory+swap twice -m), ranges,
// conflicts and docker's messages; create and update modes.
#include <gtest/gtest.h>

#include "engine/resources.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;

ResourceHost two_cpus() {
  ResourceHost h;
  h.cpu_count = 2;
  h.cpus_online = "0-1";
  h.mems_online = "0";
  h.blkio_weight = true;
  h.block_device = [](const std::string& path) -> Result<DeviceNumber> {
    if (path == "/dev/sda") return DeviceNumber{8, 0};
    return fail_code(ENOENT, "stat " + path + ": no such device");
  };
  return h;
}

Result<ResourceLimits> create(const ResourceFlags& f) {
  return resources_from_flags(f, two_cpus(), ResourceMode::create);
}

TEST(EngineResources, NothingAskedNothingSet) {
  auto r = create(ResourceFlags{});
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_FALSE(r->resources.memory || r->resources.cpu || r->resources.pids || r->resources.block_io);
  EXPECT_TRUE(r->warnings.empty());
}

TEST(EngineResources, MemoryUnitsAndDockersSwapDefault) {
  ResourceFlags f;
  f.memory = "10m";
  auto r = create(f);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(*r->resources.memory->limit, 10 << 20);
  EXPECT_EQ(*r->resources.memory->swap, 20 << 20);  // twice -m unless told
  f.memory_swap = "-1";
  f.memory_reservation = "8M";
  f.oom_kill_disable = true;
  r = create(f);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(*r->resources.memory->swap, -1);
  EXPECT_EQ(*r->resources.memory->reservation, 8 << 20);
  EXPECT_TRUE(*r->resources.memory->disable_oom_killer);
  f.memory = "1g";
  f.memory_swap = "1g";
  r = create(f);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->resources.memory->swap, int64_t{1} << 30);
}

TEST(EngineResources, MemoryWithoutSwapAccounting) {
  auto host = two_cpus();
  host.swap_limit = false;
  ResourceFlags f;
  f.memory = "10m";
  f.memory_swap = "30m";
  auto r = resources_from_flags(f, host, ResourceMode::create);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->resources.memory->limit, 10 << 20);
  EXPECT_FALSE(r->resources.memory->swap);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("Memory limited without swap"), std::string::npos);
  f.memory_swap = "";  // and no twice-the-limit default either
  r = resources_from_flags(f, host, ResourceMode::create);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->resources.memory->swap);
  EXPECT_TRUE(r->warnings.empty());
}

TEST(EngineResources, MemoryRefusalsAsDockers) {
  ResourceFlags f;
  f.memory = "foo";
  EXPECT_TRUE(
      FailsWith(create(f), EINVAL, "invalid argument \"foo\" for \"-m, --memory\" flag: invalid size"));
  f.memory = "-1";
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "invalid size"));
  f.memory = "5m";
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "Minimum memory limit allowed is 6MB"));
  f.memory = "10m";
  f.memory_swap = "5m";
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "Minimum memoryswap limit should be larger than memory limit"));
  f.memory_swap = "";
  f.memory_reservation = "20m";
  EXPECT_TRUE(
      FailsWith(create(f), EINVAL, "Minimum memory limit can not be less than memory reservation limit"));
  ResourceFlags swap_alone;
  swap_alone.memory_swap = "100m";
  EXPECT_TRUE(FailsWith(create(swap_alone), EINVAL, "You should always set the Memory limit"));
  swap_alone.memory_swap = "-1";  // unlimited swap needs no limit
  EXPECT_EQ(*create(swap_alone)->resources.memory->swap, -1);
}

TEST(EngineResources, OomKillDisableWithoutMemoryWarns) {
  ResourceFlags f;
  f.oom_kill_disable = true;
  auto r = create(f);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("Disabling the OOM killer"), std::string::npos);
}

TEST(EngineResources, CpusIsAQuotaOverAHundredMillisecondPeriod) {
  ResourceFlags f;
  f.cpus = "0.1";
  auto r = create(f);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(*r->resources.cpu->period, 100000u);
  EXPECT_EQ(*r->resources.cpu->quota, 10000);
  f.cpus = "1.5";
  EXPECT_EQ(*create(f)->resources.cpu->quota, 150000);
  f.cpus = "2";
  EXPECT_EQ(*create(f)->resources.cpu->quota, 200000);
}

TEST(EngineResources, NanoCpusParse) {
  EXPECT_EQ(*parse_nano_cpus("0.5"), 500000000);
  EXPECT_EQ(*parse_nano_cpus(".25"), 250000000);
  EXPECT_EQ(*parse_nano_cpus("-1"), -1000000000);
  EXPECT_TRUE(FailsWith(parse_nano_cpus("x"), EINVAL, "failed to parse x as a rational number"));
  EXPECT_TRUE(FailsWith(parse_nano_cpus("1.2.3"), EINVAL, "rational number"));
  EXPECT_TRUE(FailsWith(parse_nano_cpus("0.0000000001"), EINVAL, "value is too precise"));
}

TEST(EngineResources, CpuRangesAndConflicts) {
  ResourceFlags f;
  f.cpus = "-1";
  EXPECT_TRUE(
      FailsWith(create(f), EINVAL, "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"));
  f.cpus = "3";
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "Range of CPUs"));
  f.cpus = "0.5";
  f.cpu_quota = "20000";
  EXPECT_TRUE(
      FailsWith(create(f), EINVAL, "Conflicting options: Nano CPUs and CPU Quota cannot both be set"));
  f.cpu_quota = "";
  f.cpu_period = "50000";
  EXPECT_TRUE(
      FailsWith(create(f), EINVAL, "Conflicting options: Nano CPUs and CPU Period cannot both be set"));
  ResourceFlags q;
  q.cpu_period = "500";
  EXPECT_TRUE(FailsWith(create(q), EINVAL, "CPU cfs period can not be less than 1ms"));
  q.cpu_period = "50000";
  q.cpu_quota = "999";
  EXPECT_TRUE(FailsWith(create(q), EINVAL, "CPU cfs quota can not be less than 1ms"));
  q.cpu_quota = "25000";
  auto r = create(q);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->resources.cpu->period, 50000u);
  EXPECT_EQ(*r->resources.cpu->quota, 25000);
  q.cpu_quota = "abc";
  EXPECT_TRUE(FailsWith(create(q), EINVAL, "invalid argument \"abc\" for \"--cpu-quota\" flag"));
}

TEST(EngineResources, CpuSharesAreClampedWithAWarning) {
  ResourceFlags f;
  f.cpu_shares = "1";
  auto r = create(f);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->resources.cpu->shares, 2u);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("minimum allowed of 2"), std::string::npos);
  f.cpu_shares = "512";
  EXPECT_EQ(*create(f)->resources.cpu->shares, 512u);
}

TEST(EngineResources, CpusetsMustExistOnTheHost) {
  ResourceFlags f;
  f.cpuset_cpus = "0-1";
  f.cpuset_mems = "0";
  auto r = create(f);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->resources.cpu->cpus, "0-1");
  EXPECT_EQ(r->resources.cpu->mems, "0");
  f.cpuset_cpus = "0-3";
  EXPECT_TRUE(
      FailsWith(create(f), EINVAL, "Requested CPUs are not available - requested 0-3, available: 0-1"));
  f.cpuset_cpus = "1-0";
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "Invalid value 1-0 for cpuset cpus"));
  f.cpuset_cpus = "";
  f.cpuset_mems = "1";
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "Requested memory nodes are not available"));
}

TEST(EngineResources, PidsLimitZeroAndMinusOneAreUnlimited) {
  ResourceFlags f;
  f.pids_limit = "100";
  EXPECT_EQ(create(f)->resources.pids->limit, 100);
  f.pids_limit = "-1";
  EXPECT_FALSE(create(f)->resources.pids);  // a new cgroup has no limit
  auto up = resources_from_flags(f, two_cpus(), ResourceMode::update);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->resources.pids->limit, -1);  // an update lifts the limit ("max")
  f.pids_limit = "lots";
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "\"--pids-limit\" flag"));
}

TEST(EngineResources, BlkioWeightRangeAndHostSupport) {
  ResourceFlags f;
  f.blkio_weight = "500";
  EXPECT_EQ(*create(f)->resources.block_io->weight, 500);
  f.blkio_weight = "5";
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "Range of blkio weight is from 10 to 1000"));
  auto host = two_cpus();
  host.blkio_weight = false;
  f.blkio_weight = "500";
  auto r = resources_from_flags(f, host, ResourceMode::create);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->resources.block_io);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("Weight discarded"), std::string::npos);
}

TEST(EngineResources, DeviceThrottlesWithDockersUnits) {
  ResourceFlags f;
  f.device_read_bps = {"/dev/sda:1mb"};
  f.device_write_bps = {"/dev/sda:512kb"};
  f.device_read_iops = {"/dev/sda:100"};
  f.device_write_iops = {"/dev/sda:50"};
  auto r = create(f);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  auto& b = *r->resources.block_io;
  ASSERT_EQ(b.throttle_read_bps.size(), 1u);
  EXPECT_EQ(b.throttle_read_bps[0].major, 8);
  EXPECT_EQ(b.throttle_read_bps[0].minor, 0);
  EXPECT_EQ(b.throttle_read_bps[0].rate, 1u << 20);
  EXPECT_EQ(b.throttle_write_bps[0].rate, 512u << 10);
  EXPECT_EQ(b.throttle_read_iops[0].rate, 100u);
  EXPECT_EQ(b.throttle_write_iops[0].rate, 50u);
}

TEST(EngineResources, DeviceThrottleRefusals) {
  ResourceFlags f;
  f.device_read_bps = {"/dev/sda"};
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "bad format: /dev/sda"));
  f.device_read_bps = {"sda:1mb"};
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "bad format for device path"));
  f.device_read_bps = {"/dev/sda:fast"};
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "invalid rate for device"));
  f.device_read_bps = {};
  f.device_write_iops = {"/dev/sda:1mb"};
  EXPECT_TRUE(FailsWith(create(f), EINVAL, "invalid rate for device"));
  f.device_write_iops = {"/dev/nosuch:10"};
  EXPECT_TRUE(FailsWith(create(f), ENOENT, "no such device"));
}

TEST(EngineResources, UpdateChangesOnlyWhatIsGiven) {
  ResourceFlags f;
  f.memory = "64m";
  auto r = resources_from_flags(f, two_cpus(), ResourceMode::update);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->resources.memory->limit, 64 << 20);
  EXPECT_FALSE(r->resources.memory->swap);  // the swap in force stays
  ResourceFlags swap_only;
  swap_only.memory_swap = "128m";
  r = resources_from_flags(swap_only, two_cpus(), ResourceMode::update);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r->resources.memory->swap, 128 << 20);
}

TEST(EngineResources, CheckCpuList) {
  EXPECT_TRUE(check_cpu_list("0,1", "0-1", "cpus").has_value());
  EXPECT_TRUE(check_cpu_list("2", "0-3,5", "cpus").has_value());
  EXPECT_TRUE(FailsWith(check_cpu_list("4", "0-3,5", "cpus"), EINVAL, "not available"));
  EXPECT_TRUE(FailsWith(check_cpu_list("a", "0-3", "mems"), EINVAL, "Invalid value a for cpuset mems"));
}

}  // namespace
}  // namespace husk::engine
