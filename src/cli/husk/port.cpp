// `husk port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published
// ports while it runs, as docker prints them ("80/tcp -> 0.0.0.0:8080").
#include <iostream>

#include "cli/husk/commands.hpp"
#include "engine/network.hpp"

namespace husk::cli {

namespace {

Result<int> port(const Context& ctx, const std::string& name, const std::string& private_port) {
  auto eng = HUSK_TRY(open_engine(ctx));
  auto rec = HUSK_TRY(eng.containers().find(name));
  auto eps = engine::endpoints_of(eng.run_root(), rec.id);
  std::string want = private_port.empty() || private_port.find('/') != std::string::npos
                         ? private_port
                         : private_port + "/tcp";
  bool found = false;
  for (auto& p : eps.empty() ? std::vector<net::Published>{} : eps[0].ports) {
    std::string key = std::to_string(p.port) + "/" + p.proto;
    std::string host =
        (p.host_address ? p.host_address->str() : "0.0.0.0") + ":" + std::to_string(p.host_port);
    if (want.empty()) {
      std::cout << key << " -> " << host << "\n";
    } else if (key == want) {
      std::cout << host << "\n";
      found = true;
    }
  }
  if (!want.empty() && !found)
    return fail_code(ENOENT, "No public port '" + want + "' published for " + rec.name);
  return 0;
}

}  // namespace

void add_port(CLI::App& app, Invocation& inv) {
  struct O {
    std::string name, port;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("port", "list a container's published ports");
  c->add_option("container", o->name, "name or id")->required();
  c->add_option("private_port", o->port, "PORT[/PROTO]");
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return port(ctx, o->name, o->port); }; });
}

}  // namespace husk::cli
