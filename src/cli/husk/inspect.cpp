// `husk inspect [-f TEMPLATE] [--type container|image] NAME...`: containers
// in docker's JSON shape plus husk's Isolation section; a name that is no
// container falls back to an image, as docker's inspect does.
#include <cstdio>
#include <iostream>

#include "cli/husk/commands.hpp"
#include "cli/husk/image_json.hpp"
#include "engine/inspect.hpp"

namespace husk::cli {

namespace {

using json = nlohmann::ordered_json;

struct InspectOptions {
  std::vector<std::string> names;
  std::string format, type;
};

// NAME as a container, else (unless --type says otherwise) as an image.
Result<json> inspect_one(const engine::Engine& eng, const std::string& name, const std::string& type) {
  if (type != "image") {
    auto rec = eng.containers().find(name);
    if (rec) return engine::inspect_container(eng, *rec);
    if (rec.error().err() != ENOENT || type == "container") return fail(std::move(rec).error());
  }
  auto img = eng.images().find_image(name);
  if (img) return json::parse(image_inspect_json(eng.images(), *img));
  if (img.error().err() != ENOENT && img.error().err() != EINVAL) return fail(std::move(img).error());
  return fail_code(ENOENT, type.empty() ? "no such object: " + name : "no such " + type + ": " + name);
}

// As docker: every object found is printed, then the first error ends it with 1.
Result<int> inspect(const Context& ctx, const InspectOptions& o) {
  if (!o.type.empty() && o.type != "container" && o.type != "image")
    return fail_code(EINVAL, "\"" + o.type + "\" is not a valid value for --type");
  auto format = InspectFormat::parse(o.format);
  if (!format) return bad_format(format.error());
  auto eng = HUSK_TRY(open_engine(ctx));
  std::vector<json> all;
  std::optional<Error> first_error;
  for (auto& n : o.names) {
    auto j = inspect_one(eng, n, o.type);
    if (j) {
      all.push_back(std::move(*j));
    } else if (!first_error) {
      first_error = j.error();
    }
  }
  int status = format->print(all);
  if (first_error) return fail(*first_error);
  return status;
}

}  // namespace

void add_inspect(CLI::App& app, Invocation& inv) {
  auto o = std::make_shared<InspectOptions>();
  auto* c = app.add_subcommand("inspect", "show containers (or images) as JSON, with how they are isolated");
  c->add_option("-f,--format", o->format, "a template such as '{{.State.Pid}}' or '{{json .Mounts}}'");
  c->add_option("--type", o->type, "container or image (default: a container, else an image)");
  c->add_option("name", o->names, "container or image names or ids")->required();
  c->callback([o, &inv] { inv.action = [o](const Context& ctx) { return inspect(ctx, *o); }; });
}

}  // namespace husk::cli
