// `husk update [flags] CONTAINER...`: docker's resource flags on existing
// containers; a running one changes at once.
#include <cstdio>
#include <iostream>

#include "cli/husk/commands.hpp"
#include "engine/resources.hpp"
#include "engine/update.hpp"

namespace husk::cli {

namespace {

struct UpdateOpts {
  engine::ResourceFlags changes;
  std::vector<std::string> names;
};

Result<int> update(const Context& ctx, const UpdateOpts& o) {
  if (!engine::asks_for_resources(o.changes)) {
    std::fprintf(stderr, "husk: you must provide one or more flags when using this command\n");
    return 125;
  }
  auto eng = HUSK_TRY(open_engine(ctx));
  for (auto& n : o.names) {
    auto warnings = engine::update_resources(eng, n, o.changes);
    if (!warnings) {
      std::fprintf(stderr, "husk: %s\n", warnings.error().what().c_str());
      // A value that does not parse is a usage error (docker's 125); a
      // refusal of a well-formed one is the command's failure (1).
      return warnings.error().kind() == ErrorKind::invalid_argument ? 125 : 1;
    }
    for (auto& w : *warnings) std::fprintf(stderr, "WARNING: %s\n", w.c_str());
    std::cout << n << "\n";
  }
  return 0;
}

}  // namespace

void add_update(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<UpdateOpts>();
  auto* c = app.add_subcommand("update", "change the resource limits of containers (live when they run)");
  add_resource_flags(c, o->changes);
  c->add_option("container", o->names, "names or ids")->required();
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return update(ctx, *o); }; });
}

}  // namespace husk::cli
