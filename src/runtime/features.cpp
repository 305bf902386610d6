#include "runtime/features.hpp"

#include <nlohmann/json.hpp>

#include "linux/capabilities.hpp"
#include "linux/mount_options.hpp"
#include "linux/seccomp.hpp"
#include "spec/config.hpp"
#include "spec/seccomp.hpp"

namespace husk::runtime {

std::string features_json() {
  using ojson = nlohmann::ordered_json;
  ojson f;
  f["ociVersionMin"] = "1.0.0";
  f["ociVersionMax"] = "1.3.0";
  f["hooks"] = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
  f["mountOptions"] = linux::known_mount_option_names();
  ojson l;
  ojson ns = ojson::array();
  for (auto t : spec::kAllNamespaceTypes) ns.push_back(spec::namespace_type_name(t));
  l["namespaces"] = ns;
  l["capabilities"] = linux::all_capability_names();
  // Every linux.resources field on v1, hybrid and v2 (rdma.max included);
  // the systemd driver is not implemented, and this document says so.
  l["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", true}};
  l["seccomp"] = {{"enabled", true},
                  {"actions", spec::seccomp_action_names()},
                  {"operators", spec::seccomp_op_names()},
                  {"archs", spec::seccomp_arch_names()},
                  {"knownFlags", spec::seccomp_flag_names()},
                  {"supportedFlags", linux::supported_seccomp_flags()}};
  l["apparmor"] = {{"enabled", true}};  // applied where the host enables it (else a warning)
  l["selinux"] = {{"enabled", true}};
  l["intelRdt"] = {{"enabled", false}};
  // Id-mapped binds (idmap, ridmap, or mappings on a bind): the runtime
  // makes them with mount_setattr(MOUNT_ATTR_IDMAP), kernel 5.12 and later.
  l["mountExtensions"] = {{"idmap", {{"enabled", true}}}};
  f["linux"] = l;
  f["annotations"] = {{"io.github.husk.runtime", "husk-runtime"}};
  return f.dump(4);
}

}  // namespace husk::runtime
