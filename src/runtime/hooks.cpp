#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "linux/process.hpp"

namespace husk::runtime {
namespace {

Result<void> run_hook(const spec::Hook& h, const std::string& stage, const std::string& state_json,
                      const std::vector<std::string>* default_env) {
  auto in = HUSK_TRY(make_pipe("pipe for hook"));
  UniqueFd rd = std::move(in.read), wr = std::move(in.write);
  std::vector<char*> argv, envp;
  std::vector<std::string> args = h.args;
  if (args.empty()) args.push_back(h.path);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = h.env;
  if (env.empty() && default_env) env = *default_env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  // No env of its own and none given: ours, as runc's (Go's exec with a nil Env).
  char** hook_env = (h.env.empty() && !default_env) ? environ : envp.data();

  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork hook");
  if (pid == 0) {
    linux::reset_signals();
    ::dup2(rd.get(), STDIN_FILENO);
    // A hook's output must not land in the container's stdout pipe unasked:
    // runc lets it through to our stderr/stdout, and so do we.
    ::execve(h.path.c_str(), argv.data(), hook_env);
    ::_exit(127);
  }
  rd.reset();
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  (void)!::write(wr.get(), state_json.data(), state_json.size());
  wr.reset();
  int timeout_ms = h.timeout ? *h.timeout * 1000 : -1;
  if (pidfd) {
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return fail_code(ETIMEDOUT,
                       stage + " hook " + h.path + " timed out after " + std::to_string(*h.timeout) + "s");
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail_errno("wait for hook " + h.path);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  if (WIFSIGNALED(status))
    return fail_code(ECANCELED,
                     stage + " hook " + h.path + " killed by signal " + std::to_string(WTERMSIG(status)));
  return fail_code(ECANCELED,
                   stage + " hook " + h.path + " exited with status " + std::to_string(WEXITSTATUS(status)));
}

}  // namespace

Result<void> run_hooks(const std::vector<spec::Hook>& hooks, const std::string& stage,
                       const std::string& state_json, const std::vector<std::string>* default_env) {
  for (auto& h : hooks) HUSK_TRY(run_hook(h, stage, state_json, default_env));
  return {};
}

std::vector<Error> run_hooks_all(const std::vector<spec::Hook>& hooks, const std::string& stage,
                                 const std::string& state_json) {
  std::vector<Error> failures;
  for (auto& h : hooks)
    if (auto r = run_hook(h, stage, state_json, nullptr); !r) failures.push_back(r.error());
  return failures;
}

}  // namespace husk::runtime
