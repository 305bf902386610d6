// engine/restart: docker's restart policies, the decision at a container's
// end, and the back-off between restarts.
#include <gtest/gtest.h>

#include "engine/restart.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using Kind = RestartPolicy::Kind;

TEST(EngineRestart, ParsesDockersPoliciesAndRefusesWhatDockerRefuses) {
  EXPECT_EQ(parse_restart_policy("")->kind, Kind::no);
  EXPECT_EQ(parse_restart_policy("no")->kind, Kind::no);
  EXPECT_EQ(parse_restart_policy("always")->kind, Kind::always);
  EXPECT_EQ(parse_restart_policy("unless-stopped")->kind, Kind::unless_stopped);
  auto on = parse_restart_policy("on-failure:3");
  ASSERT_TRUE(on.has_value());
  EXPECT_EQ(on->kind, Kind::on_failure);
  EXPECT_EQ(on->max_retries, 3);
  EXPECT_EQ(parse_restart_policy("on-failure")->max_retries, 0);
  EXPECT_TRUE(FailsWith(parse_restart_policy("sometimes"), EINVAL, "invalid restart policy 'sometimes'"));
  EXPECT_TRUE(FailsWith(parse_restart_policy("always:2"), EINVAL, "cannot be used with restart policy 'always'"));
  EXPECT_TRUE(FailsWith(parse_restart_policy("on-failure:x"), EINVAL, "must be an integer"));
  EXPECT_TRUE(FailsWith(parse_restart_policy("on-failure:-1"), EINVAL, "cannot be negative"));
}

TEST(EngineRestart, RestartsAsThePolicySaysNeverAfterTheUserStoppedIt) {
  RestartPolicy no, always{Kind::always, 0}, unless{Kind::unless_stopped, 0}, three{Kind::on_failure, 3},
      failing{Kind::on_failure, 0};
  EXPECT_FALSE(should_restart(no, 1, 0, false));
  EXPECT_TRUE(should_restart(always, 0, 7, false)) << "whatever the code";
  EXPECT_TRUE(should_restart(unless, 0, 0, false));
  EXPECT_FALSE(should_restart(always, 137, 0, true)) << "stopped by the user";
  EXPECT_FALSE(should_restart(unless, 0, 0, true));
  EXPECT_FALSE(should_restart(three, 0, 0, false)) << "on-failure: not on success";
  EXPECT_TRUE(should_restart(three, 1, 2, false));
  EXPECT_FALSE(should_restart(three, 1, 3, false)) << "three restarts done";
  EXPECT_TRUE(should_restart(failing, 1, 1000, false)) << "no limit";
}

TEST(EngineRestart, BackOffDoublesFrom100MsToAMinuteAndResetsAfterATenSecondRun) {
  EXPECT_EQ(restart_delay_ms(0, 0), 100);
  EXPECT_EQ(restart_delay_ms(100, 50), 200);
  EXPECT_EQ(restart_delay_ms(200, 50), 400);
  EXPECT_EQ(restart_delay_ms(40000, 50), 60000);
  EXPECT_EQ(restart_delay_ms(60000, 50), 60000);
  EXPECT_EQ(restart_delay_ms(60000, 10000), 100) << "a run of 10 s resets it";
}

}  // namespace
}  // namespace husk::engine
