// Registry credentials at rest, and the base64 they are kept in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/registry.hpp"

namespace husk::image {

std::string base64_encode(std::string_view in);
// nullopt for text that is not base64.
std::optional<std::string> base64_decode(std::string_view in);

// The credentials store used by `husk login` / `husk logout` and by pulls:
// a docker-style JSON file {"auths": {"<domain>": {"auth": base64(user:pass)}}},
// created with mode 0600 (and refused when it is readable by others).
Result<std::optional<Credentials>> load_credentials(const std::string& auth_file, const std::string& domain);
Result<void> store_credentials(const std::string& auth_file, const std::string& domain, const Credentials& c);
Result<bool> remove_credentials(const std::string& auth_file, const std::string& domain);

}  // namespace husk::image
