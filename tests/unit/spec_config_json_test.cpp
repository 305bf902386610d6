// spec/config_json: a Config written back to config.json reads back equal
// (parse(serialize(c)) == c) for every config the tests, the fuzz seeds and
// runc's and crun's `spec` have, and keeps what the model does not know.
#include <dirent.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "spec/config.hpp"
#include "spec/default_spec.hpp"
#include "test_helpers.hpp"

namespace husk::spec {
namespace {

using nlohmann::json;

// parse(serialize(C)) == C, and the text is stable from then on.
void expect_round_trip(const Config& c, const std::string& what) {
  std::string text = serialize_config(c);
  auto again = parse_config(text);
  ASSERT_TRUE(again.has_value()) << what << ": " << again.error().what() << "\n" << text;
  EXPECT_TRUE(*again == c) << what << ": differs after a round trip\n" << text;
  EXPECT_EQ(serialize_config(*again), text) << what;
}

std::vector<std::string> corpus_files() {
  std::vector<std::string> out;
  std::string dir = std::string(HUSK_FUZZ_CORPUS_DIR) + "/config";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(dir + "/" + e->d_name);
    ::closedir(d);
  }
  return out;
}

TEST(SpecConfigJson, EveryConfigOfTheFuzzCorpusSurvivesARoundTrip) {
  auto files = corpus_files();
  ASSERT_FALSE(files.empty()) << HUSK_FUZZ_CORPUS_DIR;
  int configs = 0;
  for (auto& f : files) {
    auto c = parse_config(testing::get_file(f));
    if (!c) continue;  // a process.json or a resources document
    ++configs;
    expect_round_trip(*c, f);
  }
  EXPECT_GE(configs, 8);  // crun's rootless spec has no maps (crun adds them): husk refuses it
}

TEST(SpecConfigJson, HuskRuntimeSpecSurvivesARoundTrip) {
  for (bool rootless : {false, true}) {
    auto c = parse_config(default_spec_json(rootless, 1000, 1000));
    ASSERT_TRUE(c.has_value()) << c.error().what();
    expect_round_trip(*c, rootless ? "spec --rootless" : "spec");
  }
}

// What the installed runc and crun write today, not only the kept copies.
TEST(SpecConfigJson, RuncAndCrunSpecSurviveARoundTrip) {
  int ran = 0;
  for (std::string runtime : {"runc", "crun"})
    for (std::string flags : {"", " --rootless"}) {
      testing::TempDir dir;
      std::string cmd = "cd " + dir.path() + " && " + runtime + " spec" + flags + " >/dev/null 2>&1";
      if (std::system(cmd.c_str()) != 0) continue;
      ++ran;
      auto c = parse_config(testing::get_file(dir / "config.json"));
      // crun leaves the rootless maps to `crun run`; husk wants them written.
      if (!c && runtime == "crun" && !flags.empty()) continue;
      ASSERT_TRUE(c.has_value()) << runtime << flags << ": " << c.error().what();
      expect_round_trip(*c, runtime + " spec" + flags);
    }
  if (ran == 0) GTEST_SKIP() << "neither runc nor crun is installed";
}

constexpr std::string_view kWithExtensions = R"json({
  "ociVersion": "1.2.0",
  "root": {"path": "rootfs", "x-root": 1},
  "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0, "x-user": [1]},
              "scheduler": {"policy": "SCHED_OTHER"}, "ioPriority": {"class": "IOPRIO_CLASS_IDLE"}},
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc", "x-mount": null}],
  "hooks": {"prestart": [{"path": "/bin/true", "x-hook": "h"}], "x-hooks": {}},
  "linux": {"namespaces": [{"type": "mount"}],
            "intelRdt": {"closID": "c"}, "netDevices": {"eth0": {"name": "ctr0"}},
            "devices": [{"type": "c", "path": "/dev/x", "major": 1, "minor": 2, "x-dev": true}],
            "personality": {"domain": "LINUX", "flags": []},
            "resources": {"pids": {"limit": 5}, "x-resources": 2},
            "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "x-seccomp": "s",
                        "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": "c"}]}},
  "solaris": {"milestone": "m"},
  "vm": {"hypervisor": {"path": "/hv"}}
})json";

TEST(SpecConfigJson, KeepsWhatTheModelDoesNotKnow) {
  auto c = parse_config(kWithExtensions);
  ASSERT_TRUE(c.has_value()) << c.error().what();
  expect_round_trip(*c, "extensions");
  auto out = json::parse(serialize_config(*c));
  EXPECT_EQ(out["root"]["x-root"], 1);
  EXPECT_EQ(out["process"]["user"]["x-user"], json::array({1}));
  EXPECT_EQ(out["process"]["scheduler"]["policy"], "SCHED_OTHER");
  EXPECT_EQ(out["process"]["ioPriority"]["class"], "IOPRIO_CLASS_IDLE");
  EXPECT_TRUE(out["mounts"][0].contains("x-mount"));
  EXPECT_EQ(out["hooks"]["prestart"][0]["x-hook"], "h");
  EXPECT_EQ(out["hooks"]["x-hooks"], json::object());
  EXPECT_EQ(out["linux"]["intelRdt"]["closID"], "c");
  EXPECT_EQ(out["linux"]["netDevices"]["eth0"]["name"], "ctr0");
  EXPECT_EQ(out["linux"]["devices"][0]["x-dev"], true);
  EXPECT_EQ(out["linux"]["personality"]["flags"], json::array());
  EXPECT_EQ(out["linux"]["resources"]["x-resources"], 2);
  EXPECT_EQ(out["linux"]["resources"]["pids"]["limit"], 5);
  EXPECT_EQ(out["linux"]["seccomp"]["x-seccomp"], "s");
  EXPECT_EQ(out["linux"]["seccomp"]["syscalls"][0]["comment"], "c");
  EXPECT_EQ(out["solaris"]["milestone"], "m");
  EXPECT_EQ(out["vm"]["hypervisor"]["path"], "/hv");
}

TEST(SpecConfigJson, EqualitySeesEveryChange) {
  auto c = parse_config(kWithExtensions);
  ASSERT_TRUE(c.has_value());
  Config d = *c;
  EXPECT_TRUE(d == *c);
  d.linux.namespaces.push_back({NamespaceType::uts, ""});
  EXPECT_FALSE(d == *c);
  d = *c;
  d.process->user.additional_gids.push_back(7);
  EXPECT_FALSE(d == *c);
  d = *c;
  d.extra = Extra();
  EXPECT_FALSE(d == *c);
}

TEST(SpecConfigJson, WritesWhatTheModelWasGiven) {
  auto c = parse_config(default_spec_json(false, 0, 0));
  ASSERT_TRUE(c.has_value());
  c->hostname = "web";
  c->annotations["k"] = "v";
  c->linux.namespaces.push_back({NamespaceType::network, "/proc/7/ns/net"});
  c->process->capabilities->ambient = {0};  // CAP_CHOWN
  auto out = json::parse(serialize_config(*c));
  EXPECT_EQ(out["hostname"], "web");
  EXPECT_EQ(out["annotations"]["k"], "v");
  EXPECT_EQ(out["linux"]["namespaces"].back(), (json{{"type", "network"}, {"path", "/proc/7/ns/net"}}));
  EXPECT_EQ(out["process"]["capabilities"]["ambient"], json::array({"CAP_CHOWN"}));
  EXPECT_EQ(out["process"]["rlimits"][0], (json{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}));
}

}  // namespace
}  // namespace husk::spec
