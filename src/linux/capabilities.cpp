#include "linux/capabilities.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "spec/config.hpp"

namespace husk::linux {
namespace {
// The kernel's capabilities as of Linux 6.x (0 .. CAP_CHECKPOINT_RESTORE).
constexpr std::string_view kNames[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
constexpr int kKnown = static_cast<int>(std::size(kNames));

bool in(const std::vector<int>& v, int cap) {
  for (int c : v)
    if (c == cap) return true;
  return false;
}
}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  for (int i = 0; i < kKnown; ++i)
    if (kNames[i] == name) return i;
  return std::nullopt;
}

std::string capability_name(int cap) {
  if (cap >= 0 && cap < kKnown) return std::string(kNames[cap]);
  return "CAP_" + std::to_string(cap);
}

std::vector<std::string> all_capability_names() {
  std::vector<std::string> out;
  int last = std::min(last_capability(), kKnown - 1);
  for (int i = 0; i <= last; ++i) out.emplace_back(kNames[i]);
  return out;
}

int last_capability() {
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  if (!text) return kKnown - 1;
  auto v = parse_i64(trim(*text));
  return v ? static_cast<int>(*v) : kKnown - 1;
}

bool may_hold(const spec::Process& p, int cap) {
  if (!p.capabilities) return true;
  const auto& bounding = p.capabilities->bounding;
  return std::find(bounding.begin(), bounding.end(), cap) != bounding.end();
}

Result<void> drop_bounding_set(const spec::Capabilities& caps) {
  int last = last_capability();
  for (int cap = 0; cap <= last; ++cap) {
    if (in(caps.bounding, cap)) continue;
    // Dropping one that is already gone succeeds: no need to read first.
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
      return fail_errno("drop " + capability_name(cap) + " from the bounding set");
  }
  return {};
}

Result<void> apply_capabilities(const spec::Capabilities& caps) {
  int last = last_capability();
  cap_t c = cap_init();
  if (!c) return fail_errno("cap_init");
  auto set = [&](const std::vector<int>& list, cap_flag_t flag) {
    for (int cap : list) {
      if (cap > last) continue;  // older kernel: the spec says ignore
      cap_value_t v = cap;
      cap_set_flag(c, flag, 1, &v, CAP_SET);
    }
  };
  set(caps.effective, CAP_EFFECTIVE);
  set(caps.permitted, CAP_PERMITTED);
  set(caps.inheritable, CAP_INHERITABLE);
  int r = cap_set_proc(c);
  int saved = errno;
  cap_free(c);
  if (r < 0) {
    // Name what we could not get: usually a capability the host itself lacks.
    std::string missing;
    for (int cap : caps.permitted)
      if (cap <= last && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) <= 0)
        missing += (missing.empty() ? "" : ", ") + capability_name(cap);
    return fail_code(saved,
                     "set capabilities" +
                         (missing.empty() ? "" : " (not in the runtime's bounding set: " + missing + ")"));
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return fail_errno("clear ambient capabilities");
  // The kernel only lets a capability be ambient when it is also permitted
  // and inheritable; `runc spec` lists ambient ones without inheritable.
  // Like runc and crun, those are skipped, not fatal.
  for (int cap : caps.ambient) {
    if (cap > last || !in(caps.permitted, cap) || !in(caps.inheritable, cap)) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return fail_errno("raise ambient " + capability_name(cap));
  }
  return {};
}

}  // namespace husk::linux
