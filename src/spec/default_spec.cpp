// The config.json `husk-runtime spec` writes: the same defaults as runc's, so
// a bundle made for one runs under the other.
#include "spec/default_spec.hpp"

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "spec/capabilities.hpp"
#include "spec/version.hpp"

namespace husk::spec {

namespace {

Mount mount(std::string destination, std::string type, std::string source, std::vector<std::string> options) {
  Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

}  // namespace

Config default_config(bool rootless, unsigned uid, unsigned gid) {
  Config c;
  c.oci_version = std::string(kOciVersion);
  Process& p = c.process.emplace();
  p.terminal = true;
  p.args = {"sh"};
  p.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p.cwd = "/";
  std::vector<int> caps;
  for (const char* name : {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"})
    caps.push_back(*capability_from_name(name));
  p.capabilities = Capabilities{.bounding = caps, .effective = caps, .permitted = caps};
  p.rlimits = {Rlimit{RLIMIT_NOFILE, "RLIMIT_NOFILE", 1024, 1024}};
  p.no_new_privileges = true;
  c.root.path = "rootfs";
  c.root.readonly = true;
  c.hostname = "husk";
  c.mounts.push_back(mount("/proc", "proc", "proc", {}));
  c.mounts.push_back(mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  std::vector<std::string> devpts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
  if (!rootless) devpts.push_back("gid=5");
  c.mounts.push_back(mount("/dev/pts", "devpts", "devpts", devpts));
  c.mounts.push_back(
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  c.mounts.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (rootless) {
    c.mounts.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
  } else {
    c.mounts.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    c.mounts.push_back(
        mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  }
  Linux& l = c.linux;
  using enum NamespaceType;
  if (rootless) {
    // runc's (1.1) namespaces: no cgroup namespace unless asked for.
    l.namespaces = {{pid, ""}, {ipc, ""}, {uts, ""}, {mount, ""}, {user, ""}};
    l.uid_mappings = {IdMapping{0, uid, 1}};
    l.gid_mappings = {IdMapping{0, gid, 1}};
  } else {
    l.namespaces = {{pid, ""}, {network, ""}, {ipc, ""}, {uts, ""}, {mount, ""}};
    l.resources.emplace().devices = {DeviceRule{.allow = false, .type = 'a', .access = "rwm"}};
  }
  l.masked_paths = {"/proc/acpi",          "/proc/asound",     "/proc/kcore",       "/proc/keys",
                    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                    "/sys/firmware",       "/proc/scsi"};
  l.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return c;
}

std::string default_spec_json(bool rootless, unsigned uid, unsigned gid) {
  return config_to_json(default_config(rootless, uid, gid)).dump(1, '\t');
}

}  // namespace husk::spec
