// engine/security and engine/seccomp_profile: docker's capability
// arithmetic, --ulimit, --sysctl, --device and --security-opt parsing, and
// docker's seccomp profile format as the runtime-spec's linux.seccomp.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/seccomp_profile.hpp"
#include "engine/security.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const std::vector<std::string> kAll = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",  "CAP_SYS_ADMIN",        "CAP_NET_ADMIN"};

TEST(EngineSecurity, CapabilityNames) {
  EXPECT_EQ(*normalize_capability("net_admin"), "CAP_NET_ADMIN");
  EXPECT_EQ(*normalize_capability("CAP_SYS_ADMIN"), "CAP_SYS_ADMIN");
  EXPECT_EQ(*normalize_capability("Cap_Chown"), "CAP_CHOWN");
  EXPECT_EQ(*normalize_capability("all"), "ALL");
  EXPECT_TRUE(FailsWith(normalize_capability("NOPE"), EINVAL, "unknown capability: \"CAP_NOPE\""));
}

TEST(EngineSecurity, DockersDefaultSetLessDropsPlusAdds) {
  auto caps = container_capabilities(RunFlags{}, kAll);
  ASSERT_TRUE(caps.has_value());
  EXPECT_EQ(*caps, docker_default_capabilities());
  EXPECT_EQ(caps->size(), 14u);
  RunFlags f;
  f.cap_drop = {"chown", "CAP_KILL"};
  f.cap_add = {"net_admin", "SETUID"};  // SETUID is there already: once
  caps = container_capabilities(f, kAll);
  ASSERT_TRUE(caps.has_value());
  EXPECT_FALSE(has(*caps, "CAP_CHOWN"));
  EXPECT_FALSE(has(*caps, "CAP_KILL"));
  EXPECT_TRUE(has(*caps, "CAP_NET_ADMIN"));
  EXPECT_EQ(std::count(caps->begin(), caps->end(), "CAP_SETUID"), 1);
  EXPECT_EQ(caps->size(), 13u);
}

TEST(EngineSecurity, AllInAddOrDrop) {
  RunFlags f;
  f.cap_add = {"ALL"};
  f.cap_drop = {"sys_admin"};
  auto caps = container_capabilities(f, kAll);
  ASSERT_TRUE(caps.has_value());
  EXPECT_EQ(caps->size(), kAll.size() - 1);
  EXPECT_FALSE(has(*caps, "CAP_SYS_ADMIN"));
  RunFlags only;
  only.cap_drop = {"all"};
  only.cap_add = {"chown"};
  caps = container_capabilities(only, kAll);
  ASSERT_TRUE(caps.has_value());
  EXPECT_EQ(*caps, std::vector<std::string>{"CAP_CHOWN"});
  RunFlags priv;
  priv.privileged = true;
  priv.cap_drop = {"chown"};  // --privileged gets them all, as docker's
  EXPECT_EQ(*container_capabilities(priv, kAll), kAll);
  RunFlags bad;
  bad.cap_drop = {"nope"};
  EXPECT_TRUE(FailsWith(container_capabilities(bad, kAll), EINVAL, "unknown capability"));
}

TEST(EngineSecurity, Ulimits) {
  auto u = parse_ulimit("nofile=1024:2048");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->type, "RLIMIT_NOFILE");
  EXPECT_EQ(u->soft, 1024u);
  EXPECT_EQ(u->hard, 2048u);
  u = parse_ulimit("nproc=64");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->soft, 64u);
  EXPECT_EQ(u->hard, 64u);
  u = parse_ulimit("core=-1");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->soft, UINT64_MAX);
  EXPECT_TRUE(FailsWith(parse_ulimit("x"), EINVAL,
                        "invalid argument \"x\" for \"--ulimit\" flag: invalid ulimit argument: x"));
  EXPECT_TRUE(FailsWith(parse_ulimit("as=10"), EINVAL, "invalid ulimit type: as"));
  EXPECT_TRUE(FailsWith(parse_ulimit("nofile=2048:1024"), EINVAL,
                        "ulimit soft limit must be less than or equal to hard limit: 2048 > 1024"));
  EXPECT_TRUE(FailsWith(parse_ulimit("nofile=1:2:3"), EINVAL, "too many limit value arguments"));
  EXPECT_TRUE(FailsWith(parse_ulimit("nofile=many"), EINVAL, "invalid ulimit value"));
}

