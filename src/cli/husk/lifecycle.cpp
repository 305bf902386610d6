// `husk ps`, `stop`, `kill`, `wait`, `rm`, `rename`, `pause`, `unpause`:
// the containers' lives after `run`, from any husk process.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "cli/husk/commands.hpp"
#include "engine/ps.hpp"
#include "linux/signals.hpp"

namespace husk::cli {

namespace {

// docker's ps table, and its titles for every field.
constexpr const char* kPsTable =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
const nlohmann::ordered_json kPsHeader = {
    {"Command", "COMMAND"}, {"CreatedAt", "CREATED AT"}, {"ID", "CONTAINER ID"},
    {"Image", "IMAGE"},     {"Labels", "LABELS"},        {"LocalVolumes", "LOCAL VOLUMES"},
    {"Mounts", "MOUNTS"},   {"Names", "NAMES"},          {"Networks", "NETWORKS"},
    {"Ports", "PORTS"},     {"RunningFor", "CREATED"},   {"Size", "SIZE"},
    {"State", "STATE"},     {"Status", "STATUS"}};

struct PsFlags {
  bool all = false, quiet = false, no_trunc = false, latest = false, size = false;
  int last = -1;
  std::vector<std::string> filters;
  std::string format;
};

// docker's {{.Label "KEY"}}: a row's label KEY ("" when it has none), from
// LABELS by the row's ID.
void add_label_method(engine::Listing& listing,
                      const std::map<std::string, std::map<std::string, std::string>>& labels) {
  auto key_of = [](const std::vector<nlohmann::ordered_json>& args) -> Result<std::string> {
    if (args.size() != 1 || !args[0].is_string())
      return fail_code(EINVAL, "wrong number of args for Label: want 1 got " + std::to_string(args.size()));
    return args[0].get<std::string>();
  };
  listing.add_method(
      "Label",
      {[&labels, key_of](const nlohmann::ordered_json& row,
                         const std::vector<nlohmann::ordered_json>& args) -> Result<nlohmann::ordered_json> {
        std::string key = HUSK_TRY(key_of(args));
        auto it = labels.find(row.value("ID", ""));
        if (it == labels.end() || !it->second.contains(key)) return "";
        return it->second.at(key);
      }},
      {[key_of](const nlohmann::ordered_json&, const std::vector<nlohmann::ordered_json>& args)
           -> Result<nlohmann::ordered_json> { return engine::label_header(HUSK_TRY(key_of(args))); }});
}

Result<int> ps(const Context& ctx, const PsFlags& o) {
  std::string format = o.quiet ? "{{.ID}}" : o.format;
  std::string table = kPsTable;
  if (o.size) table += "\t{{.Size}}";
  auto parsed = engine::Listing::parse(format, table, kPsHeader);
  if (!parsed) return bad_format(parsed.error());
  engine::Listing listing = std::move(*parsed);
  engine::PsOptions opts{
      .all = o.all, .last = o.latest ? 1 : o.last, .filter = HUSK_TRY(engine::PsFilter::parse(o.filters))};
  auto eng = HUSK_TRY(open_engine(ctx));
  auto image_id_of = [&eng](const std::string& name) -> std::optional<std::string> {
    auto img = eng.images().find_image(name);
    return img ? std::optional(img->id().str()) : std::nullopt;
  };
  auto entries = HUSK_TRY(engine::select_containers(HUSK_TRY(engine::ps_entries(eng)), opts, image_id_of));
  // As docker, a template that shows .Size measures it without -s.
  if (o.size || (!o.quiet && format.find(".Size") != std::string::npos)) engine::add_sizes(eng, entries);
  time_t now = std::time(nullptr);
  std::vector<nlohmann::ordered_json> rows;
  std::map<std::string, std::map<std::string, std::string>> labels;  // by the row's ID
  for (auto& e : entries) {
    rows.push_back(engine::ps_row(e, !o.no_trunc, now));
    labels[rows.back()["ID"].get<std::string>()] = e.labels;
  }
  add_label_method(listing, labels);
  auto text = listing.render(rows);
  if (!text) return bad_format(text.error());
  std::cout << *text;
  return 0;
}

// Runs ACT on each name, printing the name when it worked; the first
// failure ends it with docker's 1 for a daemon-side error.
template <typename F>
Result<int> each(const std::vector<std::string>& names, F&& act) {
  for (auto& n : names) {
    HUSK_TRY(act(n));
    std::cout << n << "\n";
  }
  return 0;
}

// pause and unpause: the same shape, the engine's one or the other.
void add_pause_or_unpause(CLI::App& app, Invocation& inv, bool pause) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* c = app.add_subcommand(pause ? "pause" : "unpause",
                               pause ? "freeze every process of containers" : "thaw paused containers");
  c->add_option("container", *names, "names or ids")->required();
  c->callback([names, pause, &inv] {
    inv.action = [names, pause](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      return each(*names, [&](const std::string& n) { return pause ? eng.pause(n) : eng.unpause(n); });
    };
  });
}

}  // namespace

