// Placeholder until the namespace flags land: any of them is refused.
#include <nlohmann/json.hpp>

#include "engine/spec.hpp"

namespace husk::engine {

Result<void> apply_namespaces(const SpecContext&, const RunFlags& f, nlohmann::ordered_json&) {
  if (!f.ipc.empty() || !f.pid.empty() || !f.uts.empty() || !f.network.empty() || !f.userns.empty() ||
      !f.cgroupns.empty() || !f.time_offset.empty() || !f.domainname.empty() || f.init)
    return fail_code(ENOTSUP, "namespace flags are not supported yet");
  return {};
}

}  // namespace husk::engine
