// engine/namespaces: docker's namespace modes parsed and refused as docker
// does, and what each does to the spec (runc's default namespaces, from
// which a mode drops, joins or adds one), with containers faked.
#include <gtest/gtest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "engine/namespaces.hpp"
#include "engine/spec.hpp"
#include "spec/features.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using husk::testing::TempDir;
using json = nlohmann::ordered_json;

TEST(EngineNamespaceModes, ParsesDockersModes) {
  EXPECT_EQ(*parse_ipc_mode(""), (NamespaceChoice{NsMode::private_ns, ""}));
  EXPECT_EQ(*parse_ipc_mode("private"), (NamespaceChoice{NsMode::private_ns, ""}));
  EXPECT_EQ(*parse_ipc_mode("shareable"), (NamespaceChoice{NsMode::shareable, ""}));
  EXPECT_EQ(*parse_ipc_mode("none"), (NamespaceChoice{NsMode::none, ""}));
  EXPECT_EQ(*parse_ipc_mode("host"), (NamespaceChoice{NsMode::host, ""}));
  EXPECT_EQ(*parse_ipc_mode("container:db"), (NamespaceChoice{NsMode::container, "db"}));
  EXPECT_EQ(*parse_pid_mode("host"), (NamespaceChoice{NsMode::host, ""}));
  EXPECT_EQ(*parse_pid_mode("container:a"), (NamespaceChoice{NsMode::container, "a"}));
  EXPECT_EQ(*parse_uts_mode("host"), (NamespaceChoice{NsMode::host, ""}));
  EXPECT_EQ(*parse_cgroupns_mode("private"), (NamespaceChoice{NsMode::private_ns, ""}));
  EXPECT_EQ(*parse_cgroupns_mode("host"), (NamespaceChoice{NsMode::host, ""}));
  EXPECT_EQ(*parse_network_mode("none"), (NamespaceChoice{NsMode::private_ns, ""}));
  EXPECT_EQ(*parse_network_mode(""), (NamespaceChoice{NsMode::private_ns, ""}));
  EXPECT_EQ(*parse_network_mode("host"), (NamespaceChoice{NsMode::host, ""}));
  EXPECT_EQ(*parse_network_mode("container:web"), (NamespaceChoice{NsMode::container, "web"}));
  EXPECT_EQ(*parse_userns_mode(""), UsernsMode::host);
  EXPECT_EQ(*parse_userns_mode("host"), UsernsMode::host);
  EXPECT_EQ(*parse_userns_mode("remap"), UsernsMode::remap);
  EXPECT_EQ(*parse_userns_mode("auto"), UsernsMode::automatic);
}

TEST(EngineNamespaceModes, RefusesWhatDockerRefusesOrHuskLacks) {
  EXPECT_TRUE(FailsWith(parse_ipc_mode("bogus"), EINVAL, "invalid --ipc \"bogus\""));
  EXPECT_TRUE(FailsWith(parse_ipc_mode("container:"), EINVAL, "needs a container's name"));
  EXPECT_TRUE(FailsWith(parse_pid_mode("shareable"), EINVAL, "invalid --pid"));
  EXPECT_TRUE(FailsWith(parse_pid_mode("private"), EINVAL, "expected host or container:NAME"));
  EXPECT_TRUE(FailsWith(parse_uts_mode("private"), EINVAL, "expected host"));
  EXPECT_TRUE(FailsWith(parse_uts_mode("container:a"), EINVAL, "invalid --uts"));
  EXPECT_TRUE(FailsWith(parse_cgroupns_mode("container:a"), EINVAL, "invalid --cgroupns"));
  EXPECT_TRUE(FailsWith(parse_network_mode("bridge"), ENOTSUP, "bridge networking is not supported yet"));
  EXPECT_TRUE(FailsWith(parse_network_mode("default"), ENOTSUP, "bridge networking is not supported yet"));
  EXPECT_TRUE(FailsWith(parse_network_mode("mynet"), ENOTSUP, "named networks are not supported yet"));
  EXPECT_TRUE(FailsWith(parse_network_mode("container:"), EINVAL, "needs a container's name"));
  EXPECT_TRUE(FailsWith(parse_userns_mode("keep-id"), EINVAL, "expected host, remap or auto"));
}

