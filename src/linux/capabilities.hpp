// Linux capabilities: which this kernel knows, and applying the five sets.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "spec/capabilities.hpp"

namespace husk::spec {
struct Capabilities;
struct Process;
}  // namespace husk::spec

namespace husk::linux {

// The names of the capabilities this kernel knows (spec/capabilities.hpp
// has the whole table).
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
