#include "engine/network.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/fault.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/program.hpp"
#include "base/strings.hpp"
#include "engine/namespaces.hpp"
#include "engine/ports.hpp"
#include "net/dns.hpp"
#include "net/ipam.hpp"
#include "net/netlink.hpp"
#include "net/netns.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

constexpr unsigned kDefaultMtu = 1500;
constexpr int kMaxInterfaces = 16;

std::string leases_dir(const std::string& run_root, const std::string& network) {
  return run_root + "/.net/networks/" + network;
}
std::string dns_dir(const std::string& run_root, const std::string& network) {
  return run_root + "/.net/dns/" + network;
}
std::string resolver_dir(const std::string& run_root, const std::string& id) {
  return run_root + "/.net/resolvers/" + id;
}
std::string endpoints_dir(const std::string& run_root) { return run_root + "/.net/endpoints"; }
std::string endpoints_file(const std::string& run_root, const std::string& id) {
  return endpoints_dir(run_root) + "/" + id;
}

// The host end of ID's N-th veth: "husk", the id's first 10 digits and N
// as one hex digit (a link name has at most 15 characters).
std::string host_veth(const std::string& id, int n) {
  return "husk" + id.substr(0, 10) + "0123456789abcdef"[n & 15];
}

std::vector<std::string> firewall_args(const char* verb, const Network& n) {
  std::vector<std::string> args{verb, n.bridge, n.subnet.str()};
  if (n.internal) args.push_back("internal");
  return args;
}

// husk-net ARGS (beside husk: nftables' library is a dynamic one), waited
// for; its error message becomes ours.
Result<void> run_husk_net(const std::vector<std::string>& args) {
  std::string prog = program_beside_us("husk-net");
  if (prog.empty()) return fail_code(ENOENT, "husk-net is missing (it belongs beside husk)");
  std::vector<std::string> argv{prog};
  argv.insert(argv.end(), args.begin(), args.end());
  auto ran = run_program(argv, prog);
  if (ran) return {};
  std::string msg = ran.error().message();
  if (msg.starts_with("husk-net: ")) msg.erase(0, 10);
  return fail_code(EIO, msg);
}

// The bridge, up, with the gateway's address, and its rules in husk's
// nftables table; made when missing, under the networks' lock (two runs at
// once: the second finds it made). The rules go first: a start that dies
// between them and the bridge leaves rules that the next one sets again.
Result<void> ensure_bridge(const std::string& run_root, const net::Netlink& host, const Network& n,
                           unsigned mtu) {
  if (host.index_of(n.bridge)) return {};
  std::string dir = run_root + "/.net/networks";
  HUSK_TRY(mkdir_all(dir, 0700));
  UniqueFd lock = HUSK_TRY(open_fd(dir + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + dir + "/lock"));
  if (host.index_of(n.bridge)) return {};
  HUSK_TRY(run_husk_net(firewall_args("up", n)));
  auto made = host.add_bridge(n.bridge, mtu);
  if (!made && made.error().err() != EEXIST) return made;
  auto addr = host.add_address(n.bridge, n.gateway, n.subnet.prefix);
  if (!addr && addr.error().err() != EEXIST) return addr;
  // What the host sends to its own 127.0.0.1:PORT may be a published port:
  // let it be routed to the bridge (the table masquerades it), as docker does.
  HUSK_TRY(write_file("/proc/sys/net/ipv4/conf/" + n.bridge + "/route_localnet", "1"));
  return {};
}

std::string ports_dir(const std::string& run_root) { return run_root + "/.net/ports"; }
std::string ports_file(const std::string& run_root, const std::string& id) {
  return ports_dir(run_root) + "/" + id;
}

std::vector<net::Published> read_ports(const std::string& path) {
  std::vector<net::Published> out;
  auto text = read_file(path);
  if (!text) return out;
  for (auto& line : split(*text, '\n'))
    if (auto p = net::parse_published_line(line)) out.push_back(*p);
  return out;
}

bool same_port(const net::Published& a, const net::Published& b) {
  return a.proto == b.proto && a.host_port == b.host_port &&
         (!a.host_address || !b.host_address || *a.host_address == *b.host_address);
}

