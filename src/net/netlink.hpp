// rtnetlink through libnl-route: the links, addresses and routes of one
// network namespace. One socket per namespace, made in it (a netlink socket
// speaks for the namespace it was made in, wherever it is used from).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "net/cidr.hpp"

struct nl_sock;

namespace husk::net {

struct Mac {
  unsigned char bytes[6] = {};
  std::string str() const;  // "02:42:ac:11:00:02"
};
// docker's MAC for an address: 02:42 and the address's four bytes.
Mac mac_for(Ipv4 a);
// "02:42:ac:11:00:02" (six hex pairs, ':' or '-'); a unicast one only.
std::optional<Mac> parse_mac(std::string_view text);

class Netlink {
 public:
  // A socket for this thread's network namespace, or for NETNS_FD's.
  static Result<Netlink> open();
  static Result<Netlink> open_in(int netns_fd);

  // The index of the link NAME; ENODEV when there is none.
  Result<int> index_of(const std::string& name) const;
  // A bridge NAME with MTU, up; EEXIST when a link of that name is there.
  Result<void> add_bridge(const std::string& name, unsigned mtu) const;
  // A veth pair: NAME here, up, a port of the bridge MASTER_INDEX; PEER in
  // the namespace PEER_NETNS_FD with MAC (brought up from inside).
  Result<void> add_veth(const std::string& name, int master_index, const std::string& peer, int peer_netns_fd,
                        const Mac& peer_mac, unsigned mtu) const;
  Result<void> set_up(const std::string& name) const;
  // ADDRESS/PREFIX on the link NAME; EEXIST when it has it.
  Result<void> add_address(const std::string& name, Ipv4 address, unsigned prefix) const;
  // The default route, through GATEWAY on the link NAME.
  Result<void> add_default_route(Ipv4 gateway, const std::string& name) const;
  // The link NAME removed (with a veth, its peer too); none is no error.
  Result<void> remove_link(const std::string& name) const;
  // The MTU of the link the default route leaves by; FALLBACK without one.
  unsigned default_route_mtu(unsigned fallback) const;
  // The destinations of the main table's IPv4 routes but the default one
  // (the subnets this host reaches directly or through a router).
  Result<std::vector<Subnet>> route_destinations() const;

 private:
  struct Free {
    void operator()(nl_sock* s) const;
  };
  explicit Netlink(std::unique_ptr<nl_sock, Free> sock) : sock_(std::move(sock)) {}
  std::unique_ptr<nl_sock, Free> sock_;
};

}  // namespace husk::net
