// A runtime that stays in the foreground (run, exec without -d): it forwards
// the signals it gets to the container's process, copies a terminal, and
// returns the process's exit code.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "base/fd.hpp"

namespace husk::runtime {

class SignalForwarder {
 public:
  // Blocks every forwardable signal now, before the child exists, so none is
  // lost; the child unblocks them for itself before exec.
  static Result<SignalForwarder> install();
  SignalForwarder(SignalForwarder&&) = default;
  ~SignalForwarder();
  int fd() const { return fd_.get(); }

 private:
  SignalForwarder() = default;
  UniqueFd fd_;
  sigset_t old_{};
  bool restore_ = false;
};

// Waits for CHILD to exit, forwarding signals and, when MASTER is a pty
// master, copying our stdin to it and its output to our stdout.
Result<int> supervise(pid_t child, int master, const SignalForwarder& signals);

}  // namespace husk::runtime
