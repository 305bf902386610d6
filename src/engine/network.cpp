#include "engine/network.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/namespaces.hpp"
#include "engine/ports.hpp"
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

// husk-net ARGS (beside husk: nftables' library is a dynamic one), waited
// for; its error message becomes ours.
Result<void> run_husk_net(const std::vector<std::string>& args) {
  std::string prog = program_beside_us("husk-net");
  if (prog.empty()) return fail_code(ENOENT, "husk-net is missing (it belongs beside husk)");
  std::vector<char*> argv{prog.data()};
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto p = HUSK_TRY(make_pipe("pipe for husk-net"));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork husk-net");
  if (pid == 0) {
    ::dup2(p.write.get(), STDERR_FILENO);
    ::execv(prog.c_str(), argv.data());
    ::_exit(127);
  }
  p.write.reset();
  std::string said;
  char buf[1024];
  for (ssize_t n; (n = ::read(p.read.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    said.append(buf, static_cast<size_t>(n));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return {};
  std::string msg = trim(said);
  if (msg.starts_with("husk-net: ")) msg.erase(0, 10);
  return fail_code(EIO, msg.empty() ? prog + " failed" : msg);
}

// The bridge, up, with the gateway's address, and its rules in husk's
// nftables table; made when missing, under the networks' lock (two runs at
// once: the second finds it made). The rules go first: a start that dies
// between them and the bridge leaves rules that the next one sets again.
Result<void> ensure_bridge(const std::string& run_root, const net::Netlink& host, const NetworkConfig& n,
                           unsigned mtu) {
  if (host.index_of(n.bridge)) return {};
  HUSK_TRY(mkdir_all(run_root + "/networks", 0700));
  UniqueFd lock = HUSK_TRY(open_fd(run_root + "/networks/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + run_root + "/networks/lock"));
  if (host.index_of(n.bridge)) return {};
  HUSK_TRY(run_husk_net({"up", n.bridge, n.subnet.str()}));
  auto made = host.add_bridge(n.bridge, mtu);
  if (!made && made.error().err() != EEXIST) return made;
  auto addr = host.add_address(n.bridge, n.gateway, n.subnet.prefix);
  if (!addr && addr.error().err() != EEXIST) return addr;
  // What the host sends to its own 127.0.0.1:PORT may be a published port:
  // let it be routed to the bridge (the table masquerades it), as docker does.
  HUSK_TRY(write_file("/proc/sys/net/ipv4/conf/" + n.bridge + "/route_localnet", "1"));
  return {};
}

std::string ports_dir(const std::string& run_root) { return run_root + "/ports"; }
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
// among the other running containers' under the ports' lock; a free one
// chosen for a port 0), written down, then put in the firewall's maps.
Result<std::vector<net::Published>> publish(const std::string& run_root, const std::string& id,
                                            const std::vector<PortBinding>& bindings, net::Ipv4 address) {
  if (bindings.empty()) return std::vector<net::Published>{};
  HUSK_TRY(mkdir_all(ports_dir(run_root), 0700));
  UniqueFd lock = HUSK_TRY(open_fd(ports_dir(run_root) + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + ports_dir(run_root) + "/lock"));
  std::vector<net::Published> taken;
  if (DIR* d = ::opendir(ports_dir(run_root).c_str())) {
    while (auto* e = ::readdir(d)) {
      std::string other = e->d_name;
      if (other == id || other == "lock" || other[0] == '.') continue;
      // Held while its holder's namespace is kept (as the address leases).
      if (!path_exists(netns_path(run_root, other))) continue;
      for (auto& p : read_ports(ports_file(run_root, other))) taken.push_back(p);
    }
    ::closedir(d);
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
  HUSK_TRY_CTX(ensure_bridge(run_root, host, n, mtu), "network " + n.name);
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
  auto bindings = parse_publish(rec.flags.publish);
  if (!bindings) return undo(std::move(bindings).error());
  if (rec.flags.publish_all) *bindings = with_published_all(std::move(*bindings), rec.exposed_ports);
  auto published = publish(run_root, rec.id, *bindings, *address);
  if (!published) return undo(std::move(published).error());
  ep.ports = std::move(*published);
  return ep;
}

Result<void> detach_network(const std::string& run_root, const std::string& id, const RunFlags& flags) {
  auto network = network_of(flags);
  if (!network || !*network) return {};
  HUSK_TRY(unpublish(run_root, id));
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
      return Endpoint{n.name,
                      l.address,
                      n.subnet.prefix,
                      n.gateway,
                      net::mac_for(l.address).str(),
                      read_ports(ports_file(run_root, id))};
  return std::nullopt;
}

}  // namespace husk::engine
