// `husk exec [-i] [-t] [-d] [-e K=V] [--env-file F] [-u USER[:GROUP]] [-w DIR]
// [--privileged] CONTAINER CMD...`: a command in a running container. What
// follows CONTAINER is the command's, untouched by husk's flag parsing (see
// find_run_image).
#include <cstdio>

#include "cli/husk/commands.hpp"
#include "engine/exec.hpp"

namespace husk::cli {

namespace {

// docker's codes: the command's own, 126/127 when it cannot be invoked or
// is not there; anything else (no such container, not running) is 1.
Result<int> exec(const Context& ctx, const engine::ExecRequest& req) {
  auto eng = HUSK_TRY(open_engine(ctx));
  auto r = engine::exec_in(eng, req);
  auto kind = r ? ErrorKind::failed : r.error().kind();
  if (kind == ErrorKind::command_not_found || kind == ErrorKind::command_not_executable) {
    std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
    return engine::exit_code_for(r.error());
  }
  return r;
}

}  // namespace

void add_exec_commands(CLI::App& app, Invocation& inv) {
  auto req = std::make_shared<engine::ExecRequest>();
  auto* c = app.add_subcommand("exec", "run a command in a running container");
  c->add_flag("-i,--interactive", req->interactive, "keep stdin open");
  c->add_flag("-t,--tty", req->tty, "a pseudo-terminal for the command");
  c->add_flag("-d,--detach", req->detach, "run it in the background");
  add_multi(c, "-e,--env", req->env, "KEY=VALUE, or KEY to take husk's own value");
  add_multi(c, "--env-file", req->env_files, "a file of KEY=VALUE lines");
  c->add_option("-u,--user", req->user, "user[:group], names from the container's /etc/passwd");
  c->add_option("-w,--workdir", req->workdir, "working directory (absolute)");
  c->add_flag("--privileged", req->privileged, "every capability");
  c->add_option("container", req->container, "name or id")->required();
  c->prefix_command();
  c->footer("Everything after CONTAINER is the command.");
  c->callback([req, &inv] {
    req->command = inv.command;
    inv.action = [req](const Context& ctx) { return exec(ctx, *req); };
  });
}

}  // namespace husk::cli
