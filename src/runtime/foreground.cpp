#include "runtime/foreground.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/console.hpp"
#include "runtime/container.hpp"

namespace husk::runtime {

Result<SignalForwarder> SignalForwarder::install() {
  SignalForwarder f;
  sigset_t all;
  sigfillset(&all);
  if (::sigprocmask(SIG_BLOCK, &all, &f.old_) < 0) return fail_errno("block signals");
  f.restore_ = true;
  f.fd_ = UniqueFd(::signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!f.fd_) return fail_errno("signalfd");
  return f;
}

SignalForwarder::~SignalForwarder() {
  if (restore_ && fd_) ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

Result<int> supervise(pid_t child, int master, const SignalForwarder& signals) {
  std::optional<linux::RawTerminal> raw;
  if (master >= 0) {
    raw.emplace();
    linux::copy_window_size(STDIN_FILENO, master);
  }
  bool stdin_open = master >= 0;
  bool master_open = master >= 0;
  while (true) {
    struct pollfd fds[3] = {{signals.fd(), POLLIN, 0},
                            {master_open ? master : -1, POLLIN, 0},
                            {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll");
    }
    if (fds[1].revents & POLLIN) {
      if (auto moved = linux::pump(master, STDOUT_FILENO); !moved || *moved == 0) master_open = false;
    } else if (fds[1].revents & (POLLHUP | POLLERR)) {
      master_open = false;
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (auto moved = linux::pump(STDIN_FILENO, master); !moved || *moved == 0) stdin_open = false;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo si;
    while (::read(signals.fd(), &si, sizeof si) == sizeof si) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD) continue;
      if (sig == SIGWINCH) {
        if (master >= 0) linux::copy_window_size(STDIN_FILENO, master);
        continue;
      }
      ::kill(child, sig);
    }
    int status;
    pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child) {
      // Whatever the container wrote last is still in the pty.
      while (master_open) {
        struct pollfd p = {master, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
        if (auto moved = linux::pump(master, STDOUT_FILENO); !moved || *moved == 0) break;
      }
      return exit_code_from_wait_status(status);
    }
  }
}

}  // namespace husk::runtime