void add_ps(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<PsFlags>();
  auto* c = app.add_subcommand("ps", "list containers");
  c->add_flag("-a,--all", o->all, "also the ones not running");
  c->add_flag("-q,--quiet", o->quiet, "only ids");
  c->add_flag("--no-trunc", o->no_trunc, "ids and commands in full");
  c->add_flag("-l,--latest", o->latest, "the last created container, whatever its state");
  c->add_option("-n,--last", o->last, "the N last created containers, whatever their state");
  c->add_flag("-s,--size", o->size, "the containers' sizes");
  add_multi(c, "-f,--filter", o->filters,
            "KEY=VALUE: status, name, id, label, ancestor, exited, before, since, volume, network");
  c->add_option("--format", o->format,
                "table, json, or a template: 'table {{.Names}}\\t{{.Status}}', '{{.Label \"com.x\"}}'");
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return ps(ctx, *o); }; });
}

void add_wait(CLI::App& app, Invocation& inv) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* c = app.add_subcommand("wait", "wait for containers to exit; print their exit codes");
  c->add_option("container", *names, "names or ids")->required();
  c->callback([names, &inv] {
    inv.action = [names](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      for (auto& n : *names) std::cout << HUSK_TRY(eng.wait(n)) << "\n";
      return 0;
    };
  });
}

void add_stop(CLI::App& app, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    std::optional<int> timeout;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("stop", "stop containers: the stop signal, then SIGKILL after -t seconds");
  c->add_option("-t,--time", o->timeout, "seconds to wait before SIGKILL (default 10)");
  c->add_option("container", o->names, "names or ids")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      return each(o->names, [&](const std::string& n) { return eng.stop(n, o->timeout); });
    };
  });
}

void add_kill(CLI::App& app, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    std::string signal = "KILL";
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("kill", "send a signal (default SIGKILL) to containers");
  c->add_option("-s,--signal", o->signal, "the signal: KILL, SIGTERM, 15, ...");
  c->add_option("container", o->names, "names or ids")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) -> Result<int> {
      auto sig = linux::signal_from_string(o->signal);
      if (!sig) return fail_code(EINVAL, "invalid signal \"" + o->signal + "\"");
      auto eng = HUSK_TRY(open_engine(ctx));
      return each(o->names, [&](const std::string& n) { return eng.kill(n, *sig); });
    };
  });
}

void add_rm(CLI::App& app, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    bool force = false, volumes = false;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("rm", "remove containers");
  c->add_flag("-f,--force", o->force, "kill a running one first");
  c->add_flag("-v,--volumes", o->volumes, "also its anonymous volumes");
  c->add_option("container", o->names, "names or ids")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      return each(o->names, [&](const std::string& n) { return eng.remove(n, o->force, o->volumes); });
    };
  });
}

void add_rename(CLI::App& app, Invocation& inv) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* c = app.add_subcommand("rename", "rename a container");
  c->add_option("container", *names, "CONTAINER NEW_NAME")->required()->expected(2);
  c->callback([names, &inv] {
    inv.action = [names](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      HUSK_TRY(eng.rename((*names)[0], (*names)[1]));
      return 0;
    };
  });
}

void add_pause(CLI::App& app, Invocation& inv) { add_pause_or_unpause(app, inv, true); }
void add_unpause(CLI::App& app, Invocation& inv) { add_pause_or_unpause(app, inv, false); }

}  // namespace husk::cli
