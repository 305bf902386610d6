// `exec`: a new process inside a running container, in its namespaces and
// cgroup, with its own identity and capabilities.
#pragma once

#include <string>

#include "runtime/context.hpp"
#include "spec/config.hpp"

namespace husk::runtime {

struct ExecOptions {
  std::string id;
  spec::Process process;
  std::string console_socket;
  std::string pid_file;
  int preserve_fds = 0;
  bool detach = false;
  // runc's --ignore-paused: join a paused container (the process is frozen
  // with it until `resume`) instead of refusing.
  bool ignore_paused = false;
  // runc's --cgroup [CONTROLLER[,CONTROLLER]:]PATH: the process goes to that
  // (existing) sub-cgroup of the container's, for those controllers (all
  // without one).
  std::vector<std::string> sub_cgroups;
};

// The container's own process settings: the base `exec CMD...` starts from.
Result<spec::Process> container_process(const Context& ctx, const std::string& id);
// Detached: 0 once the process runs. Foreground: its exit code.
Result<int> exec_in_container(const Context& ctx, const ExecOptions& opts);

}  // namespace husk::runtime
