// The config.json `husk-runtime spec` writes, and the one the engine starts
// each container from.
#pragma once

#include <string>

#include "spec/config.hpp"

namespace husk::spec {

// A default config like runc's; ROOTLESS maps the caller's ids (UID, GID).
Config default_config(bool rootless, unsigned uid, unsigned gid);
// The same, as `spec` writes it (tab-indented, as runc's).
std::string default_spec_json(bool rootless, unsigned uid, unsigned gid);

}  // namespace husk::spec
