// Linux capabilities: names <-> numbers, and applying the five sets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace husk::spec {
struct Capabilities;
struct Process;
}  // namespace husk::spec

namespace husk::linux {

// "CAP_SYS_ADMIN" -> 21. Names are the spec's: upper case with the prefix.
std::optional<int> capability_from_name(std::string_view name);
std::string capability_name(int cap);
std::vector<std::string> all_capability_names();
// The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap).
int last_capability();

// Whether process P can ever hold CAP: its bounding set keeps it (with no
// capabilities object the bounding set stays whole, as with runc), and a
// root process regains it on execve.
bool may_hold(const spec::Process& p, int cap);

// Drops everything outside the bounding set; call while still privileged.
Result<void> drop_bounding_set(const spec::Capabilities& caps);
// Sets effective/permitted/inheritable, then raises ambient; call after the
// uid switch (with PR_SET_KEEPCAPS held across it).
Result<void> apply_capabilities(const spec::Capabilities& caps);

}  // namespace husk::linux
