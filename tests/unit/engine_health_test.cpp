// engine/health: docker's healthcheck config (flags over the image's), its
// rules for results (streaks, retries, the start period), and the Go
// durations the flags and messages use.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "engine/health.hpp"
#include "image/oci.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
constexpr int64_t kSecond = 1000LL * 1000 * 1000;

TEST(EngineHealth, GoDurationsParseAsGoParsesThem) {
  EXPECT_EQ(parse_go_duration("30s"), 30 * kSecond);
  EXPECT_EQ(parse_go_duration("1m30s"), 90 * kSecond);
  EXPECT_EQ(parse_go_duration("1.5h"), 5400 * kSecond);
  EXPECT_EQ(parse_go_duration("500ms"), kSecond / 2);
  EXPECT_EQ(parse_go_duration("2us"), 2000);
  EXPECT_EQ(parse_go_duration("-5s"), -5 * kSecond);
  EXPECT_EQ(parse_go_duration("0"), 0);
  EXPECT_EQ(parse_go_duration(".5s"), kSecond / 2);
  for (auto bad : {"", "5", "s", "5x", "1.2.3s", "--5s", "5s-"}) EXPECT_FALSE(parse_go_duration(bad)) << bad;
}

TEST(EngineHealth, GoDurationsPrintAsGoPrintsThem) {
  EXPECT_EQ(format_go_duration(0), "0s");
  EXPECT_EQ(format_go_duration(30 * kSecond), "30s");
  EXPECT_EQ(format_go_duration(90 * kSecond), "1m30s");
  EXPECT_EQ(format_go_duration(3600 * kSecond), "1h0m0s");
  EXPECT_EQ(format_go_duration(kSecond / 2), "500ms");
  EXPECT_EQ(format_go_duration(1500 * 1000 * 1000), "1.5s");
  EXPECT_EQ(format_go_duration(1500), "1.5\u00b5s");
  EXPECT_EQ(format_go_duration(-2 * kSecond), "-2s");
}

TEST(EngineHealth, FlagsMakeACmdShellTestAndKeepTheImagesOtherSettings) {
  RunFlags f;
  image::HealthConfig img{.test = {"CMD", "check"},
                          .interval = 5 * kSecond,
                          .timeout = 2 * kSecond,
                          .start_period = 0,
                          .retries = 7};
  // No flags: the image's, as it is.
  EXPECT_EQ(*container_healthcheck(f, img), img);
  EXPECT_EQ(*container_healthcheck(f, std::nullopt), std::nullopt);
  // --health-interval alone: the image's test and the rest.
  f.health_interval = "1s";
  auto merged = container_healthcheck(f, img);
  ASSERT_TRUE(merged.has_value() && merged->has_value());
  EXPECT_EQ((*merged)->test, img.test);
  EXPECT_EQ((*merged)->interval, kSecond);
  EXPECT_EQ((*merged)->timeout, 2 * kSecond);
  EXPECT_EQ((*merged)->retries, 7);
  // --health-cmd: a shell's command.
  f.health_cmd = "test -f /ok";
  f.health_retries = 2;
  merged = container_healthcheck(f, img);
  EXPECT_EQ((*merged)->test, (std::vector<std::string>{"CMD-SHELL", "test -f /ok"}));
  EXPECT_EQ((*merged)->retries, 2);
  EXPECT_EQ(*health_command(**merged), (std::vector<std::string>{"/bin/sh", "-c", "test -f /ok"}));
  EXPECT_EQ(*health_command(img), (std::vector<std::string>{"check"}));
}

TEST(EngineHealth, NoHealthcheckIsNoneAndConflictsWithTheOtherFlags) {
  RunFlags f;
  f.no_healthcheck = true;
  image::HealthConfig img{.test = {"CMD", "check"}};
  auto none = container_healthcheck(f, img);
  ASSERT_TRUE(none.has_value() && none->has_value());
  EXPECT_EQ((*none)->test, std::vector<std::string>{"NONE"});
  EXPECT_FALSE(health_active(*none));
  EXPECT_TRUE(health_active(img));
  EXPECT_FALSE(health_active(std::nullopt));
  f.health_timeout = "3s";
  EXPECT_TRUE(
      FailsWith(container_healthcheck(f, img), EINVAL, "--no-healthcheck conflicts with --health-* options"));
}

TEST(EngineHealth, BadFlagValuesGetDockersMessages) {
  auto with = [](auto set) {
    RunFlags f;
    set(f);
    return container_healthcheck(f, std::nullopt);
  };
  EXPECT_TRUE(FailsWith(with([](RunFlags& f) { f.health_interval = "-1s"; }), EINVAL,
                        "--health-interval cannot be negative"));
  EXPECT_TRUE(
      FailsWith(with([](RunFlags& f) { f.health_timeout = "soon"; }), EINVAL,
                "invalid argument \"soon\" for \"--health-timeout\" flag: time: invalid duration \"soon\""));
  EXPECT_TRUE(FailsWith(with([](RunFlags& f) { f.health_retries = -1; }), EINVAL,
                        "--health-retries cannot be negative"));
  EXPECT_TRUE(FailsWith(with([](RunFlags& f) { f.health_interval = "10us"; }), EINVAL,
                        "Interval in Healthcheck cannot be less than 1ms"));
  EXPECT_TRUE(FailsWith(with([](RunFlags& f) { f.health_start_period = "1ns"; }), EINVAL,
                        "StartPeriod in Healthcheck cannot be less than 1ms"));
  image::HealthConfig odd{.test = {"SOMETIMES", "x"}};
  EXPECT_TRUE(FailsWith(health_command(odd), EINVAL, "unknown healthcheck type 'SOMETIMES'"));
}

