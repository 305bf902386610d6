// The kernel calls rootfs preparation makes for a config, through the
// recording fake: propagation for each rootfsPropagation, mounts in config
// order, /dev for each device list, cgroup views on v1 and v2, pivot_root,
// masked and read-only paths, and errors that name the mount that failed.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>

#include "fake_kernel.hpp"
#include "linux/rootfs.hpp"
#include "test_helpers.hpp"

namespace husk::linux {
namespace {

using testing::FailsWith;
using testing::RecordingKernel;
using testing::TempDir;

spec::Mount mount_of(std::string dest, std::string type, std::string source, std::vector<std::string> options) {
  spec::Mount m;
  m.destination = std::move(dest);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

class RootfsCalls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(0, ::mkdir((tmp / "rootfs").c_str(), 0755));
    ASSERT_EQ(0, ::mkdir((tmp / "host").c_str(), 0755));
    spec.config = &config;
    spec.rootfs = tmp / "rootfs";
    spec.bundle = tmp.path();
  }
  std::vector<std::string> prepare() {
    auto r = prepare_rootfs(kernel, spec);
    EXPECT_TRUE(r) << r.error().what();
    return kernel.texts();
  }
  static bool has(const std::vector<std::string>& calls, const std::string& call) {
    return std::find(calls.begin(), calls.end(), call) != calls.end();
  }
  // Position of CALL among CALLS (its size when absent).
  static size_t at(const std::vector<std::string>& calls, const std::string& call) {
    return static_cast<size_t>(std::find(calls.begin(), calls.end(), call) - calls.begin());
  }

