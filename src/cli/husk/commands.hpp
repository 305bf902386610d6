// husk's commands: each registers its subcommand, whose callback leaves an
// action to run once the global flags (and so the Context) are known.
#pragma once

#include <CLI/CLI.hpp>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "engine/engine.hpp"
#include "engine/listing.hpp"
#include "engine/system.hpp"
#include "engine/template.hpp"

namespace husk::cli {

// A tree as a tar stream to OUT, and a stream from IN unpacked into an
// empty directory (libarchive: husk-full has them, the lean husk not).
struct TarStreams {
  std::function<Result<void>(const std::string& dir, int out)> write;
  std::function<Result<void>(int in, const std::string& dir)> read;
};

struct Context {
  std::string root;                  // the image store (--root), default /var/lib/husk
  std::string run_root;              // the runtime's state for the engine's containers (--runroot)
  std::string config;                // the config file (--config), default /etc/husk/daemon.json
  engine::ImageFetcher fetch_image;  // an image a run lacks: made or pulled
  TarStreams tar;                    // husk-full's: cp's "-" side
};

using Action = std::function<Result<int>(const Context&)>;

struct Invocation {
  Action action;
  std::vector<std::string> command;  // run/create: what follows IMAGE, untouched by flag parsing
};

inline Result<engine::Engine> open_engine(const Context& ctx) {
  return engine::Engine::open(ctx.root, ctx.run_root, ctx.fetch_image, ctx.config);
}

// What makes one husk program differ from the other (lean.cpp, full.cpp):
// the commands it adds to the container commands, and how a run gets an
// image the store lacks.
struct Flavor {
  std::function<void(CLI::App&, Invocation&)> add_more;
  engine::ImageFetcher fetch_image;
  TarStreams tar;
};
// Parses the command line and runs the command: the exit code.
int husk_main(int argc, char** argv, const Flavor& flavor);
// The container commands (run, ps, exec, ...): the lean husk's own set.
// Only ONLY when it names one of them (its flags are all a run needs),
// every one otherwise (help, an unknown command, "container ...").
void add_container_commands(CLI::App& app, Invocation& inv, std::string_view only);

// Repeatable options (-e A -e B) take one value each, so IMAGE after them
// stays IMAGE.
inline CLI::Option* add_multi(CLI::App* c, const std::string& name, std::vector<std::string>& into,
                              const std::string& help) {
  return c->add_option(name, into, help)->allow_extra_args(false)->take_all();
}

// Where ARGS name the command: the first argument past the global flags
// and their values (ARGS.size() when none does).
size_t command_at(const CLI::App& app, const std::vector<std::string>& args);
// One adder per subcommand, in the command's file: each declares its flags
// and leaves its action in INV when it is the one given.
// husk-full's (image.cpp, pull.cpp):
// image ls|inspect|history|rm|tag|prune|import|bundle|load|save|unbundle
void add_image(CLI::App& app, Invocation& inv);
void add_images(CLI::App& app, Invocation& inv);  // docker's short forms: images, history, tag, import
void add_rmi(CLI::App& app, Invocation& inv);
void add_load(CLI::App& app, Invocation& inv);
void add_save(CLI::App& app, Invocation& inv);
void add_pull(CLI::App& app, Invocation& inv);
void add_push(CLI::App& app, Invocation& inv);
void add_login(CLI::App& app, Invocation& inv);
void add_logout(CLI::App& app, Invocation& inv);
void add_commit(CLI::App& app, Invocation& inv);  // commit.cpp: commit, export
void add_export(CLI::App& app, Invocation& inv);
// The container commands (both programs):
void add_run(CLI::App& app, Invocation& inv);  // run.cpp: run, create, start, restart
void add_create(CLI::App& app, Invocation& inv);
void add_start(CLI::App& app, Invocation& inv);
void add_restart(CLI::App& app, Invocation& inv);
void add_ps(CLI::App& app,
            Invocation& inv);  // lifecycle.cpp: ps, wait, stop, kill, rm, rename, pause, unpause
void add_wait(CLI::App& app, Invocation& inv);
void add_stop(CLI::App& app, Invocation& inv);
void add_kill(CLI::App& app, Invocation& inv);
void add_rm(CLI::App& app, Invocation& inv);
void add_rename(CLI::App& app, Invocation& inv);
void add_pause(CLI::App& app, Invocation& inv);
void add_unpause(CLI::App& app, Invocation& inv);
void add_update(CLI::App& app, Invocation& inv);
// The resource flags run, create and update share (--cpus, -m, --pids-limit, ...).
void add_resource_flags(CLI::App* c, engine::ResourceFlags& f);
void add_volume(CLI::App& app, Invocation& inv);  // volume create|ls|inspect|rm|prune
// network create|ls|inspect|rm|prune|connect|disconnect
void add_network(CLI::App& app, Invocation& inv);
// KEY=VALUE pairs (--label, --opt) as a map; WHAT names them in the error.
Result<std::map<std::string, std::string>> labels_from(const std::vector<std::string>& pairs,
                                                       const std::string& what);
void add_inspect(CLI::App& app, Invocation& inv);
void add_exec(CLI::App& app, Invocation& inv);
void add_healthcheck(CLI::App& app, Invocation& inv);  // exec.cpp: healthcheck run
void add_top(CLI::App& app, Invocation& inv);
void add_stats(CLI::App& app, Invocation& inv);
void add_cp(CLI::App& app, Invocation& inv);
void add_port(CLI::App& app, Invocation& inv);
void add_container_prune(CLI::App& app, Invocation& inv);  // container prune
// husk-full's (system.cpp): version, info, system df|info|prune.
void add_version(CLI::App& app, Invocation& inv);
void add_info(CLI::App& app, Invocation& inv);
void add_system(CLI::App& app, Invocation& inv);
void add_events(CLI::App& app, Invocation& inv);  // events.cpp
void add_logs(CLI::App& app, Invocation& inv);
void add_attach(CLI::App& app, Invocation& inv);
// Where ARGS name the command: the first argument past the global flags
// and their values (ARGS.size() when none does).
size_t command_at(const CLI::App& app, const std::vector<std::string>& args);
// run/create: where IMAGE is in ARGS (argv[1:]; ARGS.size() when there is
// none); exec and top: where CONTAINER is. Everything after it is the
// command's (or ps's options), which the flag parser must not see (`run
// busybox sh -c ...`); an unknown flag before it is a usage error, as docker's.
Result<size_t> find_run_image(const CLI::App& app, const std::vector<std::string>& args);

// A prune's report as docker's: its warnings on stderr; TITLE ("Deleted
// Containers:"), what went, one a line, and a blank line, unless nothing went.
void print_pruned(const std::string& title, const engine::PruneReport& report);
// The prunes' --filter (until=, label=, label!=), checked before anything
// is asked or removed (engine::PruneFilter).
Result<engine::PruneFilter> prune_filter(const std::vector<std::string>& args);

// The exit status for a --format that does not parse or cannot be applied
// (issue 16: one error, 125, before any output; docker's CLI says 64 at
// inspect and 1 at its lists).
inline constexpr int kBadFormatStatus = 125;
// Prints E as husk prints errors; kBadFormatStatus.
int bad_format(const Error& e);

// docker's inspect --format, parsed before anything is looked up (a bad one
// is one error and status 64): "" prints the documents as an indented JSON
// array, "json" as a compact one, a template formats each document.
class InspectFormat {
 public:
  static Result<InspectFormat> parse(const std::string& format);
  // DOCS printed; 1 when the template failed on some (their errors on
  // stderr after the others' output, as docker), else 0.
  int print(const std::vector<nlohmann::ordered_json>& docs) const;

 private:
  InspectFormat(std::string format, std::optional<engine::Template> tmpl);
  std::string format_;
  std::optional<engine::Template> tmpl_;
};

// docker's times and sizes in lists (engine/listing.hpp).
using engine::binary_size;
using engine::docker_time;
using engine::human_size;
using engine::time_ago;

}  // namespace husk::cli