TEST(EngineNamespaceModes, TimeOffsetsInSecondsWithNanoseconds) {
  auto t = parse_time_offsets("boottime=3600,monotonic=-1.25");
  ASSERT_TRUE(t.has_value()) << t.error().what();
  ASSERT_TRUE(t->boottime && t->monotonic);
  EXPECT_EQ(t->boottime->secs, 3600);
  EXPECT_EQ(t->boottime->nanosecs, 0u);
  EXPECT_EQ(t->monotonic->secs, -2);  // -1.25 s = -2 s + 0.75 s
  EXPECT_EQ(t->monotonic->nanosecs, 750000000u);
  auto frac = parse_time_offsets("monotonic=0.000000001");
  ASSERT_TRUE(frac.has_value());
  EXPECT_FALSE(frac->boottime);
  EXPECT_EQ(frac->monotonic->nanosecs, 1u);
  EXPECT_FALSE(parse_time_offsets("")->boottime);
  EXPECT_TRUE(FailsWith(parse_time_offsets("realtime=5"), EINVAL, "boottime or monotonic"));
  EXPECT_TRUE(FailsWith(parse_time_offsets("boottime"), EINVAL, "CLOCK=SECONDS"));
  EXPECT_TRUE(FailsWith(parse_time_offsets("boottime=1h"), EINVAL, "expected seconds"));
  EXPECT_TRUE(FailsWith(parse_time_offsets("boottime="), EINVAL, "expected seconds"));
  EXPECT_TRUE(FailsWith(parse_time_offsets("boottime=1."), EINVAL, "expected seconds"));
  EXPECT_TRUE(FailsWith(parse_time_offsets("boottime=0.1234567891"), EINVAL, "expected seconds"));
  EXPECT_TRUE(FailsWith(parse_time_offsets("boottime=1,boottime=2"), EINVAL, "given twice"));
}

// A bundle's spec as the engine makes it, and a context whose containers
// are faked: "a" runs as pid 4242 with a shareable IPC, "b" (pid 5151) not.
struct SpecFixture {
  TempDir tmp;
  SpecContext ctx;
  json spec = json::parse(spec::default_spec_json(false, 0, 0));
  SpecFixture() {
    ctx.id = "c0ffee";
    ctx.store_root = tmp.path();
    ctx.husk_binary = tmp / "husk";
    mkdir_all(tmp / "containers/c0ffee", 0700).value();
    ctx.container_pid = [](const std::string& name) -> Result<pid_t> {
      if (name == "a" || name == "a-id") return 4242;
      if (name == "b" || name == "b-id") return 5151;
      return fail_code(ENOENT, "no such container: " + name);
    };
    ctx.find_container = [](const std::string& name) -> Result<ContainerRecord> {
      ContainerRecord r;
      if (name != "a" && name != "b") return fail_code(ENOENT, "no such container: " + name);
      r.name = name;
      r.id = name + "-id";
      if (name == "a") r.flags.ipc = "shareable";
      return r;
    };
  }
  // type -> path ("" for a namespace of its own); absent types are missing.
  std::map<std::string, std::string> namespaces() const {
    std::map<std::string, std::string> out;
    for (auto& ns : spec["linux"]["namespaces"]) out[ns["type"]] = ns.value("path", "");
    return out;
  }
  json mount(const std::string& dest) const {
    for (auto& m : spec["mounts"])
      if (m["destination"] == dest) return m;
    return nullptr;
  }
};

TEST(EngineNamespaces, DefaultsKeepPrivateNamespaces) {
  SpecFixture fx;
  RunFlags f;
  ASSERT_TRUE(apply_namespaces(fx.ctx, f, fx.spec).has_value());
  auto ns = fx.namespaces();
  for (auto t : {"pid", "network", "ipc", "uts", "mount"}) EXPECT_EQ(ns.count(t), 1u) << t;
  EXPECT_EQ(ns.count("user"), 0u);
  EXPECT_EQ(ns.count("time"), 0u);
  EXPECT_EQ(fx.mount("/dev/shm")["type"], "tmpfs");
}

TEST(EngineNamespaces, HostDropsAndContainerJoinsThroughProc) {
  SpecFixture fx;
  RunFlags f;
  f.pid = "container:a";
  f.network = "host";
  f.uts = "host";
  f.cgroupns = "host";
  ASSERT_TRUE(apply_namespaces(fx.ctx, f, fx.spec).has_value());
  auto ns = fx.namespaces();
  EXPECT_EQ(ns["pid"], "/proc/4242/ns/pid");
  EXPECT_EQ(ns.count("network"), 0u);
  EXPECT_EQ(ns.count("uts"), 0u);
  EXPECT_EQ(ns.count("cgroup"), 0u);
  EXPECT_FALSE(fx.spec.contains("hostname"));

  SpecFixture net;
  f = {};
  f.network = "container:b";
  f.cgroupns = "private";
  ASSERT_TRUE(apply_namespaces(net.ctx, f, net.spec).has_value());
  EXPECT_EQ(net.namespaces()["network"], "/proc/5151/ns/net");
  EXPECT_EQ(net.namespaces()["cgroup"], "");
}

