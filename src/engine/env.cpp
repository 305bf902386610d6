#include "engine/env.hpp"

#include <cstdlib>

#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::engine {

namespace {

// "K=V" as it is; "K" from LOOKUP, or nothing. A key is never empty and,
// as docker says, never holds whitespace.
Result<std::optional<std::string>> one_var(const std::string& item, const std::string& where,
                                           const EnvLookup& lookup) {
  auto eq = item.find('=');
  std::string key = item.substr(0, eq);
  if (key.empty()) return fail_code(EINVAL, where + ": invalid environment variable \"" + item + "\": no name");
  if (key.find_first_of(" \t") != std::string::npos)
    return fail_code(EINVAL, where + ": variable \"" + key + "\" contains whitespaces");
  if (eq != std::string::npos) return std::optional<std::string>(item);
  auto value = lookup(key);
  if (!value) return std::optional<std::string>();
  return std::optional<std::string>(key + "=" + *value);
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& key) -> std::optional<std::string> {
    const char* v = std::getenv(key.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<std::vector<std::string>> parse_env_file(const std::string& text, const std::string& where,
                                                const EnvLookup& lookup) {
  std::vector<std::string> out;
  int n = 0;
  for (auto& raw : split(text, '\n')) {
    ++n;
    std::string line = raw;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Leading whitespace goes (docker trims it); the value keeps the rest.
    line.erase(0, line.find_first_not_of(" \t"));
    if (line.empty() || line[0] == '#') continue;
    auto var = HUSK_TRY(one_var(line, where + " line " + std::to_string(n), lookup));
    if (var) out.push_back(std::move(*var));
  }
  return out;
}

Result<std::vector<std::string>> resolve_env(const std::vector<std::string>& files,
                                             const std::vector<std::string>& env, const EnvLookup& lookup) {
  std::vector<std::string> out;
  for (auto& f : files) {
    auto text = read_file(f);
    if (!text) return fail(std::move(text).error().context("--env-file " + f));
    auto vars = HUSK_TRY(parse_env_file(*text, "--env-file " + f, lookup));
    out.insert(out.end(), vars.begin(), vars.end());
  }
  for (auto& e : env) {
    auto var = HUSK_TRY(one_var(e, "-e", lookup));
    if (var) out.push_back(std::move(*var));
  }
  return out;
}

}  // namespace husk::engine
