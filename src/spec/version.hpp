// The runtime-spec version husk writes (`husk-runtime spec`, the engine's
// bundles) and, in words, the ones it takes (supported_oci_version in
// spec/config.hpp decides).
#pragma once

#include <string_view>

namespace husk::spec {

inline constexpr std::string_view kOciVersion = "1.2.0";
inline constexpr std::string_view kOciVersionsAccepted = "1.0.0 through 1.3.x";

}  // namespace husk::spec