Error port_taken(const net::Published& p) {
  return Error(EADDRINUSE,
               "Bind for " + (p.host_address ? p.host_address->str() : std::string("0.0.0.0")) + ":" +
                   std::to_string(p.host_port) + " failed: port is already allocated",
               false);
}

// Whether the host's P is free for a socket of its own (none listens or is
// bound there); with a port 0, the free one the kernel chose. SCTP: no check.
Result<uint16_t> free_on_host(const net::Published& p) {
  if (p.proto == "sctp") return p.host_port;
  UniqueFd s(::socket(AF_INET, (p.proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("socket to check a host port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(p.host_port);
  a.sin_addr.s_addr = htonl(p.host_address ? p.host_address->value : INADDR_ANY);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    if (errno == EADDRINUSE) return fail(port_taken(p));
    return fail_errno("bind " + published_line(p));
  }
  socklen_t len = sizeof a;
  if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) < 0) return fail_errno("getsockname");
  return ntohs(a.sin_port);
}

// ID's -p bindings to ADDRESS: each host port checked free (on the host, and
// among the other running containers' under the ports' lock; for a port 0
// the one it had in PREVIOUS when free, else a free one), written down,
// then put in the firewall's maps.
Result<std::vector<net::Published>> publish(const std::string& run_root, const std::string& id,
                                            const std::vector<PortBinding>& bindings, net::Ipv4 address,
                                            const std::vector<net::Published>& previous) {
  if (bindings.empty()) return std::vector<net::Published>{};
  HUSK_TRY(mkdir_all(ports_dir(run_root), 0700));
  UniqueFd lock = HUSK_TRY(open_fd(ports_dir(run_root) + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + ports_dir(run_root) + "/lock"));
  std::vector<net::Published> taken;
  for (auto& other : list_dir(ports_dir(run_root))) {
    // Held while its holder's namespace is kept (as the address leases).
    if (other == id || other == "lock" || !path_exists(netns_path(run_root, other))) continue;
    for (auto& p : read_ports(ports_file(run_root, other))) taken.push_back(p);
  }
  std::vector<net::Published> out;
  for (auto& b : bindings) {
    net::Published p{b.proto, std::nullopt, b.host_port, address, b.container_port};
    if (!b.host_ip.empty()) p.host_address = *net::parse_ipv4(b.host_ip);
    auto clash = [&](const net::Published& q) {
      auto hits = [&](const net::Published& t) { return same_port(t, q); };
      return std::any_of(taken.begin(), taken.end(), hits) || std::any_of(out.begin(), out.end(), hits);
    };
    if (p.host_port != 0) {
      if (clash(p)) return fail(port_taken(p));
      HUSK_TRY(free_on_host(p));
    } else {
      for (auto& before : previous) {
        net::Published again = p;
        again.host_port = before.host_port;
        if (before.proto != p.proto || before.port != p.port || before.host_address != p.host_address ||
            clash(again) || !free_on_host(again))
          continue;
        p.host_port = before.host_port;
        break;
      }
      // The kernel's choice, until one no container holds (bounded).
      for (int tries = 0; tries < 64 && p.host_port == 0; ++tries) {
        net::Published any = p;
        any.host_port = HUSK_TRY(free_on_host(any));
        if (!clash(any)) p.host_port = any.host_port;
      }
      if (p.host_port == 0)
        return fail_code(EADDRINUSE,
                         "no free host port for " + b.proto + " " + std::to_string(b.container_port));
    }
    out.push_back(p);
  }
  std::string text;
  std::vector<std::string> args{"ports", "add"};
  for (auto& p : out) {
    text += published_line(p) + "\n";
    args.push_back(published_line(p));
  }
  HUSK_TRY(write_file_atomic(ports_file(run_root, id), text, 0600));
  if (auto added = run_husk_net(args); !added) {
    ::unlink(ports_file(run_root, id).c_str());
    return fail(std::move(added).error());
  }
  return out;
}

Result<void> unpublish(const std::string& run_root, const std::string& id) {
  std::string path = ports_file(run_root, id);
  if (!path_exists(path)) return {};
  auto ports = read_ports(path);
  if (!ports.empty()) {
    std::vector<std::string> args{"ports", "delete"};
    for (auto& p : ports) args.push_back(published_line(p));
    // Gone already (a table flushed by hand) is no reason to keep the file.
    (void)run_husk_net(args);
  }
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) return fail_errno("remove " + path);
  return {};
}