  TempDir tmp;
  spec::Config config;
  RootfsSpec spec;
  RecordingKernel kernel{tmp / "rootfs"};
};

TEST_F(RootfsCalls, TheRootIsBoundOntoItselfAfterPropagationIsCutFromTheHost) {
  auto calls = prepare();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_EQ("mount(-, /, -, MS_SLAVE|MS_REC, -)", calls[0]);
  // In between, only where the host's mount holding the rootfs is shared:
  // that one mount (not the rootfs, not recursively) made private.
  size_t bind = at(calls, "mount(ROOTFS, ROOTFS, -, MS_BIND|MS_REC, -)");
  ASSERT_TRUE(bind == 1 || bind == 2) << ::testing::PrintToString(calls);
  if (bind == 2) {
    EXPECT_TRUE(calls[1].starts_with("mount(-, /")) << calls[1];
    EXPECT_TRUE(calls[1].ends_with(", -, MS_PRIVATE, -)")) << calls[1];
  }
  // The rootfs bind itself keeps the propagation it got (rshared must not be cut).
  EXPECT_FALSE(has(calls, "mount(-, ROOTFS, -, MS_PRIVATE, -)"));
}

struct PropagationCase {
  const char* value;
  const char* before;  // the flags of the first mount: before pivot_root
  const char* after;   // finalize_rootfs's last mount on /, or "" for none
};

class Propagation : public RootfsCalls, public ::testing::WithParamInterface<PropagationCase> {};

TEST_P(Propagation, OfTheRootBeforeAndAfterPivot) {
  config.linux.rootfs_propagation = GetParam().value;
  auto calls = prepare();
  EXPECT_EQ(std::string("mount(-, /, -, ") + GetParam().before + ", -)", calls.at(0));

  RecordingKernel after;
  ASSERT_TRUE(finalize_rootfs(after, spec));
  auto last = after.texts("mount");
  if (*GetParam().after) {
    ASSERT_EQ(1u, last.size());
    EXPECT_EQ(std::string("mount(-, /, -, ") + GetParam().after + ", -)", last[0]);
  } else {
    EXPECT_TRUE(last.empty());
  }
}

// Before pivot_root: rslave by default; shared values as asked (the host's
// shared mounts stay peers: Bidirectional propagation), private and slave
// recursively; unbindable only after pivot_root (an unbindable source
// cannot be bound onto itself), until then rslave.
INSTANTIATE_TEST_SUITE_P(
    RootfsPropagation, Propagation,
    ::testing::Values(PropagationCase{"", "MS_SLAVE|MS_REC", ""},
                      PropagationCase{"private", "MS_PRIVATE|MS_REC", "MS_PRIVATE"},
                      PropagationCase{"rprivate", "MS_PRIVATE|MS_REC", "MS_PRIVATE|MS_REC"},
                      PropagationCase{"slave", "MS_SLAVE|MS_REC", "MS_SLAVE"},
                      PropagationCase{"rslave", "MS_SLAVE|MS_REC", "MS_SLAVE|MS_REC"},
                      PropagationCase{"shared", "MS_SHARED", "MS_SHARED"},
                      PropagationCase{"rshared", "MS_SHARED|MS_REC", "MS_SHARED|MS_REC"},
                      PropagationCase{"unbindable", "MS_SLAVE|MS_REC", "MS_UNBINDABLE"},
                      PropagationCase{"runbindable", "MS_SLAVE|MS_REC", "MS_UNBINDABLE|MS_REC"}));

TEST_F(RootfsCalls, MountsFollowConfigOrderThenTheDevices) {
  config.mounts = {mount_of("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
                   mount_of("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755"}),
                   mount_of("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "gid=5"})};
  auto calls = prepare();
  size_t proc = at(calls, "mount(proc, ROOTFS/proc, proc, MS_NOSUID|MS_NODEV|MS_NOEXEC, -)");
  size_t dev = at(calls, "mount(tmpfs, ROOTFS/dev, tmpfs, MS_NOSUID|MS_STRICTATIME, mode=755)");
  size_t pts = at(calls, "mount(devpts, ROOTFS/dev/pts, devpts, MS_NOSUID|MS_NOEXEC, gid=5)");
  size_t null = at(calls, "mknod(ROOTFS/dev/null, c 1:3)");
  ASSERT_LT(null, calls.size()) << ::testing::PrintToString(calls);
  EXPECT_LT(proc, dev);
  EXPECT_LT(dev, pts);
  EXPECT_LT(pts, null);
}

TEST_F(RootfsCalls, TheDefaultDevicesAndTheConfigsAreMadeWithModeAndOwner) {
  spec::Device fuse;
  fuse.path = "/dev/fuse";
  fuse.major = 10;
  fuse.minor = 229;
  fuse.file_mode = 0600;
  fuse.uid = 1000;
  fuse.gid = 1001;
  config.linux.devices = {fuse};
  prepare();
  auto nodes = kernel.texts("mknod");
  EXPECT_EQ((std::vector<std::string>{"mknod(ROOTFS/dev/null, c 1:3)", "mknod(ROOTFS/dev/zero, c 1:5)",
                                      "mknod(ROOTFS/dev/full, c 1:7)", "mknod(ROOTFS/dev/random, c 1:8)",
                                      "mknod(ROOTFS/dev/urandom, c 1:9)", "mknod(ROOTFS/dev/tty, c 5:0)",
                                      "mknod(ROOTFS/dev/fuse, c 10:229)"}),
            nodes);
  auto calls = kernel.texts();
  EXPECT_TRUE(has(calls, "chmod(ROOTFS/dev/fuse, 0600)"));
  EXPECT_TRUE(has(calls, "chown(ROOTFS/dev/fuse, 1000:1001)"));
  EXPECT_TRUE(has(calls, "chmod(ROOTFS/dev/null, 0666)"));
  struct stat st;
  ASSERT_EQ(0, ::lstat((tmp / "rootfs/dev/ptmx").c_str(), &st));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(RootfsCalls, InAUserNamespaceDevicesAreBindsOfTheHostsNodes) {
  spec.in_user_namespace = true;
  prepare();
  EXPECT_TRUE(kernel.texts("mknod").empty());
  auto mounts = kernel.texts("mount");
  EXPECT_TRUE(has(mounts, "mount(/dev/null, ROOTFS/dev/null, -, MS_BIND, -)"));
  EXPECT_TRUE(has(mounts, "mount(/dev/tty, ROOTFS/dev/tty, -, MS_BIND, -)"));
}

TEST_F(RootfsCalls, ABindOfTheHostsDevGetsOnlyTheConfigsDevices) {
  config.mounts = {mount_of("/dev", "bind", "/dev", {"rbind"})};
  spec::Device fuse;
  fuse.path = "/dev/fuse";
  fuse.major = 10;
  fuse.minor = 229;
  config.linux.devices = {fuse};
  prepare();
  EXPECT_EQ((std::vector<std::string>{"mknod(ROOTFS/dev/fuse, c 10:229)"}), kernel.texts("mknod"));
  EXPECT_TRUE(has(kernel.texts(), "open_tree(/dev, AT_RECURSIVE)"));
  EXPECT_TRUE(has(kernel.texts(), "move_mount(/dev, ROOTFS/dev)"));
}

TEST_F(RootfsCalls, AReadOnlyBindGetsItsAttributesBeforeItIsAttached) {
  config.mounts = {mount_of("/data", "bind", tmp / "host", {"rbind", "ro", "nosuid"})};
  prepare();
  auto calls = kernel.texts();
  size_t tree = at(calls, "open_tree(" + tmp / "host" + ", AT_RECURSIVE)");
  // The options are the bind's whole set (runc's remount): what the source
  // had and was not asked for is cleared; its atime mode stays.
  size_t attr = at(calls, "mount_setattr(" + tmp / "host" +
                              ", 0, set=RDONLY|NOSUID, clr=NODEV|NOEXEC|NODIRATIME|NOSYMFOLLOW)");
  size_t move = at(calls, "move_mount(" + tmp / "host" + ", ROOTFS/data)");
  ASSERT_LT(move, calls.size()) << ::testing::PrintToString(calls);
  EXPECT_LT(tree, attr);
  EXPECT_LT(attr, move);
}

TEST_F(RootfsCalls, ARelativeBindSourceIsTheBundles) {
  config.mounts = {mount_of("/data", "bind", "host", {"bind"})};
  prepare();
  EXPECT_TRUE(has(kernel.texts(), "move_mount(" + tmp / "host" + ", ROOTFS/data)"));
}

TEST_F(RootfsCalls, AFailedMountNamesItsTypeAndDestination) {
  config.mounts = {mount_of("/proc", "proc", "proc", {}), mount_of("/tmp", "tmpfs", "tmpfs", {})};
  kernel.fail("mount", ENODEV, "tmpfs");
  auto r = prepare_rootfs(kernel, spec);
  EXPECT_TRUE(FailsWith(r, ENODEV, "mount tmpfs on /tmp"));
  EXPECT_TRUE(kernel.texts("mknod").empty()) << "nothing after the failed mount";
}

TEST_F(RootfsCalls, AMissingBindSourceIsNamed) {
  config.mounts = {mount_of("/data", "bind", tmp / "nowhere", {"bind"})};
  EXPECT_TRUE(FailsWith(prepare_rootfs(kernel, spec), ENOENT, "bind source " + tmp / "nowhere"));
}

TEST_F(RootfsCalls, SysfsRefusedInAUserNamespaceIsABindOfTheHosts) {
  config.mounts = {mount_of("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"})};
  spec.in_user_namespace = true;
  kernel.fail("mount", EPERM, "sysfs");
  prepare();
  auto calls = kernel.texts();
  EXPECT_TRUE(has(calls, "open_tree(/sys, AT_RECURSIVE)"));
  EXPECT_TRUE(
      has(calls, "mount_setattr(/sys, 0, set=RDONLY|NOSUID|NODEV|NOEXEC, clr=NODIRATIME|NOSYMFOLLOW)"));
  EXPECT_TRUE(has(calls, "move_mount(/sys, ROOTFS/sys)"));
}

TEST_F(RootfsCalls, SysfsRefusedWithoutAUserNamespaceIsAnError) {
  config.mounts = {mount_of("/sys", "sysfs", "sysfs", {})};
  kernel.fail("mount", EPERM, "sysfs");
  EXPECT_TRUE(FailsWith(prepare_rootfs(kernel, spec), EPERM, "mount sysfs on /sys"));
}

TEST_F(RootfsCalls, PureV2WithACgroupNamespaceMountsCgroup2) {
  config.mounts = {mount_of("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "ro"})};
  spec.cgroups = {CgroupView{"", tmp / "host", true}};
  spec.new_cgroup_namespace = true;
  int waits = 0;
  spec.await_cgroup = [&]() -> Result<void> {
    ++waits;
    return {};
  };
  prepare();
  EXPECT_TRUE(has(kernel.texts(), "mount(cgroup2, ROOTFS/sys/fs/cgroup, cgroup2, MS_RDONLY|MS_NOSUID, -)"));
  EXPECT_EQ(2, waits) << "before the cgroup mount, and once all mounts are done";
}

TEST_F(RootfsCalls, PureV2WithoutACgroupNamespaceBindsTheContainersCgroup) {
  config.mounts = {mount_of("/sys/fs/cgroup", "cgroup", "cgroup", {"ro"})};
  spec.cgroups = {CgroupView{"", tmp / "host", true}};
  prepare();
  auto calls = kernel.texts();
  for (auto& m : kernel.texts("mount"))
    EXPECT_EQ(std::string::npos, m.find("sys/fs/cgroup")) << "only the root's own mounts: " << m;
  EXPECT_TRUE(has(calls, "move_mount(" + tmp / "host" + ", ROOTFS/sys/fs/cgroup)"));
}

TEST_F(RootfsCalls, V1IsATmpfsOfBindsRemountedReadOnly) {
  ASSERT_EQ(0, ::mkdir((tmp / "host/memory").c_str(), 0755));
  config.mounts = {mount_of("/sys/fs/cgroup", "cgroup", "cgroup", {"ro"})};
  spec.cgroups = {CgroupView{"memory", tmp / "host/memory", false}, CgroupView{"unified", tmp / "host", true}};
  prepare();
  auto calls = kernel.texts();
  size_t tmpfs = at(calls, "mount(tmpfs, ROOTFS/sys/fs/cgroup, tmpfs, MS_NOSUID|MS_NODEV|MS_NOEXEC, mode=755)");
  size_t memory = at(calls, "move_mount(" + tmp / "host/memory" + ", ROOTFS/sys/fs/cgroup/memory)");
  size_t unified = at(calls, "move_mount(" + tmp / "host" + ", ROOTFS/sys/fs/cgroup/unified)");
  size_t ro = at(calls,
                 "mount(-, ROOTFS/sys/fs/cgroup, -, MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT, mode=755)");
  ASSERT_LT(ro, calls.size()) << ::testing::PrintToString(calls);
  EXPECT_LT(tmpfs, memory);
  EXPECT_LT(memory, unified);
  EXPECT_LT(unified, ro);
}

TEST_F(RootfsCalls, PivotRootStacksTheOldRootAndDetachesIt) {
  ASSERT_TRUE(enter_rootfs(kernel, spec));
  EXPECT_EQ((std::vector<std::string>{"chdir(ROOTFS)", "pivot_root(., .)", "fchdir(/)",
                                      "mount(-, ., -, MS_SLAVE|MS_REC, -)", "umount2(., MNT_DETACH)",
                                      "chdir(/)"}),
            kernel.texts());
}

TEST_F(RootfsCalls, NoPivotMovesTheRootAndChroots) {
  spec.no_pivot = true;
  ASSERT_TRUE(enter_rootfs(kernel, spec));
  EXPECT_EQ((std::vector<std::string>{"chdir(ROOTFS)", "mount(ROOTFS, /, -, MS_MOVE, -)", "chroot(.)", "chdir(/)"}),
            kernel.texts());
}

TEST_F(RootfsCalls, AFailedPivotRootStopsThere) {
  kernel.fail("pivot_root", EINVAL);
  EXPECT_TRUE(FailsWith(enter_rootfs(kernel, spec), EINVAL, "pivot_root"));
  EXPECT_TRUE(kernel.texts("umount2").empty());
}

// After pivot_root the paths are the container's; here they are the test's
// own files, which the fake does not mount over.
TEST_F(RootfsCalls, ReadOnlyPathsAreBoundThenRemountedAndMissingOnesSkipped) {
  config.linux.readonly_paths = {tmp / "host", tmp / "missing"};
  ASSERT_TRUE(finalize_rootfs(kernel, spec));
  auto mounts = kernel.texts("mount");
  ASSERT_EQ(2u, mounts.size()) << ::testing::PrintToString(mounts);
  EXPECT_EQ("mount(" + tmp / "host" + ", " + tmp / "host" + ", -, MS_BIND|MS_REC, -)", mounts[0]);
  EXPECT_TRUE(mounts[1].starts_with("mount(-, " + tmp / "host" + ", -, MS_RDONLY|"));
  EXPECT_NE(std::string::npos, mounts[1].find("MS_REMOUNT|MS_BIND")) << mounts[1];
}

TEST_F(RootfsCalls, AMaskedDirectoryIsAnEmptyTmpfsAndAMaskedFileDevNull) {
  testing::put_file(tmp / "secret", "x");
  config.linux.masked_paths = {tmp / "host", tmp / "secret", tmp / "missing"};
  ASSERT_TRUE(finalize_rootfs(kernel, spec));
  EXPECT_EQ((std::vector<std::string>{"mount(tmpfs, " + tmp / "host" + ", tmpfs, MS_RDONLY, -)",
                                      "mount(/dev/null, " + tmp / "secret" + ", -, MS_BIND, -)"}),
            kernel.texts("mount"));
}

TEST_F(RootfsCalls, MaskingComesAfterReadOnlyPathsAndBeforeAReadOnlyRoot) {
  config.linux.readonly_paths = {tmp / "host"};
  config.linux.masked_paths = {tmp / "host"};
  config.root.readonly = true;
  ASSERT_TRUE(finalize_rootfs(kernel, spec));
  auto mounts = kernel.texts("mount");
  ASSERT_EQ(4u, mounts.size()) << ::testing::PrintToString(mounts);
  EXPECT_EQ("mount(tmpfs, " + tmp / "host" + ", tmpfs, MS_RDONLY, -)", mounts[2]);
  EXPECT_TRUE(mounts[3].starts_with("mount(-, /, -, MS_RDONLY|")) << mounts[3];
}

TEST_F(RootfsCalls, AFailedMaskNamesThePath) {
  config.linux.masked_paths = {tmp / "host"};
  kernel.fail("mount", EPERM);
  EXPECT_TRUE(FailsWith(finalize_rootfs(kernel, spec), EPERM, "mask " + tmp / "host"));
}

}  // namespace
}  // namespace husk::linux
