#include "net/netlink.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include <linux/rtnetlink.h>

#include <cstdio>
#include <cstring>
#include <optional>

#include "net/netns.hpp"

namespace husk::net {

namespace {

// libnl's errors (NLE_*) as the errno they stand for, with its message.
Error nl_error(int err, const std::string& what) {
  int code = EIO;
  switch (err < 0 ? -err : err) {
    case NLE_EXIST:
      code = EEXIST;
      break;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
      code = ENODEV;
      break;
    case NLE_PERM:
      code = EPERM;
      break;
    case NLE_NOACCESS:
      code = EACCES;
      break;
    case NLE_BUSY:
      code = EBUSY;
      break;
    case NLE_NOMEM:
      code = ENOMEM;
      break;
    case NLE_INVAL:
      code = EINVAL;
      break;
    case NLE_RANGE:
      code = ERANGE;
      break;
    case NLE_AGAIN:
      code = EAGAIN;
      break;
    case NLE_OPNOTSUPP:
      code = EOPNOTSUPP;
      break;
    default:
      break;
  }
  return Error(code, what + ": " + nl_geterror(err), false);
}

template <typename T, void (*Put)(T*)>
struct Put_ {
  void operator()(T* p) const {
    if (p) Put(p);
  }
};
using Link = std::unique_ptr<rtnl_link, Put_<rtnl_link, rtnl_link_put>>;
// A veth and its peer refer to each other: released as a pair.
using VethLink = std::unique_ptr<rtnl_link, Put_<rtnl_link, rtnl_link_veth_release>>;
using Addr = std::unique_ptr<nl_addr, Put_<nl_addr, nl_addr_put>>;
using RtAddr = std::unique_ptr<rtnl_addr, Put_<rtnl_addr, rtnl_addr_put>>;
using Route = std::unique_ptr<rtnl_route, Put_<rtnl_route, rtnl_route_put>>;

Result<Addr> ipv4_addr(Ipv4 a, unsigned prefix) {
  in_addr raw{htonl(a.value)};
  Addr addr(nl_addr_build(AF_INET, &raw, sizeof raw));
  if (!addr) return fail_code(ENOMEM, "netlink address");
  nl_addr_set_prefixlen(addr.get(), static_cast<int>(prefix));
  return addr;
}

Result<Link> new_link() {
  Link l(rtnl_link_alloc());
  if (!l) return fail_code(ENOMEM, "netlink link");
  return l;
}

}  // namespace

std::string Mac::str() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3],
                bytes[4], bytes[5]);
  return buf;
}

Mac mac_for(Ipv4 a) {
  Mac m;
  m.bytes[0] = 0x02;
  m.bytes[1] = 0x42;
  for (int i = 0; i < 4; ++i) m.bytes[2 + i] = static_cast<unsigned char>(a.value >> (24 - 8 * i));
  return m;
}

std::optional<Mac> parse_mac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  Mac m;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 6; ++i) {
    int hi = hex(text[3 * i]), lo = hex(text[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && text[3 * i + 2] != ':' && text[3 * i + 2] != '-')) return std::nullopt;
    m.bytes[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  if (m.bytes[0] & 1) return std::nullopt;  // a multicast address is no interface's
  return m;
}

void Netlink::Free::operator()(nl_sock* s) const { nl_socket_free(s); }

Result<Netlink> Netlink::open() {
  std::unique_ptr<nl_sock, Free> s(nl_socket_alloc());
  if (!s) return fail_code(ENOMEM, "netlink socket");
  if (int err = nl_connect(s.get(), NETLINK_ROUTE); err < 0) return fail(nl_error(err, "netlink connect"));
  return Netlink(std::move(s));
}

Result<Netlink> Netlink::open_in(int netns_fd) {
  std::optional<Netlink> made;
  HUSK_TRY(in_netns(netns_fd, [&]() -> Result<void> {
    made.emplace(HUSK_TRY(open()));
    return {};
  }));
  return std::move(*made);
}

Result<int> Netlink::index_of(const std::string& name) const {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw); err < 0)
    return fail(nl_error(err, "link " + name));
  Link l(raw);
  return rtnl_link_get_ifindex(l.get());
}