json endpoint_json(const Endpoint& e) {
  return {{"Network", e.network},         {"NetworkID", e.network_id}, {"Interface", e.ifname},
          {"IPAddress", e.address.str()}, {"IPPrefixLen", e.prefix},   {"Gateway", e.gateway.str()},
          {"MacAddress", e.mac},          {"Aliases", e.aliases},      {"DefaultRoute", e.default_route}};
}

std::vector<Endpoint> read_endpoints(const std::string& run_root, const std::string& id) {
  std::vector<Endpoint> out;
  auto text = read_file(endpoints_file(run_root, id));
  if (!text) return out;
  try {
    for (auto& j : json::parse(*text)) {
      Endpoint e;
      e.network = j.at("Network").get<std::string>();
      e.network_id = j.at("NetworkID").get<std::string>();
      e.ifname = j.at("Interface").get<std::string>();
      e.address = net::parse_ipv4(j.at("IPAddress").get<std::string>()).value_or(net::Ipv4{});
      e.prefix = j.at("IPPrefixLen").get<unsigned>();
      e.gateway = net::parse_ipv4(j.at("Gateway").get<std::string>()).value_or(net::Ipv4{});
      e.mac = j.at("MacAddress").get<std::string>();
      e.aliases = j.value("Aliases", std::vector<std::string>{});
      e.default_route = j.value("DefaultRoute", false);
      out.push_back(std::move(e));
    }
  } catch (const json::exception&) {
    return {};
  }
  return out;
}

Result<void> write_endpoints(const std::string& run_root, const std::string& id,
                             const std::vector<Endpoint>& eps) {
  json all = json::array();
  for (auto& e : eps) all.push_back(endpoint_json(e));
  HUSK_TRY(mkdir_all(endpoints_dir(run_root), 0700));
  return write_file_atomic(endpoints_file(run_root, id), all.dump(), 0600);
}

// The names REC answers to on a network: its name, the aliases, its short id.
std::vector<std::string> names_of(const ContainerRecord& rec, const NetworkAttachment& a) {
  std::vector<std::string> names{rec.name};
  for (auto& al : a.aliases)
    if (std::find(names.begin(), names.end(), al) == names.end()) names.push_back(al);
  names.push_back(rec.id.substr(0, 12));
  return names;
}

net::NameServer name_server(const std::string& run_root, const Network& n,
                            std::vector<std::string> upstream = {}) {
  return net::NameServer(dns_dir(run_root, n.name), n.gateway, n.internal, std::move(upstream));
}

// REC on network N through its namespace NSFD as IFNAME (the host end
// HOST_VETH), with the default route when ROUTE. Undone by the caller.
Result<Endpoint> wire(const std::string& run_root, const net::Netlink& host, int nsfd, const Network& n,
                      const ContainerRecord& rec, const NetworkAttachment& a, int index, bool route,
                      unsigned mtu, const std::vector<std::string>& upstream) {
  HUSK_TRY(ensure_bridge(run_root, host, n, mtu));
  std::optional<net::Ipv4> wanted;
  if (!a.ip.empty()) wanted = net::parse_ipv4(a.ip);
  // A lease is held while its holder's namespace is kept.
  auto alive = [&](const std::string& owner) { return path_exists(netns_path(run_root, owner)); };
  auto address = HUSK_TRY(net::Leases(leases_dir(run_root, n.name)).acquire(n.pool(), rec.id, wanted, alive));
  net::Mac mac =
      a.mac.empty() ? net::mac_for(address) : net::parse_mac(a.mac).value_or(net::mac_for(address));
  std::string ifname = "eth" + std::to_string(index), veth_name = host_veth(rec.id, index);
  int bridge = HUSK_TRY(host.index_of(n.bridge));
  auto veth = [&] { return host.add_veth(veth_name, bridge, ifname, nsfd, mac, mtu); };
  // A veth of that name is a crashed start's whose namespace someone
  // still holds: removed, then made again.
  if (auto made = veth(); !made) {
    if (made.error().err() != EEXIST) return fail(std::move(made).error());
    HUSK_TRY(host.remove_link(veth_name));
    HUSK_TRY(veth());
  }
  auto inside = HUSK_TRY(net::Netlink::open_in(nsfd));
  HUSK_TRY(inside.set_up(ifname));
  HUSK_TRY(inside.add_address(ifname, address, n.subnet.prefix));
  if (route) HUSK_TRY(inside.add_default_route(n.gateway, ifname));
  Endpoint ep{n.name, n.id, ifname, address, n.subnet.prefix, n.gateway, mac.str(), a.aliases, route, {}};
  if (n.has_names()) HUSK_TRY(name_server(run_root, n, upstream).add(rec.id, address, names_of(rec, a)));
  return ep;
}

