// The environment docker gives a container from --env-file and -e: files
// first, then -e; "K=V" sets, a bare "K" takes K from the caller's own
// environment (and sets nothing when the caller has no K).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk::engine {

using EnvLookup = std::function<std::optional<std::string>(const std::string& key)>;

// The caller's environment (getenv).
EnvLookup process_env();

// FILES' lines (blank and #comment lines skipped), then ENV, as K=V.
Result<std::vector<std::string>> resolve_env(const std::vector<std::string>& files,
                                             const std::vector<std::string>& env, const EnvLookup& lookup);

// One env-file's text (WHERE names it in errors).
Result<std::vector<std::string>> parse_env_file(const std::string& text, const std::string& where,
                                                const EnvLookup& lookup);

}  // namespace husk::engine
