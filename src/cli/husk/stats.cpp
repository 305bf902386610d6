// `husk stats [--no-stream] [--format json|TEMPLATE] [-a] [CONTAINER...]`:
// CPU %, memory usage / limit, block I/O and pids, read from each
// container's cgroup (v1 or v2, src/cgroups), as docker's. CPU % is the
// CPU time used between two samples a second apart over the wall time
// between them (docker's formula: 100% is one CPU busy).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "cli/husk/commands.hpp"
#include "engine/inspect.hpp"

namespace husk::cli {

namespace {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct StatsOptions {
  std::vector<std::string> names;
  std::string format;
  bool no_stream = false, all = false;
};

struct Sample {
  bool running = false;
  uint64_t cpu_ns = 0;
  Clock::time_point at;
  uint64_t mem_usage = 0, mem_limit = 0, blk_read = 0, blk_write = 0, pids = 0;
};

// The host's memory: the limit of a container without one, as docker's.
uint64_t host_memory() {
  auto text = read_file("/proc/meminfo");
  if (!text) return 0;
  for (auto& line : split(*text, '\n'))
    if (line.starts_with("MemTotal:"))
      for (auto& w : split(line.substr(9), ' '))
        if (auto kb = parse_u64(w)) return *kb * 1024;
  return 0;
}

Sample sample(const engine::Engine& eng, const engine::ContainerRecord& rec) {
  Sample s;
  s.at = Clock::now();
  auto m = engine::container_cgroup(eng, rec);
  if (!m) return s;
  auto st = m->stats();
  if (!st) return s;
  s.running = true;
  if (st->cpu) s.cpu_ns = st->cpu->total_ns;
  if (st->memory) {
    // docker leaves out the page cache the kernel can drop at once.
    auto& raw = st->memory->raw;
    uint64_t inactive = raw.contains("total_inactive_file") ? raw.at("total_inactive_file")
                        : raw.contains("inactive_file")     ? raw.at("inactive_file")
                                                            : 0;
    s.mem_usage = st->memory->usage.usage > inactive ? st->memory->usage.usage - inactive : 0;
    s.mem_limit = st->memory->usage.limit;
  }
  if (s.mem_limit == 0 || s.mem_limit >= (uint64_t{1} << 62)) s.mem_limit = host_memory();
  if (st->blkio)
    for (auto& e : st->blkio->service_bytes) {
      if (e.op == "Read") s.blk_read += e.value;
      if (e.op == "Write") s.blk_write += e.value;
    }
  if (st->pids) s.pids = st->pids->current;
  return s;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

json row(const engine::ContainerRecord& rec, const Sample& before, const Sample& now) {
  double secs = std::chrono::duration<double>(now.at - before.at).count();
  double cpu = now.running && before.running && secs > 0 && now.cpu_ns >= before.cpu_ns
                   ? static_cast<double>(now.cpu_ns - before.cpu_ns) / (secs * 1e9) * 100
                   : 0;
  double mem =
      now.mem_limit ? static_cast<double>(now.mem_usage) / static_cast<double>(now.mem_limit) * 100 : 0;
  return {{"BlockIO", human_size(now.blk_read) + " / " + human_size(now.blk_write)},
          {"CPUPerc", now.running ? percent(cpu) : "--"},
          {"Container", rec.name},
          {"ID", rec.id.substr(0, 12)},
          {"MemPerc", now.running ? percent(mem) : "--"},
          {"MemUsage", binary_size(now.mem_usage) + " / " + binary_size(now.mem_limit)},
          {"Name", rec.name},
          {"NetIO", "0B / 0B"},  // no network of husk's own yet
          {"PIDs", std::to_string(now.pids)}};
}

// The containers to show: the named ones, else the running ones (-a: all).
Result<std::vector<engine::ContainerRecord>> targets(const engine::Engine& eng, const StatsOptions& o) {
  std::vector<engine::ContainerRecord> out;
  for (auto& n : o.names) out.push_back(HUSK_TRY(eng.containers().find(n)));
  if (!o.names.empty()) return out;
  for (auto& rec : HUSK_TRY(eng.containers().list())) {
    auto live = eng.live_status(rec);
    if (o.all || live == engine::LiveStatus::running || live == engine::LiveStatus::paused)
      out.push_back(rec);
  }
  return out;
}

// docker's stats columns; "" and "table" keep husk's fixed-width table.
const json kStatsHeader = {{"Container", "CONTAINER"},
                           {"Name", "NAME"},
                           {"ID", "CONTAINER ID"},
                           {"CPUPerc", "CPU %"},
                           {"MemUsage", "MEM USAGE / LIMIT"},
                           {"MemPerc", "MEM %"},
                           {"NetIO", "NET I/O"},
                           {"BlockIO", "BLOCK I/O"},
                           {"PIDs", "PIDS"}};
constexpr const char* kStatsTable =
    "table "
    "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

Result<void> print(const std::vector<json>& rows, const std::string& format, const engine::Listing& listing) {
  if (!format.empty() && format != "table") {
    std::cout << HUSK_TRY(listing.render(rows)) << std::flush;
    return {};
  }
  std::printf("%-14s %-20s %-8s %-22s %-8s %-12s %-16s %s\n", "CONTAINER ID", "NAME", "CPU %",
              "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
  for (auto& r : rows)
    std::printf("%-14s %-20s %-8s %-22s %-8s %-12s %-16s %s\n", r["ID"].get<std::string>().c_str(),
                r["Name"].get<std::string>().c_str(), r["CPUPerc"].get<std::string>().c_str(),
                r["MemUsage"].get<std::string>().c_str(), r["MemPerc"].get<std::string>().c_str(),
                r["NetIO"].get<std::string>().c_str(), r["BlockIO"].get<std::string>().c_str(),
                r["PIDs"].get<std::string>().c_str());
  std::fflush(stdout);
  return {};
}

Result<int> stats(const Context& ctx, const StatsOptions& o) {
  // A bad --format is one error, before any sampling.
  auto listing = engine::Listing::parse(o.format, kStatsTable, kStatsHeader);
  if (!listing) return bad_format(listing.error());
  auto eng = HUSK_TRY(open_engine(ctx));
  std::map<std::string, Sample> last;
  while (true) {
    auto recs = HUSK_TRY(targets(eng, o));
    for (auto& r : recs)
      if (!last.contains(r.id)) last[r.id] = sample(eng, r);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::vector<json> rows;
    for (auto& r : recs) {
      Sample now = sample(eng, r);
      rows.push_back(row(r, last[r.id], now));
      last[r.id] = now;
    }
    // Streaming redraws the screen in place, as docker's.
    if (!o.no_stream && (o.format.empty() || o.format == "table")) std::fputs("\033[2J\033[H", stdout);
    HUSK_TRY(print(rows, o.format, *listing));
    if (o.no_stream) return 0;
  }
}

}  // namespace

void add_stats(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<StatsOptions>();
  auto* c = app.add_subcommand("stats", "show containers' resource use (CPU, memory, block I/O, pids)");
  c->add_flag("--no-stream", o->no_stream, "print once and exit");
  c->add_flag("-a,--all", o->all, "also the containers not running");
  c->add_option("--format", o->format, "table (default), json, or a template: '{{.Name}} {{.CPUPerc}}'");
  c->add_option("container", o->names, "names or ids (default: every running one)");
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return stats(ctx, *o); }; });
}

}  // namespace husk::cli