std::string last_ports_file(const std::string& container_dir) { return container_dir + "/ports"; }

constexpr net::Ipv4 kResolverAddress{0x7f00000b};  // 127.0.0.11

// ID's own name server, answering for the networks with names among ON:
// started again in its namespace NSFD with those networks' hosts when
// there are two or more (resolver_for), stopped otherwise. Other names go
// to the first of them that forwards (its server knows the upstream ones),
// or, with none, to the host's resolvers when a network leads out.
Result<void> sync_resolver(const std::string& run_root, const std::string& id, int nsfd,
                           const std::vector<Network>& on) {
  net::Dnsmasq server(resolver_dir(run_root, id));
  server.stop();
  std::vector<std::string> hosts;
  std::vector<std::string> forward_to;
  bool outbound = false;
  for (auto& n : on) {
    outbound = outbound || !n.internal;
    if (!n.has_names()) continue;
    hosts.push_back(name_server(run_root, n).hosts_dir());
    if (!n.internal && forward_to.empty()) forward_to.push_back(n.gateway.str());
  }
  if (hosts.size() < 2) return remove_all(resolver_dir(run_root, id));
  return server.start(net::DnsmasqConfig{kResolverAddress, hosts, outbound, forward_to, nsfd});
}

// ID's own name server gone (a container's end: before its namespace's).
Result<void> stop_resolver(const std::string& run_root, const std::string& id) {
  if (!path_exists(resolver_dir(run_root, id))) return {};
  net::Dnsmasq(resolver_dir(run_root, id)).stop();
  return remove_all(resolver_dir(run_root, id));
}

}  // namespace

std::string netns_path(const std::string& run_root, const std::string& id) {
  return run_root + "/.net/netns/" + id;
}

std::optional<net::Ipv4> resolver_for(const std::vector<Network>& on) {
  std::optional<net::Ipv4> out;
  int named = 0;
  for (auto& n : on)
    if (n.has_names() && ++named == 1) out = n.gateway;
  if (named > 1) out = kResolverAddress;
  return out;
}

std::vector<NetworkAttachment> attachments_of(const ContainerRecord& rec) {
  if (!rec.networks.empty()) return rec.networks;
  // Made before the record kept its networks: --network bridge only.
  auto mode = parse_network_mode(rec.flags.network);
  if (mode && mode->network == "bridge") return {NetworkAttachment{"bridge", "", {}, "", ""}};
  return {};
}

