// OCI hooks: run with the container's state on stdin, within their timeout.
#pragma once

#include <string>
#include <vector>

#include "spec/config.hpp"

namespace husk::runtime {

// Runs HOOKS in order; the first failure (non-zero exit, signal, timeout) stops
// the rest and is returned naming the stage and the hook's path.
Result<void> run_hooks(const std::vector<spec::Hook>& hooks, const std::string& stage,
                       const std::string& state_json);

}  // namespace husk::runtime
