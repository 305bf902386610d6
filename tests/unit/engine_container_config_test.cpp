// engine/container_config: the process docker would run for an image.
#include "engine/container_config.hpp"

#include <gtest/gtest.h>

#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using testing::FailsWith;

TEST(EngineContainerConfig, CommandIsEntrypointPlusCmdWithDockersOverrides) {
  image::RunConfig img;
  img.entrypoint = {"/entry"};
  img.cmd = {"--default"};
  ContainerOptions o;
  EXPECT_EQ(*container_args(img, o), (std::vector<std::string>{"/entry", "--default"}));
  o.command = std::vector<std::string>{"--mine"};
  EXPECT_EQ(*container_args(img, o), (std::vector<std::string>{"/entry", "--mine"}));
  o.command.reset();
  o.entrypoint = std::vector<std::string>{"/other"};
  EXPECT_EQ(*container_args(img, o), (std::vector<std::string>{"/other"}))
      << "a new entrypoint drops the cmd";
  image::RunConfig none;
  EXPECT_TRUE(FailsWith(container_args(none, ContainerOptions{}), EINVAL, "no command specified"));
}

}  // namespace
}  // namespace husk::engine
