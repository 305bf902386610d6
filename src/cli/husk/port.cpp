// `husk port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published
// ports. husk publishes none yet (its containers have no network, the
// host's, or another container's: bridge networking and -p are a later
// issue), so the list is empty and a port asked for is not published.
#include "cli/husk/commands.hpp"

namespace husk::cli {

namespace {

Result<int> port(const Context& ctx, const std::string& name, const std::string& private_port) {
  auto eng = HUSK_TRY(open_engine(ctx));
  auto rec = HUSK_TRY(eng.containers().find(name));
  if (private_port.empty()) return 0;
  std::string p = private_port.find('/') == std::string::npos ? private_port + "/tcp" : private_port;
  return fail_code(ENOENT, "no public port '" + p + "' published for " + rec.name);
}

}  // namespace

void add_port(CLI::App& app, Invocation& inv) {
  struct O {
    std::string name, port;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("port", "list a container's published ports (none yet: no -p in husk)");
  c->add_option("container", o->name, "name or id")->required();
  c->add_option("private_port", o->port, "PORT[/PROTO]");
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return port(ctx, o->name, o->port); }; });
}

}  // namespace husk::cli