Result<void> Netlink::add_bridge(const std::string& name, unsigned mtu) const {
  Link l = HUSK_TRY(new_link());
  rtnl_link_set_name(l.get(), name.c_str());
  if (int err = rtnl_link_set_type(l.get(), "bridge"); err < 0) return fail(nl_error(err, "bridge " + name));
  rtnl_link_set_mtu(l.get(), mtu);
  rtnl_link_set_flags(l.get(), IFF_UP);
  if (int err = rtnl_link_add(sock_.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return fail(nl_error(err, "add bridge " + name));
  return {};
}

Result<void> Netlink::add_veth(const std::string& name, int master_index, const std::string& peer,
                               int peer_netns_fd, const Mac& peer_mac, unsigned mtu) const {
  VethLink l(rtnl_link_veth_alloc());
  if (!l) return fail_code(ENOMEM, "netlink veth");
  Link peer_ref(rtnl_link_veth_get_peer(l.get()));  // a reference of our own
  rtnl_link* p = peer_ref.get();
  rtnl_link_set_name(l.get(), name.c_str());
  rtnl_link_set_mtu(l.get(), mtu);
  rtnl_link_set_master(l.get(), master_index);
  rtnl_link_set_flags(l.get(), IFF_UP);
  rtnl_link_set_name(p, peer.c_str());
  rtnl_link_set_mtu(p, mtu);
  rtnl_link_set_ns_fd(p, peer_netns_fd);
  Addr mac(nl_addr_build(AF_LLC, peer_mac.bytes, sizeof peer_mac.bytes));
  if (!mac) return fail_code(ENOMEM, "netlink MAC address");
  rtnl_link_set_addr(p, mac.get());
  if (int err = rtnl_link_add(sock_.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return fail(nl_error(err, "add veth " + name));
  return {};
}

Result<void> Netlink::set_up(const std::string& name) const {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw); err < 0)
    return fail(nl_error(err, "link " + name));
  Link now(raw);
  Link change = HUSK_TRY(new_link());
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock_.get(), now.get(), change.get(), 0); err < 0)
    return fail(nl_error(err, "bring up " + name));
  return {};
}

Result<void> Netlink::add_address(const std::string& name, Ipv4 address, unsigned prefix) const {
  int index = HUSK_TRY(index_of(name));
  RtAddr a(rtnl_addr_alloc());
  if (!a) return fail_code(ENOMEM, "netlink address");
  rtnl_addr_set_ifindex(a.get(), index);
  Addr local = HUSK_TRY(ipv4_addr(address, prefix));
  if (int err = rtnl_addr_set_local(a.get(), local.get()); err < 0)
    return fail(nl_error(err, "address " + address.str()));
  if (int err = rtnl_addr_add(sock_.get(), a.get(), NLM_F_EXCL); err < 0)
    return fail(nl_error(err, "add " + address.str() + "/" + std::to_string(prefix) + " to " + name));
  return {};
}

Result<void> Netlink::add_default_route(Ipv4 gateway, const std::string& name) const {
  int index = HUSK_TRY(index_of(name));
  Route r(rtnl_route_alloc());
  if (!r) return fail_code(ENOMEM, "netlink route");
  rtnl_route_set_family(r.get(), AF_INET);
  Addr any = HUSK_TRY(ipv4_addr(Ipv4{0}, 0));
  if (int err = rtnl_route_set_dst(r.get(), any.get()); err < 0) return fail(nl_error(err, "default route"));
  rtnl_nexthop* nh = rtnl_route_nh_alloc();  // the route owns it once added
  if (!nh) return fail_code(ENOMEM, "netlink next hop");
  Addr gw = HUSK_TRY(ipv4_addr(gateway, 32));
  rtnl_route_nh_set_gateway(nh, gw.get());
  rtnl_route_nh_set_ifindex(nh, index);
  rtnl_route_add_nexthop(r.get(), nh);
  if (int err = rtnl_route_add(sock_.get(), r.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return fail(nl_error(err, "add the default route via " + gateway.str()));
  return {};
}

Result<void> Netlink::remove_link(const std::string& name) const {
  Link l = HUSK_TRY(new_link());
  rtnl_link_set_name(l.get(), name.c_str());
  int err = rtnl_link_delete(sock_.get(), l.get());
  if (err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
    return fail(nl_error(err, "remove link " + name));
  return {};
}

Result<std::vector<Subnet>> Netlink::route_destinations() const {
  nl_cache* raw = nullptr;
  if (int err = rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw); err < 0)
    return fail(nl_error(err, "list routes"));
  std::unique_ptr<nl_cache, Put_<nl_cache, nl_cache_free>> routes(raw);
  std::vector<Subnet> out;
  for (nl_object* o = nl_cache_get_first(routes.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || !dst || nl_addr_get_prefixlen(dst) == 0 ||
        nl_addr_get_len(dst) != 4)
      continue;
    uint32_t raw_addr = 0;
    std::memcpy(&raw_addr, nl_addr_get_binary_addr(dst), 4);
    Subnet s;
    s.prefix = nl_addr_get_prefixlen(dst);
    s.base = Ipv4{ntohl(raw_addr) & s.mask()};
    out.push_back(s);
  }
  return out;
}

unsigned Netlink::default_route_mtu(unsigned fallback) const {
  // The default route of the socket's namespace's main table, and its device.
  nl_cache* raw = nullptr;
  if (rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw) < 0) return fallback;
  std::unique_ptr<nl_cache, Put_<nl_cache, nl_cache_free>> routes(raw);
  int index = 0;
  for (nl_object* o = nl_cache_get_first(routes.get()); o && !index; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    nl_addr* dst = rtnl_route_get_dst(r);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || (dst && nl_addr_get_prefixlen(dst) != 0)) continue;
    if (rtnl_route_get_nnexthops(r) > 0) index = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
  }
  if (!index) return fallback;
  rtnl_link* link = nullptr;
  if (rtnl_link_get_kernel(sock_.get(), index, nullptr, &link) < 0) return fallback;
  Link l(link);
  unsigned mtu = rtnl_link_get_mtu(l.get());
  return mtu ? mtu : fallback;
}

}  // namespace husk::net
