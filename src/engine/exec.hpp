// `husk exec`: a new process in a running container, through the runtime
// library in this process. It starts from the container's own process
// (env, user, cwd, capabilities, rlimits) and takes docker's overrides.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/engine.hpp"
#include "spec/config.hpp"

namespace husk::engine {

struct ExecRequest {
  std::string container;
  std::vector<std::string> command;
  std::vector<std::string> env;        // -e K=V, or K (husk's own value; skipped when unset)
  std::vector<std::string> env_files;  // --env-file
  std::string user;                    // -u user[:group], names from the container's /etc/passwd
  std::string workdir;                 // -w, absolute
  bool tty = false, interactive = false, detach = false, privileged = false;
  std::string pid_file;  // the process's host pid is written there once it runs
};

// The process to run: BASE (the container's) with REQ's overrides; ROOTFS
// is where the container's /etc/passwd is read (its /proc/PID/root).
Result<spec::Process> exec_process(spec::Process base, const ExecRequest& req, const std::string& rootfs);

// "K=V" lines of an env file (blank lines and #comments skipped; a bare K
// takes husk's own value, or is dropped when husk has none).
Result<std::vector<std::string>> read_env_file(const std::string& path);
// BASE with each of OVERRIDES replacing the entry of the same key, or added.
std::vector<std::string> merge_env(std::vector<std::string> base, const std::vector<std::string>& overrides);

// Runs it: the command's exit code (foreground), 0 once it runs (detach).
// The command failing to start is an error of kind command_not_found or
// command_not_executable (exit_code_for gives docker's 127/126); a container
// that does not run is EINVAL.
Result<int> exec_in(const Engine& eng, const ExecRequest& req);

}  // namespace husk::engine
