#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

void add_start(CLI::App& app, Invocation& inv) {
  auto id = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("start", "run the process of a created container");
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([id, &inv] {
    inv.action = [id](const runtime::Context& ctx) -> Result<int> {
      HUSK_TRY(runtime::start_container(ctx, *id));
      return 0;
    };
  });
}

}  // namespace husk::cli
