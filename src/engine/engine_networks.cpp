// The engine's side of `husk network ...` and of a run's --network, --ip,
// --mac-address and --network-alias: which networks a container is on
// (its record), checked with docker's rules and messages.
#include <algorithm>

#include "engine/engine.hpp"
#include "engine/etc_files.hpp"
#include "engine/namespaces.hpp"
#include "engine/network.hpp"
#include "net/netlink.hpp"

namespace husk::engine {

namespace {

Error invalid(std::string what) { return Error(EINVAL, std::move(what), false, ErrorKind::invalid_argument); }

// docker's rules for an address asked for on N.
Result<void> check_ip(const Network& n, const std::string& ip) {
  if (ip.empty()) return {};
  auto a = net::parse_ipv4(ip);
  if (!a) return fail(invalid("invalid IPv4 address: " + ip));
  if (!n.has_names() || !n.configured_subnet)
    return fail(invalid(n.is_default()
                            ? "user specified IP address is supported on user defined networks only"
                            : "user specified IP address is supported only when connecting to "
                              "networks with user configured subnets"));
  if (!n.subnet.contains(*a))
    return fail(invalid("Invalid address " + ip + ": It does not belong to any of this network's subnets"));
  return {};
}

Result<void> check_aliases(const Network& n, const std::vector<std::string>& aliases) {
  if (!aliases.empty() && !n.has_names())
    return fail(invalid("network-scoped alias is supported only for containers in user defined networks"));
  return {};
}

bool is_bridge(const Network& n) { return n.driver == "bridge"; }

// The networks of ATTACHMENTS that are still there.
std::vector<Network> networks_of(const NetworkStore& store,
                                 const std::vector<NetworkAttachment>& attachments) {
  std::vector<Network> out;
  for (auto& a : attachments)
    if (auto n = store.find(a.id.empty() ? a.name : a.id)) out.push_back(std::move(*n));
  return out;
}

// The container's resolv.conf, rewritten in place when the server it asks
// changed from ASKED to NOW (network connect or disconnect).
Result<void> ask_resolver(const std::string& container_dir, const RunFlags& f, const NetworkStore& store,
                          std::optional<net::Ipv4> asked, std::optional<net::Ipv4> now) {
  if (now == asked) return {};
  return rewrite_resolv_conf(container_dir, f, now, HUSK_TRY(store.defaults()).dns);
}

}  // namespace

Result<std::vector<NetworkAttachment>> Engine::plan_networks(const RunFlags& f,
                                                             std::optional<net::Ipv4>* nameserver) const {
  auto mode = HUSK_TRY(parse_network_mode(f.network));
  if (!f.mac_address.empty() && !net::parse_mac(f.mac_address))
    return fail(invalid("invalid MAC address: " + f.mac_address));
  if (mode.network.empty()) {
    if (!f.more_networks.empty())
      return fail(
          invalid("conflicting options: cannot attach both user-defined and non-user-defined network-modes"));
    if (!f.ip.empty())
      return fail(invalid("user specified IP address is supported on user defined networks only"));
    if (!f.network_aliases.empty())
      return fail(invalid("network-scoped alias is supported only for containers in user defined networks"));
    return std::vector<NetworkAttachment>{};
  }
  NetworkStore store = networks();
  std::vector<NetworkAttachment> out;
  std::vector<Network> on;
  std::vector<std::string> names{mode.network};
  names.insert(names.end(), f.more_networks.begin(), f.more_networks.end());
  for (auto& name : names) {
    auto n = HUSK_TRY(store.find(name));
    if (!is_bridge(n))
      return fail(
          invalid("conflicting options: cannot attach both user-defined and non-user-defined network-modes"));
    if (std::any_of(out.begin(), out.end(), [&](const NetworkAttachment& a) { return a.id == n.id; }))
      return fail(invalid("network " + n.name + " is named twice"));
    out.push_back(NetworkAttachment{n.name, n.id, {}, "", ""});
    on.push_back(std::move(n));
  }
  *nameserver = resolver_for(on);
  HUSK_TRY(check_ip(on[0], f.ip));
  HUSK_TRY(check_aliases(on[0], f.network_aliases));
  out[0].ip = f.ip;
  out[0].mac = f.mac_address;
  out[0].aliases = f.network_aliases;
  return out;
}

Event network_event(std::string_view action, const Network& n, const std::string& container) {
  Event e;
  e.type = "network";
  e.action = std::string(action);
  e.id = n.id;
  e.attributes = {{"name", n.name}, {"type", n.driver}};
  if (!container.empty()) e.attributes["container"] = container;
  return e;
}

Result<void> Engine::connect(const std::string& container, const std::string& network,
                             const std::vector<std::string>& aliases, const std::string& ip) const {
  ContainerStore cs = containers();
  auto rec = HUSK_TRY(cs.find(container));
  auto n = HUSK_TRY(networks().find(network));
  if (!is_bridge(n))
    return fail_code(EINVAL,
                     "container cannot be disconnected from host network or connected to host network");
  auto mode = HUSK_TRY(parse_network_mode(rec.flags.network));
  if (mode.network.empty())
    return fail_code(EINVAL, "container " + rec.name + " has the " +
                                 (rec.flags.network.empty() ? std::string("none") : rec.flags.network) +
                                 " network mode: it cannot be connected to a network");
  HUSK_TRY(check_ip(n, ip));
  HUSK_TRY(check_aliases(n, aliases));
  rec.networks = attachments_of(rec);
  for (auto& a : rec.networks)
    if (a.id == n.id || (a.id.empty() && a.name == n.name))
      return fail_code(EEXIST, "endpoint with name " + rec.name + " already exists in network " + n.name);
  NetworkAttachment a{n.name, n.id, aliases, ip, ""};
  NetworkStore store = networks();
  auto on = networks_of(store, rec.networks);
  auto asked = resolver_for(on);
  on.push_back(n);
  LiveStatus st = live_status(rec);
  if (st == LiveStatus::running || st == LiveStatus::paused)
    HUSK_TRY(connect_running(store, run_root_, rec, a, on));
  HUSK_TRY(ask_resolver(cs.dir(rec.id), rec.flags, store, asked, resolver_for(on)));
  rec.networks.push_back(a);
  HUSK_TRY(cs.save(rec));
  events().record(network_event("connect", n, rec.id));
  return {};
}

Result<void> Engine::disconnect(const std::string& container, const std::string& network, bool force) const {
  ContainerStore cs = containers();
  auto rec = HUSK_TRY(cs.find(container));
  auto n = networks().find(network);
  if (!n && !force) return fail(std::move(n).error());
  rec.networks = attachments_of(rec);
  auto it = std::find_if(rec.networks.begin(), rec.networks.end(), [&](const NetworkAttachment& a) {
    return n ? (a.id == n->id || (a.id.empty() && a.name == n->name)) : a.name == network;
  });
  if (it == rec.networks.end()) {
    if (force) return {};
    return fail_code(EINVAL, "container " + rec.id + " is not connected to network " + network);
  }
  NetworkStore store = networks();
  auto asked = resolver_for(networks_of(store, rec.networks));
  rec.networks.erase(it);
  auto on = networks_of(store, rec.networks);
  LiveStatus st = live_status(rec);
  if (n && (st == LiveStatus::running || st == LiveStatus::paused))
    HUSK_TRY(disconnect_running(run_root_, rec.id, *n, on));
  HUSK_TRY(ask_resolver(cs.dir(rec.id), rec.flags, store, asked, resolver_for(on)));
  HUSK_TRY(cs.save(rec));
  if (n) events().record(network_event("disconnect", *n, rec.id));
  return {};
}

Result<void> Engine::rename(const std::string& container, const std::string& new_name) const {
  ContainerStore cs = containers();
  auto before = HUSK_TRY(cs.find(container));
  HUSK_TRY(cs.rename(container, new_name));
  auto rec = HUSK_TRY(cs.find(new_name));
  record_event(rec, "rename", {{"oldName", "/" + before.name}});
  // Running: its name servers answer to the new name at once (docker's do).
  return rename_running(run_root_, rec);
}

Result<void> Engine::remove_network(const std::string& name_or_id) const {
  NetworkStore store = networks();
  auto n = HUSK_TRY(store.find(name_or_id));
  if (!is_bridge(n) || n.is_default())
    return fail_code(EPERM, n.name + " is a pre-defined network and cannot be removed");
  if (!endpoints_on(run_root_, n).empty())
    return fail_code(
        EBUSY, "error while removing network: network " + n.name + " id " + n.id + " has active endpoints");
  HUSK_TRY(release_network(run_root_, n));
  HUSK_TRY(store.remove(n));
  events().record(network_event("destroy", n));
  return {};
}

Result<std::vector<std::string>> Engine::prune_networks(
    const std::function<bool(const Network&)>& take) const {
  std::vector<std::string> removed;
  for (auto& n : HUSK_TRY(networks().list())) {
    if (!is_bridge(n) || n.is_default() || !endpoints_on(run_root_, n).empty()) continue;
    if (take && !take(n)) continue;
    HUSK_TRY(remove_network(n.id));
    removed.push_back(n.name);
  }
  return removed;
}

}  // namespace husk::engine
