#include "engine/userns.hpp"

#include <nlohmann/json.hpp>

#include "engine/spec.hpp"

namespace husk::engine {

Result<void> apply_userns(const SpecContext&, const RunFlags& f, UsernsMode mode, nlohmann::ordered_json&) {
  if (mode == UsernsMode::host) return {};
  return fail_code(ENOTSUP, "--userns=" + f.userns + " is not supported yet");
}

}  // namespace husk::engine
