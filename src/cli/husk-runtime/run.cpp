#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

void add_run(CLI::App& app, Invocation& inv) {
  struct Opts {
    runtime::CreateOptions create;
    bool detach = false;
    bool keep = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("run", "create and start a container; in the foreground, wait for it");
  add_create_flags(*cmd, o->create);
  cmd->add_flag("-d,--detach", o->detach, "do not wait for the container's process");
  cmd->add_flag("--keep", o->keep, "do not delete the container once its process exits");
  cmd->callback([o, &inv] {
    inv.action = [o](const runtime::Context& ctx) {
      return runtime::run_container(ctx, o->create, o->detach, o->keep);
    };
  });
}

}  // namespace husk::cli
