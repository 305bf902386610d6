// `husk events [--since T] [--until T] [--filter K=V] [--format TMPL]`:
// docker's events, read from the store's event log (engine/events.hpp).
// Without --until it follows the log until interrupted; with --since the
// events from then come first.
#include <unistd.h>

#include <iostream>

#include "cli/husk/commands.hpp"
#include "engine/events.hpp"
#include "engine/logs.hpp"

namespace husk::cli {

namespace {

struct EventsFlags {
  std::string since, until, format;
  std::vector<std::string> filters;
};

Result<int> events(const Context& ctx, const EventsFlags& f) {
  // Everything the user gave is checked before anything is printed.
  auto filter = HUSK_TRY(engine::EventFilter::parse(f.filters));
  std::optional<engine::Template> tmpl;
  if (!f.format.empty()) {
    auto parsed = engine::Template::parse(f.format);
    if (!parsed) return bad_format(parsed.error());
    tmpl = std::move(*parsed);
  }
  int64_t now = engine::log_time_now();
  std::optional<int64_t> since, until;
  if (!f.since.empty()) since = HUSK_TRY(engine::parse_log_time_arg(f.since, now));
  if (!f.until.empty()) until = HUSK_TRY(engine::parse_log_time_arg(f.until, now));
  auto eng = HUSK_TRY(open_engine(ctx));  // the store made, when this is its first use
  engine::EventLog log = eng.events();
  std::optional<Error> failed;  // the template could not be applied to an event
  auto print = [&](const engine::Event& e) -> bool {
    if (!filter.matches(e)) return true;
    std::string line;
    if (tmpl) {
      auto text = tmpl->execute(engine::event_json(e));
      if (!text) {
        failed = text.error();
        return false;
      }
      line = *text;
    } else {
      line = engine::event_line(e);
    }
    line += "\n";
    return write_all(STDOUT_FILENO, line).has_value();
  };
  // The log's past first (when asked for), then what comes, unless UNTIL
  // has passed already.
  if (until && *until <= now) {
    for (auto& e : log.read(since.value_or(0), until))
      if (!print(e)) break;
  } else {
    HUSK_TRY(log.follow(since, until, print));
  }
  if (failed) return bad_format(*failed);
  return 0;
}

}  // namespace

void add_events(CLI::App& app, Invocation& inv) {
  auto f = std::make_shared<EventsFlags>();
  auto* c = app.add_subcommand("events", "what happens to containers, images, networks and volumes");
  c->add_option("--since", f->since, "the events from this time (a Unix time, RFC 3339, or a duration before now)");
  c->add_option("--until", f->until, "the events up to this time (then stop)");
  add_multi(c, "-f,--filter", f->filters, "container=, event=, image=, label=, network=, type=, volume=");
  c->add_option("--format", f->format, "a Go template per event ({{json .}}: docker's JSON)");
  c->callback([f, &inv] { inv.action = [f](const Context& ctx) { return events(ctx, *f); }; });
}

}  // namespace husk::cli
