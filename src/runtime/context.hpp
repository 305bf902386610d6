// What every runtime operation needs to know about this invocation: the
// global flags, as a value passed down (no globals).
#pragma once

#include <string>

#include "base/log.hpp"

namespace husk::runtime {

struct Context {
  std::string root = "/run/husk";  // --root: where container state lives
  const Logger* log = nullptr;
  bool systemd_cgroup = false;
  bool rootless = false;
  // Compiled seccomp programs (linux/seccomp.hpp), under the state root.
  std::string seccomp_cache() const { return root + "/.seccomp-cache"; }
};

}  // namespace husk::runtime
