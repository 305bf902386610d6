// `husk volume create|ls|inspect|rm|prune`: docker's named volumes (the
// local driver) over the engine's volume store.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/husk/commands.hpp"
#include "engine/volumes.hpp"

namespace husk::cli {

Result<std::map<std::string, std::string>> labels_from(const std::vector<std::string>& pairs,
                                                       const std::string& what) {
  std::map<std::string, std::string> out;
  for (auto& kv : pairs) {
    auto eq = kv.find('=');
    if (eq == 0 || kv.empty()) return fail_code(EINVAL, "invalid " + what + " \"" + kv + "\": no key");
    out[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return out;
}

namespace {

using json = nlohmann::ordered_json;
using engine::VolumeStore;

// `volume ls --format json`'s line: docker's fields, labels as "k=v,k=v".
json ls_json(const engine::Volume& v) {
  std::string labels;
  for (auto& [k, val] : v.labels) labels += (labels.empty() ? "" : ",") + k + "=" + val;
  return {{"Availability", "N/A"}, {"Driver", "local"}, {"Group", "N/A"},
          {"Labels", labels},      {"Links", "N/A"},    {"Mountpoint", v.mountpoint},
          {"Name", v.name},        {"Scope", "local"},  {"Size", "N/A"},
          {"Status", "N/A"}};
}

Result<int> list_volumes(const Context& ctx, bool quiet, const std::string& format) {
  auto all = HUSK_TRY(VolumeStore(ctx.root).list());
  if (quiet) {
    for (auto& v : all) std::cout << v.name << "\n";
    return 0;
  }
  if (format.empty() || format == "table") {
    std::printf("%-10s%s\n", "DRIVER", "VOLUME NAME");
    for (auto& v : all) std::printf("%-10s%s\n", "local", v.name.c_str());
    return 0;
  }
  static const json kHeader = {
      {"Driver", "DRIVER"}, {"Name", "VOLUME NAME"}, {"Mountpoint", "MOUNTPOINT"},     {"Labels", "LABELS"},
      {"Scope", "SCOPE"},   {"Size", "SIZE"},        {"Availability", "AVAILABILITY"}, {"Group", "GROUP"},
      {"Status", "STATUS"}};
  std::vector<json> rows;
  for (auto& v : all) rows.push_back(ls_json(v));
  auto text = engine::render_listing(format, "table {{.Driver}}\t{{.Name}}", kHeader, rows);
  if (!text) return bad_format(text.error());
  std::cout << *text;
  return 0;
}

Result<int> inspect_volumes(const Context& ctx, const std::vector<std::string>& names,
                            const std::string& format) {
  auto parsed = InspectFormat::parse(format);
  if (!parsed) return bad_format(parsed.error());
  VolumeStore vs(ctx.root);
  std::vector<json> arr;
  int code = 0;
  for (auto& n : names) {
    auto v = vs.get(n);
    if (!v) {
      std::fprintf(stderr, "husk: %s\n", v.error().what().c_str());
      code = 1;
      continue;
    }
    arr.push_back(engine::to_json(*v));
  }
  return std::max(code, parsed->print(arr));
}

Result<int> remove_volumes(const Context& ctx, const std::vector<std::string>& names, bool force) {
  VolumeStore vs(ctx.root);
  int code = 0;
  for (auto& n : names) {
    auto r = vs.remove(n);
    if (r) {
      std::cout << n << "\n";
    } else if (!(force && r.error().err() == ENOENT)) {  // -f: a missing one is fine, one in use is not
      std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
      code = 1;
    }
  }
  return code;
}

// docker's units.HumanSize: decimal units, four significant digits.
std::string human_size(unsigned long long bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  while (v >= 1000 && u + 1 < std::size(kUnits)) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%s", v, kUnits[u]);
  return buf;
}

Result<int> prune_volumes(const Context& ctx, bool all, bool force, const std::vector<std::string>& filters) {
  auto filter = HUSK_TRY(prune_filter(filters));
  // docker's volume prune takes labels, not times.
  if (filter.has_until()) return fail_code(EINVAL, "invalid filter 'until'", ErrorKind::invalid_argument);
  if (!force) {
    std::printf(
        "WARNING! This will remove %s local volumes not used by at least one container.\n"
        "Are you sure you want to continue? [y/N] ",
        all ? "all" : "anonymous");
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y") return 0;
  }
  unsigned long long bytes = 0;
  auto removed = HUSK_TRY(VolumeStore(ctx.root).prune(
      all, &bytes, [&](const engine::Volume& v) { return filter.matches(v.created, v.labels); }));
  if (!removed.empty()) {
    std::cout << "Deleted Volumes:\n";
    for (auto& n : removed) std::cout << n << "\n";
    std::cout << "\n";
  }
  std::cout << "Total reclaimed space: " << human_size(bytes) << "\n";
  return 0;
}

void add_volume_create(CLI::App* volume, Invocation& inv) {
  struct O {
    std::string name, driver = "local";
    std::vector<std::string> labels;
  };
  auto o = std::make_shared<O>();
  auto* c = volume->add_subcommand("create", "create a volume (a new name unless NAME is given)");
  add_multi(c, "-l,--label", o->labels, "KEY=VALUE");
  c->add_option("-d,--driver", o->driver, "the volume driver (only local)");
  c->add_option("name", o->name, "the volume's name");
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) -> Result<int> {
      if (o->driver != "local")
        return fail_code(ENOTSUP, "volume driver \"" + o->driver + "\" is not supported (only \"local\")");
      auto labels = HUSK_TRY(labels_from(o->labels, "label"));
      std::string name = o->name.empty() ? engine::new_container_id() : o->name;
      std::cout << HUSK_TRY(VolumeStore(ctx.root).create(name, labels)).name << "\n";
      return 0;
    };
  });
}

void add_volume_ls(CLI::App* volume, Invocation& inv) {
  struct O {
    bool quiet = false;
    std::string format;
  };
  auto o = std::make_shared<O>();
  auto* c = volume->add_subcommand("ls", "list volumes");
  c->alias("list");
  c->add_flag("-q,--quiet", o->quiet, "names only");
  c->add_option("--format", o->format, "json, table or a template such as '{{.Name}}'");
  c->callback(
      [o, &inv] { inv.action = [o](const Context& ctx) { return list_volumes(ctx, o->quiet, o->format); }; });
}

void add_volume_inspect(CLI::App* volume, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    std::string format;
  };
  auto o = std::make_shared<O>();
  auto* c = volume->add_subcommand("inspect", "show volumes as JSON");
  c->add_option("-f,--format", o->format, "a template such as '{{.Mountpoint}}'");
  c->add_option("name", o->names, "volume names")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return inspect_volumes(ctx, o->names, o->format); };
  });
}

