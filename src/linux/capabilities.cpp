#include "linux/capabilities.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "spec/capabilities.hpp"
#include "spec/config.hpp"

namespace husk::linux {
namespace {

bool in(const std::vector<int>& v, int cap) {
  for (int c : v)
    if (c == cap) return true;
  return false;
}
}  // namespace

std::vector<std::string> all_capability_names() {
  std::vector<std::string> out;
  int last = std::min(last_capability(), spec::known_capability_count() - 1);
  for (int i = 0; i <= last; ++i) out.push_back(spec::capability_name(i));
  return out;
}

int last_capability() {
  int known_last = spec::known_capability_count() - 1;
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  if (!text) return known_last;
  auto v = parse_i64(trim(*text));
  return v ? static_cast<int>(*v) : known_last;
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
      return fail_errno("drop " + spec::capability_name(cap) + " from the bounding set");
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
        missing += (missing.empty() ? "" : ", ") + spec::capability_name(cap);
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
      return fail_errno("raise ambient " + spec::capability_name(cap));
  }
  return {};
}

}  // namespace husk::linux
