// Linux security modules that may confine a container's process: AppArmor
// (process.apparmorProfile) and SELinux (process.selinuxLabel,
// linux.mountLabel). The process's profile or label is set for its execve
// (/proc/self/attr/.../exec), so the runtime's own code before that is not
// confined by it, as with runc. A host without the module cannot apply
// them: the runtime says so, neither failing nor pretending.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk::linux {

// Whether the running kernel enforces the module (PROC_ROOT/SYS_ROOT: where
// proc and sysfs are, for tests).
bool apparmor_enabled(const std::string& sys_root = "/sys");
bool selinux_enabled(const std::string& proc_root = "/proc");

// For this thread's next execve.
Result<void> set_apparmor_exec_profile(const std::string& profile, const std::string& proc_root = "/proc");
Result<void> set_selinux_exec_label(const std::string& label, const std::string& proc_root = "/proc");

// A mount's data with SELinux's context= option for LABEL (unchanged when
// LABEL is empty or DATA names a context already).
std::string with_mount_label(const std::string& data, const std::string& label);

// What of a process's settings this host applies, decided once in the
// runtime (the modules are looked for only when a setting asks for one):
// the applicable ones kept, one message for each of the others.
struct LsmPlan {
  std::string apparmor_profile, selinux_label, mount_label;
  std::vector<std::string> unapplied;
};
LsmPlan plan_lsm(const std::string& apparmor_profile, const std::string& selinux_label,
                 const std::string& mount_label, const std::string& sys_root = "/sys",
                 const std::string& proc_root = "/proc");
// The plan's profile and label for this thread's next execve.
Result<void> apply_exec_labels(const LsmPlan& plan);

}  // namespace husk::linux
