// husk's default seccomp profile (share/seccomp-default.json, built in): for
// every capability set the profiles' rules depend on, and each
// architecture, it decides each syscall as podman's default profile
// (/usr/share/containers/seccomp.json, from the containers-common package
// podman installs) does, except where docker's default is stricter: there
// it decides as docker's (namespaces, mounts, the keyring, ...).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "engine/seccomp_profile.hpp"
#include "engine/security.hpp"

namespace husk::engine {
namespace {

constexpr const char* kPodmanProfile = "/usr/share/containers/seccomp.json";

// Per syscall: each rule that names it (action, errno, args) as text.
using Decisions = std::map<std::string, std::multiset<std::string>>;

struct Filter {
  std::string default_action;
  std::vector<std::string> architectures;
  Decisions decisions;
};

Filter filter_of(std::string_view profile, const SeccompTarget& t) {
  auto typed = seccomp_from_docker_profile(profile, t);
  EXPECT_TRUE(typed.has_value()) << (typed ? "" : typed.error().what());
  Filter f;
  if (!typed) return f;
  auto oci = spec::seccomp_to_json(*typed);
  f.default_action =
      oci["defaultAction"].dump() + " " + oci.value("defaultErrnoRet", nlohmann::ordered_json()).dump();
  f.architectures = oci.value("architectures", std::vector<std::string>{});
  for (auto& rule : oci["syscalls"]) {
    std::string what = rule["action"].dump() + " " + rule.value("errnoRet", nlohmann::ordered_json()).dump() +
                       " " + rule.value("args", nlohmann::ordered_json::array()).dump();
    for (auto& name : rule["names"]) f.decisions[name.get<std::string>()].insert(what);
  }
  return f;
}

std::vector<std::string> with(std::vector<std::string> caps, const std::string& extra) {
  caps.push_back(extra);
  return caps;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const std::multiset<std::string> kAllow = {"\"SCMP_ACT_ALLOW\" null []"};
const std::multiset<std::string> kEperm = {"\"SCMP_ACT_ERRNO\" 1 []"};

// Where docker's default is stricter than podman's: allowed with CAP only
// (EPERM without), or, with no CAP, never.
struct Stricter {
  std::vector<std::string> names;
  const char* cap;
};
const std::vector<Stricter> kDockerStricter = {
    {{"fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree",
      "umount", "umount2", "unshare", "setns"},
     "CAP_SYS_ADMIN"},
    {{"pidfd_getfd"}, "CAP_SYS_PTRACE"},
    {{"reboot"}, "CAP_SYS_BOOT"},
    {{"get_mempolicy", "mbind", "set_mempolicy"}, "CAP_SYS_NICE"},
    {{"keyctl", "add_key", "request_key", "pivot_root"}, nullptr},
};

// docker's decisions for the names of kDockerStricter and clone, clone3 and
// syslog; the names it decided are erased from OURS.
void expect_docker_decisions(Decisions& ours, const std::vector<std::string>& caps, const std::string& arch) {
  bool admin = has(caps, "CAP_SYS_ADMIN");
  for (auto& rule : kDockerStricter)
    for (auto& name : rule.names) {
      EXPECT_EQ(ours[name], rule.cap && has(caps, rule.cap) ? kAllow : kEperm) << name;
      ours.erase(name);
    }
  // clone without namespace flags (s390 passes them second); clone3 (whose
  // flags a filter cannot see) ENOSYS, so libcs fall back to clone.
  std::string masked = std::string("\"SCMP_ACT_ALLOW\" null [{\"index\":") +
                       (arch == "SCMP_ARCH_S390X" ? "1" : "0") +
                       ",\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]";
  EXPECT_EQ(ours["clone"], admin ? kAllow : std::multiset<std::string>{masked});
  EXPECT_EQ(ours["clone3"], admin ? kAllow : std::multiset<std::string>{"\"SCMP_ACT_ERRNO\" 38 []"});
  size_t syslog_rules = (admin ? 1 : 0) + (has(caps, "CAP_SYSLOG") ? 1 : 0);
  EXPECT_EQ(ours["syslog"].size(), syslog_rules);
  for (auto& d : ours["syslog"]) EXPECT_EQ(d, *kAllow.begin());
  for (const char* name : {"clone", "clone3", "syslog"}) ours.erase(name);
}

TEST(EngineSeccompDefault, DecidesAsPodmansDefaultOrStricterAsDockers) {
  auto podman = read_file(kPodmanProfile);
  ASSERT_TRUE(podman.has_value()) << kPodmanProfile
                                  << " is the reference: install golang-github-containers-common "
                                     "(scripts/install-deps.sh)";
  const auto& dflt = docker_default_capabilities();
  std::vector<std::vector<std::string>> cap_sets = {{}, dflt};
  // Every capability a rule of either profile depends on, added alone.
  for (const char* cap :
       {"CAP_DAC_READ_SEARCH", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_CHROOT", "CAP_SYS_MODULE",
        "CAP_SYS_PACCT", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG",
        "CAP_SYS_NICE", "CAP_SYSLOG", "CAP_BPF", "CAP_PERFMON"})
    cap_sets.push_back(with(dflt, cap));
  cap_sets.push_back(with(with(dflt, "CAP_SYS_ADMIN"), "CAP_SYSLOG"));
  std::set<std::string> stricter = {"clone", "clone3", "syslog"};
  for (auto& rule : kDockerStricter) stricter.insert(rule.names.begin(), rule.names.end());
  int compared = 0;
  for (const char* arch : {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64", "SCMP_ARCH_S390X", "SCMP_ARCH_PPC64LE"}) {
    for (auto& caps : cap_sets) {
      SeccompTarget t{.arch = arch, .caps = caps, .kernel = "6.18.0"};
      Filter ours = filter_of(kDefaultSeccompProfile, t);
      Filter ref = filter_of(*podman, t);
      SCOPED_TRACE(std::string(arch) + " with " + std::to_string(caps.size()) + " capabilities");
      EXPECT_EQ(ours.default_action, ref.default_action);
      EXPECT_EQ(ours.architectures, ref.architectures);
      expect_docker_decisions(ours.decisions, caps, arch);
      for (auto& name : stricter) ref.decisions.erase(name);
      EXPECT_EQ(ours.decisions, ref.decisions);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 4 * 17);
}

TEST(EngineSeccompDefault, DeniesTheDangerousAndAllowsTheUsual) {
  SeccompTarget t{.arch = "SCMP_ARCH_X86_64", .caps = docker_default_capabilities(), .kernel = "6.18.0"};
  Filter f = filter_of(kDefaultSeccompProfile, t);
  EXPECT_EQ(f.default_action, "\"SCMP_ACT_ERRNO\" 38");  // unknown: ENOSYS, so libcs fall back
  // ptrace too, as both allow it since kernel 4.8: the pid namespace and
  // CAP_SYS_PTRACE confine it.
  for (const char* allowed :
       {"read", "write", "openat", "execve", "clone", "mkdir", "socket", "chroot", "ptrace"})
    EXPECT_TRUE(f.decisions.contains(allowed)) << allowed;
  for (const char* denied : {"mount", "umount2", "unshare", "setns", "keyctl", "add_key", "init_module",
                             "kexec_load", "bpf", "reboot", "open_by_handle_at", "pivot_root"}) {
    auto it = f.decisions.find(denied);
    ASSERT_TRUE(it != f.decisions.end()) << denied << " is denied by default only: it should be EPERM";
    for (auto& d : it->second) EXPECT_TRUE(d.starts_with("\"SCMP_ACT_ERRNO\"")) << denied << ": " << d;
  }
  // With CAP_SYS_ADMIN (docker's --cap-add SYS_ADMIN), mount and unshare are allowed.
  t.caps.push_back("CAP_SYS_ADMIN");
  Filter admin = filter_of(kDefaultSeccompProfile, t);
  for (const char* allowed : {"mount", "umount2", "unshare", "setns"}) {
    auto it = admin.decisions.find(allowed);
    ASSERT_TRUE(it != admin.decisions.end()) << allowed;
    EXPECT_TRUE(it->second.contains("\"SCMP_ACT_ALLOW\" null []")) << allowed;
  }
}

}  // namespace
}  // namespace husk::engine
