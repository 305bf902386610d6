// `husk top CONTAINER [ps OPTIONS]`: the container's processes as the host's
// ps shows them (default -ef), as docker's top: ps runs on the host and only
// the rows of the container's processes (its cgroup's) are kept.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>

#include "base/strings.hpp"
#include "cli/husk/commands.hpp"

namespace husk::cli {

namespace {

// ps's output, run with ARGS (no shell).
Result<std::string> run_ps(const std::vector<std::string>& args) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) return fail_errno("pipe for ps");
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork ps");
  if (pid == 0) {
    ::dup2(pipefd[1], STDOUT_FILENO);
    std::vector<char*> argv{const_cast<char*>("ps")};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp("ps", argv.data());
    std::perror("husk: exec ps");
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail_code(EINVAL,
                     "ps " + join(args, " ") + " failed (exit " + std::to_string(WEXITSTATUS(status)) + ")");
  return out;
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  for (auto& w : split(line, ' '))
    if (!w.empty()) out.push_back(w);
  return out;
}

Result<int> top(const Context& ctx, const std::string& name, std::vector<std::string> ps_args) {
  auto eng = HUSK_TRY(open_engine(ctx));
  auto pids = HUSK_TRY(eng.pids(name));
  std::set<std::string> ours;
  for (int p : pids) ours.insert(std::to_string(p));
  if (ps_args.empty()) ps_args = {"-ef"};
  auto lines = split(HUSK_TRY(run_ps(ps_args)), '\n');
  auto header = fields(lines.empty() ? "" : lines[0]);
  auto col = std::find(header.begin(), header.end(), "PID");
  if (col == header.end())
    return fail_code(EINVAL, "ps " + join(ps_args, " ") + " shows no PID column: husk top needs it");
  size_t at = static_cast<size_t>(col - header.begin());
  std::cout << lines[0] << "\n";
  for (size_t i = 1; i < lines.size(); ++i) {
    auto f = fields(lines[i]);
    if (f.size() > at && ours.contains(f[at])) std::cout << lines[i] << "\n";
  }
  return 0;
}

}  // namespace

void add_top(CLI::App& app, Invocation& inv) {
  auto name = std::make_shared<std::string>();
  auto* c = app.add_subcommand("top", "show a container's processes (the host's ps, default -ef)");
  c->add_option("container", *name, "name or id")->required();
  c->prefix_command();
  c->footer("Everything after CONTAINER is passed to ps.");
  c->callback([name, &inv] {
    inv.action = [name, args = inv.command](const Context& ctx) { return top(ctx, *name, args); };
  });
}

}  // namespace husk::cli
