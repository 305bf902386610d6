// `husk ps`, `stop`, `kill`, `wait`, `rm`, `rename`, `pause`, `unpause`:
// the containers' lives after `run`, from any husk process.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "cli/husk/commands.hpp"
#include "engine/network.hpp"
#include "linux/signals.hpp"

namespace husk::cli {

namespace {

using engine::LiveStatus;

std::string status_text(const engine::ContainerRecord& r, LiveStatus live) {
  switch (live) {
    case LiveStatus::running:
      return "Up since " + r.started.substr(0, 19);
    case LiveStatus::paused:
      return "Up since " + r.started.substr(0, 19) + " (Paused)";
    case LiveStatus::lost:
      return "Exited (unknown)";
    case LiveStatus::exited:
      return "Exited (" + std::to_string(r.exit_code) + ") " + r.finished.substr(0, 19);
    case LiveStatus::created:
      return "Created";
  }
  return "";
}

// docker's PORTS: "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp" while it runs.
std::string ports_text(const engine::Engine& eng, const engine::ContainerRecord& r, bool up) {
  if (!up || (r.flags.publish.empty() && !r.flags.publish_all)) return "";
  std::string out;
  auto eps = engine::endpoints_of(eng.run_root(), r.id);
  if (!eps.empty())
    for (auto& p : eps[0].ports)
      out += (out.empty() ? "" : ", ") + (p.host_address ? p.host_address->str() : std::string("0.0.0.0")) +
             ":" + std::to_string(p.host_port) + "->" + std::to_string(p.port) + "/" + p.proto;
  return out;
}

Result<int> ps(const Context& ctx, bool all, bool quiet, const std::string& format) {
  auto eng = HUSK_TRY(open_engine(ctx));
  auto list = HUSK_TRY(eng.containers().list());
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  if (!quiet && format.empty())
    std::printf("%-14s %-24s %-28s %-22s %-32s %-24s %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
                "STATUS", "PORTS", "NAMES");
  for (auto& r : list) {
    LiveStatus live = eng.live_status(r);
    bool up = live == LiveStatus::running || live == LiveStatus::paused;
    if (!all && !up) continue;
    if (quiet) {
      std::cout << r.id.substr(0, 12) << "\n";
      continue;
    }
    std::string cmd;
    for (auto& a : r.command) cmd += (cmd.empty() ? "" : " ") + a;
    std::string ports = ports_text(eng, r, up);
    if (!format.empty()) {
      arr.push_back({{"Id", r.id},
                     {"Names", r.name},
                     {"Image", r.image},
                     {"ImageID", r.image_id},
                     {"Command", cmd},
                     {"Created", r.created},
                     {"State", std::string(engine::to_string(live))},
                     {"Status", status_text(r, live)},
                     {"Ports", ports},
                     {"ExitCode", r.exit_code}});
      continue;
    }
    if (cmd.size() > 26) cmd = cmd.substr(0, 23) + "...";
    std::printf("%-14s %-24s %-28s %-22s %-32s %-24s %s\n", r.id.substr(0, 12).c_str(), r.image.c_str(),
                ("\"" + cmd + "\"").c_str(), r.created.substr(0, 19).c_str(), status_text(r, live).c_str(),
                ports.c_str(), r.name.c_str());
  }
  // docker's `ps --format json`: one object a line.
  for (auto& item : arr) std::cout << format_json(format, item.dump()) << "\n";
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
  struct O {
    bool all = false, quiet = false;
    std::string format;
  };
  auto o = std::make_shared<O>();
  auto* c = app.add_subcommand("ps", "list containers");
  c->add_flag("-a,--all", o->all, "also the ones not running");
  c->add_flag("-q,--quiet", o->quiet, "only ids");
  c->add_option("--format", o->format, "json, or a template: '{{.Names}} {{.State}}'");
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return ps(ctx, o->all, o->quiet, o->format); }; });
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
