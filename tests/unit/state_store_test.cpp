// spec::validate_id, runtime/state_store: container ids and the ROOT/ID directories that carry a
// container's state between commands, in a temporary root.
#include "runtime/state_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_helpers.hpp"

namespace husk::runtime {
namespace {

using testing::FailsWith;
using testing::TempDir;
using spec::validate_id;

TEST(ValidateId, Accepts) {
  EXPECT_TRUE(validate_id("abc").has_value());
  EXPECT_TRUE(validate_id("a.b-c_d+e").has_value());
  EXPECT_TRUE(validate_id("0123456789ABCDEF").has_value());
  EXPECT_TRUE(validate_id("...").has_value()) << "only . and .. themselves are special";
  EXPECT_TRUE(validate_id(std::string(1024, 'x')).has_value());
}

TEST(ValidateId, Rejects) {
  EXPECT_TRUE(FailsWith(validate_id(""), EINVAL, "must not be empty"));
  EXPECT_TRUE(FailsWith(validate_id("."), EINVAL, "invalid container id \".\""));
  EXPECT_TRUE(FailsWith(validate_id(".."), EINVAL, "invalid container id \"..\""));
  EXPECT_TRUE(FailsWith(validate_id("a/b"), EINVAL, "only letters, digits and _+-. are allowed"));
  EXPECT_TRUE(FailsWith(validate_id("../x"), EINVAL, "invalid container id \"../x\""));
  EXPECT_TRUE(FailsWith(validate_id("a b"), EINVAL, "invalid container id \"a b\""));
  EXPECT_TRUE(FailsWith(validate_id("a:b"), EINVAL, "invalid container id"));
  EXPECT_TRUE(FailsWith(validate_id("caf\xc3\xa9"), EINVAL, "invalid container id"));
  EXPECT_TRUE(FailsWith(validate_id(std::string(1025, 'x')), EINVAL, "longer than 1024"));
}

spec::State state_for(const std::string& id) {
  spec::State s;
  s.id = id;
  s.status = spec::Status::created;
  s.pid = 1234;
  s.bundle = "/bundles/" + id;
  s.rootfs = "/bundles/" + id + "/rootfs";
  s.created = "2024-01-01T00:00:00Z";
  s.owner = "root";
  s.annotations = {{"k", "v"}};
  s.pid_start_time = 99;
  s.cgroup_path = "/husk/" + id;
  s.start_fd = 4;
  return s;
}

TEST(StateStore, CreateMakesTheDirectoryUnderAFreshRoot) {
  TempDir tmp;
  StateStore store(tmp / "state");  // the root itself does not exist yet
  auto dir = store.create("c1");
  ASSERT_TRUE(dir.has_value()) << dir.error().what();
  EXPECT_EQ(dir->path(), tmp / "state/c1");
  EXPECT_GE(dir->fd(), 0);
  struct stat st;
  ASSERT_EQ(::stat(dir->path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(StateStore, CreateTwiceFailsWithEexist) {
  TempDir tmp;
  StateStore store(tmp.path());
  auto first = store.create("c1");
  ASSERT_TRUE(first.has_value()) << first.error().what();
  auto second = store.create("c1");
  EXPECT_TRUE(FailsWith(second, EEXIST, "container with id exists: c1"));
  EXPECT_EQ(second.error().what(), "container with id exists: c1") << "no errno text appended";
}

TEST(StateStore, CreateRefusesInvalidIds) {
  TempDir tmp;
  StateStore store(tmp.path());
  EXPECT_TRUE(FailsWith(store.create("../escape"), EINVAL, "invalid container id"));
  EXPECT_FALSE(path_exists(tmp / "../escape"));
}

TEST(StateStore, OpenMissingIsEnoent) {
  TempDir tmp;
  StateStore store(tmp.path());
  auto r = store.open("nope");
  EXPECT_TRUE(FailsWith(r, ENOENT, "does not exist"));
  EXPECT_EQ(r.error().message(), "container \"nope\" does not exist");
}

TEST(StateStore, OpenWithoutStateJsonIsEnoent) {
  // A directory whose create never saved state (or a delete in progress).
  TempDir tmp;
  StateStore store(tmp.path());
  ASSERT_TRUE(store.create("half").has_value());  // lock released at once
  EXPECT_TRUE(FailsWith(store.open("half"), ENOENT, "container \"half\" does not exist"));
}

TEST(StateStore, SaveAndLoadStateRoundTrip) {
  TempDir tmp;
  StateStore store(tmp.path());
  {
    auto dir = store.create("c1");
    ASSERT_TRUE(dir.has_value()) << dir.error().what();
    auto saved = dir->save_state(state_for("c1"));
    ASSERT_TRUE(saved.has_value()) << saved.error().what();
  }  // the directory lock is an flock: release it before opening again
  struct stat st;
  ASSERT_EQ(::stat((tmp / "c1/state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto dir = store.open("c1");
  ASSERT_TRUE(dir.has_value()) << dir.error().what();
  auto loaded = dir->load_state();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().what();
  const spec::State want = state_for("c1");
  EXPECT_EQ(loaded->id, want.id);
  EXPECT_EQ(loaded->status, want.status);
  EXPECT_EQ(loaded->pid, want.pid);
  EXPECT_EQ(loaded->bundle, want.bundle);
  EXPECT_EQ(loaded->rootfs, want.rootfs);
  EXPECT_EQ(loaded->created, want.created);
  EXPECT_EQ(loaded->annotations, want.annotations);
  EXPECT_EQ(loaded->pid_start_time, want.pid_start_time);
  EXPECT_EQ(loaded->cgroup_path, want.cgroup_path);
  EXPECT_EQ(loaded->start_fd, want.start_fd);
}

TEST(StateStore, SaveStateReplacesTheWholeFile) {
  TempDir tmp;
  StateStore store(tmp.path());
  auto dir = store.create("c1");
  ASSERT_TRUE(dir.has_value());
  spec::State s = state_for("c1");
  ASSERT_TRUE(dir->save_state(s).has_value());
  s.status = spec::Status::stopped;
  s.annotations.clear();
  ASSERT_TRUE(dir->save_state(s).has_value());
  auto loaded = dir->load_state();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().what();
  EXPECT_EQ(loaded->status, spec::Status::stopped);
  EXPECT_TRUE(loaded->annotations.empty());
}

TEST(StateStore, ConfigTextRoundTrip) {
  TempDir tmp;
  StateStore store(tmp.path());
  auto dir = store.create("c1");
  ASSERT_TRUE(dir.has_value());
  EXPECT_TRUE(FailsWith(dir->load_config_text(), ENOENT, "config.json"));
  const std::string text = R"({"ociVersion":"1.2.0","root":{"path":"rootfs"}})";
  ASSERT_TRUE(dir->save_config_text(text).has_value());
  EXPECT_EQ(dir->load_config_text().value_or(""), text);
}

TEST(StateStore, ListIdsSortedAndSkipsInvalidNames) {
  TempDir tmp;
  StateStore store(tmp.path());
  for (const char* id : {"zeta", "alpha", "m.1", "M+2"}) ASSERT_TRUE(store.create(id).has_value()) << id;
  ASSERT_TRUE(mkdir_all(tmp / "not valid").has_value());
  ASSERT_TRUE(mkdir_all(tmp / "a:b").has_value());
  EXPECT_EQ(store.list_ids(), (std::vector<std::string>{"M+2", "alpha", "m.1", "zeta"}));
}

TEST(StateStore, ListIdsOfMissingRootIsEmpty) {
  TempDir tmp;
  EXPECT_TRUE(StateStore(tmp / "never-created").list_ids().empty());
}

TEST(StateStore, RemoveDeletesTheDirectoryAndItsFiles) {
  TempDir tmp;
  StateStore store(tmp.path());
  auto dir = store.create("c1");
  ASSERT_TRUE(dir.has_value());
  ASSERT_TRUE(dir->save_state(state_for("c1")).has_value());
  ASSERT_TRUE(dir->save_config_text("{}").has_value());
  auto removed = dir->remove();
  ASSERT_TRUE(removed.has_value()) << removed.error().what();
  EXPECT_FALSE(path_exists(tmp / "c1"));
  EXPECT_TRUE(store.list_ids().empty());
  // The id is free again.
  EXPECT_TRUE(store.create("c1").has_value());
}

}  // namespace
}  // namespace husk::runtime
