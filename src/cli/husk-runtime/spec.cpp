#include <fcntl.h>
#include <unistd.h>

#include "base/file.hpp"
#include "cli/husk-runtime/commands.hpp"
#include "spec/default_spec.hpp"

namespace husk::cli {

void add_spec(CLI::App& app, Invocation& inv) {
  struct Opts {
    std::string bundle = ".";
    bool rootless = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("spec", "write a default config.json into the bundle");
  cmd->add_option("-b,--bundle", o->bundle, "bundle directory (default: current directory)");
  cmd->add_flag("--rootless", o->rootless, "a config for running without root (user namespace)");
  cmd->callback([o, &inv] {
    inv.action = [o](const runtime::Context&) -> Result<int> {
      std::string path = o->bundle + "/config.json";
      if (path_exists(path)) return fail_code(EEXIST, "File " + path + " exists. Remove it first");
      auto text = spec::default_spec_json(o->rootless, ::getuid(), ::getgid()) + "\n";
      HUSK_TRY(write_file_atomic(path, text, 0644));
      return 0;
    };
  });
}

}  // namespace husk::cli
