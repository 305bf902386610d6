// OCI hooks: run with the container's state on stdin, within their timeout.
#pragma once

#include <string>
#include <vector>

#include "spec/config.hpp"

namespace husk::runtime {

// A hook without `env` gets, as with runc, the environment of whoever runs it:
// DEFAULT_ENV (the container process's, for a hook the init runs), or our
// own when null (the runtime's, so the caller's PATH).
//
// Runs HOOKS in order; the first failure (non-zero exit, signal, timeout) stops
// the rest and is returned naming the stage and the hook's path.
Result<void> run_hooks(const std::vector<spec::Hook>& hooks, const std::string& stage,
                       const std::string& state_json, const std::vector<std::string>* default_env = nullptr);
// poststart and poststop: every hook runs whatever the others did (the spec:
// a failure is a warning); the failures are returned, one per hook.
std::vector<Error> run_hooks_all(const std::vector<spec::Hook>& hooks, const std::string& stage,
                                 const std::string& state_json);

}  // namespace husk::runtime
