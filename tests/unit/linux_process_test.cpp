// linux/process: HOME for a process whose environment has none, from the
// container's /etc/passwd (runc's rule).
#include <gtest/gtest.h>

#include "linux/process.hpp"

namespace husk::linux {
namespace {

using Env = std::vector<std::string>;

TEST(LinuxProcessHome, FromThePasswdEntryOfTheUidElseSlash) {
  std::string passwd =
      "root:x:0:0:root:/root:/bin/sh\n"
      "# a comment\n"
      "app:x:1000:1000::/home/app:/bin/sh\n"
      "nohome:x:1001:1001:::/bin/sh\n";
  EXPECT_EQ(env_with_home({"PATH=/bin"}, 0, passwd), (Env{"PATH=/bin", "HOME=/root"}));
  EXPECT_EQ(env_with_home({}, 1000, passwd), (Env{"HOME=/home/app"}));
  EXPECT_EQ(env_with_home({}, 1001, passwd), (Env{"HOME=/"})) << "an empty home field";
  EXPECT_EQ(env_with_home({}, 4242, passwd), (Env{"HOME=/"})) << "no entry";
  EXPECT_EQ(env_with_home({}, 0, ""), (Env{"HOME=/"})) << "no passwd";
  EXPECT_EQ(env_with_home({"HOME=/data", "A=1"}, 0, passwd), (Env{"HOME=/data", "A=1"})) << "given: kept";
  EXPECT_EQ(env_with_home({"HOME=", "A=1"}, 0, passwd), (Env{"A=1", "HOME=/root"})) << "empty is none, as runc's";
}

}  // namespace
}  // namespace husk::linux
