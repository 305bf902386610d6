// Placeholder until the security flags land: any of them is refused.
#include <nlohmann/json.hpp>

#include "engine/spec.hpp"

namespace husk::engine {

Result<void> apply_security(const SpecContext&, const RunFlags& f, nlohmann::ordered_json&) {
  bool any = !f.cap_add.empty() || !f.cap_drop.empty() || f.privileged || !f.security_opt.empty() ||
             !f.ulimits.empty() || !f.sysctls.empty() || !f.devices.empty() || f.oom_score_adj;
  if (any) return fail_code(ENOTSUP, "security flags are not supported yet");
  return {};
}

}  // namespace husk::engine
