// engine/template (docker's --format), engine/inspect's /proc parsers,
// engine/exec's process building and engine/copy's rules, without root.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "engine/copy.hpp"
#include "engine/exec.hpp"
#include "engine/inspect.hpp"
#include "engine/template.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using husk::testing::TempDir;
using json = nlohmann::ordered_json;

const json kDoc = json::parse(R"({
  "Id": "abc", "State": {"Pid": 42, "Running": true, "Error": ""},
  "Config": {"Cmd": ["sh", "-c", "x y"], "Labels": {"b": "2", "a": "1"}, "Entrypoint": null},
  "Mounts": [{"Source": "/s"}]
})");

std::string render(const std::string& t) {
  auto r = render_template(t, kDoc);
  return r ? *r : "ERROR: " + r.error().what();
}

TEST(EngineTemplate, FieldsPrintAsGoPrintsThem) {
  EXPECT_EQ(render("{{.State.Pid}}"), "42");
  EXPECT_EQ(render("{{ .State.Running }}"), "true");
  EXPECT_EQ(render("{{.Id}}"), "abc");
  EXPECT_EQ(render("{{.Config.Cmd}}"), "[sh -c x y]");
  EXPECT_EQ(render("{{.Config.Labels}}"), "map[a:1 b:2]");  // keys sorted
  EXPECT_EQ(render("{{.Config.Entrypoint}}"), "<nil>");
  EXPECT_EQ(render("{{.Nope}}"), "<no value>");
  EXPECT_EQ(render("{{.State.Nope.Deeper}}"), "<no value>");
  EXPECT_EQ(render("id={{.Id}} pid={{.State.Pid}}!"), "id=abc pid=42!");
  EXPECT_EQ(render("plain text"), "plain text");
  EXPECT_EQ(render("{{.}}").substr(0, 7), "map[Con");
}

TEST(EngineTemplate, Functions) {
  EXPECT_EQ(render("{{json .Config.Cmd}}"), R"(["sh","-c","x y"])");
  EXPECT_EQ(render("{{json .Mounts}}"), R"([{"Source":"/s"}])");
  EXPECT_EQ(render("{{json .Nope}}"), "null");
  EXPECT_EQ(render(R"({{index .Config.Labels "a"}})"), "1");
  EXPECT_EQ(render(R"({{index .Config.Labels "missing"}})"), "");
  EXPECT_EQ(render("{{index .Config.Cmd 2}}"), "x y");
  EXPECT_EQ(render(R"({{join .Config.Cmd ","}})"), "sh,-c,x y");
  EXPECT_EQ(render("{{len .Config.Cmd}}"), "3");
  EXPECT_EQ(render("{{upper .Id}}"), "ABC");
  EXPECT_EQ(render("a {{- .Id -}} b"), "aabcb");
}

TEST(EngineTemplate, ErrorsAreClear) {
  EXPECT_TRUE(FailsWith(render_template("{{bogus .Id}}", kDoc), EINVAL, "function \"bogus\" not defined"));
  EXPECT_TRUE(FailsWith(render_template("{{.Id", kDoc), EINVAL, "unclosed action"));
  EXPECT_TRUE(FailsWith(render_template("{{}}", kDoc), EINVAL, "missing value"));
  EXPECT_TRUE(FailsWith(render_template("{{.Id .Id}}", kDoc), EINVAL, "not a method but has arguments"));
  EXPECT_TRUE(FailsWith(render_template("{{index .Config.Cmd 9}}", kDoc), EINVAL, "out of range"));
  EXPECT_TRUE(
      FailsWith(render_template(R"({{index .Id "x" "y})", kDoc), EINVAL, "unterminated quoted string"));
}

TEST(EngineInspect, ParsesMountinfo) {
  auto m = parse_mountinfo(
      "22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/l\n"
      "23 22 0:5 / /proc rw,nosuid shared:3 master:1 - proc proc rw\n"
      "24 22 0:6 / /with\\040space ro - tmpfs tmp\\040fs rw,size=64k\n"
      "garbage\n");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].target, "/");
  EXPECT_EQ(m[0].fstype, "overlay");
  EXPECT_EQ(m[0].options, "rw,relatime;rw,lowerdir=/l");
  EXPECT_EQ(m[1].target, "/proc");  // optional fields skipped
  EXPECT_EQ(m[1].fstype, "proc");
  EXPECT_EQ(m[2].target, "/with space");
  EXPECT_EQ(m[2].source, "tmp fs");
}