Result<std::vector<Endpoint>> attach_networks(const NetworkStore& networks, const std::string& run_root,
                                              const ContainerRecord& rec, const std::string& container_dir) {
  auto atts = attachments_of(rec);
  // On a network of the engine's (config.json names the namespace's path),
  // even when `network disconnect` left it on none of them (lo only).
  auto mode = parse_network_mode(rec.flags.network);
  if (atts.empty() && (!mode || mode->network.empty())) return std::vector<Endpoint>{};
  if (atts.size() > kMaxInterfaces)
    return fail_code(EINVAL, "a container is on at most " + std::to_string(kMaxInterfaces) + " networks");
  // Before anything is made: each network is still there.
  std::vector<Network> nets;
  for (auto& a : atts) {
    auto n = networks.find(a.id.empty() ? a.name : a.id);
    if (!n && n.error().err() == ENOENT) return fail_code(ENOENT, "network " + a.name + " not found");
    nets.push_back(HUSK_TRY(std::move(n)));
  }
  // The config file's "dns": where the name servers forward to.
  std::vector<std::string> upstream;
  if (std::any_of(nets.begin(), nets.end(), [](const Network& n) { return n.has_names(); }))
    upstream = HUSK_TRY(networks.defaults()).dns;
  std::string ns = netns_path(run_root, rec.id);
  // What a start that died half-way left (but its veths: see wire).
  HUSK_TRY(detach_networks(run_root, rec.id));
  auto host = HUSK_TRY(net::Netlink::open());
  unsigned mtu = host.default_route_mtu(kDefaultMtu);
  HUSK_TRY(net::create_netns(ns));
  fault_point(Fault::engine_net_netns);
  std::vector<Endpoint> eps;
  auto wired = [&]() -> Result<void> {
    UniqueFd nsfd = HUSK_TRY(open_fd(ns, O_RDONLY | O_CLOEXEC));
    bool routed = false;
    for (size_t i = 0; i < atts.size(); ++i) {
      const Network& n = nets[i];
      bool route = !routed && !n.internal;
      eps.push_back(HUSK_TRY_CTX(
          wire(run_root, host, nsfd.get(), n, rec, atts[i], static_cast<int>(i), route, mtu, upstream),
          "network " + n.name));
      routed = routed || route;
    }
    HUSK_TRY_CTX(sync_resolver(run_root, rec.id, nsfd.get(), nets), "the container's name server");
    fault_point(Fault::engine_net_wired);
    // Ports: to the first network's address (none on an internal one).
    if (nets.empty() || nets[0].internal) return write_endpoints(run_root, rec.id, eps);
    auto bindings = HUSK_TRY(parse_publish(rec.flags.publish));
    if (rec.flags.publish_all) bindings = with_published_all(std::move(bindings), rec.exposed_ports);
    auto previous = read_ports(last_ports_file(container_dir));
    eps[0].ports = HUSK_TRY(publish(run_root, rec.id, bindings, eps[0].address, previous));
    fault_point(Fault::engine_net_published);
    if (!eps[0].ports.empty()) {
      std::string text;
      for (auto& p : eps[0].ports) text += published_line(p) + "\n";
      HUSK_TRY(write_file_atomic(last_ports_file(container_dir), text, 0600));
    }
    return write_endpoints(run_root, rec.id, eps);
  }();
  if (!wired) {
    (void)detach_networks(run_root, rec.id);
    return fail(std::move(wired).error());
  }
  return eps;
}

Result<void> detach_networks(const std::string& run_root, const std::string& id) {
  std::string ns = netns_path(run_root, id);
  if (!path_exists(ns) && !path_exists(endpoints_file(run_root, id)) &&
      !path_exists(ports_file(run_root, id)) && !path_exists(resolver_dir(run_root, id)))
    return {};
  HUSK_TRY(unpublish(run_root, id));
  HUSK_TRY(stop_resolver(run_root, id));
  // Names and leases on every network (a start that died half-way may not
  // have written down its endpoints).
  for (auto& n : list_dir(run_root + "/.net/dns"))
    HUSK_TRY(net::NameServer(dns_dir(run_root, n), {}, false).remove(id));
  // The namespace's end takes the veth pairs with it: the kernel tears them
  // down after we let go (deleting a veth here would wait out an RCU grace
  // period, most of a run's time).
  HUSK_TRY(net::remove_netns(ns));
  for (auto& n : list_dir(run_root + "/.net/networks"))
    if (path_exists(leases_dir(run_root, n) + "/leases"))
      HUSK_TRY(net::Leases(leases_dir(run_root, n)).release(id));
  std::string eps = endpoints_file(run_root, id);
  if (::unlink(eps.c_str()) < 0 && errno != ENOENT) return fail_errno("remove " + eps);
  return {};
}

std::vector<Endpoint> endpoints_of(const std::string& run_root, const std::string& id) {
  if (!path_exists(netns_path(run_root, id))) return {};
  auto eps = read_endpoints(run_root, id);
  if (!eps.empty()) eps[0].ports = read_ports(ports_file(run_root, id));
  return eps;
}

