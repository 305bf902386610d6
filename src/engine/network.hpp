// A container's place on a network of the engine's (--network bridge):
// docker's default bridge network, its interfaces set up at each start and
// let go at its end.
//
// At start, before the runtime runs: the network's bridge on the host (made
// when missing, with the gateway's address), a network namespace kept at
// RUN_ROOT/netns/ID (config.json names that path, so the runtime joins it),
// an address leased from the network's pool, and a veth pair: one end a
// port of the bridge, the other the container's eth0 (docker's MAC for its
// address, the host's MTU, the default route through the gateway). At its
// end (and at rm): the namespace let go (its veth goes with it) and the
// lease freed. A start after a crash finds what the last one left and
// replaces it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/containers.hpp"
#include "net/cidr.hpp"
#include "net/firewall.hpp"

namespace husk::engine {

// A network containers join. The default one is docker's "bridge".
struct NetworkConfig {
  std::string name;    // "bridge"
  std::string bridge;  // the host's bridge device
  net::Subnet subnet;
  net::Ipv4 gateway;
};
// The default bridge network: husk0, 10.87.0.0/16, the gateway .1.
NetworkConfig default_bridge_network();

// --network NAME's network; none for none/host/container:NAME.
Result<std::optional<NetworkConfig>> network_of(const RunFlags& f);

// Where the container's kept network namespace is.
std::string netns_path(const std::string& run_root, const std::string& id);

// What a container got on its network, as inspect shows it.
struct Endpoint {
  std::string network;
  net::Ipv4 address;
  unsigned prefix = 0;
  net::Ipv4 gateway;
  std::string mac;
  std::vector<net::Published> ports;  // -p: what reaches it from the host
};

// The container ID's network set up on the host (RUN_ROOT keeps the leases
// and the namespace); none when its flags name no network of the engine's.
Result<std::optional<Endpoint>> attach_network(const std::string& run_root, const ContainerRecord& rec);
// All that attach_network made for ID let go; nothing made is no error.
Result<void> detach_network(const std::string& run_root, const std::string& id, const RunFlags& flags);
// What ID holds on its network now (none when it is not attached).
std::optional<Endpoint> endpoint_of(const std::string& run_root, const std::string& id,
                                    const RunFlags& flags);

}  // namespace husk::engine
