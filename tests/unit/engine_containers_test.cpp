// engine/containers: names (docker's rule, unique per store), ids, records
// round-tripping through container.json, lookup by name, id or id prefix.
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <thread>

#include "base/file.hpp"
#include "engine/containers.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using husk::testing::TempDir;

TEST(EngineNames, DockersRule) {
  EXPECT_TRUE(validate_name("web").has_value());
  EXPECT_TRUE(validate_name("a1_b.c-d").has_value());
  EXPECT_TRUE(FailsWith(validate_name("x"), EINVAL, "invalid container name"));
  EXPECT_TRUE(FailsWith(validate_name("-web"), EINVAL, "invalid container name"));
  EXPECT_TRUE(FailsWith(validate_name("we b"), EINVAL, "invalid container name"));
  EXPECT_TRUE(FailsWith(validate_name("a/b"), EINVAL, "invalid container name"));
  std::string id = new_container_id();
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(id, new_container_id());
}

Result<void> make_dir(const ContainerStore& cs, const ContainerRecord& r) {
  return mkdir_all(cs.dir(r.id), 0700);
}

// A record from before the limits were config.json's alone: its --cpus text
// says the quota came from --cpus; its other limits are left to config.json.
TEST(EngineContainers, AnOlderRecordsCpusTextIsReadAsNanoCpus) {
  TempDir tmp;
  auto images = image::Store::open(tmp / "store");
  ASSERT_TRUE(images.has_value());
  ContainerStore cs(*images);
  auto put = [&](const std::string& id, const std::string& host_config) {
    ASSERT_TRUE(mkdir_all(cs.dir(id), 0700).has_value());
    husk::testing::put_file(cs.dir(id) + "/container.json", R"({"Id": ")" + id + R"(", "Name": "n)" +
                                                                id.substr(0, 4) + R"(", "HostConfig": )" +
                                                                host_config + "}");
  };
  std::string a(64, 'a'), b(64, 'b');
  put(a, R"({"Cpus": "0.5", "Memory": "100m"})");
  put(b, R"({"Cpus": "", "CpuQuota": "20000"})");
  auto old = cs.find(a);
  ASSERT_TRUE(old.has_value()) << old.error().what();
  EXPECT_TRUE(old->nano_cpus);
  EXPECT_EQ(old->flags.resources.memory, "");
  EXPECT_FALSE(cs.find(b)->nano_cpus);
}

TEST(EngineContainers, RecordsRoundTripAndAreFoundByNameIdOrPrefix) {
  TempDir tmp;
  auto images = image::Store::open(tmp / "store");
  ASSERT_TRUE(images.has_value());
  ContainerStore cs(*images);
  ContainerRecord rec;
  rec.name = "web";
  rec.image = "busybox";
  rec.command = {"sh", "-c", "echo hi"};
  rec.created = "2026-11-23T20:00:00Z";
  auto made = cs.create(rec, [&](const ContainerRecord& r) { return make_dir(cs, r); });
  ASSERT_TRUE(made.has_value()) << made.error().what();
  EXPECT_EQ(made->name, "web");
  made->status = "exited";
  made->exit_code = 3;
  made->nano_cpus = true;
  ASSERT_TRUE(cs.save(*made).has_value());
  auto byname = cs.find("web");
  ASSERT_TRUE(byname.has_value());
  EXPECT_EQ(byname->id, made->id);
  EXPECT_EQ(byname->command, rec.command);
  EXPECT_EQ(byname->exit_code, 3);
  EXPECT_EQ(byname->status, "exited");
  EXPECT_TRUE(byname->nano_cpus);
  EXPECT_EQ(cs.find(made->id)->name, "web");
  EXPECT_EQ(cs.find(made->id.substr(0, 5))->name, "web");
  EXPECT_TRUE(FailsWith(cs.find("nothere"), ENOENT, "no such container"));
  // No name: docker's kind, adjective_surname.
  auto unnamed = cs.create(ContainerRecord{}, [&](const ContainerRecord& r) { return make_dir(cs, r); });
  ASSERT_TRUE(unnamed.has_value());
  EXPECT_TRUE(std::regex_match(unnamed->name, std::regex("[a-z]+_[a-z]+"))) << unnamed->name;
  EXPECT_EQ(cs.list()->size(), 2u);
}

// A create killed half-way leaves containers/ID without a record: listed as
// dead (so rm -f can reach it) unless a create holds the names lock now, or
// the dir is a bundle of `husk image bundle` (its bundle lies elsewhere).
TEST(EngineContainers, ADirWithoutARecordIsADeadContainerOnceNoCreateRuns) {
  TempDir tmp;
  auto images = image::Store::open(tmp / "store");
  ASSERT_TRUE(images.has_value());
  ContainerStore cs(*images);
  std::string half = std::string(64, 'a'), bundled = std::string(64, 'b');
  ASSERT_TRUE(mkdir_all(cs.dir(half) + "/upper", 0700).has_value());
  ASSERT_TRUE(mkdir_all(cs.dir(bundled), 0700).has_value());
  ASSERT_TRUE(write_file_atomic(cs.dir(bundled) + "/bundle", "/elsewhere/b1\n", 0600).has_value());
  auto all = cs.list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().id, half);
  EXPECT_EQ(all->front().status, "dead");
  EXPECT_EQ(cs.find(half.substr(0, 12))->id, half);
  // While a create runs (it holds the names lock), its dir is no ghost.
  std::optional<Result<std::vector<ContainerRecord>>> during;
  auto made = cs.create(ContainerRecord{}, [&](const ContainerRecord& r) -> Result<void> {
    during = cs.list();
    return make_dir(cs, r);
  });
  ASSERT_TRUE(made.has_value());
  ASSERT_TRUE(during && during->has_value());
  EXPECT_TRUE((*during)->empty());
  EXPECT_EQ(cs.list()->size(), 2u);
}

TEST(EngineContainers, ANameIsTakenOnceEvenByRacingCreates) {
  TempDir tmp;
  auto images = image::Store::open(tmp / "store");
  ASSERT_TRUE(images.has_value());
  ContainerStore cs(*images);
  std::vector<Result<ContainerRecord>> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results)
    threads.emplace_back([&] {
      ContainerRecord rec;
      rec.name = "same";
      r = cs.create(rec, [&](const ContainerRecord& x) { return make_dir(cs, x); });
    });
  for (auto& t : threads) t.join();
  int ok = 0;
  for (auto& r : results) {
    if (r)
      ++ok;
    else
      EXPECT_TRUE(FailsWith(r, EEXIST, "already in use"));
  }
  EXPECT_EQ(ok, 1);
  // A failed MAKE leaves no record behind.
  ContainerRecord rec;
  rec.name = "broken";
  EXPECT_TRUE(
      FailsWith(cs.create(rec, [](const ContainerRecord&) -> Result<void> { return fail_code(EIO, "no"); }),
                EIO, "no"));
  EXPECT_TRUE(FailsWith(cs.find("broken"), ENOENT, "no such container"));
}

}  // namespace
}  // namespace husk::engine
