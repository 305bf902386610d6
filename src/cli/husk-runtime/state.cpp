#include <iostream>

#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

void add_state(CLI::App& app, Invocation& inv) {
  auto id = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("state", "print the state of a container as JSON");
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([id, &inv] {
    inv.action = [id](const runtime::Context& ctx) -> Result<int> {
      auto s = HUSK_TRY(runtime::container_state(ctx, *id));
      std::cout << spec::state_to_spec_json(s) << "\n";
      return 0;
    };
  });
}

}  // namespace husk::cli
