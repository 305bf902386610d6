// Capability names as the runtime-spec spells them ("CAP_SYS_ADMIN"), and
// their numbers: config.json's capabilities, `--cap-add`, `exec --cap`.
// Pure data; what this kernel knows and applying the sets is linux/capabilities.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace husk::spec {

// "CAP_SYS_ADMIN" -> 21. Names are the spec's: upper case with the prefix.
std::optional<int> capability_from_name(std::string_view name);
// 21 -> "CAP_SYS_ADMIN"; one the table lacks -> "CAP_41".
std::string capability_name(int cap);
// How many capabilities the table names (numbered 0 .. count-1).
int known_capability_count();

}  // namespace husk::spec
