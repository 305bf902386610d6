// --userns: the container's root as an unprivileged id range of the host.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "engine/namespaces.hpp"
#include "engine/run_flags.hpp"

namespace husk::engine {

struct SpecContext;

Result<void> apply_userns(const SpecContext& ctx, const RunFlags& f, UsernsMode mode, nlohmann::ordered_json& spec);

}  // namespace husk::engine
