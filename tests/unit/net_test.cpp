// net/: subnets, the address leases (round robin, reclaimed from the dead,
// exclusive across processes), and netlink on a real kernel inside a network
// namespace of the test's own (a bridge, a veth into a second namespace, an
// address, a route, then a TCP connection across them).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "net/cidr.hpp"
#include "net/firewall.hpp"
#include "net/ipam.hpp"
#include "net/netlink.hpp"
#include "net/netns.hpp"
#include "test_helpers.hpp"

namespace husk::net {
namespace {

using husk::testing::FailsWith;
using husk::testing::TempDir;

Ipv4 ip(const char* s) { return *parse_ipv4(s); }
Subnet subnet(const char* s) { return *parse_subnet(s); }

TEST(NetCidr, ParsesAndCompares) {
  auto s = parse_subnet("172.18.0.0/16");
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ(s->str(), "172.18.0.0/16");
  EXPECT_EQ(s->size(), 65536u);
  EXPECT_TRUE(s->contains(ip("172.18.255.254")));
  EXPECT_FALSE(s->contains(ip("172.19.0.1")));
  EXPECT_EQ(s->at(1).str(), "172.18.0.1");
  EXPECT_EQ(s->broadcast().str(), "172.18.255.255");
  EXPECT_TRUE(s->overlaps(subnet("172.18.5.0/24")));
  EXPECT_TRUE(subnet("172.18.5.0/24").overlaps(*s));
  EXPECT_FALSE(s->overlaps(subnet("172.19.0.0/16")));
  EXPECT_TRUE(subnet("0.0.0.0/0").contains(ip("8.8.8.8")));
  EXPECT_TRUE(FailsWith(parse_subnet("172.18.0.1/16"), EINVAL, "it should be 172.18.0.0/16"));
  EXPECT_TRUE(FailsWith(parse_subnet("172.18.0.0"), EINVAL, "not ADDRESS/PREFIX"));
  EXPECT_TRUE(FailsWith(parse_subnet("172.18.0.0/33"), EINVAL, "prefix"));
  EXPECT_TRUE(FailsWith(parse_subnet("172.18.0.0/"), EINVAL, "prefix"));
  EXPECT_TRUE(FailsWith(parse_subnet("1.2.3/8"), EINVAL, "not an IPv4 address"));
  EXPECT_FALSE(parse_ipv4("010.1.1.1x").has_value());
  EXPECT_EQ(mac_for(ip("172.17.0.2")).str(), "02:42:ac:11:00:02");
}

TEST(NetFirewall, ATableOfHusksOwnWithSetsANetworkIsAnElementOf) {
  auto table = firewall_table_script(false);
  EXPECT_NE(table.find("table ip husk {"), std::string::npos);
  EXPECT_NE(table.find("ip saddr @subnets oifname != @bridges masquerade"), std::string::npos);
  EXPECT_NE(table.find("oifname @bridges ct state established,related accept"), std::string::npos);
  EXPECT_LT(table.find("iifname . oifname @same accept"), table.find("iifname @internal drop"));
  EXPECT_NE(table.find("oifname @bridges ct status dnat accept\n    iifname @bridges oifname @bridges drop"),
            std::string::npos)
      << "a bridge's own traffic passes, another bridge's does not";
  EXPECT_EQ(table.find("drop comment \"husk turned"), std::string::npos)
      << "forwarding was on: not husk's to guard";
  EXPECT_NE(firewall_table_script(true).find("drop comment \"husk turned"), std::string::npos);
  EXPECT_EQ(firewall_network_script("husk0", subnet("10.87.0.0/16"), false),
            "add element ip husk bridges { \"husk0\" }\nadd element ip husk subnets { 10.87.0.0/16 }\n"
            "add element ip husk same { \"husk0\" . \"husk0\" }\n");
  EXPECT_EQ(firewall_network_script("br1", subnet("10.90.0.0/24"), true),
            "add element ip husk internal { \"br1\" }\nadd element ip husk same { \"br1\" . \"br1\" }\n");
}

TEST(NetFirewall, PublishedPortsAsLinesAndAsMapElements) {
  Published any{"tcp", std::nullopt, 8080, ip("10.87.0.2"), 80};
  Published local{"udp", ip("127.0.0.1"), 5353, ip("10.87.0.3"), 53};
  EXPECT_EQ(published_line(any), "tcp 0.0.0.0 8080 10.87.0.2 80");
  EXPECT_EQ(parse_published_line(published_line(any)), any);
  EXPECT_EQ(parse_published_line(published_line(local)), local);
  for (auto bad : {"tcp 0.0.0.0 8080 10.87.0.2", "icmp 0.0.0.0 1 10.0.0.1 1", "tcp 0.0.0.0 70000 10.0.0.1 1",
                   "tcp x 1 10.0.0.1 1", ""})
    EXPECT_FALSE(parse_published_line(bad).has_value()) << bad;
  EXPECT_EQ(firewall_ports_script(true, {any, local}),
            "add element ip husk published_any { tcp . 8080 : 10.87.0.2 . 80 }\n"
            "add element ip husk published { 127.0.0.1 . udp . 5353 : 10.87.0.3 . 53 }\n");
  EXPECT_EQ(firewall_ports_script(false, {any}), "delete element ip husk published_any { tcp . 8080 }\n");
}

Pool pool(const char* net, const char* gw) { return Pool{subnet(net), subnet(net), ip(gw)}; }
bool everyone_alive(const std::string&) { return true; }

TEST(NetLeases, RoundRobinSkippingTheReservedAndTheTaken) {
  TempDir tmp;
  Leases l(tmp / "net");
  auto p = pool("10.5.0.0/29", "10.5.0.1");  // .2 to .6 for containers
  EXPECT_EQ(l.acquire(p, "a", {}, everyone_alive)->str(), "10.5.0.2");
  EXPECT_EQ(l.acquire(p, "b", {}, everyone_alive)->str(), "10.5.0.3");
  EXPECT_EQ(l.acquire(p, "a", {}, everyone_alive)->str(), "10.5.0.2") << "a holder keeps its address";
  ASSERT_TRUE(l.release("a").has_value());
  EXPECT_EQ(l.acquire(p, "c", {}, everyone_alive)->str(), "10.5.0.4") << "not the one just released";
  EXPECT_EQ(l.acquire(p, "d", {}, everyone_alive)->str(), "10.5.0.5");
  EXPECT_EQ(l.acquire(p, "e", {}, everyone_alive)->str(), "10.5.0.6");
  EXPECT_EQ(l.acquire(p, "f", {}, everyone_alive)->str(), "10.5.0.2") << "around, past the broadcast";
  EXPECT_TRUE(FailsWith(l.acquire(p, "g", {}, everyone_alive), ENOSPC, "no available IPv4 addresses"));
  // The dead's leases go back to the pool.
  auto alive = [](const std::string& who) { return who != "c"; };
  EXPECT_EQ(l.acquire(p, "g", {}, alive)->str(), "10.5.0.4");
  auto held = l.list();
  ASSERT_TRUE(held.has_value());
  std::set<std::string> owners;
  for (auto& x : *held) owners.insert(x.owner);
  EXPECT_EQ(owners, (std::set<std::string>{"b", "d", "e", "f", "g"}));
}

TEST(NetLeases, AskedForAddresses) {
  TempDir tmp;
  Leases l(tmp / "net");
  Pool p{subnet("10.6.0.0/16"), subnet("10.6.1.0/24"), ip("10.6.0.1")};
  EXPECT_EQ(l.acquire(p, "a", ip("10.6.0.9"), everyone_alive)->str(), "10.6.0.9")
      << "outside --ip-range is allowed";
  EXPECT_TRUE(
      FailsWith(l.acquire(p, "b", ip("10.6.0.9"), everyone_alive), EADDRINUSE, "Address already in use"));
  EXPECT_TRUE(FailsWith(l.acquire(p, "b", ip("10.6.0.1"), everyone_alive), EADDRINUSE, "10.6.0.1"));
  EXPECT_TRUE(FailsWith(l.acquire(p, "b", ip("10.7.0.1"), everyone_alive), EINVAL, "no configured subnet"));
  // As docker's: the range's first address is a host of the larger subnet.
  EXPECT_EQ(l.acquire(p, "b", {}, everyone_alive)->str(), "10.6.1.0") << "from the range";
  EXPECT_EQ(l.acquire(p, "a", ip("10.6.0.10"), everyone_alive)->str(), "10.6.0.10") << "a new ask moves it";
  EXPECT_EQ(l.list()->size(), 2u);
}

TEST(NetLeases, ProcessesAtOnceNeverShareAnAddress) {
  TempDir tmp;
  std::string dir = tmp / "net";
  constexpr int kProcs = 8, kEach = 10;
  std::vector<pid_t> kids;
  for (int k = 0; k < kProcs; ++k) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Leases l(dir);
      auto p = pool("10.8.0.0/24", "10.8.0.1");
      for (int i = 0; i < kEach; ++i)
        if (!l.acquire(p, std::to_string(k) + "-" + std::to_string(i), {}, everyone_alive)) ::_exit(1);
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int st = 0;
    ASSERT_EQ(::waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  auto all = Leases(dir).list();
  ASSERT_TRUE(all.has_value());
  std::set<Ipv4> addresses;
  for (auto& x : *all) addresses.insert(x.address);
  EXPECT_EQ(all->size(), size_t{kProcs * kEach});
  EXPECT_EQ(addresses.size(), size_t{kProcs * kEach});
}

// The steps of CHECK run in a child in a network namespace of its own (the
// host's is never touched); its exit code says which step failed.
int in_private_netns(const std::function<int()>& check) {
  pid_t pid = ::fork();
  if (pid == 0) {
    // Mounts (the kept namespace) stay in the child's own mount namespace.
    if (::unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) ::_exit(100);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) ::_exit(101);
    ::_exit(check());
  }
  int st = 0;
  if (::waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 200 + WTERMSIG(st);
}

TEST(NetNetlink, ABridgeAVethIntoANamespaceAnAddressARouteAndTrafficAcross) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: makes network namespaces, a bridge and a veth";
  TempDir tmp;
  std::string ns_path = tmp / "netns/c1";
  int code = in_private_netns([&]() -> int {
    auto host = Netlink::open();
    if (!host) return 1;
    if (!host->add_bridge("hbr0", 1500)) return 2;
    if (!FailsWith(host->add_bridge("hbr0", 1500), EEXIST, "hbr0")) return 3;
    if (!host->add_address("hbr0", ip("10.9.0.1"), 24)) return 4;
    if (!create_netns(ns_path)) return 5;
    auto nsfd = open_fd(ns_path, O_RDONLY | O_CLOEXEC);
    if (!nsfd) return 6;
    int bridge = host->index_of("hbr0").value_or(-1);
    if (!host->add_veth("hveth0", bridge, "eth0", nsfd->get(), mac_for(ip("10.9.0.2")), 1400)) return 7;
    {  // A socket holds its namespace: this one is closed before the namespace is let go.
      auto inside = Netlink::open_in(nsfd->get());
      if (!inside) return 8;
      if (!inside->set_up("eth0") || !inside->add_address("eth0", ip("10.9.0.2"), 24)) return 9;
      if (!inside->add_default_route(ip("10.9.0.1"), "eth0")) return 10;
      if (inside->default_route_mtu(0) != 1400) return 11;
    }
    if (!FailsWith(host->index_of("eth0"), ENODEV, "eth0")) return 12;
    // A TCP connection from the container's namespace to the bridge's address.
    UniqueFd srv(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(ip("10.9.0.1").value);
    if (::bind(srv.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(srv.get(), 1) < 0)
      return 13;
    socklen_t len = sizeof a;
    ::getsockname(srv.get(), reinterpret_cast<sockaddr*>(&a), &len);
    UniqueFd client;
    auto connected = in_netns(nsfd->get(), [&]() -> Result<void> {
      client = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
        return fail_errno("connect");
      return {};
    });
    if (!connected) return 14;
    UniqueFd conn(::accept4(srv.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn || ::write(client.get(), "hi", 2) != 2) return 15;
    char buf[2];
    if (::read(conn.get(), buf, 2) != 2 || buf[0] != 'h') return 16;
    client.reset();
    nsfd->reset();
    // The namespace let go: it ends, and its veth with it (the kernel's
    // cleanup runs after; bounded wait).
    if (!remove_netns(ns_path) || path_exists(ns_path)) return 17;
    for (int i = 0; i < 200 && host->index_of("hveth0"); ++i) ::usleep(10000);
    if (host->index_of("hveth0")) return 18;
    if (!host->remove_link("hbr0") || !host->remove_link("hbr0")) return 19;
    return 0;
  });
  EXPECT_EQ(code, 0) << "the step that failed (see the test)";
}

}  // namespace
}  // namespace husk::net
