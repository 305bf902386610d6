// The config.json `husk-runtime spec` writes.
#pragma once

#include <string>

namespace husk::spec {

// `spec`: a default config.json like runc's; ROOTLESS maps the caller's ids.
std::string default_spec_json(bool rootless, unsigned uid, unsigned gid);

}  // namespace husk::spec
