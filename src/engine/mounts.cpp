// Placeholder until the storage flags land: any of them is refused.
#include <nlohmann/json.hpp>

#include "engine/spec.hpp"

namespace husk::engine {

Result<void> apply_mounts(const SpecContext&, const RunFlags& f, nlohmann::ordered_json&) {
  if (!f.volumes.empty() || !f.tmpfs.empty() || !f.mounts.empty() || f.read_only)
    return fail_code(ENOTSUP, "volume and mount flags are not supported yet");
  return {};
}

}  // namespace husk::engine
