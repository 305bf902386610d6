// `husk logs`: a container's output from its json-file log, as docker's.
#include <unistd.h>

#include "cli/husk/commands.hpp"
#include "engine/log_config.hpp"
#include "engine/logs.hpp"

namespace husk::cli {

namespace {

struct LogsArgs {
  std::string name;
  bool follow = false, timestamps = false;
  std::string tail = "all", since, until;
};

Result<int> logs(const Context& ctx, const LogsArgs& a) {
  engine::LogsOptions o;
  o.follow = a.follow;
  o.timestamps = a.timestamps;
  if (a.tail != "all") {
    char* end = nullptr;
    long n = std::strtol(a.tail.c_str(), &end, 10);
    if (a.tail.empty() || *end != '\0') return fail_code(EINVAL, "invalid --tail \"" + a.tail + "\": a number or all");
    // docker: a negative count is all of it.
    if (n >= 0) o.tail = static_cast<size_t>(n);
  }
  auto now = engine::log_time_now();
  if (!a.since.empty()) o.since = HUSK_TRY(engine::parse_log_time_arg(a.since, now));
  if (!a.until.empty()) o.until = HUSK_TRY(engine::parse_log_time_arg(a.until, now));
  auto eng = HUSK_TRY(open_engine(ctx));
  auto rec = HUSK_TRY(eng.containers().find(a.name));
  if (!HUSK_TRY(engine::parse_log_config(rec.flags.log_driver, rec.flags.log_opts)).keeps_log())
    return fail_code(ENOTSUP, "configured logging driver does not support reading");
  std::string id = rec.id;
  auto running = [&] {
    auto r = eng.containers().find(id);
    if (!r) return false;
    auto st = eng.live_status(*r);
    return st == engine::LiveStatus::running || st == engine::LiveStatus::paused;
  };
  std::string path = engine::log_path(eng.containers().dir(id));
  if (!o.follow && ::access(path.c_str(), F_OK) != 0) return 0;  // it wrote nothing (yet)
  HUSK_TRY(engine::print_logs(path, o, running, STDOUT_FILENO, STDERR_FILENO));
  return 0;
}

}  // namespace

void add_logs(CLI::App& app, Invocation& inv) {
  auto a = std::make_shared<LogsArgs>();
  auto* c = app.add_subcommand("logs", "print a container's output");
  c->add_flag("-f,--follow", a->follow, "keep printing what it writes until it exits");
  c->add_flag("-t,--timestamps", a->timestamps, "each line after the time it was written");
  c->add_option("-n,--tail", a->tail, "only the last N lines (default all)");
  c->add_option("--since", a->since, "only lines since: a time (RFC 3339, Unix) or a duration ago (10m)");
  c->add_option("--until", a->until, "only lines before: a time (RFC 3339, Unix) or a duration ago (10m)");
  c->add_option("container", a->name, "name or id")->required();
  c->callback([a, &inv] { inv.action = [a](const Context& ctx) { return logs(ctx, *a); }; });
}

}  // namespace husk::cli
