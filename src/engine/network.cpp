#include "engine/network.hpp"

#include <fcntl.h>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "engine/namespaces.hpp"
#include "net/ipam.hpp"
#include "net/netlink.hpp"
#include "net/netns.hpp"

namespace husk::engine {

namespace {

constexpr unsigned kDefaultMtu = 1500;

std::string leases_dir(const std::string& run_root, const std::string& network) {
  return run_root + "/networks/" + network;
}

// The host end of ID's veth: "husk" and the id's first 11 digits (a link
// name has at most 15 characters).
std::string host_veth(const std::string& id) { return "husk" + id.substr(0, 11); }

net::Pool pool_of(const NetworkConfig& n) { return net::Pool{n.subnet, n.subnet, n.gateway}; }

// The bridge, up, with the gateway's address; made when missing (two runs
// at once may both try: the second finds it made).
Result<void> ensure_bridge(const net::Netlink& host, const NetworkConfig& n, unsigned mtu) {
  if (host.index_of(n.bridge)) return {};
  auto made = host.add_bridge(n.bridge, mtu);
  if (!made && made.error().err() != EEXIST) return made;
  auto addr = host.add_address(n.bridge, n.gateway, n.subnet.prefix);
  if (!addr && addr.error().err() != EEXIST) return addr;
  return {};
}

}  // namespace

NetworkConfig default_bridge_network() {
  return NetworkConfig{"bridge", "husk0", *net::parse_subnet("10.87.0.0/16"), *net::parse_ipv4("10.87.0.1")};
}

Result<std::optional<NetworkConfig>> network_of(const RunFlags& f) {
  auto mode = HUSK_TRY(parse_network_mode(f.network));
  if (mode.network.empty()) return std::nullopt;
  return default_bridge_network();
}

std::string netns_path(const std::string& run_root, const std::string& id) {
  return run_root + "/netns/" + id;
}

Result<std::optional<Endpoint>> attach_network(const std::string& run_root, const ContainerRecord& rec) {
  auto network = HUSK_TRY(network_of(rec.flags));
  if (!network) return std::nullopt;
  const NetworkConfig& n = *network;
  std::string ns = netns_path(run_root, rec.id);
  // What a start that died half-way left (but its veth: see below).
  HUSK_TRY(detach_network(run_root, rec.id, rec.flags));
  auto host = HUSK_TRY(net::Netlink::open());
  unsigned mtu = host.default_route_mtu(kDefaultMtu);
  HUSK_TRY_CTX(ensure_bridge(host, n, mtu), "network " + n.name);
  HUSK_TRY_CTX(net::create_netns(ns), "network " + n.name);
  auto undo = [&](Error e) {
    (void)detach_network(run_root, rec.id, rec.flags);
    return fail(std::move(e).context("network " + n.name));
  };
  // A lease is held while its holder's namespace is kept.
  auto alive = [&](const std::string& owner) { return path_exists(netns_path(run_root, owner)); };
  auto address = net::Leases(leases_dir(run_root, n.name)).acquire(pool_of(n), rec.id, std::nullopt, alive);
  if (!address) return undo(std::move(address).error());
  Endpoint ep{n.name, *address, n.subnet.prefix, n.gateway, net::mac_for(*address).str()};
  auto wired = [&]() -> Result<void> {
    UniqueFd nsfd = HUSK_TRY(open_fd(ns, O_RDONLY | O_CLOEXEC));
    int bridge = HUSK_TRY(host.index_of(n.bridge));
    auto veth = [&] {
      return host.add_veth(host_veth(rec.id), bridge, "eth0", nsfd.get(), net::mac_for(*address), mtu);
    };
    // A veth of that name is a crashed start's whose namespace someone
    // still holds: removed, then made again.
    if (auto made = veth(); !made) {
      if (made.error().err() != EEXIST) return made;
      HUSK_TRY(host.remove_link(host_veth(rec.id)));
      HUSK_TRY(veth());
    }
    auto inside = HUSK_TRY(net::Netlink::open_in(nsfd.get()));
    HUSK_TRY(inside.set_up("eth0"));
    HUSK_TRY(inside.add_address("eth0", *address, n.subnet.prefix));
    return inside.add_default_route(n.gateway, "eth0");
  }();
  if (!wired) return undo(std::move(wired).error());
  return ep;
}

Result<void> detach_network(const std::string& run_root, const std::string& id, const RunFlags& flags) {
  auto network = network_of(flags);
  if (!network || !*network) return {};
  // The namespace's end takes the veth pair with it: the kernel tears it
  // down after we let go (deleting the veth here would wait out an RCU
  // grace period, most of a run's time).
  HUSK_TRY(net::remove_netns(netns_path(run_root, id)));
  return net::Leases(leases_dir(run_root, (*network)->name)).release(id);
}

std::optional<Endpoint> endpoint_of(const std::string& run_root, const std::string& id,
                                    const RunFlags& flags) {
  auto network = network_of(flags);
  if (!network || !*network || !path_exists(netns_path(run_root, id))) return std::nullopt;
  const NetworkConfig& n = **network;
  auto leases = net::Leases(leases_dir(run_root, n.name)).list();
  if (!leases) return std::nullopt;
  for (auto& l : *leases)
    if (l.owner == id)
      return Endpoint{n.name, l.address, n.subnet.prefix, n.gateway, net::mac_for(l.address).str()};
  return std::nullopt;
}

}  // namespace husk::engine
