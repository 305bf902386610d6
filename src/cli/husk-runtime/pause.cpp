// `pause ID` and `resume ID`: freeze and thaw every process of a container.
#include "cli/husk-runtime/commands.hpp"
#include "runtime/container.hpp"

namespace husk::cli {
namespace {

void add_pause_or_resume(CLI::App& app, Invocation& inv, bool pause) {
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

}  // namespace

void add_pause(CLI::App& app, Invocation& inv) { add_pause_or_resume(app, inv, true); }
void add_resume(CLI::App& app, Invocation& inv) { add_pause_or_resume(app, inv, false); }

}  // namespace husk::cli
