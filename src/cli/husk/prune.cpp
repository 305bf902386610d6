// `husk container prune [-f] [--filter until=|label=]`: removes every container that does not run
// (created, exited, or lost with /run), as docker's; running and paused ones
// stay. Without -f it asks first, as docker's.
#include <cstdio>
#include <iostream>

#include "base/time.hpp"
#include "cli/husk/commands.hpp"
#include "engine/system.hpp"

namespace husk::cli {

void print_pruned(const std::string& title, const engine::PruneReport& report) {
  for (auto& w : report.warnings) std::fprintf(stderr, "husk: %s\n", w.c_str());
  if (report.removed.empty()) return;
  std::cout << title << "\n";
  for (auto& r : report.removed) std::cout << r << "\n";
  std::cout << "\n";
}

Result<engine::PruneFilter> prune_filter(const std::vector<std::string>& args) {
  return engine::PruneFilter::parse(args, now_nanos());
}

namespace {

bool confirmed() {
  std::cout << "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
            << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

Result<int> prune(const Context& ctx, bool force, const std::vector<std::string>& filters) {
  auto filter = HUSK_TRY(prune_filter(filters));
  auto eng = HUSK_TRY(open_engine(ctx));
  if (!force && !confirmed()) return 0;
  auto report = HUSK_TRY(engine::prune_containers(eng, filter));
  print_pruned("Deleted Containers:", report);
  std::cout << "Total reclaimed space: " << human_size(report.reclaimed) << "\n";
  return 0;
}

}  // namespace

void add_container_prune(CLI::App& app, Invocation& inv) {
  // `container` may already hold other subcommands (ls, inspect, ...).
  // (No exception for "not there": the first C++ throw of a static binary
  // sorts every unwind entry, milliseconds on each start.)
  CLI::App* container = nullptr;
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->get_name() == "container") container = sub;
  if (!container) {
    container = app.add_subcommand("container", "manage containers");
    container->require_subcommand(1);
  }
  struct O {
    bool force = false;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<O>();
  auto* c = container->add_subcommand("prune", "remove every stopped container");
  c->add_flag("-f,--force", o->force, "do not ask");
  add_multi(c, "--filter", o->filters, "until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE]");
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return prune(ctx, o->force, o->filters); }; });
}

}  // namespace husk::cli
