// engine/volumes: docker's local volumes in a temporary store: create
// (idempotent), inspect's shape, users blocking rm, rm -v's anonymous
// volumes, prune, and seeding a new volume from a directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "engine/volumes.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using husk::testing::get_file;
using husk::testing::put_file;
using husk::testing::TempDir;

// A container directory, as the engine makes them, that uses NAMES.
void use(const VolumeStore& vs, const TempDir& tmp, const std::string& id,
         const std::vector<std::string>& names) {
  ASSERT_TRUE(mkdir_all(tmp / ("containers/" + id)).has_value());
  ASSERT_TRUE(vs.set_users(id, names).has_value());
}

TEST(EngineVolumes, CreateIsIdempotentAndInspectHasDockersShape) {
  TempDir tmp;
  VolumeStore vs(tmp.path());
  bool created = false;
  auto v = vs.create("data", {{"team", "db"}}, &created);
  ASSERT_TRUE(v.has_value()) << v.error().what();
  EXPECT_TRUE(created);
  EXPECT_EQ(v->mountpoint, tmp / "volumes/data/_data");
  struct stat st;
  ASSERT_EQ(::stat(v->mountpoint.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  put_file(v->mountpoint + "/kept", "x");
  auto again = vs.create("data", {{"other", "label"}}, &created);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->labels, (std::map<std::string, std::string>{{"team", "db"}}));
  EXPECT_EQ(get_file(v->mountpoint + "/kept"), "x");
  auto j = to_json(*vs.get("data"));
  std::vector<std::string> keys;
  for (auto& [k, _] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options",
                                            "Scope"}));
  EXPECT_EQ(j["Driver"], "local");
  EXPECT_EQ(j["Scope"], "local");
  EXPECT_EQ(j["Labels"]["team"], "db");
  EXPECT_EQ(j["CreatedAt"], v->created);
  EXPECT_TRUE(to_json(*vs.create("bare", {}))["Labels"].is_null());
  auto all = vs.list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "bare");
  EXPECT_EQ((*all)[1].name, "data");
}

TEST(EngineVolumes, NamesFollowTheLocalDriversRule) {
  TempDir tmp;
  VolumeStore vs(tmp.path());
  EXPECT_TRUE(FailsWith(vs.create("a", {}), EINVAL, "includes invalid characters for a local volume name"));
  EXPECT_TRUE(FailsWith(vs.create("../x", {}), EINVAL, "invalid characters"));
  EXPECT_TRUE(FailsWith(vs.create("-x", {}), EINVAL, "invalid characters"));
  EXPECT_TRUE(vs.create("a1_b.c-d", {}).has_value());
  EXPECT_TRUE(FailsWith(vs.get("nope"), ENOENT, "get nope: no such volume"));
  EXPECT_TRUE(FailsWith(vs.get("../../etc"), ENOENT, "no such volume"));
  EXPECT_TRUE(FailsWith(vs.remove("nope"), ENOENT, "no such volume"));
}

TEST(EngineVolumes, InUseCannotBeRemovedUntilItsContainerGoes) {
  TempDir tmp;
  VolumeStore vs(tmp.path());
  ASSERT_TRUE(vs.create("data", {}).has_value());
  use(vs, tmp, "c1", {"data"});
  EXPECT_EQ(*vs.users("data"), (std::vector<std::string>{"c1"}));
  EXPECT_TRUE(FailsWith(vs.remove("data"), EBUSY, "remove data: volume is in use - [c1]"));
  ASSERT_TRUE(remove_all(tmp / "containers/c1").has_value());
  ASSERT_TRUE(vs.remove("data").has_value());
  EXPECT_FALSE(path_exists(tmp / "volumes/data"));
}

TEST(EngineVolumes, AnonymousOnesGoWithTheirContainerAndWithPrune) {
  TempDir tmp;
  VolumeStore vs(tmp.path());
  std::string anon(64, 'a'), other(64, 'b');
  std::map<std::string, std::string> label{{std::string(kAnonymousLabel), ""}};
  ASSERT_TRUE(vs.create(anon, label).has_value());
  ASSERT_TRUE(vs.create(other, label).has_value());
  ASSERT_TRUE(vs.create("named", {}).has_value());
  use(vs, tmp, "c1", {anon, "named"});
  use(vs, tmp, "c2", {other});
  EXPECT_EQ(vs.anonymous_of("c1"), (std::vector<std::string>{anon}));
  // Still in use by c2 (its directory remains): stays.
  vs.remove_unused_anonymous({other});
  EXPECT_TRUE(vs.get(other).has_value());
  ASSERT_TRUE(remove_all(tmp / "containers/c1").has_value());
  vs.remove_unused_anonymous({anon, "named"});
  EXPECT_FALSE(vs.get(anon).has_value());
  EXPECT_TRUE(vs.get("named").has_value()) << "rm -v keeps named volumes";

  ASSERT_TRUE(vs.create("unused", {}).has_value());
  put_file(vs.data_dir("unused") + "/f", "12345");
  auto pruned = vs.prune(false);
  ASSERT_TRUE(pruned.has_value());
  EXPECT_TRUE(pruned->empty()) << "without --all only unused anonymous volumes go";
  ASSERT_TRUE(remove_all(tmp / "containers/c2").has_value());
  unsigned long long bytes = 0;
  pruned = vs.prune(false, &bytes);
  EXPECT_EQ(*pruned, (std::vector<std::string>{other}));
  pruned = vs.prune(true, &bytes);
  EXPECT_EQ(*pruned, (std::vector<std::string>{"named", "unused"}));
  EXPECT_EQ(bytes, 5u);
  EXPECT_TRUE(vs.list()->empty());
}

TEST(EngineVolumes, SeedCopiesIntoAnEmptyVolumeOnly) {
  TempDir tmp;
  VolumeStore vs(tmp.path());
  ASSERT_TRUE(mkdir_all(tmp / "image/etc/sub").has_value());
  put_file(tmp / "image/etc/hostname", "box\n");
  put_file(tmp / "image/etc/sub/deep", "deep\n");
  ASSERT_EQ(::symlink("hostname", (tmp / "image/etc/link").c_str()), 0);
  ASSERT_EQ(::chmod((tmp / "image/etc").c_str(), 0750), 0);
  ASSERT_TRUE(vs.create("conf", {}).has_value());
  auto src = open_fd(tmp / "image/etc", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(src.has_value());
  ASSERT_TRUE(vs.seed("conf", src->get()).has_value());
  std::string data = vs.data_dir("conf");
  EXPECT_EQ(get_file(data + "/hostname"), "box\n");
  EXPECT_EQ(get_file(data + "/sub/deep"), "deep\n");
  char target[64] = {};
  ASSERT_GT(::readlink((data + "/link").c_str(), target, sizeof target - 1), 0);
  EXPECT_STREQ(target, "hostname");
  struct stat st;
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u) << "the volume's root takes the image dir's mode";
  // Not empty any more: a second seed leaves it as it is.
  put_file(data + "/hostname", "changed\n");
  ASSERT_TRUE(vs.seed("conf", src->get()).has_value());
  EXPECT_EQ(get_file(data + "/hostname"), "changed\n");
}

}  // namespace
}  // namespace husk::engine
