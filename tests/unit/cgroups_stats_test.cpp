// cgroups/stats: the v1 and v2 readers against fake cgroup files (contents
// copied from a real v1 host and from the kernel's cgroup-v2 documentation),
// and the JSON shape of runc's stats event.
#include "cgroups/stats.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "test_helpers.hpp"

namespace husk::cgroups {
namespace {

using nlohmann::json;
using testing::put_file;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

class StatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = ::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/husk-unit-stats-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << "mkdtemp " << tmpl;
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) (void)remove_all(dir_);
  }
  // A subdirectory of the temp dir, made.
  std::string sub(const std::string& name) {
    std::string d = dir_ + "/" + name;
    EXPECT_TRUE(mkdir_all(d).has_value());
    return d;
  }
  std::string dir_;
};

// --- parse_flat_keyed

TEST(ParseFlatKeyed, KeyValueLines) {
  auto m = parse_flat_keyed("cache 9412608\nrss 6782976\nhierarchical_memory_limit 9223372036854771712\n");
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m["cache"], 9412608u);
  EXPECT_EQ(m["rss"], 6782976u);
  EXPECT_EQ(m["hierarchical_memory_limit"], 9223372036854771712u);
}

TEST(ParseFlatKeyed, SkipsWhatIsNotKeyNumber) {
  auto m = parse_flat_keyed("a 1\n\nnovalue\nb notanumber\nc 2\n  \nd 3");
  EXPECT_EQ(m, (std::map<std::string, uint64_t>{{"a", 1}, {"c", 2}, {"d", 3}}));
  EXPECT_TRUE(parse_flat_keyed("").empty());
}

// --- cpu

TEST_F(StatsTest, CpuV1UsageFromCpuacctThrottlingFromCpu) {
  // Separate hierarchies, as on this host: /sys/fs/cgroup/cpuacct and .../cpu.
  std::string acct = sub("cpuacct"), cpu = sub("cpu");
  put_file(acct + "/cpuacct.usage", "8457997149730\n");
  put_file(acct + "/cpuacct.usage_percpu", "4162717776336 4295279373394 \n");
  put_file(acct + "/cpuacct.stat", "user 645378\nsystem 200806\n");
  put_file(cpu + "/cpu.stat",
           "nr_periods 120\nnr_throttled 7\nthrottled_time 35000000\nnr_bursts 0\nburst_time 0\n");
  // Decoys: throttling is not read from the cpuacct dir.
  put_file(acct + "/cpu.stat", "nr_periods 999\nnr_throttled 999\nthrottled_time 999\n");
  auto s = read_cpu_v1(acct, cpu);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ(s->total_ns, 8457997149730u);
  EXPECT_EQ(s->percpu_ns, (std::vector<uint64_t>{4162717776336u, 4295279373394u}));
  EXPECT_EQ(s->user_ns, 645378ULL * 10000000ULL) << "USER_HZ ticks (10 ms) to ns";
  EXPECT_EQ(s->kernel_ns, 200806ULL * 10000000ULL);
  EXPECT_EQ(s->periods, 120u);
  EXPECT_EQ(s->throttled_periods, 7u);
  EXPECT_EQ(s->throttled_ns, 35000000u) << "v1 throttled_time is already ns";
}

TEST_F(StatsTest, CpuV1OptionalFilesMissing) {
  std::string acct = sub("cpuacct");
  put_file(acct + "/cpuacct.usage", "42\n");
  auto s = read_cpu_v1(acct, acct);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ(s->total_ns, 42u);
  EXPECT_TRUE(s->percpu_ns.empty());
  EXPECT_EQ(s->user_ns, 0u);
  EXPECT_EQ(s->periods, 0u);
}

TEST_F(StatsTest, CpuV1WithoutUsageIsAnError) {
  std::string acct = sub("cpuacct");
  EXPECT_TRUE(testing::FailsWith(read_cpu_v1(acct, acct), ENOENT, "cpuacct.usage"));
  put_file(acct + "/cpuacct.usage", "lots\n");
  EXPECT_TRUE(testing::FailsWith(read_cpu_v1(acct, acct), EINVAL, "not a number"));
}