TEST(EngineSecurity, SysctlsOfTheContainersOwnNamespacesOnly) {
  RunFlags f;
  auto s = parse_sysctl("net.ipv4.ip_forward=1", f);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->first, "net.ipv4.ip_forward");
  EXPECT_EQ(s->second, "1");
  EXPECT_TRUE(parse_sysctl("kernel.shmmax=1000000", f).has_value());
  EXPECT_TRUE(parse_sysctl("fs.mqueue.msg_max=20", f).has_value());
  EXPECT_TRUE(
      FailsWith(parse_sysctl("kernel.pid_max=100", f), EINVAL, "sysctl 'kernel.pid_max' is not whitelisted"));
  EXPECT_TRUE(FailsWith(parse_sysctl("net.ipv4.ip_forward", f), EINVAL, "is not KEY=VALUE"));
  f.network = "host";
  EXPECT_TRUE(
      FailsWith(parse_sysctl("net.ipv4.ip_forward=1", f), EINVAL, "not allowed in host network namespace"));
  EXPECT_TRUE(parse_sysctl("kernel.shmmax=1000000", f).has_value());
  f.ipc = "host";
  EXPECT_TRUE(FailsWith(parse_sysctl("kernel.shmmax=1", f), EINVAL, "not allowed in host IPC namespace"));
}

TEST(EngineSecurity, DeviceSpecs) {
  auto d = parse_device("/dev/zero");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->host, "/dev/zero");
  EXPECT_EQ(d->container, "/dev/zero");
  EXPECT_EQ(d->access, "rwm");
  d = parse_device("/dev/zero:/dev/myzero");
  EXPECT_EQ(d->container, "/dev/myzero");
  d = parse_device("/dev/zero:r");
  EXPECT_EQ(d->container, "/dev/zero");
  EXPECT_EQ(d->access, "r");
  d = parse_device("/dev/zero:/dev/z:rw");
  EXPECT_EQ(d->container, "/dev/z");
  EXPECT_EQ(d->access, "rw");
  EXPECT_TRUE(FailsWith(parse_device("/dev/zero:/dev/z:rx"), EINVAL, "bad mode specified: rx"));
  EXPECT_TRUE(FailsWith(parse_device("/dev/zero:z"), EINVAL, "z is not an absolute path"));
  EXPECT_TRUE(FailsWith(parse_device("a:/b:r:x"), EINVAL, "invalid device specification"));
}

TEST(EngineSecurity, SecurityOpts) {
  auto o = parse_security_opts({"no-new-privileges"});
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->no_new_privileges);
  EXPECT_FALSE(parse_security_opts({"no-new-privileges:false"})->no_new_privileges);
  EXPECT_TRUE(parse_security_opts({"no-new-privileges=true"})->no_new_privileges);
  EXPECT_FALSE(parse_security_opts({})->no_new_privileges);  // docker's default
  EXPECT_TRUE(parse_security_opts({"seccomp=unconfined"})->seccomp_unconfined);
  EXPECT_EQ(parse_security_opts({"seccomp=/p.json"})->seccomp_profile, "/p.json");
  EXPECT_TRUE(FailsWith(parse_security_opts({"no-new-privileges:maybe"}), EINVAL, "invalid --security-opt"));
  EXPECT_EQ(parse_security_opts({"apparmor=docker-default"})->apparmor_profile, "docker-default");
  EXPECT_EQ(parse_security_opts({"apparmor=unconfined"})->apparmor_profile, "");
  EXPECT_TRUE(FailsWith(parse_security_opts({"apparmor="}), EINVAL, "invalid --security-opt"));
  // label=: docker's parts of the default container label; disable drops it.
  EXPECT_EQ(parse_security_opts({"label=type:spc_t"})->selinux_label, "system_u:system_r:spc_t:s0");
  EXPECT_EQ(parse_security_opts({"label=level:s0:c1,c2", "label=user:u"})->selinux_label,
            "u:system_r:container_t:s0:c1,c2");
  EXPECT_EQ(parse_security_opts({"label=type:spc_t", "label=disable"})->selinux_label, "");
  EXPECT_TRUE(FailsWith(parse_security_opts({"label=colour:red"}), EINVAL, "invalid --security-opt"));
  EXPECT_TRUE(FailsWith(parse_security_opts({"label=type:"}), EINVAL, "invalid --security-opt"));
  EXPECT_TRUE(FailsWith(parse_security_opts({"seccomp"}), EINVAL, "invalid --security-opt"));
}

