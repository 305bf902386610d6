// What a stored container is now: its live status (from /proc, the start
// pipe and the freezer) and its cgroup. Shared by the lifecycle commands.
#pragma once

#include "cgroups/manager.hpp"
#include "spec/state.hpp"

namespace husk::runtime {

Result<cgroups::Manager> cgroup_manager_for(const spec::State& s);
spec::Status live_status(const spec::State& s);

}  // namespace husk::runtime