TEST_F(StatsTest, CpuV2MicrosecondsToNanoseconds) {
  std::string d = sub("c1");
  put_file(d + "/cpu.stat",
           "usage_usec 8386758929\nuser_usec 6396511644\nsystem_usec 1990247284\n"
           "core_sched.force_idle_usec 0\nnr_periods 250\nnr_throttled 12\nthrottled_usec 480000\n"
           "nr_bursts 1\nburst_usec 2000\n");
  auto s = read_cpu_v2(d);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ(s->total_ns, 8386758929000u);
  EXPECT_EQ(s->user_ns, 6396511644000u);
  EXPECT_EQ(s->kernel_ns, 1990247284000u);
  EXPECT_TRUE(s->percpu_ns.empty()) << "v2 has no per-cpu usage";
  EXPECT_EQ(s->periods, 250u);
  EXPECT_EQ(s->throttled_periods, 12u);
  EXPECT_EQ(s->throttled_ns, 480000000u);
}

TEST_F(StatsTest, CpuV2WithoutTheCpuControllerHasUsageOnly) {
  // cpu.stat of a cgroup whose parent does not hand the cpu controller on.
  std::string d = sub("c1");
  put_file(d + "/cpu.stat", "usage_usec 1000\nuser_usec 600\nsystem_usec 400\n");
  auto s = read_cpu_v2(d);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ(s->total_ns, 1000000u);
  EXPECT_EQ(s->periods, 0u);
  EXPECT_EQ(s->throttled_ns, 0u);
  EXPECT_TRUE(testing::FailsWith(read_cpu_v2(sub("empty")), ENOENT, "cpu.stat"));
}

// --- memory

// memory.stat as this host's v1 memory hierarchy shows it (shortened).
constexpr std::string_view kMemoryStatV1 =
    "cache 9412608\nrss 6782976\nrss_huge 0\nshmem 9068544\nmapped_file 7426048\ndirty 28672\nwriteback 0\n"
    "swap 0\npgpgin 78708\npgpgout 74754\npgfault 123167\npgmajfault 0\ninactive_anon 0\nactive_anon "
    "1531904\n"
    "inactive_file 20480\nactive_file 323584\nunevictable 14315520\n"
    "hierarchical_memory_limit 9223372036854771712\nhierarchical_memsw_limit 9223372036854771712\n"
    "total_cache 13493452\ntotal_rss 5445058\ntotal_swap 0\ntotal_unevictable 14315520\n";

void put_v1_memory(const std::string& d) {
  put_file(d + "/memory.usage_in_bytes", "16195584\n");
  put_file(d + "/memory.max_usage_in_bytes", "40960000\n");
  put_file(d + "/memory.limit_in_bytes", "536870912\n");
  put_file(d + "/memory.failcnt", "3\n");
  put_file(d + "/memory.stat", kMemoryStatV1);
}

TEST_F(StatsTest, MemoryV1) {
  std::string d = sub("memory");
  put_v1_memory(d);
  put_file(d + "/memory.memsw.usage_in_bytes", "17195584\n");
  put_file(d + "/memory.memsw.max_usage_in_bytes", "41960000\n");
  put_file(d + "/memory.memsw.limit_in_bytes", "1073741824\n");
  put_file(d + "/memory.memsw.failcnt", "1\n");
  put_file(d + "/memory.kmem.usage_in_bytes", "2297856\n");
  put_file(d + "/memory.kmem.max_usage_in_bytes", "3297856\n");
  put_file(d + "/memory.kmem.limit_in_bytes", "9223372036854771712\n");
  put_file(d + "/memory.kmem.failcnt", "0\n");
  auto m = read_memory_v1(d);
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->usage.usage, 16195584u);
  EXPECT_EQ(m->usage.max, 40960000u);
  EXPECT_EQ(m->usage.limit, 536870912u);
  EXPECT_EQ(m->usage.failcnt, 3u);
  EXPECT_EQ(m->swap.usage, 17195584u);
  EXPECT_EQ(m->swap.max, 41960000u);
  EXPECT_EQ(m->swap.limit, 1073741824u);
  EXPECT_EQ(m->swap.failcnt, 1u);
  EXPECT_EQ(m->kernel.usage, 2297856u);
  EXPECT_EQ(m->kernel.max, 3297856u);
  EXPECT_EQ(m->kernel.limit, 9223372036854771712u);
  EXPECT_EQ(m->raw.size(), 23u);
  EXPECT_EQ(m->raw.at("rss"), 6782976u);
  EXPECT_EQ(m->raw.at("hierarchical_memsw_limit"), 9223372036854771712u);
  // The cgroup's own "cache", as runc reports it (not total_cache).
  EXPECT_EQ(m->cache, 9412608u);
}

