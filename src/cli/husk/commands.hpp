// husk's commands: each registers its subcommand, whose callback leaves an
// action to run once the global flags (and so the Context) are known.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "engine/engine.hpp"

namespace husk::cli {

struct Context {
  std::string root;      // the image store (--root), default /var/lib/husk
  std::string run_root;  // the runtime's state for the engine's containers (--runroot)
  engine::ImageFetcher fetch_image;  // an image a run lacks: made or pulled
};

using Action = std::function<Result<int>(const Context&)>;

struct Invocation {
  Action action;
  std::vector<std::string> command;  // run/create: what follows IMAGE, untouched by flag parsing
};

inline Result<engine::Engine> open_engine(const Context& ctx) {
  return engine::Engine::open(ctx.root, ctx.run_root, ctx.fetch_image);
}

// What makes one husk program differ from the other (lean.cpp, full.cpp):
// the commands it adds to the container commands, and how a run gets an
// image the store lacks.
struct Flavor {
  std::function<void(CLI::App&, Invocation&)> add_more;
  engine::ImageFetcher fetch_image;
};
// Parses the command line and runs the command: the exit code.
int husk_main(int argc, char** argv, const Flavor& flavor);
// Every container command (run, ps, exec, ...): the lean husk's own set.
void add_container_commands(CLI::App& app, Invocation& inv);

// Repeatable options (-e A -e B) take one value each, so IMAGE after them
// stays IMAGE.
inline CLI::Option* add_multi(CLI::App* c, const std::string& name, std::vector<std::string>& into,
                              const std::string& help) {
  return c->add_option(name, into, help)->allow_extra_args(false)->take_all();
}

void add_image(CLI::App& app, Invocation& inv);  // `husk image ...` and docker's short forms (images, rmi)
void add_registry_commands(CLI::App& app, Invocation& inv);  // pull, push, login, logout
void add_run_commands(CLI::App& app, Invocation& inv);        // run, create, start, restart
void add_lifecycle_commands(CLI::App& app, Invocation& inv);  // ps, stop, kill, wait, rm, rename, logs
void add_update_commands(CLI::App& app, Invocation& inv);     // update
// The resource flags run, create and update share (--cpus, -m, --pids-limit, ...).
void add_resource_flags(CLI::App* c, engine::RunFlags& f);
void add_volume_commands(CLI::App& app, Invocation& inv);     // volume create/ls/inspect/rm/prune
void add_inspect_commands(CLI::App& app, Invocation& inv);    // inspect
void add_exec_commands(CLI::App& app, Invocation& inv);       // exec
void add_top_commands(CLI::App& app, Invocation& inv);        // top
void add_stats_commands(CLI::App& app, Invocation& inv);      // stats
void add_cp_commands(CLI::App& app, Invocation& inv);         // cp
void add_port_commands(CLI::App& app, Invocation& inv);       // port
void add_prune_commands(CLI::App& app, Invocation& inv);      // container prune
void add_lifecycle_commands(CLI::App& app, Invocation& inv);  // ps, stop, kill, wait, rm, rename, pause, unpause
void add_logs_commands(CLI::App& app, Invocation& inv);       // logs
void add_attach_commands(CLI::App& app, Invocation& inv);     // attach
// run/create: where IMAGE is in ARGS (argv[1:]; ARGS.size() when there is
// none); exec and top: where CONTAINER is. Everything after it is the
// command's (or ps's options), which the flag parser must not see (`run
// busybox sh -c ...`); an unknown flag before it is a usage error, as docker's.
Result<size_t> find_run_image(const CLI::App& app, const std::vector<std::string>& args);

// "{{.Id}}" / "{{.Config.Cmd}}" / "{{json .RootFS}}": docker's --format for
// one JSON document; plain text passes through. "json" alone prints the
// document itself.
std::string format_json(const std::string& tmpl, const std::string& json_text);
// docker's sizes: "1.5MB" (decimal: images, block I/O) and "1.5MiB" (memory).
std::string human_size(uint64_t bytes);
std::string binary_size(uint64_t bytes);

}  // namespace husk::cli
