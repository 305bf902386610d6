// husk-runtime: an OCI runtime with runc's command line.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "base/file.hpp"
#include "cli/husk-runtime/commands.hpp"

namespace {

// The first argument that is neither a global option nor its value.
std::string_view subcommand_name(int argc, char** argv) {
  static constexpr std::string_view kWithValue[] = {"--root", "--log", "--log-format", "--criu"};
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--rootless") {
      if (i + 1 < argc &&
          (std::string_view(argv[i + 1]) == "true" || std::string_view(argv[i + 1]) == "false" ||
           std::string_view(argv[i + 1]) == "auto"))
        ++i;
      continue;
    }
    if (a.starts_with("-")) {
      for (auto opt : kWithValue)
        if (a == opt) ++i;
      continue;
    }
    return a;
  }
  return {};
}

// runc's --rootless auto: not root, or root of a user namespace that is not
// the host's (its uid map is not the identity over every uid).
bool rootless_by_default() {
  if (::geteuid() != 0) return true;
  auto map = husk::read_file("/proc/self/uid_map");
  if (!map) return false;
  unsigned long inside = 1, outside = 1, count = 0;
  int n = std::sscanf(map->c_str(), "%lu %lu %lu", &inside, &outside, &count);
  return !(n == 3 && inside == 0 && outside == 0 && count == 4294967295UL);
}

}  // namespace

int main(int argc, char** argv) {
  // A hook or console peer that goes away must be an error, not our death.
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"husk-runtime: an OCI container runtime (runc-compatible command line)", "husk-runtime"};
  app.require_subcommand(1);
  std::string root = "/run/husk", log_file, log_format = "text", criu;
  bool debug = false, systemd_cgroup = false, rootless_flag = false;
  std::string rootless = "auto";
  app.add_option("--root", root, "directory for container state (default /run/husk)");
  app.add_option("--log", log_file, "log file (default: stderr)");
  app.add_option("--log-format", log_format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", debug, "log debug messages");
  app.add_flag("--systemd-cgroup", systemd_cgroup, "use the systemd cgroup driver (not supported yet)");
  app.add_option("--rootless", rootless, "true, false or auto")->expected(0, 1)->default_str("auto");
  app.add_option("--criu", criu, "ignored: checkpoint/restore is not supported");
  app.set_version_flag("-v,--version",
                       std::string("husk-runtime version 0.1.0\nspec: 1.2.0 (accepts 1.0.0 through 1.3.x)"));
  (void)rootless_flag;

  // Only the subcommand being run is built: constructing all of CLI11's
  // options costs more than the rest of start-up together.
  husk::cli::Invocation inv;
  using Adder = void (*)(CLI::App&, husk::cli::Invocation&);
  static constexpr std::pair<std::string_view, Adder> kCommands[] = {
      {"create", husk::cli::add_create}, {"start", husk::cli::add_start},
      {"run", husk::cli::add_run},       {"state", husk::cli::add_state},
      {"kill", husk::cli::add_kill},     {"delete", husk::cli::add_delete},
      {"list", husk::cli::add_list},     {"ls", husk::cli::add_list},
      {"ps", husk::cli::add_ps},         {"exec", husk::cli::add_exec},
      {"spec", husk::cli::add_spec},     {"features", husk::cli::add_features},
      {"pause", husk::cli::add_pause},   {"resume", husk::cli::add_resume},
      {"update", husk::cli::add_update}, {"events", husk::cli::add_events},
  };
  std::string_view wanted = subcommand_name(argc, argv);
  bool found = false;
  for (auto& [name, add] : kCommands) {
    if (name == wanted) {
      add(app, inv);
      found = true;
      break;
    }
  }
  if (!found && !wanted.empty()) {
    std::fprintf(stderr, "husk-runtime: unknown command \"%.*s\" (see husk-runtime --help)\n",
                 static_cast<int>(wanted.size()), wanted.data());
    return 1;
  }
  if (!found) {
    // Help, a typo or no command: show (and complain about) all of them.
    for (auto& [name, add] : kCommands)
      if (name != "ls") add(app, inv);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto logger = husk::Logger::open(
      log_file, log_format == "json" ? husk::LogFormat::json : husk::LogFormat::text, debug);
  if (!logger) {
    std::fprintf(stderr, "husk-runtime: %s\n", logger.error().what().c_str());
    return 1;
  }
  husk::runtime::Context ctx;
  // create moves into the bundle (hooks and relative mounts want it as their
  // cwd): a relative --root must not move with it.
  auto abs_root = husk::absolute_from_cwd(root);
  if (!abs_root) {
    std::fprintf(stderr, "husk-runtime: --root %s: %s\n", root.c_str(), abs_root.error().what().c_str());
    return 1;
  }
  ctx.root = *abs_root;
  // As runc: a user other than root keeps its containers in its runtime dir.
  if (app.count("--root") == 0 && ::geteuid() != 0)
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) ctx.root = std::string(xdg) + "/husk";
  ctx.log = &*logger;
  ctx.systemd_cgroup = systemd_cgroup;
  ctx.rootless = rootless == "auto" ? rootless_by_default() : rootless == "true";
  auto result = inv.action(ctx);
  if (!result) {
    const auto& err = result.error();
    // One line with level "error": in the log file when there is one (the
    // shim and conmon read it), and on stderr in the chosen format.
    if (logger->fd() >= 0) logger->error(err.what());
    if (logger->fd() < 0 && logger->format() == husk::LogFormat::json)
      logger->error(err.what());
    else
      std::fprintf(stderr, "husk-runtime: %s\n", err.what().c_str());
    // docker's 126/127 for a command that cannot run; else what the command
    // says (runc's 1, its exec's 255).
    return husk::exit_code_for(err.kind(), inv.failure_code);
  }
  return *result;
}
