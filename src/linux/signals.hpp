// Signal names as runc accepts them: "KILL", "SIGKILL", "9", "RTMIN+3";
// and the shell's exit status for a process a signal ended.
#pragma once

#include <sys/wait.h>

#include <optional>
#include <string>
#include <string_view>

namespace husk::linux {

std::optional<int> signal_from_string(std::string_view s);
std::string signal_name(int sig);

// Docker's exit status for a wait(2) status: the code, or 128+signal.
// (Inline: husk-monitor, a small program of its own, uses it without linking linux/.)
inline int exit_code_from_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace husk::linux
