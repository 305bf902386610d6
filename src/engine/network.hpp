// A container's place on the engine's networks (engine/networks.hpp): its
// interfaces set up at each start and let go at its end.
//
// At start, before the runtime runs: a network namespace kept at
// RUN_ROOT/netns/ID (config.json names that path, so the runtime joins it)
// and, for each network the container is on (eth0, eth1, ... in the
// record's order): the network's bridge on the host (made when missing,
// with the gateway's address and its nftables rules), an address leased
// from its pool, a veth pair (one end a port of the bridge, the other the
// container's ethN with docker's MAC for its address and the host's MTU),
// the default route through the first network that has one (not
// --internal), and on a user-defined network the container's names in the
// network's name server (net/dns.hpp). Then -p's ports. What it got is
// written to RUN_ROOT/endpoints/ID (inspect, ps, port and the end read it).
// At its end (and at rm): all of it let go; the namespace's end takes the
// veths with it. A start after a crash finds what the last one left and
// replaces it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "engine/containers.hpp"
#include "engine/networks.hpp"
#include "net/cidr.hpp"
#include "net/firewall.hpp"

namespace husk::engine {

// Where the container's kept network namespace is.
std::string netns_path(const std::string& run_root, const std::string& id);

// The name server a container on the networks ON asks (its resolv.conf's):
// none when none of them has names, the network's own server when one has,
// and its own server at 127.0.0.11 (docker's address) when several have:
// that one answers for each of them (net/dns.hpp).
std::optional<net::Ipv4> resolver_for(const std::vector<Network>& on);

// What a container got on one network, as inspect shows it.
struct Endpoint {
  std::string network;     // its name
  std::string network_id;  // its id
  std::string ifname;      // eth0
  net::Ipv4 address;
  unsigned prefix = 0;
  net::Ipv4 gateway;
  std::string mac;
  std::vector<std::string> aliases;
  bool default_route = false;         // the container's default route is through it
  std::vector<net::Published> ports;  // -p: what reaches it from the host (the first network's)
};

// The networks REC's flags put it on (the record's, for one made before
// they were kept there).
std::vector<NetworkAttachment> attachments_of(const ContainerRecord& rec);

// REC's networks set up (none when it is on none of the engine's).
// CONTAINER_DIR keeps the host ports it got, so a restart gets them back.
Result<std::vector<Endpoint>> attach_networks(const NetworkStore& networks, const std::string& run_root,
                                              const ContainerRecord& rec, const std::string& container_dir);
// All that attach_networks made for ID let go; nothing made is no error.
Result<void> detach_networks(const std::string& run_root, const std::string& id);
// What ID holds on its networks now (empty when it is not attached).
std::vector<Endpoint> endpoints_of(const std::string& run_root, const std::string& id);

// A running container (its namespace kept) joins or leaves one network;
// ON: the networks it is on afterwards.
Result<Endpoint> connect_running(const NetworkStore& networks, const std::string& run_root,
                                 const ContainerRecord& rec, const NetworkAttachment& a,
                                 const std::vector<Network>& on);
Result<void> disconnect_running(const std::string& run_root, const std::string& id, const Network& n,
                                const std::vector<Network>& on);
// A running container's names on its networks, after a rename.
Result<void> rename_running(const std::string& run_root, const ContainerRecord& rec);

// The running containers that have an endpoint on N (id -> endpoint).
std::vector<std::pair<std::string, Endpoint>> endpoints_on(const std::string& run_root, const Network& n);
// What the network held on the host let go: its bridge, rules and name
// server (at `network rm`, once no container is on it).
Result<void> release_network(const std::string& run_root, const Network& n);

}  // namespace husk::engine
