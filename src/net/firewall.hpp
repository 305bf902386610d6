// nftables for container networks, in a table of husk's own (`ip husk`):
// nothing outside it is read or changed, so it sits beside the host's own
// rules, nftables' or iptables-nft's (and iptables-legacy's, whose
// xtables hooks run beside nftables' at the same points: a host whose
// legacy FORWARD policy is DROP still drops a container's forwarded
// traffic, as it would docker's without its own chains).
//
// The table holds sets of the networks' bridges and subnets, and fixed
// rules over them: a container's packets to anywhere but its own bridges
// leave masqueraded as the host, the bridges' traffic is forwarded (and
// the replies to it) but from one bridge to another (networks are isolated;
// a published port is reachable from all), and, when husk was what turned
// IPv4 forwarding on, nothing else is (as the host had it). A network is
// added as an element of each set: setting it up twice is setting it up
// once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/cidr.hpp"

namespace husk::net {

inline constexpr const char* kFirewallTable = "husk";

// The table and its fixed rules (nft syntax); GUARD_FORWARDING: husk turned
// forwarding on, so forwarding that is not a bridge's is dropped.
std::string firewall_table_script(bool guard_forwarding);
// BRIDGE and SUBNET added to the sets; INTERNAL (docker's --internal): the
// bridge only, no masquerade, nothing forwarded.
std::string firewall_network_script(const std::string& bridge, const Subnet& subnet, bool internal);
// The elements that script adds (" element ip husk SET { ... }"), each to
// be deleted on its own when the network goes (one missing is no error).
std::vector<std::string> firewall_network_elements(const std::string& bridge, const Subnet& subnet,
                                                   bool internal);

// A published port: what reaches the host's HOST_ADDRESS (none: any of
// its addresses) at HOST_PORT goes to ADDRESS:PORT (a container's).
struct Published {
  std::string proto;  // tcp, udp, sctp
  std::optional<Ipv4> host_address;
  uint16_t host_port = 0;
  Ipv4 address;
  uint16_t port = 0;

  bool operator==(const Published&) const = default;
};
// "tcp 0.0.0.0 8080 10.87.0.2 80", and back (none for a malformed line).
std::string published_line(const Published& p);
std::optional<Published> parse_published_line(std::string_view line);
// The ports added to (ADD) or removed from the table's maps.
std::string firewall_ports_script(bool add, const std::vector<Published>& ports);

}  // namespace husk::net
