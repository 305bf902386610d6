// husk-runtime's commands: each file registers one subcommand whose callback
// leaves an action to run once the global flags (and so the Context) are known.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>

#include "runtime/context.hpp"

namespace husk::cli {

using Action = std::function<Result<int>(const runtime::Context&)>;

struct Invocation {
  Action action;
  // The exit code when the action fails (runc's 1; its exec's 255).
  int failure_code = 1;
};

void add_create(CLI::App& app, Invocation& inv);
void add_start(CLI::App& app, Invocation& inv);
void add_run(CLI::App& app, Invocation& inv);
void add_state(CLI::App& app, Invocation& inv);
void add_kill(CLI::App& app, Invocation& inv);
void add_delete(CLI::App& app, Invocation& inv);
void add_list(CLI::App& app, Invocation& inv);
void add_ps(CLI::App& app, Invocation& inv);
void add_exec(CLI::App& app, Invocation& inv);
void add_spec(CLI::App& app, Invocation& inv);
void add_features(CLI::App& app, Invocation& inv);
void add_pause(CLI::App& app, Invocation& inv);
void add_resume(CLI::App& app, Invocation& inv);
void add_update(CLI::App& app, Invocation& inv);
void add_events(CLI::App& app, Invocation& inv);

}  // namespace husk::cli

namespace husk::runtime {
struct CreateOptions;
}

namespace husk::cli {

// The flags create and run share (--bundle, --pid-file, --console-socket, ...).
void add_create_flags(CLI::App& cmd, runtime::CreateOptions& o);

}  // namespace husk::cli
