// docker's seccomp profile format (the one `--security-opt seccomp=FILE`
// reads: archMap, syscalls with names, includes/excludes by capability,
// architecture and kernel) as the runtime-spec's linux.seccomp object.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "spec/seccomp.hpp"

namespace husk::engine {

// What the profile's conditional rules are decided against.
struct SeccompTarget {
  std::string arch;               // the native one, as "SCMP_ARCH_X86_64"
  std::vector<std::string> caps;  // the container's bounding set, "CAP_SYS_ADMIN"
  std::string kernel;             // "6.1.0-18-amd64" (uname -r)
};
SeccompTarget native_seccomp_target(std::vector<std::string> caps);

// husk's default profile (share/seccomp-default.json, built in), in docker's
// format.
extern const std::string_view kDefaultSeccompProfile;

// The filter PROFILE gives TARGET, checked as config.json's linux.seccomp is.
Result<spec::Seccomp> seccomp_from_docker_profile(std::string_view profile, const SeccompTarget& target);

// PROFILE (one of husk's own, built in) for TARGET, converted once per
// store: STORE_ROOT/cache keeps each conversion with its key (a run then
// reads 7 kB of JSON instead of converting 17 kB).
Result<spec::Seccomp> cached_seccomp_from_docker_profile(const std::string& store_root,
                                                         std::string_view profile,
                                                         const SeccompTarget& target);

}  // namespace husk::engine
