#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "base/strings.hpp"
#include "base/time.hpp"
#include "cli/husk-runtime/commands.hpp"
#include "runtime/limits.hpp"

namespace husk::cli {

namespace {
void print_line(const std::string& line) {
  std::string out = line + "\n";
  (void)!::write(STDOUT_FILENO, out.data(), out.size());
}
}  // namespace

void add_events(CLI::App& app, Invocation& inv) {
  struct Opts {
    std::string id;
    std::string interval = "5s";
    bool stats = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("events", "show a container's resource usage and OOM events as JSON lines");
  cmd->add_flag("--stats", o->stats, "print the usage once and exit");
  cmd->add_option("--interval", o->interval, "how often to print usage (default 5s)");
  cmd->add_option("id", o->id, "container id")->required();
  cmd->callback([o, &inv] {
    inv.action = [o](const runtime::Context& ctx) -> Result<int> {
      if (o->stats) {
        print_line(HUSK_TRY(runtime::container_stats_event(ctx, o->id)));
        return 0;
      }
      auto nanos = parse_go_duration(o->interval);
      if (!nanos || *nanos < 1000000)
        return fail_code(EINVAL, "invalid --interval \"" + o->interval + "\" (e.g. 5s, 500ms)");
      HUSK_TRY(runtime::watch_events(ctx, o->id, std::chrono::milliseconds(*nanos / 1000000), print_line));
      return 0;
    };
  });
}

}  // namespace husk::cli
