// engine/system: docker's df arithmetic (layers shared between images
// counted once, what is reclaimable, its percentages), the version and
// info texts' layout, and the names docker gives architectures and
// filesystems.
#include <gtest/gtest.h>

#include "engine/system.hpp"

namespace husk::engine {
namespace {

TEST(EngineSystem, SharedLayersCountOnceInTheTotal) {
  // a and b share their base; c stands alone.
  std::vector<std::vector<LayerRef>> layers = {
      {{"base", 1000}, {"a-top", 10}}, {{"base", 1000}, {"b-top", 20}}, {{"c", 300}}};
  uint64_t total = 0;
  auto sizes = image_sizes(layers, &total);
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_EQ(total, 1000u + 10 + 20 + 300);
  EXPECT_EQ(sizes[0].size, 1010u);
  EXPECT_EQ(sizes[0].shared_size, 1000u);
  EXPECT_EQ(sizes[1].size, 1020u);
  EXPECT_EQ(sizes[1].shared_size, 1000u);
  EXPECT_EQ(sizes[2].size, 300u);
  EXPECT_EQ(sizes[2].shared_size, 0u);
}

TEST(EngineSystem, ReclaimableTextHasDockersPercentage) {
  EXPECT_EQ(reclaimable_text(0, 0), "0B");
  EXPECT_EQ(reclaimable_text(500, 1000), "500B (50%)");
  EXPECT_EQ(reclaimable_text(2, 3), "2B (66%)");  // rounded down, as Go's integer division
  EXPECT_EQ(reclaimable_text(1500000, 1500000), "1.5MB (100%)");
}

PsEntry container(LiveStatus live, uint64_t size) {
  PsEntry e;
  e.live = live;
  e.size_rw = size;
  return e;
}

TEST(EngineSystem, DfSummaryAsDockerComputesIt) {
  DiskUsage du;
  du.layers_size = 1330;
  image::StoredImage img;
  // a (1010, 1000 shared) has a container; b and c have none.
  du.images = {{img, 1010, 1000, 1}, {img, 1020, 1000, 0}, {img, 300, 0, 0}};
  du.containers = {container(LiveStatus::running, 100), container(LiveStatus::paused, 1),
                   container(LiveStatus::exited, 1000), container(LiveStatus::created, 0)};
  du.volumes = {{"used", 2, 40}, {"free", 0, 60}};
  auto s = df_summary(du);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].type, "Images");
  EXPECT_EQ(s[0].total, 3);
  EXPECT_EQ(s[0].active, 1);
  EXPECT_EQ(s[0].size, 1330u);
  // docker's: the total less the unique bytes of images in use (a's 10).
  EXPECT_EQ(s[0].reclaimable, 1320u);
  EXPECT_EQ(s[1].type, "Containers");
  EXPECT_EQ(s[1].total, 4);
  EXPECT_EQ(s[1].active, 2);
  EXPECT_EQ(s[1].size, 1101u);
  EXPECT_EQ(s[1].reclaimable, 1000u);
  EXPECT_EQ(s[2].type, "Local Volumes");
  EXPECT_EQ(s[2].active, 1);
  EXPECT_EQ(s[2].size, 100u);
  EXPECT_EQ(s[2].reclaimable, 60u);
  EXPECT_EQ(s[3].type, "Build Cache");
  EXPECT_EQ(s[3].total, 0);

  auto row = df_row(s[2]);
  EXPECT_EQ(row.dump(), R"x({"Type":"Local Volumes","TotalCount":"2","Active":"1","Size":"100B",)x"
                        R"x("Reclaimable":"60B (60%)"})x");
}

TEST(EngineSystem, EmptyStoreReclaimsNothing) {
  auto s = df_summary(DiskUsage{});
  for (auto& line : s) {
    EXPECT_EQ(line.total, 0) << line.type;
    EXPECT_EQ(df_row(line)["Reclaimable"], "0B") << line.type;
  }
}

TEST(EngineSystem, VersionTextAlignsValuesAsDockersTabwriter) {
  VersionInfo v;
  v.version = "0.1.0";
  v.git_commit = "abc1234";
  v.built = "Mon Jan  2 15:04:05 2006";
  v.compiler = "gcc 13.2.0";
  v.arch = "amd64";
  v.oci_spec = "1.2.0";
  v.oci_spec_accepted = "1.0.0 through 1.3.x";
  std::string t = version_text(v);
  EXPECT_EQ(t.substr(0, t.find("\n\n") + 2),
            "Client:\n"
            " Version:           0.1.0\n"
            " Compiler:          gcc 13.2.0\n"
            " Git commit:        abc1234\n"
            " Built:             Mon Jan  2 15:04:05 2006\n"
            " OS/Arch:           linux/amd64\n\n");
  EXPECT_NE(t.find("\nEngine:\n Version:           0.1.0\n"), std::string::npos) << t;
  EXPECT_NE(t.find(" husk-runtime:\n  Version:          0.1.0\n"
                   "  OCI spec:         1.2.0 (accepts 1.0.0 through 1.3.x)\n"),
            std::string::npos)
      << t;
  auto j = to_json(v);
  EXPECT_EQ(j["Client"]["Version"], "0.1.0");
  EXPECT_EQ(j["Engine"]["Components"][0]["Name"], "husk-runtime");
}

