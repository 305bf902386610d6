// engine/commit: docker commit's --change instructions (JSON and shell
// forms, ENV/LABEL pairs, EXPOSE ranges, WORKDIR under the current one,
// ENTRYPOINT clearing the cmd as a build does) and docker's errors.
#include <gtest/gtest.h>

#include "engine/commit.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;

image::RunConfig changed(image::RunConfig c, const std::vector<std::string>& changes) {
  auto r = apply_changes(c, changes);
  EXPECT_TRUE(r.has_value()) << r.error().what();
  return c;
}

TEST(EngineCommitChanges, CmdAndEntrypointInJsonAndShellForm) {
  auto c = changed({}, {R"(CMD ["echo", "hi"])"});
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_TRUE(c.cmd_set);
  c = changed({}, {"cmd echo $HOME"});
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo $HOME"}));
  c = changed({}, {"ENTRYPOINT [\"/bin/app\"]"});
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/bin/app"}));
  // Not a JSON array of strings: the shell form, as a Dockerfile takes it.
  c = changed({}, {"CMD [not json"});
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"/bin/sh", "-c", "[not json"}));
}

TEST(EngineCommitChanges, EntrypointClearsTheCmdUnlessACmdCameFirst) {
  image::RunConfig base;
  base.cmd = {"sh"};
  base.cmd_set = true;
  auto c = changed(base, {"ENTRYPOINT [\"/bin/app\"]"});
  EXPECT_TRUE(c.cmd.empty());
  EXPECT_FALSE(c.cmd_set);
  c = changed(base, {"CMD [\"x\"]", "ENTRYPOINT [\"/bin/app\"]"});
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"x"}));
}

TEST(EngineCommitChanges, EnvPairsReplaceAndAppend) {
  image::RunConfig base;
  base.env = {"PATH=/bin", "A=1"};
  auto c = changed(base, {"ENV A=2 B=\"two words\"", "ENV C hello world", "env D=a\\ b"});
  EXPECT_EQ(c.env, (std::vector<std::string>{"PATH=/bin", "A=2", "B=two words", "C=hello world", "D=a b"}));
}

TEST(EngineCommitChanges, LabelsExposeVolumesUserOnbuild) {
  auto c = changed({}, {"LABEL a=1 \"b c\"=2", "EXPOSE 80 53/udp 8000-8001", "EXPOSE 80",
                        "VOLUME [\"/data\"]", "VOLUME /a /b", "USER app:app", "ONBUILD RUN echo hi"});
  EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"a", "1"}, {"b c", "2"}}));
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"80/tcp", "53/udp", "8000/tcp", "8001/tcp"}));
  EXPECT_EQ(c.volumes, (std::vector<std::string>{"/data", "/a", "/b"}));
  EXPECT_EQ(c.user, "app:app");
  EXPECT_EQ(c.on_build, (std::vector<std::string>{"RUN echo hi"}));
}

TEST(EngineCommitChanges, WorkdirRelativeIsUnderTheCurrentOne) {
  EXPECT_EQ(changed({}, {"WORKDIR /srv", "WORKDIR app"}).working_dir, "/srv/app");
  EXPECT_EQ(changed({}, {"WORKDIR rel"}).working_dir, "/rel");
}

TEST(EngineCommitChanges, DockersErrors) {
  image::RunConfig c;
  EXPECT_TRUE(FailsWith(apply_changes(c, {"RUN echo"}), EINVAL, "run is not a valid change command"));
  EXPECT_TRUE(FailsWith(apply_changes(c, {"FROM busybox"}), EINVAL, "from is not a valid change command"));
  EXPECT_TRUE(FailsWith(apply_changes(c, {"CMD"}), EINVAL, "CMD requires at least one argument"));
  EXPECT_TRUE(FailsWith(apply_changes(c, {"LABEL novalue"}), EINVAL, "can't find = in \"novalue\""));
  EXPECT_TRUE(FailsWith(apply_changes(c, {"ENV =x"}), EINVAL, "ENV names can not be blank"));
  EXPECT_TRUE(FailsWith(apply_changes(c, {"EXPOSE 70000"}), EINVAL, "invalid containerPort: 70000"));
  EXPECT_TRUE(FailsWith(apply_changes(c, {"ONBUILD ONBUILD RUN x"}), EINVAL, "Chaining ONBUILD"));
  EXPECT_TRUE(
      FailsWith(apply_changes(c, {"ONBUILD FROM x"}), EINVAL, "FROM isn't allowed as an ONBUILD trigger"));
  EXPECT_TRUE(FailsWith(apply_changes(c, {"ENV A=\"open"}), EINVAL, "unterminated quote"));
}

}  // namespace
}  // namespace husk::engine
