// runtime/state_store: a stale state directory (its create died before
// state.json) goes at `delete --force`; a directory the runtime did not make
// stays, whatever it is called.
#include "runtime/state_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/file.hpp"
#include "test_helpers.hpp"

namespace husk::runtime {
namespace {

using husk::testing::put_file;
using husk::testing::TempDir;

TEST(RuntimeStateStore, AStaleDirectoryItMadeIsRemoved) {
  TempDir t;
  StateStore store(t.path());
  {
    auto made = store.create("c1");
    ASSERT_TRUE(made.has_value()) << made.error().what();
    put_file(t.path() + "/c1/exec.fifo", "");
  }
  ASSERT_TRUE(store.remove_stale("c1").has_value());
  EXPECT_FALSE(path_exists(t.path() + "/c1"));
  // An empty one too (a create that died before marking it).
  ASSERT_EQ(::mkdir((t.path() + "/c2").c_str(), 0700), 0);
  ASSERT_TRUE(store.remove_stale("c2").has_value());
  EXPECT_FALSE(path_exists(t.path() + "/c2"));
}

TEST(RuntimeStateStore, AnotherProgramsDirectoryStays) {
  TempDir t;
  StateStore store(t.path());
  ASSERT_EQ(::mkdir((t.path() + "/networks").c_str(), 0700), 0);
  put_file(t.path() + "/networks/leases", "10.87.0.2 abc\n");
  ASSERT_TRUE(store.remove_stale("networks").has_value());
  EXPECT_TRUE(path_exists(t.path() + "/networks/leases"));
  // A live container's is never stale.
  auto made = store.create("c1");
  ASSERT_TRUE(made.has_value());
  put_file(t.path() + "/c1/state.json", "{}");
  made->unlock();
  ASSERT_TRUE(store.remove_stale("c1").has_value());
  EXPECT_TRUE(path_exists(t.path() + "/c1/state.json"));
}

}  // namespace
}  // namespace husk::runtime
