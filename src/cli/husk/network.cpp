// `husk network create|ls|inspect|rm|prune|connect|disconnect`: docker's
// bridge networks over the engine's network store (engine/networks.hpp).
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/husk/commands.hpp"
#include "engine/network.hpp"
#include "engine/networks.hpp"

namespace husk::cli {

namespace {

using json = nlohmann::ordered_json;
using engine::Network;

bool builtin(const Network& n) { return n.name == "bridge" || n.name == "host" || n.name == "none"; }

// docker's --filter KEY=VALUE for networks: name (part of it), id (a
// prefix), driver, label (KEY or KEY=VALUE), type (custom|builtin).
Result<bool> matches(const Network& n, const std::vector<std::string>& filters) {
  for (auto& f : filters) {
    auto eq = f.find('=');
    if (eq == std::string::npos) return fail_code(EINVAL, "bad format of filter (expected name=value)");
    std::string key = f.substr(0, eq), value = f.substr(eq + 1);
    bool ok = false;
    if (key == "name") {
      ok = n.name.find(value) != std::string::npos;
    } else if (key == "id") {
      ok = n.id.starts_with(value);
    } else if (key == "driver") {
      ok = n.driver == value;
    } else if (key == "type") {
      if (value != "custom" && value != "builtin")
        return fail_code(EINVAL, "invalid filter: 'type'='" + value + "'");
      ok = (value == "builtin") == builtin(n);
    } else if (key == "label") {
      auto leq = value.find('=');
      auto it = n.labels.find(value.substr(0, leq));
      ok = it != n.labels.end() && (leq == std::string::npos || it->second == value.substr(leq + 1));
    } else {
      return fail_code(EINVAL, "invalid filter '" + key + "'");
    }
    if (!ok) return false;
  }
  return true;
}

json ls_json(const Network& n) {
  std::string labels;
  for (auto& [k, v] : n.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
  return {{"CreatedAt", n.created},
          {"Driver", n.driver},
          {"ID", n.id.substr(0, 12)},
          {"IPv6", "false"},
          {"Internal", n.internal ? "true" : "false"},
          {"Labels", labels},
          {"Name", n.name},
          {"Scope", "local"}};
}

Result<int> list_networks(const Context& ctx, bool quiet, const std::string& format,
                          const std::vector<std::string>& filters) {
  auto eng = HUSK_TRY(open_engine(ctx));
  auto all = HUSK_TRY(eng.networks().list());
  std::sort(all.begin(), all.end(), [](const Network& a, const Network& b) { return a.name < b.name; });
  std::vector<Network> shown;
  for (auto& n : all)
    if (HUSK_TRY(matches(n, filters))) shown.push_back(n);
  if (quiet) {
    for (auto& n : shown) std::cout << n.id.substr(0, 12) << "\n";
    return 0;
  }
  if (format.empty() || format == "table") {
    std::printf("%-15s%-20s%-10s%s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE");
    for (auto& n : shown)
      std::printf("%-15s%-20s%-10s%s\n", n.id.substr(0, 12).c_str(), n.name.c_str(), n.driver.c_str(),
                  "local");
    return 0;
  }
  static const json kHeader = {{"ID", "NETWORK ID"}, {"Name", "NAME"},        {"Driver", "DRIVER"},
                               {"Scope", "SCOPE"},   {"IPv6", "IPV6"},        {"Internal", "INTERNAL"},
                               {"Labels", "LABELS"}, {"CreatedAt", "CREATED"}};
  std::vector<json> rows;
  for (auto& n : shown) rows.push_back(ls_json(n));
  auto text = engine::render_listing(format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", kHeader, rows);
  if (!text) return bad_format(text.error());
  std::cout << *text;
  return 0;
}

json inspect_json(const engine::Engine& eng, const Network& n) {
  json containers = json::object();
  auto records = eng.containers().list();
  for (auto& [id, ep] : engine::endpoints_on(eng.run_root(), n)) {
    std::string name;
    if (records)
      for (auto& r : *records)
        if (r.id == id) name = r.name;
    containers[id] = {{"Name", name},
                      {"EndpointID", id.substr(0, 12) + "-" + n.id.substr(0, 12)},
                      {"MacAddress", ep.mac},
                      {"IPv4Address", ep.address.str() + "/" + std::to_string(ep.prefix)},
                      {"IPv6Address", ""}};
  }
  return engine::to_json(n, containers);
}

Result<int> inspect_networks(const Context& ctx, const std::vector<std::string>& names,
                             const std::string& format) {
  auto parsed = InspectFormat::parse(format);
  if (!parsed) return bad_format(parsed.error());
  auto eng = HUSK_TRY(open_engine(ctx));
  std::vector<json> arr;
  int code = 0;
  for (auto& name : names) {
    auto n = eng.networks().find(name);
    if (!n) {
      std::fprintf(stderr, "husk: %s\n", n.error().what().c_str());
      code = 1;
      continue;
    }
    arr.push_back(inspect_json(eng, *n));
  }
  return std::max(code, parsed->print(arr));
}

Result<int> remove_networks(const Context& ctx, const std::vector<std::string>& names, bool force) {
  auto eng = HUSK_TRY(open_engine(ctx));
  int code = 0;
  for (auto& name : names) {
    auto r = eng.remove_network(name);
    if (r) {
      std::cout << name << "\n";
    } else if (!(force && r.error().err() == ENOENT)) {
      std::fprintf(stderr, "husk: %s\n", r.error().what().c_str());
      code = 1;
    }
  }
  return code;
}

Result<int> prune_networks(const Context& ctx, bool force, const std::vector<std::string>& filters) {
  auto filter = HUSK_TRY(prune_filter(filters));
  if (!force) {
    std::printf(
        "WARNING! This will remove all custom networks not used by at least one container.\n"
        "Are you sure you want to continue? [y/N] ");
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y") return 0;
  }
  auto eng = HUSK_TRY(open_engine(ctx));
  auto removed = HUSK_TRY(
      eng.prune_networks([&](const engine::Network& n) { return filter.matches(n.created, n.labels); }));
  if (!removed.empty()) {
    std::cout << "Deleted Networks:\n";
    for (auto& n : removed) std::cout << n << "\n";
  }
  return 0;
}

void add_network_create(CLI::App* network, Invocation& inv) {
  struct O {
    engine::NetworkOptions opts;
    std::vector<std::string> labels, options;
    bool attachable = false, ipv6 = false;
  };
  auto o = std::make_shared<O>();
  auto* c = network->add_subcommand("create", "create a bridge network");
  c->add_option("-d,--driver", o->opts.driver, "the driver (only bridge)");
  c->add_option("--subnet", o->opts.subnet, "the subnet (CIDR); default: a free one of the pools");
  c->add_option("--gateway", o->opts.gateway, "the gateway's address (default: the subnet's first)");
  c->add_option("--ip-range", o->opts.ip_range, "the part of the subnet containers get (CIDR)");
  c->add_flag("--internal", o->opts.internal, "no way out: no route, nothing forwarded, no NAT");
  c->add_flag("--attachable", o->attachable, "accepted, as docker's (every network is)");
  c->add_flag("--ipv6", o->ipv6, "IPv6 (not supported)");
  add_multi(c, "--label", o->labels, "KEY=VALUE");
  add_multi(c, "-o,--opt", o->options, "KEY=VALUE: com.docker.network.bridge.name=NAME");
  c->add_option("name", o->opts.name, "the network's name")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) -> Result<int> {
      if (o->ipv6) return fail_code(ENOTSUP, "IPv6 networks are not supported");
      o->opts.labels = HUSK_TRY(labels_from(o->labels, "label"));
      o->opts.options = HUSK_TRY(labels_from(o->options, "option"));
      auto eng = HUSK_TRY(open_engine(ctx));
      auto made = HUSK_TRY(eng.networks().create(o->opts));
      eng.events().record(engine::network_event("create", made));
      std::cout << made.id << "\n";
      return 0;
    };
  });
}

void add_network_ls(CLI::App* network, Invocation& inv) {
  struct O {
    bool quiet = false, no_trunc = false;
    std::string format;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<O>();
  auto* c = network->add_subcommand("ls", "list networks");
  c->alias("list");
  c->add_flag("-q,--quiet", o->quiet, "ids only");
  c->add_flag("--no-trunc", o->no_trunc, "accepted (ids are shown short)");
  c->add_option("--format", o->format, "json, table or a template such as '{{.Name}}'");
  add_multi(c, "-f,--filter", o->filters, "name=, id=, driver=, label=, type=custom|builtin");
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return list_networks(ctx, o->quiet, o->format, o->filters); };
  });
}

