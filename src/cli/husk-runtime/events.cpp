#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "base/strings.hpp"
#include "cli/husk-runtime/commands.hpp"
#include "runtime/limits.hpp"

namespace husk::cli {

namespace {
// Go durations as runc takes them: "5s", "500ms", "1m", "2s500ms".
std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double total_ms = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double v = 0;
    try {
      v = std::stod(std::string(s.substr(0, i)));
    } catch (...) {
      return std::nullopt;
    }
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
    auto unit = s.substr(0, j);
    s.remove_prefix(j);
    if (unit == "ms")
      total_ms += v;
    else if (unit == "s")
      total_ms += v * 1000;
    else if (unit == "m")
      total_ms += v * 60000;
    else if (unit == "h")
      total_ms += v * 3600000;
    else
      return std::nullopt;
  }
  if (total_ms < 1) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(total_ms));
}

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
      auto every = parse_duration(o->interval);
      if (!every) return fail_code(EINVAL, "invalid --interval \"" + o->interval + "\" (e.g. 5s, 500ms)");
      HUSK_TRY(runtime::watch_events(ctx, o->id, *every, print_line));
      return 0;
    };
  });
}

}  // namespace husk::cli
