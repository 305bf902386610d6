// docker's security flags (--cap-add/--cap-drop, --privileged,
// --security-opt, --ulimit, --sysctl, --device, --oom-score-adj) as the
// process's and linux's fields of config.json, with docker's defaults and
// messages. The parsing is pure and unit-tested; apply_security (spec.hpp)
// puts it together.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/run_flags.hpp"

namespace husk::engine {

// What docker gives a container that asks for nothing.
const std::vector<std::string>& docker_default_capabilities();
// "net_admin", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; "all" -> "ALL".
Result<std::string> normalize_capability(const std::string& name);
// The capability set: docker's defaults, or all of them (--privileged or
// --cap-add ALL), less the drops, plus the adds. ALL_CAPS: what this kernel
// has; asked for only by --privileged and --cap-add ALL (it costs a probe
// of every capability, which a plain run need not pay).
Result<std::vector<std::string>> container_capabilities(
    const RunFlags& f, const std::function<std::vector<std::string>()>& all_caps);
inline Result<std::vector<std::string>> container_capabilities(const RunFlags& f,
                                                               const std::vector<std::string>& all_caps) {
  return container_capabilities(f, [&] { return all_caps; });
}

struct Ulimit {
  std::string type;  // RLIMIT_NOFILE
  int resource = 0;  // its number
  uint64_t soft = 0, hard = 0;
};
// nofile=1024[:2048]; -1 is unlimited.
Result<Ulimit> parse_ulimit(const std::string& value);

// K=V, checked against docker's list of namespaced sysctls and the
// namespaces the flags share with the host.
Result<std::pair<std::string, std::string>> parse_sysctl(const std::string& value, const RunFlags& f);

struct DeviceRequest {
  std::string host, container, access = "rwm";
};
// HOST[:CONTAINER][:rwm]
Result<DeviceRequest> parse_device(const std::string& value);

struct SecurityOptions {
  bool no_new_privileges = false;
  bool seccomp_unconfined = false;
  std::string seccomp_profile;   // a docker profile's path
  std::string apparmor_profile;  // apparmor=PROFILE ("unconfined": none)
  // label=user:U, role:R, type:T, level:L: the SELinux process label's parts
  // ("system_u:system_r:container_t:s0" for those not given); label=disable: none.
  std::string selinux_label;
};
Result<SecurityOptions> parse_security_opts(const std::vector<std::string>& opts);

}  // namespace husk::engine