TEST(EngineInspect, ParsesIdMaps) {
  EXPECT_EQ(parse_id_map("         0          0 4294967295\n"), std::vector<std::string>{"0 0 4294967295"});
  EXPECT_EQ(parse_id_map("0 100000 65536\n1 2 3\n\n"), (std::vector<std::string>{"0 100000 65536", "1 2 3"}));
}

TEST(EngineExec, EnvOverridesReplaceByKey) {
  EXPECT_EQ(merge_env({"PATH=/bin", "A=1"}, {"A=2", "B=3", "PATH=/x"}),
            (std::vector<std::string>{"PATH=/x", "A=2", "B=3"}));
}

TEST(EngineExec, EnvFile) {
  TempDir t;
  std::string f = t.path() + "/env";
  ASSERT_TRUE(write_file_atomic(f, "# comment\n\nA=1\n  B=two words  \nHUSK_UNSET_FOR_TEST\n").has_value());
  auto env = read_env_file(f);
  ASSERT_TRUE(env.has_value()) << env.error().what();
  EXPECT_EQ(*env, (std::vector<std::string>{"A=1", "B=two words"}));
  ASSERT_TRUE(write_file_atomic(f, "=novalue\n").has_value());
  EXPECT_TRUE(FailsWith(read_env_file(f), EINVAL, "no variable name"));
  EXPECT_FALSE(read_env_file(t.path() + "/missing").has_value());
}

TEST(EngineExec, ProcessFromTheContainersWithOverrides) {
  TempDir root;
  ASSERT_TRUE(mkdir_all(root.path() + "/etc").has_value());
  ASSERT_TRUE(write_file_atomic(root.path() + "/etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:100:101::/:/bin/sh\n")
                  .has_value());
  ASSERT_TRUE(write_file_atomic(root.path() + "/etc/group", "root:x:0:\napp:x:101:\nextra:x:7:app\n").has_value());
  spec::Process base;
  base.args = {"sleep", "1000"};
  base.env = {"PATH=/bin", "KEEP=1"};
  base.cwd = "/srv";
  ExecRequest req;
  req.command = {"sh", "-c", "true"};
  req.env = {"NEW=2"};
  req.user = "app";
  req.tty = true;
  auto p = exec_process(base, req, root.path());
  ASSERT_TRUE(p.has_value()) << p.error().what();
  EXPECT_EQ(p->args, req.command);
  EXPECT_EQ(p->env, (std::vector<std::string>{"PATH=/bin", "KEEP=1", "NEW=2"}));
  EXPECT_EQ(p->cwd, "/srv");
  EXPECT_EQ(p->user.uid, 100u);
  EXPECT_EQ(p->user.gid, 101u);
  EXPECT_EQ(p->user.additional_gids, std::vector<uint32_t>{7});
  EXPECT_TRUE(p->terminal);
  EXPECT_FALSE(p->capabilities.has_value());
  req.privileged = true;
  req.workdir = "/tmp";
  p = exec_process(base, req, root.path());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->cwd, "/tmp");
  ASSERT_TRUE(p->capabilities.has_value());
  EXPECT_GT(p->capabilities->effective.size(), 37u);
  req.workdir = "tmp";
  EXPECT_TRUE(FailsWith(exec_process(base, req, root.path()), EINVAL, "must be absolute"));
  req.workdir.clear();
  req.user = "ghost";
  EXPECT_TRUE(FailsWith(exec_process(base, req, root.path()), ENOENT, "unable to find user ghost"));
  req.command.clear();
  EXPECT_TRUE(FailsWith(exec_process(base, req, root.path()), EINVAL, "needs a command"));
}

