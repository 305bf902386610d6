// `husk update`: new resource limits for containers. A running (or paused)
// one gets them at once in its cgroup; every one keeps them in its bundle's
// config.json (what the next start runs with and inspect shows).
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/engine.hpp"
#include "engine/run_flags.hpp"

namespace husk::engine {

// CHANGES: the resource flags `update` was given. Returns docker's
// warnings for the caller to print.
Result<std::vector<std::string>> update_resources(const Engine& eng, const std::string& name_or_id,
                                                  const ResourceFlags& changes);

}  // namespace husk::engine
