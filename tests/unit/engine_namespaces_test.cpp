// engine/namespaces: docker's namespace modes parsed and refused as docker
// does, and what each does to the spec (runc's default namespaces, from
// which a mode drops, joins or adds one), with containers faked.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "engine/namespaces.hpp"
#include "engine/spec.hpp"
#include "engine/userns.hpp"
#include "spec/default_spec.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using husk::testing::TempDir;

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
  EXPECT_EQ(*parse_network_mode(""), (NamespaceChoice{NsMode::private_ns, "", "bridge"}))
      << "the default bridge";
  EXPECT_EQ(*parse_network_mode("host"), (NamespaceChoice{NsMode::host, ""}));
  EXPECT_EQ(*parse_network_mode("container:web"), (NamespaceChoice{NsMode::container, "web"}));
  EXPECT_EQ(*parse_network_mode("bridge"), (NamespaceChoice{NsMode::private_ns, "", "bridge"}));
  EXPECT_EQ(*parse_network_mode("default"), (NamespaceChoice{NsMode::private_ns, "", "bridge"}));
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
  EXPECT_EQ(*parse_network_mode("mynet"), (NamespaceChoice{NsMode::private_ns, "", "mynet"}));
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
  spec::Config spec = spec::default_config(false, 0, 0);
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
    ctx.find_container = [](std::string name) -> Result<ContainerRecord> {
      ContainerRecord r;
      if (name.ends_with("-id")) name.resize(name.size() - 3);
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
    for (auto& ns : spec.linux.namespaces) out[spec::namespace_type_name(ns.type)] = ns.path;
    return out;
  }
  std::optional<spec::Mount> mount(const std::string& dest) const {
    for (auto& m : spec.mounts)
      if (m.destination == dest) return m;
    return std::nullopt;
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
  EXPECT_EQ(fx.mount("/dev/shm").value().type, "tmpfs");
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
  EXPECT_EQ(fx.spec.hostname, "");

  SpecFixture net;
  f = {};
  f.network = "container:b";
  f.cgroupns = "private";
  ASSERT_TRUE(apply_namespaces(net.ctx, f, net.spec).has_value());
  EXPECT_EQ(net.namespaces()["network"], "/proc/5151/ns/net");
  EXPECT_EQ(net.namespaces()["cgroup"], "");

  // A network of the engine's: the namespace it keeps for the container.
  SpecFixture bridge;
  bridge.ctx.run_root = "/run/husk-engine";
  f = {};
  f.network = "bridge";
  ASSERT_TRUE(apply_namespaces(bridge.ctx, f, bridge.spec).has_value());
  EXPECT_EQ(bridge.namespaces()["network"], "/run/husk-engine/.net/netns/c0ffee");
}

TEST(EngineNamespaces, IpcModesAndTheirShm) {
  SpecFixture share;
  RunFlags f;
  f.ipc = "shareable";
  ASSERT_TRUE(apply_namespaces(share.ctx, f, share.spec).has_value());
  EXPECT_EQ(share.mount("/dev/shm").value().source, share.tmp / "containers/c0ffee/shm");
  EXPECT_TRUE(path_exists(share.tmp / "containers/c0ffee/shm"));

  SpecFixture join;
  f.ipc = "container:a";
  ASSERT_TRUE(apply_namespaces(join.ctx, f, join.spec).has_value());
  EXPECT_EQ(join.namespaces()["ipc"], "/proc/4242/ns/ipc");
  EXPECT_EQ(join.mount("/dev/shm").value().source, join.tmp / "containers/a-id/shm");

  SpecFixture host;
  f.ipc = "host";
  ASSERT_TRUE(apply_namespaces(host.ctx, f, host.spec).has_value());
  EXPECT_EQ(host.namespaces().count("ipc"), 0u);
  EXPECT_EQ(host.mount("/dev/shm").value().source, "/dev/shm");

  SpecFixture none;
  f.ipc = "none";
  ASSERT_TRUE(apply_namespaces(none.ctx, f, none.spec).has_value());
  EXPECT_FALSE(none.mount("/dev/shm").has_value());

  SpecFixture bad;
  f.ipc = "container:b";
  EXPECT_TRUE(FailsWith(apply_namespaces(bad.ctx, f, bad.spec), EINVAL, "non-shareable IPC"));
  f.ipc = "container:nosuch";
  EXPECT_TRUE(FailsWith(apply_namespaces(bad.ctx, f, bad.spec), ENOENT, "no such container: nosuch"));
}

