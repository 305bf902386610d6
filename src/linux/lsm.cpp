#include "linux/lsm.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <tuple>

#include "base/fd.hpp"
#include "base/file.hpp"

namespace husk::linux {

namespace {

// The kernel takes an attribute in a single write, to this thread's entry.
Result<void> write_attr(const std::string& path, const std::string& value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) return fail_errno("write \"" + value + "\" to " + path);
  if (static_cast<size_t>(n) != value.size()) return fail_code(EIO, "short write to " + path);
  return {};
}

std::string thread_attr(const std::string& proc_root, const std::string& name) {
  return proc_root + "/thread-self/attr/" + name;
}

}  // namespace

bool apparmor_enabled(const std::string& sys_root) {
  auto v = read_file(sys_root + "/module/apparmor/parameters/enabled");
  return v && v->starts_with("Y");
}

bool selinux_enabled(const std::string& proc_root) {
  // selinuxfs is listed once the kernel has SELinux (and it is not disabled).
  auto fs = read_file(proc_root + "/filesystems");
  return fs && fs->find("\tselinuxfs\n") != std::string::npos;
}

Result<void> set_apparmor_exec_profile(const std::string& profile, const std::string& proc_root) {
  // Kernels with stacked LSMs have AppArmor's own directory; older ones
  // share attr/exec.
  std::string own = thread_attr(proc_root, "apparmor/exec");
  std::string path = ::access(own.c_str(), F_OK) == 0 ? own : thread_attr(proc_root, "exec");
  HUSK_TRY_CTX(write_attr(path, "exec " + profile), "apparmor profile " + profile);
  return {};
}

Result<void> set_selinux_exec_label(const std::string& label, const std::string& proc_root) {
  HUSK_TRY_CTX(write_attr(thread_attr(proc_root, "exec"), label), "selinux label " + label);
  return {};
}

std::string with_mount_label(const std::string& data, const std::string& label) {
  if (label.empty() || data.find("context=") != std::string::npos) return data;
  std::string opt = "context=\"" + label + "\"";
  return data.empty() ? opt : data + "," + opt;
}

LsmPlan plan_lsm(const std::string& apparmor_profile, const std::string& selinux_label,
                 const std::string& mount_label, const std::string& sys_root, const std::string& proc_root) {
  LsmPlan plan;
  if (!apparmor_profile.empty()) {
    if (apparmor_enabled(sys_root))
      plan.apparmor_profile = apparmor_profile;
    else
      plan.unapplied.push_back("process.apparmorProfile \"" + apparmor_profile +
                               "\" is not applied: AppArmor is not enabled on this host");
  }
  if (selinux_label.empty() && mount_label.empty()) return plan;
  bool selinux = selinux_enabled(proc_root);
  for (auto [value, field, kept] : {std::tuple{&selinux_label, "process.selinuxLabel", &plan.selinux_label},
                                    std::tuple{&mount_label, "linux.mountLabel", &plan.mount_label}}) {
    if (value->empty()) continue;
    if (selinux)
      *kept = *value;
    else
      plan.unapplied.push_back(std::string(field) + " \"" + *value + "\" is not applied: SELinux is not enabled on this host");
  }
  return plan;
}

Result<void> apply_exec_labels(const LsmPlan& plan) {
  if (!plan.apparmor_profile.empty()) HUSK_TRY(set_apparmor_exec_profile(plan.apparmor_profile));
  if (!plan.selinux_label.empty()) HUSK_TRY(set_selinux_exec_label(plan.selinux_label));
  return {};
}

}  // namespace husk::linux
