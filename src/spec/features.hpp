// The runtime-spec "features" document: what this build of husk supports.
#pragma once

#include <string>

namespace husk::spec {

std::string features_json();
// `spec`: a default config.json like runc's; ROOTLESS maps the caller's ids.
std::string default_spec_json(bool rootless, unsigned uid, unsigned gid);

}  // namespace husk::spec