TEST(EngineNamespaceModes, ShmSizeInDockersUnits) {
  EXPECT_EQ(parse_shm_size("").value(), 64LL << 20);
  EXPECT_EQ(parse_shm_size("0").value(), 64LL << 20) << "0 is docker's default";
  EXPECT_EQ(parse_shm_size("128m").value(), 128LL << 20);
  EXPECT_EQ(parse_shm_size("1g").value(), 1LL << 30);
  EXPECT_EQ(parse_shm_size("1048576").value(), 1LL << 20);
  EXPECT_TRUE(FailsWith(parse_shm_size("abc"), EINVAL,
                        "invalid argument \"abc\" for \"--shm-size\" flag: invalid size: 'abc'"));
  EXPECT_TRUE(FailsWith(parse_shm_size("-1"), EINVAL, "invalid size: '-1'"));
}

TEST(EngineNamespaces, ShmSizeIsThePrivateTmpfsSize) {
  SpecFixture fx;
  RunFlags f;
  ASSERT_TRUE(apply_namespaces(fx.ctx, f, fx.spec).has_value());
  auto dflt = fx.mount("/dev/shm").value().options;
  EXPECT_EQ(std::count(dflt.begin(), dflt.end(), "size=67108864"), 1) << "docker's 64m, in bytes";

  SpecFixture sized;
  f.shm_size = "1g";
  ASSERT_TRUE(apply_namespaces(sized.ctx, f, sized.spec).has_value());
  auto opts = sized.mount("/dev/shm").value().options;
  EXPECT_EQ(std::count(opts.begin(), opts.end(), "size=1073741824"), 1);
  EXPECT_EQ(std::count_if(opts.begin(), opts.end(), [](auto& o) { return o.starts_with("size="); }), 1);

  SpecFixture bad;
  f.shm_size = "lots";
  EXPECT_TRUE(FailsWith(apply_namespaces(bad.ctx, f, bad.spec), EINVAL, "invalid size: 'lots'"));
}

TEST(EngineNamespaces, TimeDomainAndTheHostsNameWithItsNetwork) {
  SpecFixture fx;
  RunFlags f;
  f.time_offset = "boottime=3600";
  f.domainname = "example.org";
  f.network = "host";
  ASSERT_TRUE(apply_namespaces(fx.ctx, f, fx.spec).has_value());
  EXPECT_EQ(fx.namespaces()["time"], "");
  EXPECT_EQ(fx.spec.linux.boottime_offset, (spec::TimeOffset{3600, 0}));
  EXPECT_FALSE(fx.spec.linux.monotonic_offset.has_value());
  EXPECT_EQ(fx.spec.domainname, "example.org");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(fx.spec.hostname, host);
}

TEST(EngineNamespaces, ConflictsAsDockers) {
  struct Case {
    std::function<void(RunFlags&)> set;
    const char* message;
  };
  const Case cases[] = {
      {[](RunFlags& f) { f.uts = "host", f.hostname = "x"; },
       "conflicting options: --hostname and --uts=host"},
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
  // Joining another container's namespaces from a user namespace of one's
  // own (or those of one in a user namespace) is not there yet.
  SpecFixture fx;
  RunFlags f;
  f.userns = "remap";
  f.ipc = "container:a";
  EXPECT_TRUE(FailsWith(apply_namespaces(fx.ctx, f, fx.spec), ENOTSUP, "is not supported yet"));
}

TEST(EngineInit, WrapsTheCommandAndBindsTheInit) {
  SpecFixture fx;
  RunFlags f;
  f.init = true;
  fx.spec.process->args = {"sleep", "10"};
  // No husk-init beside husk: refused with where it was looked for.
  EXPECT_TRUE(FailsWith(apply_namespaces(fx.ctx, f, fx.spec), ENOENT, fx.tmp / "husk-init"));
  husk::testing::put_file(fx.tmp / "husk-init", "#!/bin/sh\n");
  ::chmod((fx.tmp / "husk-init").c_str(), 0755);
  ASSERT_TRUE(apply_namespaces(fx.ctx, f, fx.spec).has_value());
  EXPECT_EQ(fx.spec.process->args, (std::vector<std::string>{"/dev/init", "--", "sleep", "10"}));
  auto m = fx.mount("/dev/init");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->source, fx.tmp / "husk-init");
  EXPECT_EQ(m->options, (std::vector<std::string>{"bind", "ro", "nosuid", "nodev"}));
  EXPECT_EQ(init_binary_beside("/usr/local/bin/husk"), "/usr/local/bin/husk-init");
}

