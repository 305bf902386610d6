// engine/events: docker's event JSON and line, --filter, and the log in a
// temp dir: appended, read between times, kept small, followed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "base/file.hpp"
#include "engine/events.hpp"
#include "monitor/log_writer.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

constexpr int64_t kT = 1700000000123456789;

Event started() {
  auto e = container_event("start", std::string(64, 'a'), "busybox", "web", {"team=core"});
  e.time_nano = kT;
  return e;
}

TEST(EngineEvents, JsonIsDockers) {
  EXPECT_EQ(event_json(started()).dump(),
            R"({"status":"start","id":")" + std::string(64, 'a') +
                R"(","from":"busybox","Type":"container","Action":"start","Actor":{"ID":")" + std::string(64, 'a') +
                R"(","Attributes":{"image":"busybox","name":"web","team":"core"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789})");
  auto img = image_event("tag", "sha256:abc", "other:1");
  img.time_nano = kT;
  auto j = event_json(img);
  EXPECT_FALSE(j.contains("status")) << "only containers' events have docker's older fields";
  EXPECT_EQ(j["Actor"]["Attributes"]["name"], "other:1");
  auto back = event_from_json(event_json(started()).dump());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->attributes, started().attributes);
  EXPECT_EQ(back->time_nano, kT);
  EXPECT_FALSE(event_from_json("{\"Type\":").has_value()) << "a torn line is no event";
}

TEST(EngineEvents, LineIsDockers) {
  EXPECT_EQ(event_line(started()), "2023-11-14T22:13:20.123456789Z container start " + std::string(64, 'a') +
                                       " (image=busybox, name=web, team=core)");
  Event bare{"network", "destroy", "n1", {}, kT};
  EXPECT_EQ(event_line(bare), "2023-11-14T22:13:20.123456789Z network destroy n1");
}

TEST(EngineEvents, FiltersAsDocker) {
  auto f = [](std::vector<std::string> specs) { return *EventFilter::parse(specs); };
  Event e = started();
  EXPECT_TRUE(f({}).matches(e));
  EXPECT_TRUE(f({"container=web"}).matches(e));
  EXPECT_TRUE(f({"container=aaaa"}).matches(e)) << "an id prefix";
  EXPECT_FALSE(f({"container=db"}).matches(e));
  EXPECT_TRUE(f({"container=db", "container=web"}).matches(e)) << "one key's values: any";
  EXPECT_FALSE(f({"container=web", "event=die"}).matches(e)) << "different keys: all";
  EXPECT_TRUE(f({"event=start", "type=container", "image=busybox", "label=team", "label=team=core"}).matches(e));
  EXPECT_FALSE(f({"label=team=other"}).matches(e));
  EXPECT_FALSE(f({"type=image"}).matches(e));
  Event exec = container_event("exec_start: sh -c true", "x", "busybox", "web", {});
  EXPECT_TRUE(f({"event=exec_start"}).matches(exec));
  EXPECT_TRUE(husk::testing::FailsWith(EventFilter::parse({"colour=red"}), EINVAL, "invalid filter 'colour'"));
  EXPECT_TRUE(husk::testing::FailsWith(EventFilter::parse({"type=thing"}), EINVAL, "invalid filter 'type=thing'"));
  EXPECT_TRUE(husk::testing::FailsWith(EventFilter::parse({"nokey"}), EINVAL, "bad format of filter"));
}

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/husk-events-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)remove_all(dir_); }
  std::string dir_;
};

TEST_F(EventLogTest, ReadsBetweenTimesInOrder) {
  EventLog log(dir_);
  for (int i = 0; i < 5; ++i) {
    auto e = started();
    e.time_nano = kT + i;
    e.action = "a" + std::to_string(i);
    log.record(e);
  }
  auto got = log.read(kT + 1, kT + 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].action, "a1");
  EXPECT_EQ(got[2].action, "a3");
  EXPECT_EQ(log.read(0, std::nullopt).size(), 5u);
}

TEST_F(EventLogTest, KeepsItselfSmallAndReadsAcrossTheRename) {
  EventLog log(dir_);
  auto e = started();
  int64_t n = 0;
  while (!path_exists(log.path() + ".1")) {
    e.time_nano = kT + n++;
    log.record(e);
    ASSERT_LT(n, 100000) << "never renamed";
  }
  e.time_nano = kT + n++;
  log.record(e);
  auto all = log.read(0, std::nullopt);
  ASSERT_EQ(static_cast<int64_t>(all.size()), n) << "both files, every event once";
  EXPECT_EQ(all.back().time_nano, kT + n - 1);
  for (size_t i = 1; i < all.size(); ++i) ASSERT_LT(all[i - 1].time_nano, all[i].time_nano);
}

TEST_F(EventLogTest, FollowsWhatComesAndStopsAtUntil) {
  EventLog log(dir_);
  auto old = started();
  old.action = "old";
  log.record(old);
  std::vector<std::string> seen;
  std::thread writer([&] {
    ::usleep(100000);
    auto e = started();
    e.time_nano = 0;  // now
    e.action = "new";
    log.record(e);
  });
  // Without --since: only what comes; until 600 ms from now.
  auto until = monitor::log_time_now() + 600000000;
  auto r = log.follow(std::nullopt, until, [&](const Event& e) {
    seen.push_back(e.action);
    return true;
  });
  writer.join();
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(seen, std::vector<std::string>{"new"});
  // With --since: the past first; a sink that says stop stops it.
  seen.clear();
  ASSERT_TRUE(log.follow(int64_t{0}, std::nullopt, [&](const Event& e) {
                    seen.push_back(e.action);
                    return seen.size() < 2;
                  })
                  .has_value());
  EXPECT_EQ(seen, (std::vector<std::string>{"old", "new"}));
}

}  // namespace
}  // namespace husk::engine