TEST_F(StatsTest, MemoryV1WithoutSwapAccounting) {
  // No memsw files (swapaccount=0), no kmem files (kernel >= 6.x), and a
  // memory.stat without total_* lines.
  std::string d = sub("memory");
  put_v1_memory(d);
  put_file(d + "/memory.stat", "cache 4096\nrss 8192\n");
  auto m = read_memory_v1(d);
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->usage.usage, 16195584u);
  EXPECT_EQ(m->swap.usage, 0u);
  EXPECT_EQ(m->swap.limit, 0u);
  EXPECT_EQ(m->kernel.usage, 0u);
  EXPECT_EQ(m->cache, 4096u);
}

TEST_F(StatsTest, MemoryV1WithoutUsageIsAnError) {
  EXPECT_TRUE(testing::FailsWith(read_memory_v1(sub("memory")), ENOENT, "memory.usage_in_bytes"));
}

// memory.stat as the cgroup-v2 documentation lists it (shortened).
constexpr std::string_view kMemoryStatV2 =
    "anon 1331200\nfile 6651904\nkernel 1880064\nkernel_stack 65536\npagetables 126976\nsec_pagetables 0\n"
    "percpu 0\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\nfile_mapped 1720320\nfile_dirty 0\n"
    "file_writeback 0\nswapcached 0\nanon_thp 0\ninactive_anon 1323008\nactive_anon 8192\n"
    "inactive_file 2744320\nactive_file 3907584\nunevictable 0\nslab_reclaimable 1265104\npgfault 2178\n";

TEST_F(StatsTest, MemoryV2) {
  std::string d = sub("c1");
  put_file(d + "/memory.current", "9863168\n");
  put_file(d + "/memory.max", "1073741824\n");
  put_file(d + "/memory.peak", "12062720\n");
  put_file(d + "/memory.events", "low 0\nhigh 0\nmax 17\noom 2\noom_kill 1\noom_group_kill 0\n");
  put_file(d + "/memory.swap.current", "4096\n");
  put_file(d + "/memory.swap.max", "536870912\n");
  put_file(d + "/memory.swap.events", "high 0\nmax 4\nfail 0\n");
  put_file(d + "/memory.stat", kMemoryStatV2);
  auto m = read_memory_v2(d);
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->usage.usage, 9863168u);
  EXPECT_EQ(m->usage.limit, 1073741824u);
  EXPECT_EQ(m->usage.max, 12062720u);
  EXPECT_EQ(m->usage.failcnt, 17u) << "memory.events max";
  // As runc, swap is reported as v1's memsw: memory + swap.
  EXPECT_EQ(m->swap.usage, 9863168u + 4096u);
  EXPECT_EQ(m->swap.limit, 1073741824u + 536870912u);
  EXPECT_EQ(m->swap.failcnt, 4u);
  EXPECT_EQ(m->cache, 6651904u) << "v2's page cache is \"file\"";
  EXPECT_EQ(m->raw.at("anon"), 1331200u);
  EXPECT_EQ(m->raw.size(), 24u);
}

TEST_F(StatsTest, MemoryV2Unlimited) {
  std::string d = sub("c1");
  put_file(d + "/memory.current", "9863168\n");
  put_file(d + "/memory.max", "max\n");
  put_file(d + "/memory.swap.current", "0\n");
  put_file(d + "/memory.swap.max", "max\n");
  auto m = read_memory_v2(d);
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->usage.limit, kMax);
  EXPECT_EQ(m->swap.limit, kMax);
  EXPECT_EQ(m->usage.max, 0u) << "no memory.peak before Linux 5.19";
  EXPECT_EQ(m->usage.failcnt, 0u);
  // A swap limit under unlimited memory is still unlimited in total.
  put_file(d + "/memory.swap.max", "1048576\n");
  m = read_memory_v2(d);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->swap.limit, kMax);
}

