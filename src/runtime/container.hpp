// The container lifecycle behind husk-runtime's commands (and, later, the
// engine): create, start, run, state, kill, delete, list, ps.
#pragma once

#include <sys/wait.h>

#include <string>
#include <vector>

#include "runtime/context.hpp"
#include "spec/state.hpp"

namespace husk::runtime {

struct CreateOptions {
  std::string id;
  std::string bundle;  // default: the current directory
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  // systemd socket activation (LISTEN_FDS/LISTEN_PID naming us): fds
  // 3..3+N-1 pass into the init before the preserved ones, and its env
  // gets LISTEN_FDS=N and LISTEN_PID=1.
  int listen_fds = 0;
  bool no_pivot = false;
  bool no_new_keyring = false;
  // The caller's fds the init closes first: it holds the others until it
  // execs, and may wait for `start` longer than the caller lives (husk's
  // monitor: the pipe whose end tells `husk run -d` the monitor is gone).
  std::vector<int> close_in_init;
};

Result<void> create_container(const Context& ctx, const CreateOptions& opts);
Result<void> start_container(const Context& ctx, const std::string& id);
// create + start; in the foreground it forwards signals, proxies a terminal,
// deletes the container when it exits (unless KEEP: runc's --keep leaves it
// stopped, for `state` and `delete`) and returns its exit code.
Result<int> run_container(const Context& ctx, const CreateOptions& opts, bool detach, bool keep = false);
Result<spec::State> container_state(const Context& ctx, const std::string& id);
Result<void> kill_container(const Context& ctx, const std::string& id, int signal, bool all);
Result<void> delete_container(const Context& ctx, const std::string& id, bool force);
Result<void> pause_container(const Context& ctx, const std::string& id);
Result<void> resume_container(const Context& ctx, const std::string& id);
Result<std::vector<spec::State>> list_containers(const Context& ctx);
Result<std::vector<int>> container_pids(const Context& ctx, const std::string& id);

}  // namespace husk::runtime
