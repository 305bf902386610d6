// linux/seccomp's program cache: a second compile of the same profile is
// the remembered program, identical to a fresh one; a file that is not the
// key's (corrupt, another profile's, a collision) is never used.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "linux/seccomp.hpp"

namespace husk::linux {
namespace {

spec::Seccomp profile(const char* denied) {
  auto j = nlohmann::json::parse(std::string(R"({"defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "syscalls": [{"names": [")") + denied + R"("], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  auto s = spec::seccomp_from_json(j, "linux.seccomp");
  EXPECT_TRUE(s && *s);
  return **s;
}

bool same(const SeccompProgram& a, const SeccompProgram& b) {
  return a.flags == b.flags && a.code.size() == b.code.size() &&
         std::equal(a.code.begin(), a.code.end(), b.code.begin(), [](const sock_filter& x, const sock_filter& y) {
           return x.code == y.code && x.jt == y.jt && x.jf == y.jf && x.k == y.k;
         });
}

class SeccompCache : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/husk-seccomp-cache-XXXXXX";
    dir_ = std::string(::mkdtemp(tmpl)) + "/cache";
  }
  void TearDown() override { (void)remove_all(dir_.substr(0, dir_.rfind('/'))); }
  std::string file_for(const spec::Seccomp& s) const { return dir_ + "/" + fnv1a_64_hex(seccomp_cache_key(s)); }
  std::string dir_;
};

TEST_F(SeccompCache, TheSecondCompileIsTheRememberedProgram) {
  auto s = profile("mkdir");
  auto fresh = compile_seccomp(s);
  ASSERT_TRUE(fresh);
  auto first = compile_seccomp_cached(s, dir_);
  ASSERT_TRUE(first);
  ASSERT_TRUE(path_exists(file_for(s)));
  auto second = compile_seccomp_cached(s, dir_);
  ASSERT_TRUE(second);
  EXPECT_TRUE(same(*fresh, *first));
  EXPECT_TRUE(same(*fresh, *second));
}

TEST_F(SeccompCache, AFileThatIsNotTheKeysIsNeverUsed) {
  auto mkdir_denied = profile("mkdir");
  auto chmod_denied = profile("chmod");
  EXPECT_NE(seccomp_cache_key(mkdir_denied), seccomp_cache_key(chmod_denied));
  ASSERT_TRUE(compile_seccomp_cached(chmod_denied, dir_));
  // As if mkdir's key hashed to chmod's file: the key inside differs.
  ASSERT_TRUE(::rename(file_for(chmod_denied).c_str(), file_for(mkdir_denied).c_str()) == 0);
  auto got = compile_seccomp_cached(mkdir_denied, dir_);
  ASSERT_TRUE(got);
  EXPECT_TRUE(same(*got, *compile_seccomp(mkdir_denied)));
  EXPECT_FALSE(same(*got, *compile_seccomp(chmod_denied)));
  // A torn or corrupt file is a miss too, and is written again.
  ASSERT_TRUE(write_file_atomic(file_for(mkdir_denied), "husk-seccomp-1\ngarbage"));
  got = compile_seccomp_cached(mkdir_denied, dir_);
  ASSERT_TRUE(got);
  EXPECT_TRUE(same(*got, *compile_seccomp(mkdir_denied)));
  EXPECT_GT(read_file(file_for(mkdir_denied))->size(), 100u);
}

}  // namespace
}  // namespace husk::linux