TEST_F(StatsTest, MemoryV2WithoutSwapFiles) {
  std::string d = sub("c1");
  put_file(d + "/memory.current", "100\n");
  put_file(d + "/memory.max", "1000\n");
  auto m = read_memory_v2(d);
  ASSERT_TRUE(m.has_value()) << m.error().what();
  EXPECT_EQ(m->swap.usage, 100u);
  EXPECT_EQ(m->swap.limit, kMax);
  EXPECT_TRUE(testing::FailsWith(read_memory_v2(sub("empty")), ENOENT, "memory.current"));
}

// --- pids

TEST_F(StatsTest, Pids) {
  std::string d = sub("pids");
  put_file(d + "/pids.current", "5\n");
  put_file(d + "/pids.max", "max\n");
  auto p = read_pids(d);
  ASSERT_TRUE(p.has_value()) << p.error().what();
  EXPECT_EQ(p->current, 5u);
  EXPECT_EQ(p->limit, 0u) << "unlimited is 0, as runc";
  put_file(d + "/pids.max", "100\n");
  p = read_pids(d);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->limit, 100u);
  EXPECT_TRUE(testing::FailsWith(read_pids(sub("empty")), ENOENT, "pids.current"));
}

// --- blkio / io

TEST_F(StatsTest, BlkioV1) {
  std::string d = sub("blkio");
  put_file(
      d + "/blkio.throttle.io_service_bytes_recursive",
      "8:0 Read 1589248\n8:0 Write 4096\n8:0 Sync 1593344\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 1593344\n"
      "253:1 Read 512\n253:1 Write 0\n253:1 Sync 512\n253:1 Async 0\n253:1 Discard 0\n253:1 Total 512\n"
      "Total 1593856\n");
  put_file(d + "/blkio.throttle.io_serviced_recursive",
           "8:0 Read 42\n8:0 Write 1\n8:0 Sync 43\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 43\nTotal 43\n");
  auto b = read_blkio_v1(d);
  ASSERT_TRUE(b.has_value()) << b.error().what();
  ASSERT_EQ(b->service_bytes.size(), 12u) << "the device-less Total line is skipped";
  EXPECT_EQ(b->service_bytes[0], (BlkioEntry{8, 0, "Read", 1589248}));
  EXPECT_EQ(b->service_bytes[1], (BlkioEntry{8, 0, "Write", 4096}));
  EXPECT_EQ(b->service_bytes[5], (BlkioEntry{8, 0, "Total", 1593344}));
  EXPECT_EQ(b->service_bytes[6], (BlkioEntry{253, 1, "Read", 512}));
  ASSERT_EQ(b->serviced.size(), 6u);
  EXPECT_EQ(b->serviced[0], (BlkioEntry{8, 0, "Read", 42}));
  EXPECT_EQ(b->serviced[1], (BlkioEntry{8, 0, "Write", 1}));
}

TEST_F(StatsTest, BlkioV1IdleHost) {
  // What this host shows: no device has done I/O in the cgroup.
  std::string d = sub("blkio");
  put_file(d + "/blkio.throttle.io_service_bytes_recursive", "Total 0\n");
  auto b = read_blkio_v1(d);
  ASSERT_TRUE(b.has_value()) << b.error().what();
  EXPECT_TRUE(b->service_bytes.empty());
  EXPECT_TRUE(b->serviced.empty());
  EXPECT_TRUE(testing::FailsWith(read_blkio_v1(sub("empty")), ENOENT, "io_service_bytes_recursive"));
}

TEST_F(StatsTest, IoV2) {
  std::string d = sub("c1");
  put_file(d + "/io.stat",
           "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
           "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n");
  auto b = read_io_v2(d);
  ASSERT_TRUE(b.has_value()) << b.error().what();
  EXPECT_EQ(b->service_bytes, (std::vector<BlkioEntry>{{8, 16, "Read", 1459200},
                                                       {8, 16, "Write", 314773504},
                                                       {8, 0, "Read", 90430464},
                                                       {8, 0, "Write", 299008000}}));
  EXPECT_EQ(b->serviced,
            (std::vector<BlkioEntry>{
                {8, 16, "Read", 192}, {8, 16, "Write", 353}, {8, 0, "Read", 8950}, {8, 0, "Write", 1252}}));
}

