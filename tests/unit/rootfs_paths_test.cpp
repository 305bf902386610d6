// linux::ensure_path_in_root: mount points made inside a rootfs whose image
// holds symlinks, dangling ones included, never outside it.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "linux/rootfs.hpp"
#include "test_helpers.hpp"

namespace husk::linux {
namespace {

using testing::FailsWith;
using testing::TempDir;

class EnsurePathInRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(0, ::mkdir((tmp / "root").c_str(), 0755));
    ASSERT_EQ(0, ::mkdir((tmp / "root/etc").c_str(), 0755));
    ASSERT_EQ(0, ::mkdir((tmp / "host").c_str(), 0755));
    root = UniqueFd(::open((tmp / "root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root.valid());
  }
  void link(const std::string& target, const std::string& at) {
    ASSERT_EQ(0, ::symlink(target.c_str(), (tmp / ("root/" + at)).c_str()));
  }
  bool is_dir(const std::string& rel) const {
    struct stat st;
    return ::lstat((tmp / rel).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }
  TempDir tmp;
  UniqueFd root;
};

TEST_F(EnsurePathInRoot, ADanglingAbsoluteLinkIsMadeInsideTheRootNotOnTheHost) {
  // The link names the host's directory: inside the root it names root/<that>.
  link(tmp / "host/a", "etc/evil");
  ASSERT_TRUE(ensure_path_in_root(root.get(), "/etc/evil/sub", true));
  EXPECT_TRUE(is_dir("root" + (tmp / "host/a/sub")));
  EXPECT_FALSE(is_dir("host/a"));
}

TEST_F(EnsurePathInRoot, ARelativeLinkClimbingPastTheRootStopsAtIt) {
  link("../../../../../../../../host/b", "etc/evil");
  auto fd = ensure_path_in_root(root.get(), "/etc/evil", false);
  ASSERT_TRUE(fd) << fd.error().what();
  struct stat st;
  EXPECT_EQ(0, ::lstat((tmp / "root/host/b").c_str(), &st));
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "a file mount point, as asked";
  EXPECT_FALSE(is_dir("host/b"));
}

TEST_F(EnsurePathInRoot, AChainOfDanglingLinksIsFollowedInsideAndALoopRefused) {
  link("/etc/two", "etc/one");
  link("../three/x", "etc/two");
  ASSERT_TRUE(ensure_path_in_root(root.get(), "/etc/one", true));
  EXPECT_TRUE(is_dir("root/three/x"));
  link("/etc/loop2/x", "etc/loop1");
  link("/etc/loop1/x", "etc/loop2");
  EXPECT_TRUE(FailsWith(ensure_path_in_root(root.get(), "/etc/loop1", true), ELOOP, "/etc/loop"));
}

}  // namespace
}  // namespace husk::linux
