// The runtime-spec "features" document: what this build of husk supports
// on this kernel (`husk-runtime features`).
#pragma once

#include <string>

namespace husk::runtime {

std::string features_json();

}  // namespace husk::runtime
