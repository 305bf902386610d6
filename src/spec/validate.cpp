// Semantic checks on a parsed config, in the spirit of runc's validator: what
// the kernel would reject later is refused here with the field's name.
#include <set>

#include "base/strings.hpp"
#include "spec/config.hpp"

namespace husk::spec {
namespace {

Error invalid(const std::string& what) { return Error(EINVAL, what); }

bool owns_new(const Config& c, NamespaceType t) {
  auto* ns = c.linux.find_namespace(t);
  return ns && ns->path.empty();
}
bool has_ns(const Config& c, NamespaceType t) { return c.linux.find_namespace(t) != nullptr; }

Result<void> validate_sysctl(const Config& c) {
  static const std::set<std::string> ipc_sysctls = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                                    "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                                    "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (auto& [key, value] : c.linux.sysctl) {
    (void)value;
    if (key.empty() || key.find("..") != std::string::npos || key.find('/') != std::string::npos)
      return fail(invalid("linux.sysctl: invalid key \"" + key + "\""));
    if (ipc_sysctls.contains(key) || starts_with(key, "fs.mqueue.")) {
      if (!has_ns(c, NamespaceType::ipc))
        return fail(invalid("linux.sysctl: " + key + " requires an ipc namespace"));
      continue;
    }
    if (starts_with(key, "net.")) {
      if (!has_ns(c, NamespaceType::network))
        return fail(invalid("linux.sysctl: " + key + " requires a network namespace"));
      continue;
    }
    // The OCI hostname field owns it (runc's rule and message; runc 1.1.5
    // lets kernel.domainname through, and so do we).
    if (key == "kernel.hostname")
      return fail(
          invalid("sysctl \"" + key + "\" is not allowed as it conflicts with the OCI \"hostname\" field"));
    if (key == "kernel.domainname") {
      if (!has_ns(c, NamespaceType::uts))
        return fail(invalid("linux.sysctl: " + key + " requires a uts namespace"));
      continue;
    }
    return fail(invalid("linux.sysctl: " + key + " is not in a separate kernel namespace"));
  }
  return {};
}

}  // namespace

bool supported_oci_version(std::string_view v) {
  // MAJOR.MINOR.PATCH[-suffix]; husk implements 1.0 through 1.3.
  auto dash = v.find_first_of("-+");
  auto core = v.substr(0, dash);
  auto parts = split(core, '.');
  if (parts.size() != 3) return false;
  auto major = parse_u64(parts[0]), minor = parse_u64(parts[1]), patch = parse_u64(parts[2]);
  if (!major || !minor || !patch) return false;
  return *major == 1 && *minor <= 3;
}

Result<void> validate_process(const Process& p) {
  if (p.args.empty()) return fail(invalid("process.args: must not be empty"));
  if (p.cwd.empty() || p.cwd[0] != '/')
    return fail(invalid("process.cwd: must be an absolute path, got \"" + p.cwd + "\""));
  for (auto& e : p.env)
    if (e.find('=') == std::string::npos || e[0] == '=')
      return fail(invalid("process.env: \"" + e + "\" is not KEY=VALUE"));
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
    return fail(invalid("process.oomScoreAdj: must be between -1000 and 1000"));
  for (auto& r : p.rlimits)
    if (r.soft > r.hard)
      return fail(invalid("process.rlimits: " + r.type + " soft limit exceeds hard limit"));
  return {};
}

Result<void> validate(const Config& c) {
  if (!supported_oci_version(c.oci_version))
    return fail(invalid("ociVersion: \"" + c.oci_version +
                        "\" is not supported (husk implements 1.0.0 through 1.3.x)"));
  if (c.root.path.empty()) return fail(invalid("root.path: must not be empty"));
  if (c.process) HUSK_TRY(validate_process(*c.process));

  for (auto& m : c.mounts) {
    if (m.destination.empty()) return fail(invalid("mounts: destination must not be empty"));
    if (clean_path(m.destination) == "/" && m.type != "bind")
      return fail(invalid("mounts: cannot mount over / (" + m.type + ")"));
  }
  for (auto& ns : c.linux.namespaces)
    if (!ns.path.empty() && ns.path[0] != '/')
      return fail(invalid("linux.namespaces: " + namespace_type_name(ns.type) +
                          " path must be absolute, got \"" + ns.path + "\""));

  bool new_user = owns_new(c, NamespaceType::user);
  bool maps = !c.linux.uid_mappings.empty() || !c.linux.gid_mappings.empty();
  if (new_user && (c.linux.uid_mappings.empty() || c.linux.gid_mappings.empty()))
    return fail(invalid("linux: a new user namespace requires uidMappings and gidMappings"));
  if (maps && !new_user) return fail(invalid("linux: uidMappings/gidMappings require a new user namespace"));
  if (!c.hostname.empty() && !has_ns(c, NamespaceType::uts))
    return fail(invalid("hostname: setting it requires a uts namespace"));
  if (!c.domainname.empty() && !has_ns(c, NamespaceType::uts))
    return fail(invalid("domainname: setting it requires a uts namespace"));
  if ((c.linux.boottime_offset || c.linux.monotonic_offset) && !owns_new(c, NamespaceType::time))
    return fail(invalid("linux.timeOffsets: require a new time namespace"));
  if (!has_ns(c, NamespaceType::mount))
    return fail(invalid("linux.namespaces: a mount namespace is required"));

  static const std::set<std::string> propagations = {
      "", "shared", "slave", "private", "rshared", "rslave", "rprivate", "unbindable", "runbindable"};
  if (!propagations.contains(c.linux.rootfs_propagation))
    return fail(invalid("linux.rootfsPropagation: unknown value \"" + c.linux.rootfs_propagation + "\""));
  // The spec asks for no /dev prefix, and runc makes a node anywhere in the
  // rootfs; only the root itself cannot become one.
  for (auto& d : c.linux.devices)
    if (d.path.empty() || d.path[0] != '/' || clean_path(d.path) == "/")
      return fail(invalid("linux.devices: path \"" + d.path + "\" must be an absolute path below /"));
  HUSK_TRY(validate_sysctl(c));
  return {};
}

}  // namespace husk::spec
