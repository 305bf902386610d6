// husk: the engine people type. Images now (the store, import, bundles);
// containers come next, through the same library as husk-runtime.
#include <signal.h>

#include <cstdio>
#include <string>

#include "base/file.hpp"
#include "cli/husk/commands.hpp"
#include "image/store.hpp"

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"husk: containers without a daemon", "husk"};
  app.require_subcommand(1);
  std::string root(husk::image::kDefaultStoreRoot);
  app.add_option("--root", root, "the image store (default /var/lib/husk)");
  app.set_version_flag("-v,--version", std::string("husk version 0.1.0"));
  husk::cli::Invocation inv;
  husk::cli::add_image(app, inv);
  husk::cli::add_registry_commands(app, inv);
  husk::cli::add_container_commands(app, inv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  husk::cli::Context ctx;
  auto abs = husk::absolute_from_cwd(root);
  if (!abs) {
    std::fprintf(stderr, "husk: --root %s: %s\n", root.c_str(), abs.error().what().c_str());
    return 125;
  }
  ctx.root = *abs;
  if (!inv.action) return 0;
  auto r = inv.action(ctx);
  if (!r) {
    std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
    return 1;
  }
  return *r;
}