TEST_F(StatsTest, IoV2EmptyAndMissing) {
  std::string d = sub("c1");
  put_file(d + "/io.stat", "");
  auto b = read_io_v2(d);
  ASSERT_TRUE(b.has_value()) << b.error().what();
  EXPECT_TRUE(b->service_bytes.empty());
  EXPECT_TRUE(testing::FailsWith(read_io_v2(sub("empty")), ENOENT, "io.stat"));
}

// --- hugetlb

TEST_F(StatsTest, HugetlbV1BySize) {
  std::string d = sub("hugetlb");
  for (const char* size : {"2MB", "1GB"}) {
    std::string p = d + "/hugetlb." + size;
    put_file(p + ".limit_in_bytes", "9223372036854771712\n");
    put_file(p + ".rsvd.limit_in_bytes", "9223372036854771712\n");
    put_file(p + ".rsvd.usage_in_bytes", "0\n");
  }
  put_file(d + "/hugetlb.2MB.usage_in_bytes", "4194304\n");
  put_file(d + "/hugetlb.2MB.max_usage_in_bytes", "8388608\n");
  put_file(d + "/hugetlb.2MB.failcnt", "2\n");
  put_file(d + "/memory.limit_in_bytes", "1\n");  // not hugetlb's
  auto h = read_hugetlb(d, false);
  ASSERT_TRUE(h.has_value()) << h.error().what();
  ASSERT_EQ(h->size(), 2u) << "one entry per size, the rsvd files are not sizes";
  const HugetlbStats& two = h->at("2MB");
  EXPECT_EQ(two.usage, 4194304u);
  EXPECT_EQ(two.max, 8388608u);
  EXPECT_EQ(two.failcnt, 2u);
  EXPECT_EQ(h->at("1GB").usage, 0u);
}

TEST_F(StatsTest, HugetlbV2BySize) {
  std::string d = sub("c1");
  put_file(d + "/hugetlb.2MB.max", "max\n");
  put_file(d + "/hugetlb.2MB.current", "2097152\n");
  put_file(d + "/hugetlb.2MB.events", "max 3\n");
  put_file(d + "/hugetlb.2MB.events.local", "max 1\n");
  put_file(d + "/hugetlb.2MB.rsvd.max", "max\n");
  put_file(d + "/hugetlb.2MB.rsvd.current", "0\n");
  put_file(d + "/hugetlb.1GB.max", "0\n");
  put_file(d + "/hugetlb.1GB.current", "0\n");
  put_file(d + "/memory.max", "max\n");  // not hugetlb's
  auto h = read_hugetlb(d, true);
  ASSERT_TRUE(h.has_value()) << h.error().what();
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ(h->at("2MB").usage, 2097152u);
  EXPECT_EQ(h->at("2MB").failcnt, 3u) << "hierarchical events, not .local";
  EXPECT_EQ(h->at("1GB").usage, 0u);
  // The v1 reader does not mistake v2 files for sizes, nor the other way round.
  auto as_v1 = read_hugetlb(d, false);
  ASSERT_TRUE(as_v1.has_value());
  EXPECT_TRUE(as_v1->empty());
}

TEST_F(StatsTest, HugetlbMissingDirIsAnError) {
  EXPECT_TRUE(testing::FailsWith(read_hugetlb(dir_ + "/nope", true), ENOENT, "nope"));
}

// --- the JSON runc's events --stats prints

