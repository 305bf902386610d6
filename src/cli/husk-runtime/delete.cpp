#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

void add_delete(CLI::App& app, Invocation& inv) {
  struct Opts {
    std::string id;
    bool force = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("delete", "delete a container and everything it holds");
  cmd->add_flag("-f,--force", o->force, "kill it first if it is still running; a missing one is fine");
  cmd->add_option("id", o->id, "container id")->required();
  cmd->callback([o, &inv] {
    inv.action = [o](const runtime::Context& ctx) -> Result<int> {
      HUSK_TRY(runtime::delete_container(ctx, o->id, o->force));
      return 0;
    };
  });
}

}  // namespace husk::cli
