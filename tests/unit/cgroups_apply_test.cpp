// cgroups/manager: Manager::apply writing a plan into a fake cgroupfs (a temp
// dir laid out like /sys/fs/cgroup, with the files the kernel would have
// made), and Manager::stats / oom_kills reading one back.
//
// Not covered here: apply's retry of writes the kernel refuses until others
// are in (memsw below memory, ...). Plain files accept every write, so that
// needs the real kernel (integration tests); a write that keeps failing is
// checked below.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "cgroups/manager.hpp"
#include "cgroups/resources.hpp"
#include "spec/resources.hpp"
#include "test_helpers.hpp"

namespace husk::cgroups {
namespace {

using testing::FailsWith;
using testing::get_file;
using testing::put_file;

class ApplyTest : public ::testing::Test {
 protected:
  Hierarchy v1(const std::string& name) {
    Hierarchy h;
    h.mount_point = tmp_ / name;
    h.root = "/";
    h.controllers = {name};
    return h;
  }
  Hierarchy v2() {
    Hierarchy h;
    h.mount_point = tmp_ / "unified";
    h.root = "/";
    h.cgroup2 = true;
    return h;
  }

  // This machine's shape: v1 hierarchies, cgroup2 with hugetlb alone.
  Manager hybrid() {
    Layout l;
    l.kind = LayoutKind::hybrid;
    for (const char* c : {"memory", "cpu", "pids", "blkio", "devices"}) l.hierarchies.push_back(v1(c));
    l.hierarchies.push_back(v2());
    Manager m(l, "/husk/c1");
    for (auto& h : l.hierarchies) EXPECT_TRUE(mkdir_all(m.dir(h)).has_value());
    put_file(tmp_ / "unified/cgroup.controllers", "hugetlb\n");
    return m;
  }