HealthResult result(int code) { return {.start = "s", .end = "e", .exit_code = code, .output = "o"}; }

TEST(EngineHealth, FailuresInARowUpToRetriesMakeItUnhealthyAndAPassResetsThem) {
  image::HealthConfig h{.test = {"CMD", "x"}, .retries = 2};
  HealthState s;
  s = apply_health_result(s, result(1), h, 0, 100 * kSecond);
  EXPECT_EQ(s.status, "starting");
  EXPECT_EQ(s.failing_streak, 1);
  s = apply_health_result(s, result(1), h, 0, 101 * kSecond);
  EXPECT_EQ(s.status, "unhealthy");
  EXPECT_EQ(s.failing_streak, 2);
  s = apply_health_result(s, result(0), h, 0, 102 * kSecond);
  EXPECT_EQ(s.status, "healthy");
  EXPECT_EQ(s.failing_streak, 0);
  // Healthy stays so until RETRIES failures; any non-zero code fails.
  s = apply_health_result(s, result(3), h, 0, 103 * kSecond);
  EXPECT_EQ(s.status, "healthy");
  s = apply_health_result(s, result(-1), h, 0, 104 * kSecond);
  EXPECT_EQ(s.status, "unhealthy");
  // docker's default retries: 3.
  image::HealthConfig d{.test = {"CMD", "x"}};
  HealthState t;
  for (int i = 0; i < 2; ++i) t = apply_health_result(t, result(1), d, 0, kSecond);
  EXPECT_EQ(t.status, "starting");
  t = apply_health_result(t, result(1), d, 0, kSecond);
  EXPECT_EQ(t.status, "unhealthy");
}

TEST(EngineHealth, FailuresInTheStartPeriodDoNotCountUntilOnePasses) {
  image::HealthConfig h{.test = {"CMD", "x"}, .start_period = 10 * kSecond, .retries = 1};
  int64_t started = 1000 * kSecond;
  HealthState s;
  s = apply_health_result(s, result(1), h, started, started + 5 * kSecond);
  EXPECT_EQ(s.status, "starting");
  EXPECT_EQ(s.failing_streak, 0);
  s = apply_health_result(s, result(1), h, started, started + 11 * kSecond);
  EXPECT_EQ(s.status, "unhealthy");
  // Once it has passed, a failure in the start period counts.
  HealthState p;
  p = apply_health_result(p, result(0), h, started, started + kSecond);
  p = apply_health_result(p, result(1), h, started, started + 2 * kSecond);
  EXPECT_EQ(p.status, "unhealthy");
}

TEST(EngineHealth, KeepsTheLastFiveResultsAndRoundTripsAsDockersStateHealth) {
  image::HealthConfig h{.test = {"CMD", "x"}};
  HealthState s;
  for (int i = 0; i < 7; ++i) s = apply_health_result(s, result(i == 6 ? 0 : 1), h, 0, kSecond);
  ASSERT_EQ(s.log.size(), kHealthLogMax);
  EXPECT_EQ(s.log.back().exit_code, 0);
  auto j = to_json(s);
  EXPECT_EQ(j["Status"], "healthy");
  EXPECT_EQ(j["FailingStreak"], 0);
  EXPECT_EQ(j["Log"][0]["ExitCode"], 1);
  EXPECT_EQ(j["Log"][0]["Output"], "o");
  EXPECT_EQ(*health_state_from_json(j), s);
  EXPECT_TRUE(
      FailsWith(health_state_from_json(nlohmann::ordered_json::object()), EINVAL, "a container's health"));
}

TEST(EngineHealth, TheImagesHealthcheckIsReadAndWrittenAsDockersConfig) {
  auto cfg = image::parse_image_config(
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},)"
      R"("config":{"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":1000000000,"Retries":4}}})");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().what();
  ASSERT_TRUE(cfg->config.healthcheck.has_value());
  EXPECT_EQ(cfg->config.healthcheck->test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(cfg->config.healthcheck->interval, kSecond);
  EXPECT_EQ(cfg->config.healthcheck->retries, 4);
  EXPECT_EQ(image::health_config_json(*cfg->config.healthcheck).dump(),
            R"({"Test":["CMD-SHELL","true"],"Interval":1000000000,"Retries":4})");
  auto again = image::parse_image_config(image::to_json(*cfg));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->config.healthcheck, cfg->config.healthcheck);
  auto bad = image::parse_image_config(
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},)"
      R"("config":{"Healthcheck":"yes"}})");
  EXPECT_TRUE(FailsWith(bad, EINVAL, "config.Healthcheck"));
}

}  // namespace
}  // namespace husk::engine
