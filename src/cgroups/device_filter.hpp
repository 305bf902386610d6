// Device rules on cgroup v2: v2 has no devices.allow/deny files; instead an
// eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup
// says yes or no to each open/mknod. The program checks the rules from the
// last to the first, so a later rule overrides an earlier one, as v1 does;
// a request no rule matches is allowed, as in a fresh v1 cgroup (a config's
// rules start with "deny everything").
#pragma once

#include <linux/bpf.h>

#include <vector>

#include "base/error.hpp"
#include "spec/resources.hpp"

namespace husk::cgroups {

std::vector<bpf_insn> compile_device_filter(const std::vector<spec::DeviceRule>& rules);

// Loads the program and attaches it to the cgroup directory CGROUP_DIR,
// replacing every device program attached there before (an update).
Result<void> install_device_filter(const std::string& cgroup_dir, const std::vector<spec::DeviceRule>& rules);

}  // namespace husk::cgroups