SeccompTarget x86(std::vector<std::string> caps) {
  return {"SCMP_ARCH_X86_64", std::move(caps), "5.15.0-91-generic"};
}

TEST(EngineSeccomp, DockerProfileToOci) {
  const char* profile = R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"name": "mount", "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
      {"names": ["landlock_create_ruleset"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "6.9"}},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
      {"names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["ppc64le"]}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]},
       "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]}]
  })";
  auto s = seccomp_from_docker_profile(profile, x86({"CAP_CHOWN"}));
  ASSERT_TRUE(s.has_value()) << s.error().what();
  using spec::SeccompArch;
  EXPECT_EQ(s->default_action, spec::SeccompAction::errno_);
  EXPECT_EQ(s->default_errno_ret, 1u);
  EXPECT_EQ(s->architectures,
            (std::vector<SeccompArch>{SeccompArch::x86_64, SeccompArch::x86, SeccompArch::x32}));
  std::vector<std::string> kept;
  for (auto& c : s->syscalls) kept.push_back(c.names[0]);
  EXPECT_EQ(kept, (std::vector<std::string>{"read", "ptrace", "arch_prctl", "clone"}));
  ASSERT_EQ(s->syscalls[3].args.size(), 1u);
  EXPECT_EQ(s->syscalls[3].args[0].op, spec::SeccompOp::masked_eq);
  EXPECT_EQ(s->syscalls[3].args[0].value, 2114060288u);
  EXPECT_TRUE(s->syscalls[0].extra.empty());  // includes/excludes are docker's, not the runtime's
  // With CAP_SYS_ADMIN: mount is in, the clone restricted to others is out.
  s = seccomp_from_docker_profile(profile, x86({"CAP_SYS_ADMIN"}));
  ASSERT_TRUE(s.has_value());
  kept.clear();
  for (auto& c : s->syscalls) kept.push_back(c.names[0]);
  EXPECT_EQ(kept, (std::vector<std::string>{"read", "mount", "ptrace", "arch_prctl"}));
}

TEST(EngineSeccomp, ProfileRefusals) {
  auto t = x86({});
  EXPECT_TRUE(FailsWith(seccomp_from_docker_profile("{", t), EINVAL, "decoding seccomp profile failed"));
  EXPECT_TRUE(
      FailsWith(seccomp_from_docker_profile(R"({"syscalls": []})", t), EINVAL, "defaultAction is required"));
  EXPECT_TRUE(FailsWith(seccomp_from_docker_profile(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})",
                                                    t),
                        EINVAL, "use either 'architectures' or 'archMap'"));
  EXPECT_TRUE(FailsWith(seccomp_from_docker_profile(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ERRNO"}]})",
                                                    t),
                        EINVAL, "use either 'name' or 'names'"));
  // A plain list of architectures passes as it is.
  auto s = seccomp_from_docker_profile(
      R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"]})", t);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->architectures, std::vector<spec::SeccompArch>{spec::SeccompArch::x86});
  // What the runtime would refuse in config.json is refused here, at create.
  EXPECT_TRUE(FailsWith(
      seccomp_from_docker_profile(
          R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOPE"}]})",
          t),
      EINVAL, "linux.seccomp.syscalls[0].action"));
}

}  // namespace
}  // namespace husk::engine