TEST(EngineNamespaces, IpcModesAndTheirShm) {
  SpecFixture share;
  RunFlags f;
  f.ipc = "shareable";
  ASSERT_TRUE(apply_namespaces(share.ctx, f, share.spec).has_value());
  EXPECT_EQ(share.mount("/dev/shm")["source"], share.tmp / "containers/c0ffee/shm");
  EXPECT_TRUE(path_exists(share.tmp / "containers/c0ffee/shm"));

  SpecFixture join;
  f.ipc = "container:a";
  ASSERT_TRUE(apply_namespaces(join.ctx, f, join.spec).has_value());
  EXPECT_EQ(join.namespaces()["ipc"], "/proc/4242/ns/ipc");
  EXPECT_EQ(join.mount("/dev/shm")["source"], join.tmp / "containers/a-id/shm");

  SpecFixture host;
  f.ipc = "host";
  ASSERT_TRUE(apply_namespaces(host.ctx, f, host.spec).has_value());
  EXPECT_EQ(host.namespaces().count("ipc"), 0u);
  EXPECT_EQ(host.mount("/dev/shm")["source"], "/dev/shm");

  SpecFixture none;
  f.ipc = "none";
  ASSERT_TRUE(apply_namespaces(none.ctx, f, none.spec).has_value());
  EXPECT_TRUE(none.mount("/dev/shm").is_null());

  SpecFixture bad;
  f.ipc = "container:b";
  EXPECT_TRUE(FailsWith(apply_namespaces(bad.ctx, f, bad.spec), EINVAL, "non-shareable IPC"));
  f.ipc = "container:nosuch";
  EXPECT_TRUE(FailsWith(apply_namespaces(bad.ctx, f, bad.spec), ENOENT, "no such container: nosuch"));
}

TEST(EngineNamespaces, TimeDomainAndTheHostsNameWithItsNetwork) {
  SpecFixture fx;
  RunFlags f;
  f.time_offset = "boottime=3600";
  f.domainname = "example.org";
  f.network = "host";
  ASSERT_TRUE(apply_namespaces(fx.ctx, f, fx.spec).has_value());
  EXPECT_EQ(fx.namespaces()["time"], "");
  EXPECT_EQ(fx.spec["linux"]["timeOffsets"]["boottime"]["secs"], 3600);
  EXPECT_FALSE(fx.spec["linux"]["timeOffsets"].contains("monotonic"));
  EXPECT_EQ(fx.spec["domainname"], "example.org");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(fx.spec["hostname"], host);
}

TEST(EngineNamespaces, ConflictsAsDockers) {
  struct Case {
    std::function<void(RunFlags&)> set;
    const char* message;
  };
  const Case cases[] = {
      {[](RunFlags& f) { f.uts = "host", f.hostname = "x"; }, "conflicting options: --hostname and --uts=host"},
      {[](RunFlags& f) { f.uts = "host", f.domainname = "x"; }, "conflicting options: --domainname"},
      {[](RunFlags& f) { f.network = "container:a", f.hostname = "x"; }, "--network=container:NAME"},
      {[](RunFlags& f) { f.userns = "remap", f.pid = "host"; }, "--userns=remap and --pid=host"},
      {[](RunFlags& f) { f.userns = "auto", f.network = "host"; }, "--userns=auto and --network=host"},
      {[](RunFlags& f) { f.userns = "remap", f.privileged = true; }, "--userns=remap and --privileged"},
  };
  for (auto& c : cases) {
    SpecFixture fx;
    RunFlags f;
    c.set(f);
    EXPECT_TRUE(FailsWith(apply_namespaces(fx.ctx, f, fx.spec), EINVAL, c.message));
  }
}

TEST(EngineInit, WrapsTheCommandAndBindsTheInit) {
  SpecFixture fx;
  RunFlags f;
  f.init = true;
  fx.spec["process"]["args"] = {"sleep", "10"};
  // No husk-init beside husk: refused with where it was looked for.
  EXPECT_TRUE(FailsWith(apply_namespaces(fx.ctx, f, fx.spec), ENOENT, fx.tmp / "husk-init"));
  husk::testing::put_file(fx.tmp / "husk-init", "#!/bin/sh\n");
  ::chmod((fx.tmp / "husk-init").c_str(), 0755);
  ASSERT_TRUE(apply_namespaces(fx.ctx, f, fx.spec).has_value());
  EXPECT_EQ(fx.spec["process"]["args"], json({"/dev/init", "--", "sleep", "10"}));
  auto m = fx.mount("/dev/init");
  EXPECT_EQ(m["source"], fx.tmp / "husk-init");
  EXPECT_EQ(m["options"], json({"bind", "ro", "nosuid", "nodev"}));
  EXPECT_EQ(init_binary_beside("/usr/local/bin/husk"), "/usr/local/bin/husk-init");
}

}  // namespace
}  // namespace husk::engine
