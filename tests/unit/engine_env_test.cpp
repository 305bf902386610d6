// engine/env: docker's --env-file and -e rules (files first, bare names from
// the caller's environment, comments and blank lines, bad names refused),
// and the run flags' round trip through the container's record.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "engine/env.hpp"
#include "engine/run_flags.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using husk::testing::TempDir;

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EngineEnv, FileLinesCommentsAndBareNames) {
  auto vars =
      parse_env_file("# a comment\n\nA=1\n  B=x y \nHOME\nUNSET\nC=\r\n", "f", fake_env({{"HOME", "/root"}}));
  ASSERT_TRUE(vars.has_value()) << vars.error().what();
  EXPECT_EQ(*vars, (std::vector<std::string>{"A=1", "B=x y ", "HOME=/root", "C="}));
}

TEST(EngineEnv, BadNamesAreRefusedWithTheLine) {
  EXPECT_TRUE(FailsWith(parse_env_file("A=1\n=nokey\n", "f", fake_env({})), EINVAL, "f line 2"));
  EXPECT_TRUE(FailsWith(parse_env_file("MY VAR=1\n", "f", fake_env({})), EINVAL, "contains whitespaces"));
  EXPECT_TRUE(FailsWith(resolve_env({}, {"=x"}, fake_env({})), EINVAL, "no name"));
}

TEST(EngineEnv, FilesFirstThenFlags) {
  TempDir t;
  ASSERT_TRUE(write_file_atomic(t.path() + "/env", "A=file\nB=file\n").has_value());
  auto vars = resolve_env({t.path() + "/env"}, {"B=flag", "USER", "NOPE"}, fake_env({{"USER", "me"}}));
  ASSERT_TRUE(vars.has_value()) << vars.error().what();
  EXPECT_EQ(*vars, (std::vector<std::string>{"A=file", "B=file", "B=flag", "USER=me"}));
  EXPECT_TRUE(FailsWith(resolve_env({t.path() + "/missing"}, {}, fake_env({})), ENOENT, "--env-file"));
}

TEST(EngineRunFlags, RoundTripThroughJson) {
  RunFlags f;
  f.image = "busybox";
  f.command = {"sh", "-c", "true"};
  f.entrypoint = "";
  f.resources.memory = "100m";
  f.oom_score_adj = -5;
  f.volumes = {"/a:/b:ro"};
  f.tty = true;
  auto back = run_flags_from_json(to_json(f));
  ASSERT_TRUE(back.has_value()) << back.error().what();
  EXPECT_EQ(to_json(*back).dump(), to_json(f).dump());
  EXPECT_EQ(back->entrypoint, std::optional<std::string>(""));
  EXPECT_FALSE(back->stop_timeout.has_value());
  // The limits are config.json's, not the record's.
  EXPECT_FALSE(to_json(f).contains("Memory"));
  EXPECT_EQ(back->resources.memory, "");
  EXPECT_TRUE(FailsWith(run_flags_from_json(nlohmann::ordered_json{{"Cmd", 3}}), EINVAL, "run flags"));
}

}  // namespace
}  // namespace husk::engine