TEST(EngineSystem, InfoTextHasDockersFieldsAndSecurityOptions) {
  SystemInfo s;
  s.containers = 3;
  s.running = 1;
  s.paused = 0;
  s.stopped = 2;
  s.images = 4;
  s.cgroup_version = 2;
  s.security_options = {"name=apparmor", "name=seccomp,profile=default"};
  s.mem_total = 2u << 30;
  std::string t = info_text(s);
  EXPECT_NE(t.find(" Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 4\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find(" Cgroup Driver: cgroupfs\n Cgroup Version: 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find(" Security Options:\n  apparmor\n  seccomp\n   Profile: default\n"), std::string::npos)
      << t;
  EXPECT_NE(t.find(" Total Memory: 2GiB\n"), std::string::npos) << t;
  auto j = to_json(s);
  EXPECT_EQ(j["CgroupVersion"], "2");  // a string in docker's document
  EXPECT_EQ(j["ContainersStopped"], 2);
}

TEST(EngineSystem, DockersNamesForArchitecturesAndFilesystems) {
  EXPECT_EQ(go_arch("x86_64"), "amd64");
  EXPECT_EQ(go_arch("aarch64"), "arm64");
  EXPECT_EQ(go_arch("mips"), "mips");
  EXPECT_EQ(filesystem_name(0xEF53), "extfs");
  EXPECT_EQ(filesystem_name(0x58465342), "xfs");
  EXPECT_EQ(filesystem_name(0x1234), "<unknown>");
}

TEST(EngineSystem, PruneWarningsFollowTheOptions) {
  auto plain = system_prune_warnings({});
  ASSERT_EQ(plain.size(), 3u);
  EXPECT_EQ(plain.back(), "all dangling images");
  auto everything = system_prune_warnings({.all = true, .volumes = true});
  ASSERT_EQ(everything.size(), 4u);
  EXPECT_EQ(everything[2], "all volumes not used by at least one container");
  EXPECT_EQ(everything[3], "all images without at least one container associated to them");
}

TEST(EnginePrune, FilterTakesWhatWasMadeBeforeUntilAndMatchesItsLabels) {
  const int64_t now = 1700000000LL * 1000000000;  // 2023-11-14T22:13:20Z
  auto f = PruneFilter::parse({"until=1h", "label=tier", "label!=keep=yes"}, now);
  ASSERT_TRUE(f.has_value()) << f.error().what();
  EXPECT_TRUE(f->has_until());
  std::map<std::string, std::string> tiered{{"tier", "a"}};
  EXPECT_TRUE(f->matches("2023-11-14T21:00:00Z", tiered));
  EXPECT_FALSE(f->matches("2023-11-14T21:30:00Z", tiered)) << "made after until";
  EXPECT_FALSE(f->matches("2023-11-14T21:00:00Z", {})) << "no tier label";
  EXPECT_FALSE(f->matches("2023-11-14T21:00:00Z", {{"tier", "a"}, {"keep", "yes"}})) << "label!=keep=yes";
  EXPECT_TRUE(f->matches("2023-11-14T21:00:00Z", {{"tier", "a"}, {"keep", "no"}}));
  EXPECT_FALSE(f->matches("not a time", tiered));
  auto none = PruneFilter::parse({}, now);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_until());
  EXPECT_TRUE(none->matches("", {}));
  auto unix_time = PruneFilter::parse({"until=1700000000"}, now);
  ASSERT_TRUE(unix_time.has_value());
  EXPECT_TRUE(unix_time->matches("2023-11-14T22:13:19Z", {}));
  EXPECT_FALSE(unix_time->matches("2023-11-14T22:13:20Z", {}));
}

TEST(EnginePrune, BadFiltersAreDockersErrors) {
  EXPECT_FALSE(PruneFilter::parse({"colour=red"}, 0).has_value());
  EXPECT_EQ(PruneFilter::parse({"colour=red"}, 0).error().what(), "invalid filter 'colour'");
  EXPECT_EQ(PruneFilter::parse({"until"}, 0).error().what(), "invalid filter 'until'");
  EXPECT_EQ(PruneFilter::parse({"until!=1h"}, 0).error().what(), "invalid filter 'until!'");
  EXPECT_TRUE(
      PruneFilter::parse({"until=soon"}, 0).error().what().starts_with("invalid filter 'until=soon': "));
  SystemPruneOptions o;
  o.volumes = true;
  o.filter = *PruneFilter::parse({"until=1h"}, 0);
  EXPECT_EQ(check_system_prune(o).error().what(),
            "ERROR: The \"until\" filter is not supported with \"--volumes\"");
  o.volumes = false;
  EXPECT_TRUE(check_system_prune(o).has_value());
}

}  // namespace
}  // namespace husk::engine
