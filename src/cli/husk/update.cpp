// `husk update [flags] CONTAINER...`: docker's resource flags on existing
// containers; a running one changes at once.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/husk/commands.hpp"
#include "engine/update.hpp"

namespace husk::cli {

namespace {

struct UpdateOpts {
  engine::RunFlags changes;
  std::vector<std::string> names;
};

bool any_change(const engine::RunFlags& c) {
  return engine::to_json(engine::with_resource_changes(engine::RunFlags{}, c)) !=
         engine::to_json(engine::RunFlags{});
}

Result<int> update(const Context& ctx, const UpdateOpts& o) {
  if (!any_change(o.changes)) {
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
