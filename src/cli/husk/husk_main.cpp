// The command line both husk programs share (lean.cpp, full.cpp): global
// flags, the container commands, and the exit codes.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "base/file.hpp"
#include "cli/husk/commands.hpp"
#include "image/store.hpp"

namespace husk::cli {

void add_container_commands(CLI::App& app, Invocation& inv) {
  add_run(app, inv);
  add_create(app, inv);
  add_start(app, inv);
  add_restart(app, inv);
  add_ps(app, inv);
  add_wait(app, inv);
  add_stop(app, inv);
  add_kill(app, inv);
  add_rm(app, inv);
  add_rename(app, inv);
  add_pause(app, inv);
  add_unpause(app, inv);
  add_update(app, inv);
  add_volume(app, inv);
  add_network(app, inv);
  add_inspect(app, inv);
  add_exec(app, inv);
  add_top(app, inv);
  add_stats(app, inv);
  add_cp(app, inv);
  add_port(app, inv);
  add_container_prune(app, inv);
  add_logs(app, inv);
  add_attach(app, inv);
}

namespace {

// The command ARGS name when APP has none by that name ("" when they name
// one, or none at all): docker says so, where CLI11 would say that a
// subcommand is required.
std::string unknown_command(const CLI::App& app, const std::vector<std::string>& args) {
  size_t i = command_at(app, args);
  if (i >= args.size()) return "";
  auto named = app.get_subcommands([&](const CLI::App* s) { return s->check_name(args[i]); });
  return named.empty() ? args[i] : "";
}

}  // namespace

int husk_main(int argc, char** argv, const Flavor& flavor) {
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"husk: containers without a daemon", "husk"};
  app.require_subcommand(1);
  std::string root(image::kDefaultStoreRoot);
  app.add_option("--root", root, "the image store (default /var/lib/husk)");
  std::string run_root(engine::kDefaultRunRoot);
  app.add_option("--runroot", run_root, "the runtime's state for the containers (default /run/husk-engine)");
  std::string config(engine::kDefaultConfigFile);
  app.add_option("--config", config, "the config file (default /etc/husk/daemon.json)");
  app.set_version_flag("-v,--version", std::string("husk version 0.1.0"));
  Invocation inv;
  if (flavor.add_more) flavor.add_more(app, inv);
  add_container_commands(app, inv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto unknown = unknown_command(app, args); !unknown.empty()) {
    std::fprintf(stderr, "husk: '%s' is not a husk command.\nSee 'husk --help'\n", unknown.c_str());
    return 1;  // docker's: a plain error, not a usage one
  }
  auto image_at = find_run_image(app, args);
  if (!image_at) {
    std::fprintf(stderr, "husk: %s\n", image_at.error().what().c_str());
    return 125;
  }
  if (*image_at < args.size()) {
    inv.command.assign(args.begin() + static_cast<long>(*image_at) + 1, args.end());
    args.resize(*image_at + 1);
  }
  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    // --help and --version; anything else is a usage error: docker's 125.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "husk: %s\nSee 'husk --help'.\n", e.what());
    return 125;
  }
  Context ctx;
  auto abs = absolute_from_cwd(root);
  if (!abs) {
    std::fprintf(stderr, "husk: --root %s: %s\n", root.c_str(), abs.error().what().c_str());
    return 125;
  }
  ctx.root = *abs;
  ctx.run_root = run_root;
  ctx.config = config;
  ctx.fetch_image = flavor.fetch_image;
  if (!inv.action) return 0;
  auto r = inv.action(ctx);
  if (!r) {
    std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
    return 1;
  }
  return *r;
}

}  // namespace husk::cli
