// `husk attach`: our terminal (or stdio) onto a running container's, through
// its monitor, until it exits or the detach keys leave it running.
#include "cli/husk/commands.hpp"
#include "engine/attach.hpp"

namespace husk::cli {

void add_attach(CLI::App& app, Invocation& inv) {
  struct O {
    std::string name, detach_keys;
    bool no_stdin = false;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("attach", "attach to a running container's input and output");
  c->add_option("--detach-keys", o->detach_keys, "the keys that detach (default ctrl-p,ctrl-q)");
  c->add_flag("--no-stdin", o->no_stdin, "do not attach stdin");
  c->add_option("container", o->name, "name or id")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      return engine::attach_to(eng, o->name, !o->no_stdin, o->detach_keys);
    };
  });
}

}  // namespace husk::cli