Result<Endpoint> connect_running(const NetworkStore& networks, const std::string& run_root,
                                 const ContainerRecord& rec, const NetworkAttachment& a,
                                 const std::vector<Network>& on) {
  auto n = HUSK_TRY(networks.find(a.id));
  std::string ns = netns_path(run_root, rec.id);
  auto eps = read_endpoints(run_root, rec.id);
  for (auto& e : eps)
    if (e.network_id == n.id)
      return fail_code(EEXIST, "endpoint with name " + rec.name + " already exists in network " + n.name);
  UniqueFd nsfd = HUSK_TRY(open_fd(ns, O_RDONLY | O_CLOEXEC));
  auto inside = HUSK_TRY(net::Netlink::open_in(nsfd.get()));
  int index = 0;
  while (index < kMaxInterfaces && inside.index_of("eth" + std::to_string(index))) ++index;
  if (index == kMaxInterfaces)
    return fail_code(EINVAL, "a container is on at most " + std::to_string(kMaxInterfaces) + " networks");
  bool routed = std::any_of(eps.begin(), eps.end(), [](const Endpoint& e) { return e.default_route; });
  auto host = HUSK_TRY(net::Netlink::open());
  auto upstream = n.has_names() ? HUSK_TRY(networks.defaults()).dns : std::vector<std::string>{};
  auto ep = wire(run_root, host, nsfd.get(), n, rec, a, index, !routed && !n.internal,
                 host.default_route_mtu(kDefaultMtu), upstream);
  if (!ep) {
    (void)inside.remove_link("eth" + std::to_string(index));
    (void)name_server(run_root, n).remove(rec.id);
    (void)net::Leases(leases_dir(run_root, n.name)).release(rec.id);
    return fail(std::move(ep).error().context("network " + n.name));
  }
  eps.push_back(*ep);
  HUSK_TRY(write_endpoints(run_root, rec.id, eps));
  HUSK_TRY_CTX(sync_resolver(run_root, rec.id, nsfd.get(), on), "the container's name server");
  return *ep;
}

Result<void> disconnect_running(const std::string& run_root, const std::string& id, const Network& n,
                                const std::vector<Network>& on) {
  auto eps = read_endpoints(run_root, id);
  auto it = std::find_if(eps.begin(), eps.end(), [&](const Endpoint& e) { return e.network_id == n.id; });
  if (it == eps.end()) return {};
  UniqueFd nsfd = HUSK_TRY(open_fd(netns_path(run_root, id), O_RDONLY | O_CLOEXEC));
  auto inside = HUSK_TRY(net::Netlink::open_in(nsfd.get()));
  HUSK_TRY(inside.remove_link(it->ifname));
  if (it == eps.begin()) HUSK_TRY(unpublish(run_root, id));
  HUSK_TRY(name_server(run_root, n).remove(id));
  HUSK_TRY(net::Leases(leases_dir(run_root, n.name)).release(id));
  eps.erase(it);
  HUSK_TRY(write_endpoints(run_root, id, eps));
  return sync_resolver(run_root, id, nsfd.get(), on);
}

Result<void> rename_running(const std::string& run_root, const ContainerRecord& rec) {
  for (auto& e : endpoints_of(run_root, rec.id)) {
    NetworkAttachment a{e.network, e.network_id, e.aliases, "", ""};
    HUSK_TRY(
        net::NameServer(dns_dir(run_root, e.network), {}, false).rename(rec.id, e.address, names_of(rec, a)));
  }
  return {};
}

std::vector<std::pair<std::string, Endpoint>> endpoints_on(const std::string& run_root, const Network& n) {
  std::vector<std::pair<std::string, Endpoint>> out;
  for (auto& id : list_dir(endpoints_dir(run_root)))
    for (auto& e : endpoints_of(run_root, id))
      if (e.network_id == n.id) out.emplace_back(id, e);
  return out;
}

Result<void> release_network(const std::string& run_root, const Network& n) {
  HUSK_TRY(name_server(run_root, n).destroy());
  auto host = HUSK_TRY(net::Netlink::open());
  if (host.index_of(n.bridge)) {
    HUSK_TRY(host.remove_link(n.bridge));
    HUSK_TRY(run_husk_net(firewall_args("down", n)));
  }
  return remove_all(leases_dir(run_root, n.name));
}

}  // namespace husk::engine
