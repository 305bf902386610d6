#include "cli/husk-runtime/commands.hpp"
#include "linux/signals.hpp"
#include "runtime/container.hpp"

namespace husk::cli {

void add_kill(CLI::App& app, Invocation& inv) {
  struct Opts {
    std::string id;
    std::string signal = "SIGTERM";
    bool all = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("kill", "send a signal (default SIGTERM) to a container's init");
  cmd->add_flag("-a,--all", o->all, "send it to every process of the container");
  cmd->add_option("id", o->id, "container id")->required();
  cmd->add_option("signal", o->signal, "signal name (TERM, SIGTERM) or number");
  cmd->callback([o, &inv] {
    inv.action = [o](const runtime::Context& ctx) -> Result<int> {
      // 0, as runc takes it: no signal, only whether the init is there.
      auto sig = o->signal == "0" ? std::optional<int>(0) : linux::signal_from_string(o->signal);
      if (!sig) return fail_code(EINVAL, "unknown signal \"" + o->signal + "\"");
      HUSK_TRY(runtime::kill_container(ctx, o->id, *sig, o->all));
      return 0;
    };
  });
}

}  // namespace husk::cli
