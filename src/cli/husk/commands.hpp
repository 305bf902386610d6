// husk's commands: each registers its subcommand, whose callback leaves an
// action to run once the global flags (and so the Context) are known.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/error.hpp"

namespace husk::cli {

struct Context {
  std::string root;  // the image store (--root), default /var/lib/husk
};

using Action = std::function<Result<int>(const Context&)>;

struct Invocation {
  Action action;
};

void add_image(CLI::App& app, Invocation& inv);  // `husk image ...` and docker's short forms (images, rmi)
void add_registry_commands(CLI::App& app, Invocation& inv);  // pull, push, login, logout
void add_container_commands(CLI::App& app, Invocation& inv);  // run, ps, rm

// "{{.Id}}" / "{{.Config.Cmd}}" / "{{json .RootFS}}": docker's --format for
// one JSON document; plain text passes through. "json" alone prints the
// document itself.
std::string format_json(const std::string& tmpl, const std::string& json_text);

}  // namespace husk::cli