  Manager pure_v2() {
    Layout l;
    l.kind = LayoutKind::v2;
    l.hierarchies.push_back(v2());
    Manager m(l, "/husk/c1");
    EXPECT_TRUE(mkdir_all(m.dir(l.hierarchies[0])).has_value());
    put_file(tmp_ / "unified/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
    return m;
  }

  // Empty files, as the kernel makes them on mkdir.
  void files(const std::string& dir, std::initializer_list<const char*> names) {
    for (const char* n : names) put_file(tmp_ / (dir + "/" + n), "");
  }
  std::string file(const std::string& rel) { return get_file(tmp_ / rel); }

  Plan plan_for(const Manager& m, std::string_view json) {
    auto host = m.controllers();
    EXPECT_TRUE(host.has_value()) << host.error().what();
    auto r = spec::parse_resources(json);
    EXPECT_TRUE(r.has_value()) << r.error().what();
    auto p = plan_resources(r.value_or(spec::Resources{}), host.value_or(Controllers{}));
    EXPECT_TRUE(p.has_value()) << p.error().what();
    return p.value_or(Plan{});
  }

  testing::TempDir tmp_;
};

TEST_F(ApplyTest, ControllersOfAHybridHost) {
  Manager m = hybrid();
  auto c = m.controllers();
  ASSERT_TRUE(c.has_value()) << c.error().what();
  EXPECT_EQ(c->v1, (std::set<std::string>{"memory", "cpu", "pids", "blkio", "devices"}));
  EXPECT_EQ(c->v2, (std::set<std::string>{"hugetlb"}));
  EXPECT_TRUE(c->has_unified);
}

TEST_F(ApplyTest, HybridWritesV1FilesAndV2Hugetlb) {
  Manager m = hybrid();
  files("memory/husk/c1",
        {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.soft_limit_in_bytes"});
  files("cpu/husk/c1", {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us"});
  files("pids/husk/c1", {"pids.max"});
  files("blkio/husk/c1", {"blkio.bfq.weight", "blkio.weight", "blkio.throttle.read_bps_device"});
  files("devices/husk/c1", {"devices.allow", "devices.deny"});
  files("unified/husk/c1", {"hugetlb.2MB.max", "cgroup.controllers"});
  files("unified", {"cgroup.subtree_control"});
  files("unified/husk", {"cgroup.subtree_control"});
  Plan p = plan_for(m, R"({
    "memory": {"limit": 1073741824, "swap": 2147483648, "reservation": 536870912},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000},
    "pids": {"limit": -1},
    "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 10485760}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
    "devices": [{"allow": false}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})");
  auto r = m.apply(p);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(file("memory/husk/c1/memory.limit_in_bytes"), "1073741824");
  EXPECT_EQ(file("memory/husk/c1/memory.memsw.limit_in_bytes"), "2147483648");
  EXPECT_EQ(file("memory/husk/c1/memory.soft_limit_in_bytes"), "536870912");
  EXPECT_EQ(file("cpu/husk/c1/cpu.shares"), "512");
  EXPECT_EQ(file("cpu/husk/c1/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(file("cpu/husk/c1/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(file("pids/husk/c1/pids.max"), "max");
  EXPECT_EQ(file("blkio/husk/c1/blkio.bfq.weight"), "500");
  EXPECT_EQ(file("blkio/husk/c1/blkio.weight"), "") << "BFQ's file exists: CFQ's is left alone";
  EXPECT_EQ(file("blkio/husk/c1/blkio.throttle.read_bps_device"), "8:0 10485760");
  EXPECT_EQ(file("devices/husk/c1/devices.deny"), "a");
  EXPECT_EQ(file("devices/husk/c1/devices.allow"), "c 1:3 rwm");
  EXPECT_EQ(file("unified/husk/c1/hugetlb.2MB.max"), "209715200");
  // hugetlb was not yet usable in the container's v2 cgroup: each level
  // above it hands it on.
  EXPECT_EQ(file("unified/cgroup.subtree_control"), "+hugetlb");
  EXPECT_EQ(file("unified/husk/cgroup.subtree_control"), "+hugetlb");
  // Nothing of v2 lands in the v1 hierarchies or the other way round.
  EXPECT_FALSE(path_exists(tmp_ / "memory/husk/c1/hugetlb.2MB.max"));
  EXPECT_FALSE(path_exists(tmp_ / "unified/husk/c1/memory.limit_in_bytes"));
}

// The kernel takes each write(2) to a cgroup file as one value, so a run of
// rules for one file goes through one open: here the plain file collects
// every rule, in order (one open per rule would leave only the last).
// A v1 realtime budget comes out of the parent's: a parent that lacks what
// its children (the container and its siblings) need gets it first.
TEST_F(ApplyTest, RealtimeRuntimeGivesTheParentsTheBudget) {
  Manager m = hybrid();
  ASSERT_TRUE(mkdir_all(tmp_ / "cpu/husk/other").has_value());
  for (const char* d : {"cpu/husk", "cpu/husk/c1", "cpu/husk/other"}) {
    put_file(tmp_ / (std::string(d) + "/cpu.rt_period_us"), "1000000\n");
    put_file(tmp_ / (std::string(d) + "/cpu.rt_runtime_us"), "0\n");
  }
  put_file(tmp_ / "cpu/husk/other/cpu.rt_runtime_us", "20000\n");
  Plan p = plan_for(m, R"({"cpu": {"realtimeRuntime": 10000, "realtimePeriod": 1000000}})");
  auto r = m.apply(p);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(file("cpu/husk/cpu.rt_runtime_us"), "30000");  // the container's and its sibling's
  EXPECT_EQ(file("cpu/husk/c1/cpu.rt_runtime_us"), "10000");
  EXPECT_EQ(file("cpu/husk/other/cpu.rt_runtime_us"), "20000\n");

  // A parent with enough is left alone.
  put_file(tmp_ / "cpu/husk/cpu.rt_runtime_us", "500000\n");
  ASSERT_TRUE(m.apply(p).has_value());
  EXPECT_EQ(file("cpu/husk/cpu.rt_runtime_us"), "500000\n");
}

TEST_F(ApplyTest, ConsecutiveWritesToOneFileShareOneOpen) {
  Manager m = hybrid();
  files("devices/husk/c1", {"devices.allow", "devices.deny"});
  Plan p = plan_for(m, R"({"devices": [
    {"allow": false},
    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rw"},
    {"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}]})");
  auto r = m.apply(p);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  std::string allowed = file("devices/husk/c1/devices.allow");
  size_t first = allowed.find("c 1:3 rwm"), second = allowed.find("c 1:5 rw"),
         third = allowed.find("b 8:0 r");
  ASSERT_NE(first, std::string::npos) << allowed;
  ASSERT_NE(second, std::string::npos) << allowed;
  ASSERT_NE(third, std::string::npos) << allowed;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_EQ(file("devices/husk/c1/devices.deny"), "a");
}

TEST_F(ApplyTest, PureV2WritesV2Files) {
  Manager m = pure_v2();
  // The controllers are already enabled for the cgroup (as create() leaves
  // it on pure v2): no subtree_control files are needed.
  put_file(tmp_ / "unified/husk/c1/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  files("unified/husk/c1", {"memory.max", "memory.swap.max", "memory.low", "cpu.weight", "cpu.max",
                            "pids.max", "io.weight", "io.max", "cpuset.cpus", "rdma.max"});
  Plan p = plan_for(m, R"({
    "memory": {"limit": 1073741824, "swap": 3221225472, "reservation": 536870912},
    "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0-1"},
    "pids": {"limit": 64},
    "blockIO": {"weight": 500, "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 10485760}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3}}})");
  auto r = m.apply(p);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  std::string leaf = "unified/husk/c1/";
  EXPECT_EQ(file(leaf + "memory.max"), "1073741824");
  EXPECT_EQ(file(leaf + "memory.swap.max"), "2147483648") << "memory+swap - memory";
  EXPECT_EQ(file(leaf + "memory.low"), "536870912");
  EXPECT_EQ(file(leaf + "cpu.weight"), "39");
  EXPECT_EQ(file(leaf + "cpu.max"), "50000 100000");
  EXPECT_EQ(file(leaf + "cpuset.cpus"), "0-1");
  EXPECT_EQ(file(leaf + "pids.max"), "64");
  EXPECT_EQ(file(leaf + "io.weight"), "4950") << "no io.bfq.weight: the converted io.weight";
  EXPECT_EQ(file(leaf + "io.max"), "8:0 wbps=10485760");
  EXPECT_EQ(file(leaf + "rdma.max"), "mlx5_1 hca_handle=3");
  EXPECT_FALSE(path_exists(tmp_ / "unified/cgroup.subtree_control"));
}

TEST_F(ApplyTest, BfqWeightPreferredOnV2) {
  Manager m = pure_v2();
  put_file(tmp_ / "unified/husk/c1/cgroup.controllers", "io\n");
  files("unified/husk/c1", {"io.bfq.weight", "io.weight"});
  auto r = m.apply(plan_for(m, R"({"blockIO": {"weight": 500}})"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(file("unified/husk/c1/io.bfq.weight"), "500") << "BFQ takes blkio's own scale";
  EXPECT_EQ(file("unified/husk/c1/io.weight"), "");
}

TEST_F(ApplyTest, AltFileWhenTheFirstIsMissing) {
  Manager m = hybrid();
  files("blkio/husk/c1", {"blkio.weight", "blkio.weight_device"});  // CFQ's files only (older kernel)
  auto r = m.apply(plan_for(
      m, R"({"blockIO": {"weight": 300, "weightDevice": [{"major": 8, "minor": 0, "weight": 700}]}})"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(file("blkio/husk/c1/blkio.weight"), "300");
  EXPECT_EQ(file("blkio/husk/c1/blkio.weight_device"), "8:0 700");
  EXPECT_FALSE(path_exists(tmp_ / "blkio/husk/c1/blkio.bfq.weight")) << "write_file makes no files";
}

TEST_F(ApplyTest, NeitherFileNorAltIsEnotsupNamingBoth) {
  Manager m = hybrid();
  auto r = m.apply(plan_for(m, R"({"blockIO": {"weight": 300}})"));
  EXPECT_TRUE(
      FailsWith(r, ENOTSUP, "this kernel has no blkio.bfq.weight nor blkio.weight (blkio controller)"));
}

TEST_F(ApplyTest, MissingFileIsEnotsupNamingIt) {
  Manager m = hybrid();
  files("unified/husk/c1", {"cgroup.controllers"});
  put_file(tmp_ / "unified/husk/c1/cgroup.controllers", "hugetlb\n");
  auto r = m.apply(plan_for(m, R"({"hugepageLimits": [{"pageSize": "1GB", "limit": 0}]})"));
  EXPECT_TRUE(
      FailsWith(r, ENOTSUP, "cgroup /husk/c1: this kernel has no hugetlb.1GB.max (hugetlb controller)"));
  EXPECT_NE(r.error().message().find("\"0\" cannot be set"), std::string::npos) << r.error().message();

  r = m.apply(plan_for(m, R"({"pids": {"limit": 10}})"));
  EXPECT_TRUE(FailsWith(r, ENOTSUP, "this kernel has no pids.max"));
}

TEST_F(ApplyTest, MissingFileStopsAtOnceWithoutRetrying) {
  // ENOTSUP is final: later writes of the plan are not made.
  Manager m = hybrid();
  files("pids/husk/c1", {"pids.max"});
  Plan p;
  p.writes.push_back({false, "memory", "memory.kmem.limit_in_bytes", "1", "", ""});
  p.writes.push_back({false, "pids", "pids.max", "10", "", ""});
  EXPECT_TRUE(FailsWith(m.apply(p), ENOTSUP, "memory.kmem.limit_in_bytes"));
  EXPECT_EQ(file("pids/husk/c1/pids.max"), "");
}

TEST_F(ApplyTest, AWriteThatKeepsFailingIsReportedAfterTheOthers) {
  // A directory where the file should be: every round refuses it (EISDIR),
  // the other writes still happen, and apply ends instead of looping.
  Manager m = hybrid();
  files("memory/husk/c1", {"memory.limit_in_bytes", "memory.soft_limit_in_bytes"});
  ASSERT_TRUE(mkdir_all(tmp_ / "memory/husk/c1/memory.swappiness").has_value());
  auto r = m.apply(plan_for(m, R"({"memory": {"limit": 4096, "swappiness": 60, "reservation": 2048}})"));
  EXPECT_TRUE(FailsWith(r, EISDIR, "cgroup /husk/c1: write \"60\" to memory.swappiness"));
  EXPECT_EQ(file("memory/husk/c1/memory.limit_in_bytes"), "4096");
  EXPECT_EQ(file("memory/husk/c1/memory.soft_limit_in_bytes"), "2048");
}

TEST_F(ApplyTest, V1WriteWithoutItsHierarchy) {
  Manager m = hybrid();
  Plan p;
  p.writes.push_back({false, "net_cls", "net_cls.classid", "1048577", "", ""});
  EXPECT_TRUE(FailsWith(m.apply(p), ENOTSUP, "no net_cls cgroup hierarchy"));
}

TEST_F(ApplyTest, V2DevicesWithoutCgroup2) {
  Layout l;
  l.kind = LayoutKind::v1;
  l.hierarchies.push_back(v1("memory"));
  Manager m(l, "/husk/c1");
  Plan p;
  p.v2_devices = true;
  p.device_rules = {{false, 'a', std::nullopt, std::nullopt, "rwm"}};
  EXPECT_TRUE(FailsWith(m.apply(p), ENOTSUP, "device rules need cgroup v2"));
}

TEST_F(ApplyTest, CgroupFilesNeedNoController) {
  // unified's cgroup.* files: nothing to enable in subtree_control (there is
  // no such file here; reading it would fail).
  Manager m = pure_v2();
  files("unified/husk/c1", {"cgroup.controllers", "cgroup.max.descendants"});
  auto r = m.apply(plan_for(m, R"({"unified": {"cgroup.max.descendants": "10"}})"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(file("unified/husk/c1/cgroup.max.descendants"), "10");
}

TEST_F(ApplyTest, EnablingAControllerOnlyWhereItIsOff) {
  Manager m = pure_v2();
  put_file(tmp_ / "unified/cgroup.subtree_control", "cpu memory\n");
  put_file(tmp_ / "unified/husk/cgroup.subtree_control", "memory\n");
  files("unified/husk/c1", {"cgroup.controllers", "memory.max", "cpu.weight"});
  auto r = m.apply(plan_for(m, R"({"memory": {"limit": 4096}, "cpu": {"shares": 2}})"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(file("unified/cgroup.subtree_control"), "cpu memory\n") << "both on already: untouched";
  EXPECT_EQ(file("unified/husk/cgroup.subtree_control"), "+cpu");
  EXPECT_EQ(file("unified/husk/c1/memory.max"), "4096");
  EXPECT_EQ(file("unified/husk/c1/cpu.weight"), "1");
}

// Regression: a v2 kernel without swap accounting has no memory.swap.max;
// lifting a limit ("max") must not fail on it (runc ignores it too).
TEST_F(ApplyTest, UnlimitedMemoryWithoutSwapAccounting) {
  Manager m = pure_v2();
  put_file(tmp_ / "unified/husk/c1/cgroup.controllers", "memory\n");
  files("unified/husk/c1", {"memory.max"});
  auto r = m.apply(plan_for(m, R"({"memory": {"limit": -1}})"));
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(file("unified/husk/c1/memory.max"), "max");
}

// --- reading back

TEST_F(ApplyTest, StatsOfAHybridHost) {
  Layout l;
  l.kind = LayoutKind::hybrid;
  for (const char* c : {"cpu", "cpuacct", "memory", "pids"}) l.hierarchies.push_back(v1(c));
  l.hierarchies.push_back(v2());
  Manager m(l, "/husk/c1");
  for (auto& h : l.hierarchies) ASSERT_TRUE(mkdir_all(m.dir(h)).has_value());
  put_file(tmp_ / "unified/cgroup.controllers", "hugetlb\n");
  put_file(tmp_ / "cpuacct/husk/c1/cpuacct.usage", "5000\n");
  put_file(tmp_ / "cpuacct/husk/c1/cpuacct.usage_percpu", "3000 2000 \n");
  put_file(tmp_ / "cpu/husk/c1/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 900\n");
  put_file(tmp_ / "memory/husk/c1/memory.usage_in_bytes", "8192\n");
  put_file(tmp_ / "memory/husk/c1/memory.limit_in_bytes", "1048576\n");
  put_file(tmp_ / "pids/husk/c1/pids.current", "2\n");
  put_file(tmp_ / "pids/husk/c1/pids.max", "10\n");
  put_file(tmp_ / "unified/husk/c1/hugetlb.2MB.max", "max\n");
  put_file(tmp_ / "unified/husk/c1/hugetlb.2MB.current", "2097152\n");
  auto s = m.stats();
  ASSERT_TRUE(s.has_value()) << s.error().what();
  ASSERT_TRUE(s->cpu.has_value());
  EXPECT_EQ(s->cpu->total_ns, 5000u);
  EXPECT_EQ(s->cpu->throttled_periods, 1u) << "from the cpu hierarchy";
  ASSERT_TRUE(s->memory.has_value());
  EXPECT_EQ(s->memory->usage.usage, 8192u);
  EXPECT_EQ(s->memory->usage.limit, 1048576u);
  ASSERT_TRUE(s->pids.has_value());
  EXPECT_EQ(s->pids->current, 2u);
  EXPECT_EQ(s->pids->limit, 10u);
  EXPECT_FALSE(s->blkio.has_value()) << "no blkio hierarchy, no io controller";
  ASSERT_EQ(s->hugetlb.size(), 1u);
  EXPECT_EQ(s->hugetlb.at("2MB").usage, 2097152u);
  auto j = nlohmann::json::parse(stats_to_json(*s));
  EXPECT_EQ(j["cpu"]["usage"]["percpu"], nlohmann::json::parse("[3000, 2000]"));
}

TEST_F(ApplyTest, OomKillsV1AndV2) {
  Manager v1m = hybrid();
  put_file(tmp_ / "memory/husk/c1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  EXPECT_EQ(v1m.oom_kills().value_or(99), 2u);

  Manager v2m = pure_v2();
  put_file(tmp_ / "unified/husk/c1/memory.events",
           "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n");
  EXPECT_EQ(v2m.oom_kills().value_or(99), 1u);
}

// runc's `exec --cgroup`: a path for every hierarchy, or for one
// controller's; it must exist and stay under the container's cgroup.
TEST_F(ApplyTest, ExecSubCgroupsByControllerOrForAll) {
  Manager m = hybrid();
  for (const char* c : {"memory", "cpu", "pids", "blkio", "devices", "unified"})
    ASSERT_TRUE(mkdir_all(tmp_ / (std::string(c) + "/husk/c1/sub")).has_value());
  ASSERT_TRUE(mkdir_all(tmp_ / "memory/husk/c1/msub").has_value());
  auto all = m.sub_dirs({{"", "sub"}});
  ASSERT_TRUE(all.has_value()) << all.error().what();
  ASSERT_EQ(all->v1.size(), 5u);
  for (auto& d : all->v1) EXPECT_TRUE(d.ends_with("/husk/c1/sub")) << d;
  EXPECT_EQ(all->unified, tmp_ / "unified/husk/c1/sub");
  auto mem = m.sub_dirs({{"memory", "msub"}});
  ASSERT_TRUE(mem.has_value()) << mem.error().what();
  EXPECT_EQ(mem->v1[0], tmp_ / "memory/husk/c1/msub");
  EXPECT_EQ(mem->v1[1], tmp_ / "cpu/husk/c1");
  EXPECT_EQ(mem->unified, tmp_ / "unified/husk/c1");
  EXPECT_TRUE(FailsWith(m.sub_dirs({{"", "nosuch"}}), ENOENT, "does not exist"));
  EXPECT_TRUE(FailsWith(m.sub_dirs({{"", "../.."}}), EINVAL, "leaves the container's cgroup"));
  EXPECT_TRUE(FailsWith(m.sub_dirs({{"rdma", "sub"}}), EINVAL, "this host has no rdma cgroup hierarchy"));
  // On a v2-only host, one tree: a controller's path is the path.
  Manager v2 = pure_v2();
  ASSERT_TRUE(mkdir_all(tmp_ / "unified/husk/c1/s2").has_value());
  auto one = v2.sub_dirs({{"memory", "s2"}});
  ASSERT_TRUE(one.has_value()) << one.error().what();
  EXPECT_EQ(one->unified, tmp_ / "unified/husk/c1/s2");
  EXPECT_TRUE(one->v1.empty());
}

}  // namespace
}  // namespace husk::cgroups
