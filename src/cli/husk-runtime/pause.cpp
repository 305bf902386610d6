#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

void add_pause(CLI::App& app, Invocation& inv) {
  for (bool pause : {true, false}) {
    auto id = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand(pause ? "pause" : "resume",
                                   pause ? "freeze every process of a container" : "thaw a paused container");
    cmd->add_option("id", *id, "container id")->required();
    cmd->callback([id, pause, &inv] {
      inv.action = [id, pause](const runtime::Context& ctx) -> Result<int> {
        HUSK_TRY(pause ? runtime::pause_container(ctx, *id) : runtime::resume_container(ctx, *id));
        return 0;
      };
    });
  }
}

}  // namespace husk::cli
