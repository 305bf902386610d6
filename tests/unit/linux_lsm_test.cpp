// linux/lsm: whether a host has AppArmor or SELinux (read from a fake /sys
// and /proc), what a plan keeps and what it reports as not applied, the
// exec attributes it writes, and SELinux's mount context option.
#include <gtest/gtest.h>

#include "base/file.hpp"
#include "linux/lsm.hpp"
#include "test_helpers.hpp"

namespace husk::linux {
namespace {

class LsmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/husk-lsm-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    ASSERT_TRUE(mkdir_all(sys() + "/module/apparmor/parameters"));
    ASSERT_TRUE(mkdir_all(proc() + "/thread-self/attr/apparmor"));
    ASSERT_TRUE(write_file_atomic(proc() + "/filesystems", "nodev\tsysfs\nnodev\tproc\n"));
    ASSERT_TRUE(write_file_atomic(proc() + "/thread-self/attr/exec", ""));
    ASSERT_TRUE(write_file_atomic(proc() + "/thread-self/attr/apparmor/exec", ""));
  }
  void TearDown() override { (void)remove_all(root_); }
  std::string sys() const { return root_ + "/sys"; }
  std::string proc() const { return root_ + "/proc"; }
  std::string root_;
};

TEST_F(LsmTest, WithoutTheModulesNothingIsAppliedAndEachSettingIsReported) {
  EXPECT_FALSE(apparmor_enabled(sys()));
  EXPECT_FALSE(selinux_enabled(proc()));
  auto plan = plan_lsm("docker-default", "system_u:system_r:container_t:s0", "system_u:object_r:container_file_t:s0",
                       sys(), proc());
  EXPECT_EQ(plan.apparmor_profile, "");
  EXPECT_EQ(plan.selinux_label, "");
  EXPECT_EQ(plan.mount_label, "");
  ASSERT_EQ(plan.unapplied.size(), 3u);
  EXPECT_EQ(plan.unapplied[0],
            "process.apparmorProfile \"docker-default\" is not applied: AppArmor is not enabled on this host");
  EXPECT_NE(plan.unapplied[1].find("process.selinuxLabel"), std::string::npos);
  EXPECT_NE(plan.unapplied[2].find("linux.mountLabel"), std::string::npos);
  EXPECT_TRUE(plan_lsm("", "", "", sys(), proc()).unapplied.empty());
}

TEST_F(LsmTest, WithTheModulesThePlanKeepsThemAndTheExecAttributesAreWritten) {
  ASSERT_TRUE(write_file_atomic(sys() + "/module/apparmor/parameters/enabled", "Y\n"));
  ASSERT_TRUE(write_file_atomic(proc() + "/filesystems", "nodev\tsysfs\nnodev\tselinuxfs\n"));
  auto plan = plan_lsm("docker-default", "system_u:system_r:container_t:s0", "ctx", sys(), proc());
  EXPECT_TRUE(plan.unapplied.empty());
  EXPECT_EQ(plan.apparmor_profile, "docker-default");
  EXPECT_EQ(plan.mount_label, "ctx");
  ASSERT_TRUE(set_apparmor_exec_profile("docker-default", proc()));
  EXPECT_EQ(*read_file(proc() + "/thread-self/attr/apparmor/exec"), "exec docker-default");
  ASSERT_TRUE(set_selinux_exec_label("system_u:system_r:container_t:s0", proc()));
  EXPECT_EQ(*read_file(proc() + "/thread-self/attr/exec"), "system_u:system_r:container_t:s0");
  // An older kernel without AppArmor's own directory: the shared attr/exec.
  ASSERT_TRUE(remove_all(proc() + "/thread-self/attr/apparmor"));
  ASSERT_TRUE(write_file_atomic(proc() + "/thread-self/attr/exec", ""));
  ASSERT_TRUE(set_apparmor_exec_profile("p2", proc()));
  EXPECT_EQ(*read_file(proc() + "/thread-self/attr/exec"), "exec p2");
}

TEST(Lsm, MountLabelIsAddedOnceToTheMountData) {
  EXPECT_EQ(with_mount_label("", ""), "");
  EXPECT_EQ(with_mount_label("mode=755", ""), "mode=755");
  EXPECT_EQ(with_mount_label("", "a:b:c:s0"), "context=\"a:b:c:s0\"");
  EXPECT_EQ(with_mount_label("mode=755,size=65536k", "a:b:c:s0"), "mode=755,size=65536k,context=\"a:b:c:s0\"");
  EXPECT_EQ(with_mount_label("context=\"x\"", "a:b:c:s0"), "context=\"x\"");
}

}  // namespace
}  // namespace husk::linux
