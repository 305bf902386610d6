// `husk exec [-i] [-t] [-d] [-e K=V] [--env-file F] [-u USER[:GROUP]] [-w DIR]
// [--privileged] CONTAINER CMD...`: a command in a running container. What
// follows CONTAINER is the command's, untouched by husk's flag parsing (see
// find_run_image).
#include <cstdio>

#include "cli/husk/commands.hpp"
#include "engine/exec.hpp"
#include "engine/health.hpp"

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

void add_exec(CLI::App& app, Invocation& inv) {
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

// `husk healthcheck run CONTAINER`: one run of its healthcheck, recorded
// as the monitor's are (podman's command; the monitor calls it). 0 when it
// passed; "unhealthy" and 1 when not; 125 when it cannot run.
void add_healthcheck(CLI::App& app, Invocation& inv) {
  auto name = std::make_shared<std::string>();
  auto* hc = app.add_subcommand("healthcheck", "a container's healthcheck");
  hc->require_subcommand(1);
  auto* run = hc->add_subcommand("run", "run its healthcheck once and record the result");
  run->add_option("container", *name, "name or id")->required();
  run->callback([name, &inv] {
    inv.action = [name](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      auto r = engine::run_healthcheck(eng, *name);
      if (!r) {
        std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
        return 125;
      }
      if (r->exit_code == 0) return 0;
      std::printf("unhealthy\n");
      return 1;
    };
  });
}

}  // namespace husk::cli
