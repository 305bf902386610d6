// engine/image_choice: docker's --pull policies and --platform over what the
// store has (use it, make it, pull it, or refuse), which platforms match,
// and which this machine runs.
#include <gtest/gtest.h>

#include "engine/image_choice.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;

TEST(EngineImageChoice, PullPolicyAsDockers) {
  EXPECT_EQ(parse_pull_policy("").value(), PullPolicy::missing);
  EXPECT_EQ(parse_pull_policy("missing").value(), PullPolicy::missing);
  EXPECT_EQ(parse_pull_policy("always").value(), PullPolicy::always);
  EXPECT_EQ(parse_pull_policy("never").value(), PullPolicy::never);
  EXPECT_TRUE(
      FailsWith(parse_pull_policy("sometimes"), EINVAL,
                "invalid pull option: 'sometimes': must be one of \"always\", \"missing\" or \"never\""));
  EXPECT_TRUE(FailsWith(parse_pull_policy("Always"), EINVAL, "invalid pull option"));
}

TEST(EngineImageChoice, PlanFollowsThePolicyAndThePlatform) {
  ImageFacts f;
  f.stored = true;
  EXPECT_EQ(plan_image(f), ImageStep::use);
  f.policy = PullPolicy::always;
  EXPECT_EQ(plan_image(f), ImageStep::pull) << "always pulls what the store has";
  f.is_default = true;
  EXPECT_EQ(plan_image(f), ImageStep::pull) << "the default image too";

  f = {};
  EXPECT_EQ(plan_image(f), ImageStep::pull_missing);
  f.policy = PullPolicy::never;
  EXPECT_EQ(plan_image(f), ImageStep::no_such_image);
  f.is_default = true;
  EXPECT_EQ(plan_image(f), ImageStep::make_default) << "made offline: not a pull";
  f.host_platform = false;
  EXPECT_EQ(plan_image(f), ImageStep::no_such_image) << "made for this machine only";
  f.policy = PullPolicy::missing;
  EXPECT_EQ(plan_image(f), ImageStep::pull_missing);

  f = {};
  f.stored = true;
  f.platform_matches = false;
  EXPECT_EQ(plan_image(f), ImageStep::pull_missing) << "another platform's image is pulled over";
  f.policy = PullPolicy::never;
  EXPECT_EQ(plan_image(f), ImageStep::wrong_platform);
}

TEST(EngineImageChoice, DefaultImageByAnyOfItsNames) {
  EXPECT_TRUE(is_default_image("busybox"));
  EXPECT_TRUE(is_default_image("busybox:latest"));
  EXPECT_TRUE(is_default_image("docker.io/library/busybox"));
  EXPECT_FALSE(is_default_image("busybox:1.36"));
  EXPECT_FALSE(is_default_image("127.0.0.1:5000/busybox"));
}

image::Platform platform(const char* text) { return image::parse_platform(text).value(); }

TEST(EngineImageChoice, PlatformsMatchOnOsArchitectureAndAskedVariant) {
  EXPECT_TRUE(platform_matches(platform("linux/amd64"), platform("linux/amd64")));
  EXPECT_TRUE(platform_matches(platform("linux/amd64"), platform("Linux/x86_64")));
  EXPECT_FALSE(platform_matches(platform("linux/amd64"), platform("linux/arm64")));
  EXPECT_FALSE(platform_matches(platform("linux/amd64"), platform("windows/amd64")));
  EXPECT_TRUE(platform_matches(platform("linux/arm/v7"), platform("linux/arm")));
  EXPECT_FALSE(platform_matches(platform("linux/arm/v6"), platform("linux/arm/v7")));
  EXPECT_TRUE(platform_matches(platform("linux/arm64"), platform("linux/arm64/v8")));
  EXPECT_TRUE(platform_matches(image::Platform{}, platform("linux/s390x"))) << "an image that names none";
}

TEST(EngineImageChoice, RunsItsOwnPlatformOr386OrWhatAnEmulatorRuns) {
  auto none = [](std::string_view) { return false; };
  auto aarch64 = [](std::string_view name) { return name == "aarch64"; };
  image::Platform host = platform("linux/amd64");
  EXPECT_TRUE(runs_here(platform("linux/amd64"), host, none));
  EXPECT_TRUE(runs_here(platform("linux/386"), host, none));
  EXPECT_FALSE(runs_here(platform("linux/arm64"), host, none));
  EXPECT_TRUE(runs_here(platform("linux/arm64"), host, aarch64));
  EXPECT_FALSE(runs_here(platform("linux/arm/v7"), host, aarch64));
  EXPECT_FALSE(runs_here(platform("windows/amd64"), host, none));
  EXPECT_FALSE(runs_here(platform("linux/sparc64"), host, [](std::string_view) { return true; }))
      << "no emulator name known for it";
  EXPECT_TRUE(runs_here(platform("linux/arm64/v8"), platform("linux/arm64"), none));
}

}  // namespace
}  // namespace husk::engine
