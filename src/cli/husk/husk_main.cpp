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

namespace {

using CommandAdder = void (*)(CLI::App&, Invocation&);
struct NamedAdder {
  std::string_view name;
  CommandAdder add;
};
// "container" groups the others (its subcommands are theirs): it comes
// only with all of them.
constexpr NamedAdder kContainerCommands[] = {{"run", add_run},
                                             {"create", add_create},
                                             {"start", add_start},
                                             {"restart", add_restart},
                                             {"ps", add_ps},
                                             {"wait", add_wait},
                                             {"stop", add_stop},
                                             {"kill", add_kill},
                                             {"rm", add_rm},
                                             {"rename", add_rename},
                                             {"pause", add_pause},
                                             {"unpause", add_unpause},
                                             {"update", add_update},
                                             {"volume", add_volume},
                                             {"network", add_network},
                                             {"inspect", add_inspect},
                                             {"exec", add_exec},
                                             {"top", add_top},
                                             {"stats", add_stats},
                                             {"cp", add_cp},
                                             {"port", add_port},
                                             {"container", add_container_prune},
                                             {"logs", add_logs},
                                             {"attach", add_attach},
                                             {"healthcheck", add_healthcheck}};

}  // namespace

void add_container_commands(CLI::App& app, Invocation& inv, std::string_view only) {
  for (auto& c : kContainerCommands)
    if (c.name == only && c.name != "container") {
      c.add(app, inv);
      return;
    }
  for (auto& c : kContainerCommands) c.add(app, inv);
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
  std::vector<std::string> args(argv + 1, argv + argc);
  // Only the command given, when it is one of ours: every command's flags
  // (hundreds of options) cost a run milliseconds to build and free.
  size_t at = command_at(app, args);
  std::string_view named = at < args.size() ? std::string_view(args[at]) : std::string_view();
  if (flavor.add_more) flavor.add_more(app, inv);
  add_container_commands(app, inv, named);
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
  ctx.tar = flavor.tar;
  if (!inv.action) return 0;
  auto r = inv.action(ctx);
  if (!r) {
    std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
    return 1;
  }
  return *r;
}

}  // namespace husk::cli