// Copies into a "container" root: its symlinks that point out lead back in.
TEST(EngineCopy, StaysInsideTheRoot) {
  TempDir t;
  std::string root = t.path() + "/root", outside = t.path() + "/outside";
  ASSERT_TRUE(mkdir_all(root + "/tmp").has_value());
  ASSERT_TRUE(mkdir_all(outside).has_value());
  ASSERT_EQ(::symlink("/", (root + "/tmp/escape").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../..", (root + "/tmp/up").c_str()), 0);
  ASSERT_EQ(::symlink(outside.c_str(), (root + "/tmp/abs").c_str()), 0);
  ASSERT_TRUE(write_file_atomic(t.path() + "/src.txt", "data").has_value());
  auto rootfd = open_fd(root, O_PATH | O_DIRECTORY);
  ASSERT_TRUE(rootfd.has_value());
  CopyOptions opts;
  CopySide src{-1, t.path() + "/src.txt"};
  ASSERT_TRUE(copy_path(src, {rootfd->get(), "/tmp/escape/a"}, opts).has_value());
  EXPECT_TRUE(path_exists(root + "/a"));
  ASSERT_TRUE(copy_path(src, {rootfd->get(), "/tmp/up/b"}, opts).has_value());
  EXPECT_TRUE(path_exists(root + "/b"));
  // An absolute link to the host's directory is the root's directory of that name.
  EXPECT_FALSE(copy_path(src, {rootfd->get(), "/tmp/abs/c"}, opts).has_value());
  EXPECT_FALSE(path_exists(outside + "/c"));
  EXPECT_TRUE(FailsWith(copy_path(src, {rootfd->get(), "/no/such/dir/x"}, opts), ENOENT, ""));
  // Out: the link is followed inside the root too.
  ASSERT_TRUE(copy_path({rootfd->get(), "/tmp/up/a"}, {-1, t.path() + "/back"}, opts).has_value());
  EXPECT_EQ(*read_file(t.path() + "/back"), "data");
}

TEST(EngineCopy, DirectoriesAndDockersRules) {
  TempDir t;
  ASSERT_TRUE(mkdir_all(t.path() + "/src/sub").has_value());
  ASSERT_TRUE(write_file_atomic(t.path() + "/src/sub/f", "x", 0640).has_value());
  ASSERT_EQ(::symlink("sub/f", (t.path() + "/src/l").c_str()), 0);
  ASSERT_TRUE(mkdir_all(t.path() + "/dst").has_value());
  CopyOptions opts;
  // Into an existing directory: by its name.
  ASSERT_TRUE(copy_path({-1, t.path() + "/src"}, {-1, t.path() + "/dst"}, opts).has_value());
  EXPECT_EQ(*read_file(t.path() + "/dst/src/sub/f"), "x");
  struct stat st;
  ASSERT_EQ(::stat((t.path() + "/dst/src/sub/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  char buf[64] = {};
  ASSERT_GT(::readlink((t.path() + "/dst/src/l").c_str(), buf, sizeof buf - 1), 0);
  EXPECT_STREQ(buf, "sub/f");
  // To a new name: the copy is that name. "/." copies the contents.
  ASSERT_TRUE(copy_path({-1, t.path() + "/src"}, {-1, t.path() + "/new"}, opts).has_value());
  EXPECT_TRUE(path_exists(t.path() + "/new/sub/f"));
  ASSERT_TRUE(copy_path({-1, t.path() + "/src/."}, {-1, t.path() + "/dst"}, opts).has_value());
  EXPECT_TRUE(path_exists(t.path() + "/dst/sub/f"));
  EXPECT_TRUE(FailsWith(copy_path({-1, t.path() + "/src"}, {-1, t.path() + "/src/sub/f"}, opts), ENOTDIR,
                        "cannot copy a directory to a file"));
  EXPECT_TRUE(FailsWith(copy_path({-1, t.path() + "/src/sub/f"}, {-1, t.path() + "/nodir/"}, opts), ENOENT,
                        "no such directory"));
}

}  // namespace
}  // namespace husk::engine