void add_volume_rm(CLI::App* volume, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    bool force = false;
  };
  auto o = std::make_shared<O>();
  auto* c = volume->add_subcommand("rm", "remove volumes no container uses");
  c->alias("remove");
  c->add_flag("-f,--force", o->force, "no error for a volume that does not exist");
  c->add_option("name", o->names, "volume names")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return remove_volumes(ctx, o->names, o->force); };
  });
}

void add_volume_prune(CLI::App* volume, Invocation& inv) {
  struct O {
    bool all = false, force = false;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<O>();
  auto* c = volume->add_subcommand("prune", "remove the anonymous volumes no container uses");
  c->add_flag("-a,--all", o->all, "named ones too");
  c->add_flag("-f,--force", o->force, "do not ask");
  add_multi(c, "--filter", o->filters, "label=KEY[=VALUE], label!=KEY[=VALUE]");
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return prune_volumes(ctx, o->all, o->force, o->filters); };
  });
}

}  // namespace

void add_volume(CLI::App& app, Invocation& inv) {
  auto* volume = app.add_subcommand("volume", "manage volumes");
  volume->require_subcommand(1);
  add_volume_create(volume, inv);
  add_volume_ls(volume, inv);
  add_volume_inspect(volume, inv);
  add_volume_rm(volume, inv);
  add_volume_prune(volume, inv);
}

}  // namespace husk::cli