void add_network_inspect(CLI::App* network, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    std::string format;
  };
  auto o = std::make_shared<O>();
  auto* c = network->add_subcommand("inspect", "show networks as JSON");
  c->add_option("-f,--format", o->format, "a template such as '{{.Driver}}'");
  c->add_option("name", o->names, "network names or ids")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return inspect_networks(ctx, o->names, o->format); };
  });
}

void add_network_rm(CLI::App* network, Invocation& inv) {
  struct O {
    std::vector<std::string> names;
    bool force = false;
  };
  auto o = std::make_shared<O>();
  auto* c = network->add_subcommand("rm", "remove networks no running container is on");
  c->alias("remove");
  c->add_flag("-f,--force", o->force, "no error for a network that does not exist");
  c->add_option("name", o->names, "network names or ids")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return remove_networks(ctx, o->names, o->force); };
  });
}

void add_network_prune(CLI::App* network, Invocation& inv) {
  struct O {
    bool force = false;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<O>();
  auto* c = network->add_subcommand("prune", "remove the user-defined networks no running container is on");
  c->add_flag("-f,--force", o->force, "do not ask");
  add_multi(c, "--filter", o->filters, "until=TIME, label=KEY[=VALUE], label!=KEY[=VALUE]");
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) { return prune_networks(ctx, o->force, o->filters); };
  });
}