Stats full_stats() {
  Stats s;
  CpuStats c;
  c.total_ns = 8457997149730;
  c.kernel_ns = 2008060000000;
  c.user_ns = 6453780000000;
  c.percpu_ns = {4162717776336, 4295279373394};
  c.periods = 120;
  c.throttled_periods = 7;
  c.throttled_ns = 35000000;
  s.cpu = c;
  MemoryStats m;
  m.cache = 13493452;
  m.usage = {536870912, 16195584, 40960000, 3};
  m.swap = {1073741824, 17195584, 41960000, 1};
  m.kernel = {kMax, 2297856, 3297856, 0};
  m.raw = {{"rss", 6782976}, {"cache", 9412608}};
  s.memory = m;
  s.pids = PidsStats{5, 100};
  BlkioStats b;
  b.service_bytes = {{8, 0, "Read", 1589248}, {8, 0, "Write", 4096}};
  b.serviced = {{8, 0, "Read", 42}};
  s.blkio = b;
  s.hugetlb["2MB"] = HugetlbStats{4194304, 8388608, 2};
  return s;
}

TEST(StatsToJson, RuncsShape) {
  json j = json::parse(stats_to_json(full_stats()));
  EXPECT_EQ(j["cpu"], json::parse(R"({
    "usage": {"total": 8457997149730, "percpu": [4162717776336, 4295279373394],
              "kernel": 2008060000000, "user": 6453780000000},
    "throttling": {"periods": 120, "throttledPeriods": 7, "throttledTime": 35000000}})"));
  EXPECT_EQ(j["memory"]["cache"], 13493452);
  EXPECT_EQ(j["memory"]["usage"],
            json::parse(R"({"limit": 536870912, "usage": 16195584, "max": 40960000, "failcnt": 3})"));
  EXPECT_EQ(j["memory"]["swap"],
            json::parse(R"({"limit": 1073741824, "usage": 17195584, "max": 41960000, "failcnt": 1})"));
  EXPECT_EQ(j["memory"]["kernel"]["limit"], kMax);
  EXPECT_EQ(j["memory"]["kernel"]["usage"], 2297856);
  EXPECT_EQ(j["memory"]["raw"], json::parse(R"({"rss": 6782976, "cache": 9412608})"));
  EXPECT_EQ(j["pids"], json::parse(R"({"current": 5, "limit": 100})"));
  EXPECT_EQ(j["blkio"]["ioServiceBytesRecursive"],
            json::parse(R"([{"major": 8, "minor": 0, "op": "Read", "value": 1589248},
                            {"major": 8, "minor": 0, "op": "Write", "value": 4096}])"));
  EXPECT_EQ(j["blkio"]["ioServicedRecursive"],
            json::parse(R"([{"major": 8, "minor": 0, "op": "Read", "value": 42}])"));
  EXPECT_EQ(j["hugetlb"], json::parse(R"({"2MB": {"usage": 4194304, "max": 8388608, "failcnt": 2}})"));
}

TEST(StatsToJson, WhatWasNotReadIsLeftOut) {
  EXPECT_EQ(stats_to_json(Stats{}), "{}");
  Stats s;
  s.pids = PidsStats{1, 0};
  json j = json::parse(stats_to_json(s));
  EXPECT_EQ(j, json::parse(R"({"pids": {"current": 1, "limit": 0}})"));
}

TEST_F(StatsTest, FromV1FilesToJson) {
  // The readers and the JSON together, as `events --stats` runs them.
  std::string acct = sub("cpuacct");
  put_file(acct + "/cpuacct.usage", "1000\n");
  put_file(acct + "/cpuacct.usage_percpu", "600 400 \n");
  put_file(acct + "/cpuacct.stat", "user 1\nsystem 2\n");
  std::string mem = sub("memory");
  put_v1_memory(mem);
  Stats s;
  auto cpu = read_cpu_v1(acct, acct);
  ASSERT_TRUE(cpu.has_value());
  s.cpu = *cpu;
  auto memory = read_memory_v1(mem);
  ASSERT_TRUE(memory.has_value());
  s.memory = *memory;
  json j = json::parse(stats_to_json(s));
  EXPECT_EQ(j["cpu"]["usage"]["percpu"], json::parse("[600, 400]"));
  EXPECT_EQ(j["cpu"]["usage"]["user"], 10000000);
  EXPECT_EQ(j["cpu"]["usage"]["kernel"], 20000000);
  EXPECT_EQ(j["memory"]["usage"]["limit"], 536870912);
  EXPECT_EQ(j["memory"]["raw"]["total_rss"], 5445058);
}

}  // namespace
}  // namespace husk::cgroups
