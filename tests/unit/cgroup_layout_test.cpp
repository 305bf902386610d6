// cgroups/layout and cgroups/manager: layout detection from mountinfo text of
// three kinds of host, cgroupsPath resolution, and the Manager's file work
// against a temporary directory laid out like cgroupfs.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "cgroups/layout.hpp"
#include "cgroups/manager.hpp"
#include "test_helpers.hpp"

namespace husk::cgroups {
namespace {

using testing::FailsWith;
using testing::TempDir;
using Strings = std::vector<std::string>;

// From /proc/self/mountinfo on the machine these tests were written on (a
// hybrid host: v1 controllers plus cgroup2 at .../unified): the cgroup lines
// and a few of the others that a parser must skip.
constexpr std::string_view kHybridMountinfo =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// A systemd host booted with the unified hierarchy only.
constexpr std::string_view kV2Mountinfo =
    "24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "30 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
    "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// An older systemd host: v1 only, cpu and cpuacct co-mounted, optional fields
// before the separator, and systemd's named hierarchy with its mount options.
constexpr std::string_view kV1Mountinfo =
    "18 62 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw\n"
    "25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup "
    "rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup "
    "rw,cpu,cpuacct\n"
    "30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory\n"
    "31 25 0:27 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup "
    "rw,cpuset,clone_children\n";

Layout parse(std::string_view mountinfo) {
  auto r = parse_layout(mountinfo);
  EXPECT_TRUE(r.has_value()) << r.error().what();
  return r.value_or(Layout{});
}

TEST(ParseLayout, HybridHost) {
  Layout l = parse(kHybridMountinfo);
  EXPECT_EQ(l.kind, LayoutKind::hybrid);
  EXPECT_EQ(layout_name(l.kind), "hybrid");
  ASSERT_EQ(l.hierarchies.size(), 10u);
  const Strings v1 = {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"};
  for (size_t i = 0; i < v1.size(); ++i) {
    const Hierarchy& h = l.hierarchies[i];
    EXPECT_FALSE(h.cgroup2) << i;
    EXPECT_EQ(h.mount_point, "/sys/fs/cgroup/" + v1[i]);
    EXPECT_EQ(h.root, "/");
    EXPECT_EQ(h.controllers, (Strings{v1[i] == "systemd" ? "name=systemd" : v1[i]}));
  }
  const Hierarchy& last = l.hierarchies.back();
  EXPECT_TRUE(last.cgroup2);
  EXPECT_EQ(last.mount_point, "/sys/fs/cgroup/unified");
  EXPECT_TRUE(last.controllers.empty());
  EXPECT_EQ(l.unified(), &last);
}

TEST(ParseLayout, PureV2Host) {
  Layout l = parse(kV2Mountinfo);
  EXPECT_EQ(l.kind, LayoutKind::v2);
  EXPECT_EQ(layout_name(l.kind), "v2");
  ASSERT_EQ(l.hierarchies.size(), 1u);
  EXPECT_TRUE(l.hierarchies[0].cgroup2);
  EXPECT_EQ(l.hierarchies[0].mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(l.hierarchies[0].root, "/");
  EXPECT_TRUE(l.hierarchies[0].controllers.empty()) << "nsdelegate etc. are options, not controllers";
  EXPECT_EQ(l.unified(), &l.hierarchies[0]);
}

TEST(ParseLayout, PureV1HostWithCoMountedControllers) {
  Layout l = parse(kV1Mountinfo);
  EXPECT_EQ(l.kind, LayoutKind::v1);
  EXPECT_EQ(layout_name(l.kind), "v1");
  EXPECT_EQ(l.unified(), nullptr);
  ASSERT_EQ(l.hierarchies.size(), 4u);
  EXPECT_EQ(l.hierarchies[0].mount_point, "/sys/fs/cgroup/systemd");
  EXPECT_EQ(l.hierarchies[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(l.hierarchies[2].mount_point, "/sys/fs/cgroup/memory");
  EXPECT_EQ(l.hierarchies[3].mount_point, "/sys/fs/cgroup/cpuset");
  // Mount options (xattr, release_agent=, clone_children) are not controllers.
  EXPECT_EQ(l.hierarchies[0].controllers, (Strings{"name=systemd"}));
  EXPECT_EQ(l.hierarchies[1].controllers, (Strings{"cpu", "cpuacct"}));
  EXPECT_EQ(l.hierarchies[2].controllers, (Strings{"memory"}));
  EXPECT_EQ(l.hierarchies[3].controllers, (Strings{"cpuset"}));
}

// SELinux hosts add "seclabel" to every cgroup mount's options: it is not a
// controller (or relative cgroupsPaths would match no /proc/self/cgroup line).
TEST(ParseLayout, SeclabelIsNotAController) {
  Layout l = parse(
      "30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
      "rw,seclabel,memory\n");
  ASSERT_EQ(l.hierarchies.size(), 1u);
  EXPECT_EQ(l.hierarchies[0].controllers, (Strings{"memory"}));
}

TEST(ParseLayout, SameHierarchyMountedTwiceCountsOnce) {
  std::string text(kHybridMountinfo);
  text += "50 31 0:32 /sub /sys/fs/cgroup/memory2 rw,relatime - cgroup cgroup rw,memory\n";
  Layout l = parse(text);
  EXPECT_EQ(l.hierarchies.size(), 10u);
  EXPECT_EQ(l.hierarchies[3].mount_point, "/sys/fs/cgroup/memory") << "the first mount is kept";
}

TEST(ParseLayout, IgnoresCgroupMountsElsewhere) {
  // A container's bind of a hierarchy, or a v2 mount outside /sys/fs/cgroup.
  std::string text(kV2Mountinfo);
  text += "60 30 0:40 / /run/other/memory rw - cgroup cgroup rw,memory\n";
  text += "61 30 0:30 / /mnt/cg2 rw - cgroup2 cgroup2 rw\n";
  Layout l = parse(text);
  EXPECT_EQ(l.kind, LayoutKind::v2);
  ASSERT_EQ(l.hierarchies.size(), 1u);
  EXPECT_EQ(l.hierarchies[0].mount_point, "/sys/fs/cgroup");
}

TEST(ParseLayout, NonRootMountAndEscapedPaths) {
  // Inside a container without a cgroup namespace the mount's root is the
  // container's own cgroup; spaces are escaped as \040.
  Layout l = parse("40 31 0:38 /docker/my\\040ctr /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  ASSERT_EQ(l.hierarchies.size(), 1u);
  EXPECT_EQ(l.hierarchies[0].root, "/docker/my ctr");
}

TEST(ParseLayout, NoCgroupFilesystemIsEnoent) {
  EXPECT_TRUE(FailsWith(parse_layout(""), ENOENT, "no cgroup filesystem"));
  EXPECT_TRUE(
      FailsWith(parse_layout("22 1 0:21 / / rw - ext4 /dev/sda1 rw\n"), ENOENT, "no cgroup filesystem"));
  EXPECT_TRUE(FailsWith(parse_layout("garbage\n\n  \n"), ENOENT, "no cgroup filesystem"));
}

TEST(ParseProcCgroup, HybridHost) {
  auto entries = parse_proc_cgroup(
      "9:name=systemd:/\n"
      "4:memory:/process_api/b31c66ee\n"
      "2:cpu,cpuacct:/user.slice\n"
      "0::/\n");
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(entries, (Entries{{"name=systemd", "/"},
                              {"memory", "/process_api/b31c66ee"},
                              {"cpu,cpuacct", "/user.slice"},
                              {"", "/"}}));
}

TEST(ParseProcCgroup, PathMayContainColonsAndJunkIsSkipped) {
  auto entries = parse_proc_cgroup("0::/a:b:c\nno colons here\n1:x\n\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].first, "");
  EXPECT_EQ(entries[0].second, "/a:b:c");
}

Result<std::string> resolve(const std::string& path, std::string_view mountinfo = kHybridMountinfo,
                            std::string_view self = "") {
  return resolve_cgroups_path(path, "c1", parse(mountinfo), self);
}

TEST(ResolveCgroupsPath, EmptyIsUnderHusk) { EXPECT_EQ(resolve("").value_or(""), "/husk/c1"); }

TEST(ResolveCgroupsPath, AbsoluteKept) {
  EXPECT_EQ(resolve("/machine/c1").value_or(""), "/machine/c1");
  EXPECT_EQ(resolve("/with:colon").value_or(""), "/with:colon");
}

// Relative paths become absolute at create, so later commands run from
// other cgroups find the same place.
TEST(ResolveCgroupsPath, RelativeOnV1IsUnderTheFirstHierarchysOwnCgroup) {
  std::string self = "12:pids:/other\n4:cpu:/user.slice/run\n0::/x\n";
  EXPECT_EQ(resolve("pods/c1", kHybridMountinfo, self).value_or(""), "/user.slice/run/pods/c1");
  EXPECT_EQ(resolve("pods/c1", kV1Mountinfo, "9:name=systemd:/sys.slice\n").value_or(""),
            "/sys.slice/pods/c1");
}

TEST(ResolveCgroupsPath, RelativeOnV2IsUnderTheParentOfOurOwn) {
  // Our own cgroup has a process (us), so it could not hand controllers to
  // a child: runc uses its parent too.
  EXPECT_EQ(resolve("pods/c1", kV2Mountinfo, "0::/user.slice/session-1.scope\n").value_or(""),
            "/user.slice/pods/c1");
  EXPECT_EQ(resolve("c1", kV2Mountinfo, "0::/\n").value_or(""), "/c1");
  EXPECT_EQ(resolve("c1", kV2Mountinfo, "0::/top\n").value_or(""), "/c1");
}

TEST(ResolveCgroupsPath, SystemdSyntaxRefused) {
  EXPECT_TRUE(FailsWith(resolve("system.slice:husk:c1"), ENOTSUP, "systemd"));
}

TEST(ResolveCgroupsPath, DotDotRefused) {
  EXPECT_TRUE(FailsWith(resolve("/a/../../etc"), EINVAL, "must not contain \"..\""));
  EXPECT_TRUE(FailsWith(resolve("../x"), EINVAL, "must not contain \"..\""));
  EXPECT_TRUE(resolve("/a/..b/c").has_value()) << "only whole \"..\" components";
}

// A layout whose mount points live under a temporary directory.
Hierarchy v1_hierarchy(const TempDir& tmp, const std::string& name, std::string root = "/") {
  Hierarchy h;
  h.mount_point = tmp / name;
  h.root = std::move(root);
  h.controllers = {name};
  return h;
}

Hierarchy v2_hierarchy(const TempDir& tmp, const std::string& name) {
  Hierarchy h;
  h.mount_point = tmp / name;
  h.root = "/";
  h.cgroup2 = true;
  return h;
}

Layout hybrid_layout(const TempDir& tmp) {
  Layout l;
  l.kind = LayoutKind::hybrid;
  l.hierarchies = {v1_hierarchy(tmp, "cpuset"), v1_hierarchy(tmp, "memory"), v2_hierarchy(tmp, "unified")};
  for (auto& h : l.hierarchies) EXPECT_TRUE(mkdir_all(h.mount_point).has_value());
  testing::put_file(tmp / "cpuset/cpuset.cpus", "0-1\n");
  testing::put_file(tmp / "cpuset/cpuset.mems", "0\n");
  return l;
}

// What cgroupfs does on mkdir and a plain directory does not: give the new
// cpuset cgroup its (empty) cpuset.cpus and cpuset.mems.
void make_empty_cpuset_cgroup(const std::string& dir) {
  ASSERT_TRUE(mkdir_all(dir).has_value());
  testing::put_file(dir + "/cpuset.cpus", "");
  testing::put_file(dir + "/cpuset.mems", "");
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(ManagerDir, AbsolutePathUnderEachMountPoint) {
  TempDir tmp;
  Manager m(Layout{LayoutKind::hybrid, {v1_hierarchy(tmp, "memory"), v2_hierarchy(tmp, "unified")}},
            "/husk/c1");
  EXPECT_EQ(m.path(), "/husk/c1");
  EXPECT_EQ(m.dir(m.layout().hierarchies[0]), tmp / "memory/husk/c1");
  EXPECT_EQ(m.dir(m.layout().hierarchies[1]), tmp / "unified/husk/c1");
}

TEST(ManagerDir, AbsolutePathIsCleaned) {
  TempDir tmp;
  Manager m(Layout{LayoutKind::v1, {v1_hierarchy(tmp, "memory")}}, "//husk//c1/");
  EXPECT_EQ(m.dir(m.layout().hierarchies[0]), tmp / "memory/husk/c1");
}

TEST(ManagerDir, MountRootIsStrippedFromAbsolutePaths) {
  // The hierarchy is mounted from /docker/abc: /docker/abc/husk/c1 is at
  // MOUNT/husk/c1, and the root itself is the mount point.
  TempDir tmp;
  Hierarchy h = v1_hierarchy(tmp, "memory", "/docker/abc");
  EXPECT_EQ(Manager(Layout{LayoutKind::v1, {h}}, "/docker/abc/husk/c1").dir(h), tmp / "memory/husk/c1");
  EXPECT_EQ(Manager(Layout{LayoutKind::v1, {h}}, "/docker/abc").dir(h), tmp / "memory");
}

// Known bug (reported): the mount root is stripped as a string prefix, not a
// path prefix, so with root "/docker/abc" the cgroup "/docker/abcdef/x" is
// placed at MOUNT/def/x, a different cgroup inside the container's own.
// Enable once fixed.
TEST(ManagerDir, MountRootIsStrippedOnlyAtAComponentBoundary) {
  TempDir tmp;
  Hierarchy h = v1_hierarchy(tmp, "memory", "/docker/abc");
  EXPECT_NE(Manager(Layout{LayoutKind::v1, {h}}, "/docker/abcdef/x").dir(h), tmp / "memory/def/x");
}

TEST(ManagerCreate, MakesTheNestedPathInEveryHierarchy) {
  TempDir tmp;
  Layout l;
  l.kind = LayoutKind::hybrid;
  l.hierarchies = {v1_hierarchy(tmp, "memory"), v1_hierarchy(tmp, "pids"), v2_hierarchy(tmp, "unified")};
  Manager m(l, "/husk/nested/c1");
  auto r = m.create();
  ASSERT_TRUE(r.has_value()) << r.error().what();
  for (const char* h : {"memory", "pids", "unified"})
    EXPECT_TRUE(is_dir(tmp / (std::string(h) + "/husk/nested/c1"))) << h;
  // Creating an existing cgroup again is fine.
  EXPECT_TRUE(m.create().has_value());
}

TEST(ManagerCreate, CpusetLevelsInheritCpusAndMemsTopDown) {
  TempDir tmp;
  Manager m(hybrid_layout(tmp), "/husk/c1");
  make_empty_cpuset_cgroup(tmp / "cpuset/husk");
  make_empty_cpuset_cgroup(tmp / "cpuset/husk/c1");
  auto r = m.create();
  ASSERT_TRUE(r.has_value()) << r.error().what();
  for (const char* level : {"cpuset/husk", "cpuset/husk/c1"}) {
    EXPECT_EQ(testing::get_file(tmp / (std::string(level) + "/cpuset.cpus")), "0-1") << level;
    EXPECT_EQ(testing::get_file(tmp / (std::string(level) + "/cpuset.mems")), "0") << level;
  }
  EXPECT_TRUE(is_dir(tmp / "memory/husk/c1"));
  EXPECT_TRUE(is_dir(tmp / "unified/husk/c1"));
  EXPECT_FALSE(path_exists(tmp / "memory/husk/c1/cpuset.cpus")) << "cpuset files only in cpuset";
}

TEST(ManagerCreate, CpusetLevelThatIsSetKeepsItsValues) {
  TempDir tmp;
  Manager m(hybrid_layout(tmp), "/husk/c1");
  ASSERT_TRUE(mkdir_all(tmp / "cpuset/husk").has_value());
  testing::put_file(tmp / "cpuset/husk/cpuset.cpus", "1\n");
  testing::put_file(tmp / "cpuset/husk/cpuset.mems", "0\n");
  make_empty_cpuset_cgroup(tmp / "cpuset/husk/c1");
  ASSERT_TRUE(m.create().has_value());
  EXPECT_EQ(testing::get_file(tmp / "cpuset/husk/cpuset.cpus"), "1\n") << "left alone";
  EXPECT_EQ(testing::get_file(tmp / "cpuset/husk/c1/cpuset.cpus"), "1") << "from its parent, not the root";
  EXPECT_EQ(testing::get_file(tmp / "cpuset/husk/c1/cpuset.mems"), "0");
}

TEST(ManagerCreate, CpusetWithoutItsFilesFailsNamingTheCgroup) {
  // On a plain directory mkdir gives no cpuset.cpus to fill: the error must
  // say which cgroup and which file.
  TempDir tmp;
  Manager m(hybrid_layout(tmp), "/husk/c1");
  auto r = m.create();
  EXPECT_TRUE(FailsWith(r, ENOENT, "create cgroup /husk/c1"));
  EXPECT_NE(r.error().message().find("cpuset.cpus"), std::string::npos) << r.error().message();
}

TEST(ManagerAddProcess, WritesThePidIntoEveryHierarchy) {
  TempDir tmp;
  Manager m(hybrid_layout(tmp), "/husk/c1");
  make_empty_cpuset_cgroup(tmp / "cpuset/husk");
  make_empty_cpuset_cgroup(tmp / "cpuset/husk/c1");
  ASSERT_TRUE(m.create().has_value());
  for (auto& h : m.layout().hierarchies) testing::put_file(m.dir(h) + "/cgroup.procs", "");
  auto r = m.add_process(4321);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  for (auto& h : m.layout().hierarchies)
    EXPECT_EQ(testing::get_file(m.dir(h) + "/cgroup.procs"), "4321") << h.mount_point;
}

TEST(ManagerAddProcess, MissingCgroupFailsNamingIt) {
  TempDir tmp;
  Manager m(Layout{LayoutKind::v1, {v1_hierarchy(tmp, "memory")}}, "/husk/c1");
  EXPECT_TRUE(FailsWith(m.add_process(1), ENOENT, "join cgroup /husk/c1"));
}

TEST(ManagerPids, UnionAcrossHierarchiesSorted) {
  TempDir tmp;
  Layout l;
  l.kind = LayoutKind::hybrid;
  l.hierarchies = {v1_hierarchy(tmp, "memory"), v1_hierarchy(tmp, "pids"), v2_hierarchy(tmp, "unified")};
  Manager m(l, "/husk/c1");
  ASSERT_TRUE(m.create().has_value());
  testing::put_file(tmp / "memory/husk/c1/cgroup.procs", "30\n10\n");
  testing::put_file(tmp / "pids/husk/c1/cgroup.procs", "10\n20\n");
  testing::put_file(tmp / "unified/husk/c1/cgroup.procs", "");
  auto pids = m.pids();
  ASSERT_TRUE(pids.has_value()) << pids.error().what();
  EXPECT_EQ(*pids, (std::vector<int>{10, 20, 30}));
}

TEST(ManagerPids, MissingCgroupsAreEmpty) {
  TempDir tmp;
  Manager m(Layout{LayoutKind::v2, {v2_hierarchy(tmp, "unified")}}, "/husk/gone");
  auto pids = m.pids();
  ASSERT_TRUE(pids.has_value()) << pids.error().what();
  EXPECT_TRUE(pids->empty());
}

TEST(ManagerViews, V2IsOneViewOfTheMountItself) {
  TempDir tmp;
  Manager m(Layout{LayoutKind::v2, {v2_hierarchy(tmp, "cgroup")}}, "/husk/c1");
  auto views = m.views();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].name, "");
  EXPECT_EQ(views[0].host_dir, tmp / "cgroup/husk/c1");
  EXPECT_TRUE(views[0].cgroup2);
}

TEST(ManagerViews, HybridIsOneViewPerHierarchyNamedByMountPoint) {
  TempDir tmp;
  Manager m(hybrid_layout(tmp), "/husk/c1");
  auto views = m.views();
  ASSERT_EQ(views.size(), 3u);
  EXPECT_EQ(views[0].name, "cpuset");
  EXPECT_EQ(views[0].host_dir, tmp / "cpuset/husk/c1");
  EXPECT_FALSE(views[0].cgroup2);
  EXPECT_EQ(views[2].name, "unified");
  EXPECT_TRUE(views[2].cgroup2);
}

}  // namespace
}  // namespace husk::cgroups