void add_network_connect(CLI::App* network, Invocation& inv) {
  struct O {
    std::string network, container, ip;
    std::vector<std::string> aliases;
  };
  auto o = std::make_shared<O>();
  auto* c = network->add_subcommand("connect", "put a container on a network (at once when it runs)");
  add_multi(c, "--alias", o->aliases, "another name on the network");
  c->add_option("--ip", o->ip, "its address on the network");
  c->add_option("network", o->network, "the network")->required();
  c->add_option("container", o->container, "the container")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      HUSK_TRY(eng.connect(o->container, o->network, o->aliases, o->ip));
      return 0;
    };
  });
}

void add_network_disconnect(CLI::App* network, Invocation& inv) {
  struct O {
    std::string network, container;
    bool force = false;
  };
  auto o = std::make_shared<O>();
  auto* c = network->add_subcommand("disconnect", "take a container off a network");
  c->add_flag("-f,--force", o->force, "no error when it is not on it");
  c->add_option("network", o->network, "the network")->required();
  c->add_option("container", o->container, "the container")->required();
  c->callback([o, &inv] {
    inv.action = [o](const Context& ctx) -> Result<int> {
      auto eng = HUSK_TRY(open_engine(ctx));
      HUSK_TRY(eng.disconnect(o->container, o->network, o->force));
      return 0;
    };
  });
}

}  // namespace

void add_network(CLI::App& app, Invocation& inv) {
  auto* network = app.add_subcommand("network", "manage networks");
  network->require_subcommand(1);
  add_network_create(network, inv);
  add_network_ls(network, inv);
  add_network_inspect(network, inv);
  add_network_rm(network, inv);
  add_network_prune(network, inv);
  add_network_connect(network, inv);
  add_network_disconnect(network, inv);
}

}  // namespace husk::cli
