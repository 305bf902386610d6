#include <iostream>

#include "cli/husk-runtime/commands.hpp"
#include "runtime/features.hpp"

namespace husk::cli {

void add_features(CLI::App& app, Invocation& inv) {
  auto* cmd = app.add_subcommand("features", "print what this runtime supports (runtime-spec features.md)");
  cmd->callback([&inv] {
    inv.action = [](const runtime::Context&) -> Result<int> {
      std::cout << runtime::features_json() << "\n";
      return 0;
    };
  });
}

}  // namespace husk::cli
