#include "base/program.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "base/fd.hpp"
#include "base/strings.hpp"

namespace husk {

Result<void> run_program(const std::vector<std::string>& argv, const std::string& what,
                         const ProgramOptions& opts) {
  if (argv.empty()) return fail_code(EINVAL, what + ": no program");
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto p = HUSK_TRY(make_pipe("pipe for " + what));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork for " + what);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(devnull, STDOUT_FILENO);
    ::dup2(p.write.get(), STDERR_FILENO);
    if (opts.new_session) ::setsid();
    if (opts.netns_fd >= 0 && ::setns(opts.netns_fd, CLONE_NEWNET) < 0) {
      // No allocation between fork and exec: the message in pieces.
      const char* err = std::strerror(errno);
      (void)!::write(STDERR_FILENO, what.data(), what.size());
      (void)!::write(STDERR_FILENO, ": enter its network namespace: ", 31);
      (void)!::write(STDERR_FILENO, err, std::strlen(err));
      ::_exit(126);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  p.write.reset();
  std::string said;
  char buf[1024];
  for (ssize_t n; (n = ::read(p.read.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    said.append(buf, static_cast<size_t>(n));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return {};
  std::string msg = trim(said);
  return fail_code(EIO, msg.empty() ? what + " failed" : msg);
}

}  // namespace husk
