// `husk container prune [-f]`: removes every container that does not run
// (created, exited, or lost with /run), as docker's; running and paused ones
// stay. Without -f it asks first, as docker's.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/husk/commands.hpp"

namespace husk::cli {

namespace {

// What removing the container gives back: its upper dir's files.
uint64_t upper_size(const std::string& dir) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  return total;
}

bool confirmed() {
  std::cout << "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
            << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

Result<int> prune(const Context& ctx, bool force) {
  auto eng = HUSK_TRY(open_engine(ctx));
  if (!force && !confirmed()) return 0;
  std::vector<std::string> removed;
  uint64_t reclaimed = 0;
  for (auto& rec : HUSK_TRY(eng.containers().list())) {
    auto live = eng.live_status(rec);
    if (live == engine::LiveStatus::running || live == engine::LiveStatus::paused) continue;
    uint64_t size = upper_size(eng.containers().dir(rec.id) + "/upper");
    // One that started meanwhile is refused by remove and stays.
    if (auto r = eng.remove(rec.id, false); !r) {
      std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
      continue;
    }
    removed.push_back(rec.id);
    reclaimed += size;
  }
  if (!removed.empty()) {
    std::cout << "Deleted Containers:\n";
    for (auto& id : removed) std::cout << id << "\n";
    std::cout << "\n";
  }
  std::cout << "Total reclaimed space: " << human_size(reclaimed) << "\n";
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
  auto force = std::make_shared<bool>(false);
  auto* c = container->add_subcommand("prune", "remove every stopped container");
  c->add_flag("-f,--force", *force, "do not ask");
  c->callback([force, &inv] { inv.action = [force](const Context& ctx) { return prune(ctx, *force); }; });
}

}  // namespace husk::cli
