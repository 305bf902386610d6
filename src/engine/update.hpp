// `husk update`: new resource limits for containers. A running (or paused)
// one gets them at once in its cgroup; every one keeps them in its bundle's
// config.json (what the next start runs with) and in its record's flags
// (what inspect shows).
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/engine.hpp"
#include "engine/run_flags.hpp"

namespace husk::engine {

// CHANGES: a RunFlags with only the resource flags `update` was given.
// Returns docker's warnings for the caller to print.
Result<std::vector<std::string>> update_resources(const Engine& eng, const std::string& name_or_id,
                                                  const RunFlags& changes);

// The resource flags of CHANGES that are set, over BASE's.
RunFlags with_resource_changes(RunFlags base, const RunFlags& changes);

}  // namespace husk::engine