TEST(EngineUserns, SubordinateRangesFoundOrMadePastEveryOther) {
  auto ranges =
      parse_subid("# comment\nalice:100000:65536\nbad line\nbob:165536:65536\nhusk:300000:131072\n");
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[1].name, "bob");
  EXPECT_EQ(ranges[1].start, 165536u);
  auto husk = find_or_new_subid(ranges, "husk", 1);
  EXPECT_EQ(husk.start, 300000u);
  EXPECT_EQ(husk.count, 131072u);
  auto made = find_or_new_subid(ranges, "other", 65536);
  EXPECT_EQ(made.start, 300000u + 131072u);  // past the last range's end
  EXPECT_EQ(find_or_new_subid({}, "husk", 65536).start, 100000u);
}

TEST(EngineUserns, AutoTakesAFreeBlockAfterRemaps) {
  SubIdRange r{"husk", 100000, 4 * 65536};
  EXPECT_EQ(*free_auto_block(r, {}), 165536u);
  EXPECT_EQ(*free_auto_block(r, {165536, 100000}), 231072u);
  EXPECT_EQ(*free_auto_block(r, {165536, 296608}), 231072u);
  EXPECT_TRUE(FailsWith(free_auto_block(r, {165536, 231072, 296608}), ENOSPC, "is in use"));
  EXPECT_TRUE(FailsWith(free_auto_block({"husk", 100000, 65536}, {}), ENOSPC, "is in use"));
}

TEST(EngineUserns, PlansFromTheFilesAndAddsHusksEntries) {
  TempDir tmp;
  husk::testing::put_file(tmp / "subuid", "alice:100000:65536\n");
  husk::testing::put_file(tmp / "subgid", "");
  auto remap = plan_user_namespace(UsernsMode::remap, tmp / "subuid", tmp / "subgid", {});
  ASSERT_TRUE(remap.has_value()) << remap.error().what();
  ASSERT_EQ(remap->uids.size(), 1u);
  EXPECT_EQ(remap->uids[0].container_id, 0u);
  EXPECT_EQ(remap->uids[0].host_id, 165536u);
  EXPECT_EQ(remap->uids[0].size, 65536u);
  EXPECT_EQ(remap->gids[0].host_id, 100000u);
  EXPECT_EQ(husk::testing::get_file(tmp / "subuid"), "alice:100000:65536\nhusk:165536:16777216\n");
  EXPECT_EQ(husk::testing::get_file(tmp / "subgid"), "husk:100000:16777216\n");
  // Again: the same range, the files unchanged.
  EXPECT_EQ(plan_user_namespace(UsernsMode::remap, tmp / "subuid", tmp / "subgid", {})->uids[0].host_id,
            165536u);
  EXPECT_EQ(husk::testing::get_file(tmp / "subgid"), "husk:100000:16777216\n");
  // auto: the first block no bundle holds.
  spec::Config taken = spec::default_config(false, 0, 0);
  taken.linux.namespaces.push_back({spec::NamespaceType::user, ""});
  taken.linux.uid_mappings = {{0, 165536 + 65536, 65536}};
  taken.linux.gid_mappings = {{0, 100000 + 65536, 65536}};
  husk::testing::put_file(tmp / "taken.json", spec::serialize_config(taken));
  auto maps = bundle_user_maps(tmp / "taken.json");
  ASSERT_TRUE(maps.has_value()) << maps.error().what();
  EXPECT_EQ(maps->uids[0].host_id, 231072u);
  auto next = plan_user_namespace(UsernsMode::automatic, tmp / "subuid", tmp / "subgid",
                                  {tmp / "taken.json", tmp / "missing.json"});
  ASSERT_TRUE(next.has_value()) << next.error().what();
  EXPECT_EQ(next->uids[0].host_id, 165536u + 2 * 65536);
  EXPECT_EQ(next->gids[0].host_id, 100000u + 2 * 65536);
  // Too small a range given by an admin: refused.
  husk::testing::put_file(tmp / "small", "husk:100000:1000\n");
  EXPECT_TRUE(FailsWith(plan_user_namespace(UsernsMode::remap, tmp / "small", tmp / "subgid", {}), ERANGE,
                        "needs 65536"));
}

}  // namespace
}  // namespace husk::engine
