// engine/networks: the network store over a temporary root and run root
// (names, ids, subnets chosen or given, the config file's "bip" and
// "default-address-pools", docker's messages and inspect shape), and the
// small pieces a network's containers get: MACs, hosts lines for the name
// server, resolv.conf naming it, the firewall's set elements.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/etc_files.hpp"
#include "engine/network.hpp"
#include "engine/networks.hpp"
#include "net/dns.hpp"
#include "net/firewall.hpp"
#include "net/netlink.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using husk::testing::get_file;
using husk::testing::put_file;
using husk::testing::TempDir;

net::Ipv4 ip(const char* s) { return *net::parse_ipv4(s); }
net::Subnet subnet(const char* s) { return *net::parse_subnet(s); }

// The host's routes, which a chosen subnet must stay clear of.
std::vector<net::Subnet> host_routes() {
  auto nl = net::Netlink::open();
  if (!nl) {
    ADD_FAILURE() << nl.error().what();
    return {};
  }
  auto routes = nl->route_destinations();
  if (!routes) {
    ADD_FAILURE() << routes.error().what();
    return {};
  }
  return *routes;
}

bool host_routes_overlap(const net::Subnet& s) {
  auto routes = host_routes();
  return std::any_of(routes.begin(), routes.end(), [&](const net::Subnet& r) { return r.overlaps(s); });
}

NetworkOptions named(const std::string& name, const std::string& subnet = "", const std::string& gateway = "",
                     const std::string& ip_range = "") {
  NetworkOptions o;
  o.name = name;
  o.subnet = subnet;
  o.gateway = gateway;
  o.ip_range = ip_range;
  return o;
}

class EngineNetworks : public ::testing::Test {
 protected:
  NetworkStore store() const { return NetworkStore(dir_ / "root", dir_ / "run", config_); }
  // A store over the same root with a run root of its own (a fresh boot).
  NetworkStore store_with_run_root(const std::string& run) const {
    return NetworkStore(dir_ / "root", dir_ / run, config_);
  }
  size_t user_count() const {
    auto all = store().list();
    EXPECT_TRUE(all.has_value()) << all.error().what();
    return all ? all->size() - 3 : 0;
  }

  TempDir dir_;
  std::string config_ = dir_ / "daemon.json";
};

TEST_F(EngineNetworks, CreateKeepsSubnetGatewayAndRangeAndFindsByNameIdOrPrefix) {
  NetworkOptions o = named("front", "10.201.0.0/24", "10.201.0.254", "10.201.0.128/25");
  o.labels = {{"tier", "web"}};
  auto n = store().create(o);
  ASSERT_TRUE(n.has_value()) << n.error().what();
  EXPECT_EQ(n->name, "front");
  EXPECT_EQ(n->id.size(), 64u);
  EXPECT_EQ(n->subnet.str(), "10.201.0.0/24");
  EXPECT_EQ(n->gateway.str(), "10.201.0.254");
  ASSERT_TRUE(n->ip_range.has_value());
  EXPECT_EQ(n->ip_range->str(), "10.201.0.128/25");
  EXPECT_TRUE(n->configured_subnet);
  EXPECT_FALSE(n->created.empty());
  EXPECT_TRUE(path_exists(dir_ / ("root/networks/" + n->id + ".json")));

  for (const std::string& key : {std::string("front"), n->id, n->id.substr(0, 12)}) {
    auto found = store().find(key);
    ASSERT_TRUE(found.has_value()) << key << ": " << found.error().what();
    EXPECT_EQ(found->id, n->id) << key;
    EXPECT_EQ(found->name, "front") << key;
    EXPECT_EQ(found->subnet.str(), "10.201.0.0/24") << key;
    EXPECT_EQ(found->gateway.str(), "10.201.0.254") << key;
    ASSERT_TRUE(found->ip_range.has_value()) << key;
    EXPECT_EQ(found->ip_range->str(), "10.201.0.128/25") << key;
    EXPECT_EQ(found->labels, (std::map<std::string, std::string>{{"tier", "web"}})) << key;
    EXPECT_EQ(found->bridge, n->bridge) << key;
    EXPECT_TRUE(found->configured_subnet) << key;
  }
  EXPECT_TRUE(FailsWith(store().find("back"), ENOENT, "network back not found"));

  // No gateway given: the subnet's first address.
  auto g = store().create(named("plain", "10.202.0.0/24"));
  ASSERT_TRUE(g.has_value()) << g.error().what();
  EXPECT_EQ(g->gateway.str(), "10.202.0.1");
  EXPECT_FALSE(g->ip_range.has_value());
}

TEST_F(EngineNetworks, ChosenSubnetsOverlapNoOtherNetworkNorAHostRoute) {
  auto given = store().create(named("given", "10.88.0.0/16"));
  ASSERT_TRUE(given.has_value()) << given.error().what();
  auto a = store().create(named("a"));
  ASSERT_TRUE(a.has_value()) << a.error().what();
  auto b = store().create(named("b"));
  ASSERT_TRUE(b.has_value()) << b.error().what();
  auto def = store().default_bridge();
  ASSERT_TRUE(def.has_value()) << def.error().what();

  auto pool = subnet("10.87.0.0/16");
  for (auto* n : {&*a, &*b}) {
    EXPECT_EQ(n->subnet.prefix, 16u) << n->name;
    EXPECT_GE(n->subnet.base.value, pool.base.value) << n->name << " " << n->subnet.str();
    EXPECT_LE(n->subnet.base.value, subnet("10.127.0.0/16").base.value) << n->name << " " << n->subnet.str();
    EXPECT_EQ(n->gateway, n->subnet.at(1)) << n->name;
    EXPECT_FALSE(n->configured_subnet) << n->name;
    EXPECT_FALSE(n->subnet.overlaps(def->subnet)) << n->name << " " << n->subnet.str();
    EXPECT_FALSE(n->subnet.overlaps(given->subnet)) << n->name << " " << n->subnet.str();
    for (auto& r : host_routes()) EXPECT_FALSE(n->subnet.overlaps(r)) << n->name << " " << r.str();
  }
  EXPECT_FALSE(a->subnet.overlaps(b->subnet)) << a->subnet.str();
  // The first free ones in order, when the host's routes leave them free.
  if (!host_routes_overlap(subnet("10.87.0.0/16"))) {
    EXPECT_EQ(def->subnet.str(), "10.87.0.0/16");
  }
  if (!host_routes_overlap(subnet("10.88.0.0/14"))) {
    EXPECT_EQ(a->subnet.str(), "10.89.0.0/16");
    EXPECT_EQ(b->subnet.str(), "10.90.0.0/16");
  }
}

TEST_F(EngineNetworks, ATakenNameIsEEXIST) {
  ASSERT_TRUE(store().create(named("web", "10.201.0.0/24")).has_value());
  EXPECT_TRUE(FailsWith(store().create(named("web", "10.202.0.0/24")), EEXIST,
                        "network with name web already exists"));
  for (const char* builtin : {"bridge", "host", "none"})
    EXPECT_TRUE(FailsWith(store().create(named(builtin, "10.203.0.0/24")), EEXIST,
                          std::string("network with name ") + builtin + " already exists"));
  EXPECT_EQ(user_count(), 1u);
}

TEST_F(EngineNetworks, BadFlagsAreEINVALAndLeaveNothing) {
  ASSERT_TRUE(store().create(named("a", "10.200.0.0/16")).has_value());
  EXPECT_TRUE(FailsWith(store().create(named("b", "10.200.5.0/24")), EINVAL,
                        "Pool overlaps with other one on this address space"));
  EXPECT_TRUE(FailsWith(store().create(named("b", "10.0.0.0/8")), EINVAL, "Pool overlaps"));
  auto def = store().default_bridge();
  ASSERT_TRUE(def.has_value()) << def.error().what();
  EXPECT_TRUE(FailsWith(store().create(named("b", def->subnet.str())), EINVAL, "of network bridge"));

  EXPECT_TRUE(FailsWith(store().create(named("b", "10.201.0.0/24", "10.202.0.1")), EINVAL,
                        "gateway 10.202.0.1 is not a host address of the subnet 10.201.0.0/24"));
  EXPECT_TRUE(
      FailsWith(store().create(named("b", "10.201.0.0/24", "10.201.0.0")), EINVAL, "not a host address"));
  EXPECT_TRUE(
      FailsWith(store().create(named("b", "10.201.0.0/24", "10.201.0.255")), EINVAL, "not a host address"));
  EXPECT_TRUE(
      FailsWith(store().create(named("b", "10.201.0.0/24", "nowhere")), EINVAL, "invalid gateway address"));
  EXPECT_TRUE(FailsWith(store().create(named("b", "10.201.0.0/24", "", "10.202.0.0/25")), EINVAL,
                        "ip-range 10.202.0.0/25 is not in the subnet 10.201.0.0/24"));
  EXPECT_TRUE(FailsWith(store().create(named("b", "10.201.0.0/24", "", "10.0.0.0/8")), EINVAL,
                        "ip-range 10.0.0.0/8 is not in the subnet"));
  EXPECT_TRUE(FailsWith(store().create(named("b", "", "10.201.0.1")), EINVAL, "need --subnet"));
  EXPECT_TRUE(FailsWith(store().create(named("b", "", "", "10.201.0.0/25")), EINVAL, "need --subnet"));
  EXPECT_TRUE(FailsWith(store().create(named("b", "10.201.0.1/24")), EINVAL, "it should be 10.201.0.0/24"));
  EXPECT_TRUE(FailsWith(store().create(named("b", "10.201.0.0/31")), EINVAL, "too small"));

  for (const char* bad : {"-x", "a b", "", ".x", "a/b"})
    EXPECT_TRUE(FailsWith(store().create(named(bad, "10.201.0.0/24")), EINVAL, "invalid network name"))
        << bad;
  NetworkOptions o = named("b", "10.201.0.0/24");
  o.driver = "macvlan";
  EXPECT_TRUE(FailsWith(store().create(o), EINVAL, "plugin \"macvlan\" not found"));

  EXPECT_EQ(user_count(), 1u);
}

TEST_F(EngineNetworks, BridgeNameIsTheOptionsOrHuskAndTheIdsStart) {
  auto plain = store().create(named("plain", "10.201.0.0/24"));
  ASSERT_TRUE(plain.has_value()) << plain.error().what();
  EXPECT_EQ(plain->bridge, "husk-" + plain->id.substr(0, 10));
  EXPECT_EQ(plain->bridge.size(), 15u) << "fits a link name";

  NetworkOptions o = named("named", "10.202.0.0/24");
  o.options = {{"com.docker.network.bridge.name", "br-test"}, {"com.example.other", "1"}};
  auto n = store().create(o);
  ASSERT_TRUE(n.has_value()) << n.error().what();
  EXPECT_EQ(n->bridge, "br-test");
  EXPECT_EQ(n->options, (std::map<std::string, std::string>{{"com.example.other", "1"}}));
  EXPECT_EQ(store().find("named")->bridge, "br-test");

  o.name = "fifteen";
  o.subnet = "10.203.0.0/24";
  o.options = {{"com.docker.network.bridge.name", "abcdefghijklmno"}};
  EXPECT_TRUE(store().create(o).has_value()) << "15 characters: a link name's most";
  o.name = "sixteen";
  o.subnet = "10.204.0.0/24";
  o.options = {{"com.docker.network.bridge.name", "abcdefghijklmnop"}};
  EXPECT_TRUE(FailsWith(store().create(o), EINVAL, "invalid bridge name \"abcdefghijklmnop\""));
  o.options = {{"com.docker.network.bridge.name", "br-test"}};
  EXPECT_TRUE(FailsWith(store().create(o), EINVAL, "bridge name br-test is network named's already"));
  o.options = {{"com.docker.network.bridge.name", "husk0"}};
  EXPECT_TRUE(FailsWith(store().create(o), EINVAL, "network bridge's already"));
}

TEST_F(EngineNetworks, ListIsTheBuiltInOnesThenTheOthersByName) {
  ASSERT_TRUE(store().create(named("zeta", "10.201.0.0/24")).has_value());
  ASSERT_TRUE(store().create(named("alpha", "10.202.0.0/24")).has_value());
  ASSERT_TRUE(store().create(named("mid", "10.203.0.0/24")).has_value());
  auto all = store().list();
  ASSERT_TRUE(all.has_value()) << all.error().what();
  std::vector<std::string> names, drivers;
  for (auto& n : *all) names.push_back(n.name), drivers.push_back(n.driver);
  EXPECT_EQ(names, (std::vector<std::string>{"bridge", "host", "none", "alpha", "mid", "zeta"}));
  EXPECT_EQ(drivers, (std::vector<std::string>{"bridge", "host", "null", "bridge", "bridge", "bridge"}));
  EXPECT_EQ((*all)[0].bridge, "husk0");

  // The built-in ones have fixed ids, found by them too.
  for (size_t i = 0; i < 3; ++i) {
    auto by_id = store().find((*all)[i].id);
    ASSERT_TRUE(by_id.has_value()) << by_id.error().what();
    EXPECT_EQ(by_id->name, names[i]);
    EXPECT_EQ(store().find(names[i])->id, (*all)[i].id);
  }
  EXPECT_NE((*all)[1].id, (*all)[2].id);
}

TEST_F(EngineNetworks, RemoveDropsAUserNetworkButNoBuiltInOne) {
  for (const char* builtin : {"bridge", "host", "none"}) {
    auto n = store().find(builtin);
    ASSERT_TRUE(n.has_value()) << n.error().what();
    EXPECT_TRUE(FailsWith(store().remove(*n), EPERM,
                          std::string(builtin) + " is a pre-defined network and cannot be removed"));
  }
  auto n = store().create(named("gone", "10.201.0.0/24"));
  ASSERT_TRUE(n.has_value()) << n.error().what();
  auto keep = store().create(named("kept", "10.202.0.0/24"));
  ASSERT_TRUE(keep.has_value()) << keep.error().what();
  auto removed = store().remove(*n);
  ASSERT_TRUE(removed.has_value()) << removed.error().what();
  EXPECT_TRUE(FailsWith(store().find("gone"), ENOENT, "network gone not found"));
  EXPECT_TRUE(FailsWith(store().find(n->id), ENOENT, "not found"));
  EXPECT_FALSE(path_exists(dir_ / ("root/networks/" + n->id + ".json")));
  EXPECT_TRUE(store().find("kept").has_value());
  EXPECT_EQ(user_count(), 1u);
  // Its name and subnet are free again.
  EXPECT_TRUE(store().create(named("gone", "10.201.0.0/24")).has_value());
}

TEST_F(EngineNetworks, DefaultBridgeIsTheFirstFreeSubnetAndRemembered) {
  if (host_routes_overlap(subnet("10.87.0.0/16")))
    GTEST_SKIP() << "a route of this host overlaps 10.87.0.0/16: the default bridge takes another";
  auto def = store().default_bridge();
  ASSERT_TRUE(def.has_value()) << def.error().what();
  EXPECT_EQ(def->name, "bridge");
  EXPECT_EQ(def->driver, "bridge");
  EXPECT_EQ(def->bridge, "husk0");
  EXPECT_TRUE(def->is_default());
  EXPECT_FALSE(def->has_names());
  EXPECT_EQ(def->subnet.str(), "10.87.0.0/16");
  EXPECT_EQ(def->gateway.str(), "10.87.0.1");
  EXPECT_EQ(get_file(dir_ / "run/.net/networks/bridge/subnet"), "10.87.0.0/16 10.87.0.1\n");

  // Remembered while the run root lasts: a config file written later does
  // not move it; a fresh run root follows the config file.
  put_file(config_, R"({"bip": "10.99.0.1/24"})");
  EXPECT_EQ(store().default_bridge()->subnet.str(), "10.87.0.0/16");
  EXPECT_EQ(store().find("bridge")->gateway.str(), "10.87.0.1");
  EXPECT_EQ(store_with_run_root("run2").default_bridge()->subnet.str(), "10.99.0.0/24");
}

TEST_F(EngineNetworks, BipGivesTheDefaultBridgesSubnetAndGateway) {
  put_file(config_, R"({"bip": "10.99.0.1/24"})");
  auto def = store().default_bridge();
  ASSERT_TRUE(def.has_value()) << def.error().what();
  EXPECT_EQ(def->subnet.str(), "10.99.0.0/24");
  EXPECT_EQ(def->gateway.str(), "10.99.0.1");
  EXPECT_EQ(get_file(dir_ / "run/.net/networks/bridge/subnet"), "10.99.0.0/24 10.99.0.1\n");
  EXPECT_TRUE(FailsWith(store().create(named("over", "10.99.0.128/25")), EINVAL, "Pool overlaps"));

  put_file(config_, R"({"bip": "10.98.0.5/16"})");
  auto other = store_with_run_root("run2").default_bridge();
  ASSERT_TRUE(other.has_value()) << other.error().what();
  EXPECT_EQ(other->subnet.str(), "10.98.0.0/16");
  EXPECT_EQ(other->gateway.str(), "10.98.0.5");
}

TEST_F(EngineNetworks, DefaultAddressPoolsAreWhereSubnetsComeFrom) {
  if (host_routes_overlap(subnet("10.123.0.0/16")))
    GTEST_SKIP() << "a route of this host overlaps 10.123.0.0/16";
  put_file(config_, R"({"default-address-pools":[{"base":"10.123.0.0/16","size":24}]})");
  // No "bip": the default bridge takes the pools' first free one too.
  auto def = store().default_bridge();
  ASSERT_TRUE(def.has_value()) << def.error().what();
  EXPECT_EQ(def->subnet.str(), "10.123.0.0/24");
  EXPECT_EQ(def->gateway.str(), "10.123.0.1");
  auto a = store().create(named("a"));
  ASSERT_TRUE(a.has_value()) << a.error().what();
  EXPECT_EQ(a->subnet.str(), "10.123.1.0/24");
  EXPECT_EQ(a->gateway.str(), "10.123.1.1");
  auto b = store().create(named("b"));
  ASSERT_TRUE(b.has_value()) << b.error().what();
  EXPECT_EQ(b->subnet.str(), "10.123.2.0/24");
  // A gap a removed network leaves is taken again first.
  ASSERT_TRUE(store().remove(*a).has_value());
  EXPECT_EQ(store().create(named("c"))->subnet.str(), "10.123.1.0/24");
}

TEST_F(EngineNetworks, ThePoolsRunningOutIsEINVAL) {
  if (host_routes_overlap(subnet("10.124.0.0/23")))
    GTEST_SKIP() << "a route of this host overlaps 10.124.0.0/23";
  put_file(config_, R"({"default-address-pools":[{"base":"10.124.0.0/23","size":24}]})");
  ASSERT_TRUE(store().create(named("a")).has_value());  // the default bridge has 10.124.0.0/24
  EXPECT_EQ(store().find("a")->subnet.str(), "10.124.1.0/24");
  EXPECT_TRUE(FailsWith(store().create(named("b")), EINVAL, "could not find an available"));
}

TEST_F(EngineNetworks, ConfigFileDefaults) {
  auto missing = read_network_defaults(dir_ / "nothere.json");
  ASSERT_TRUE(missing.has_value()) << missing.error().what();
  EXPECT_FALSE(missing->bip_subnet.has_value());
  EXPECT_FALSE(missing->bip_gateway.has_value());
  EXPECT_TRUE(missing->pools.empty());
  EXPECT_TRUE(missing->dns.empty());

  put_file(
      config_,
      R"({"bip": "10.99.0.1/24", "dns": ["192.0.2.53", "2001:db8::53"], "default-address-pools":[{"base":"10.123.0.0/16","size":24}]})");
  auto d = read_network_defaults(config_);
  ASSERT_TRUE(d.has_value()) << d.error().what();
  ASSERT_TRUE(d->bip_subnet.has_value());
  EXPECT_EQ(d->bip_subnet->str(), "10.99.0.0/24");
  EXPECT_EQ(d->bip_gateway->str(), "10.99.0.1");
  EXPECT_EQ(d->dns, (std::vector<std::string>{"192.0.2.53", "2001:db8::53"}));
  ASSERT_EQ(d->pools.size(), 256u);
  EXPECT_EQ(d->pools.front().str(), "10.123.0.0/24");
  EXPECT_EQ(d->pools[1].str(), "10.123.1.0/24");
  EXPECT_EQ(d->pools.back().str(), "10.123.255.0/24");

  for (const char* bad :
       {"{not json", R"({"bip": "10.99.0.0/24"})", R"({"bip": "10.99.0.1"})", R"({"bip": "10.99.0.1/31"})",
        R"({"bip": 5})", R"({"default-address-pools":[{"base":"10.123.0.0/16","size":8}]})",
        R"({"default-address-pools":[{"base":"10.123.0.1/16","size":24}]})",
        R"({"default-address-pools":[{"size":24}]})"}) {
    put_file(config_, bad);
    EXPECT_TRUE(FailsWith(read_network_defaults(config_), EINVAL, "config file " + config_)) << bad;
  }
  put_file(config_, "{not json");
  EXPECT_TRUE(FailsWith(store().default_bridge(), EINVAL, "config file " + config_));
  EXPECT_TRUE(FailsWith(store().create(named("a")), EINVAL, "config file " + config_));
  EXPECT_FALSE(path_exists(dir_ / "run/.net/networks/bridge/subnet")) << "nothing chosen from a bad file";
}

TEST_F(EngineNetworks, InspectHasDockersKeys) {
  NetworkOptions o = named("front", "10.201.0.0/24", "10.201.0.254", "10.201.0.128/25");
  o.internal = true;
  o.labels = {{"tier", "web"}};
  o.options = {{"com.docker.network.bridge.name", "br-front"}, {"com.example.mtu", "1400"}};
  auto n = store().create(o);
  ASSERT_TRUE(n.has_value()) << n.error().what();
  nlohmann::ordered_json containers = {{"abc", {{"Name", "web"}, {"IPv4Address", "10.201.0.130/24"}}}};
  auto j = to_json(*n, containers);
  EXPECT_EQ(j["Name"], "front");
  EXPECT_EQ(j["Id"], n->id);
  EXPECT_EQ(j["Driver"], "bridge");
  EXPECT_EQ(j["Scope"], "local");
  EXPECT_EQ(j["Created"], n->created);
  EXPECT_EQ(j["Internal"], true);
  EXPECT_EQ(j["EnableIPv6"], false);
  ASSERT_EQ(j["IPAM"]["Config"].size(), 1u);
  EXPECT_EQ(j["IPAM"]["Driver"], "default");
  EXPECT_EQ(j["IPAM"]["Config"][0]["Subnet"], "10.201.0.0/24");
  EXPECT_EQ(j["IPAM"]["Config"][0]["Gateway"], "10.201.0.254");
  EXPECT_EQ(j["IPAM"]["Config"][0]["IPRange"], "10.201.0.128/25");
  EXPECT_EQ(j["Options"]["com.docker.network.bridge.name"], "br-front");
  EXPECT_EQ(j["Options"]["com.example.mtu"], "1400");
  EXPECT_EQ(j["Labels"], (nlohmann::ordered_json{{"tier", "web"}}));
  EXPECT_EQ(j["Containers"], containers);

  auto def = store().default_bridge();
  ASSERT_TRUE(def.has_value()) << def.error().what();
  auto d = to_json(*def, nlohmann::ordered_json::object());
  EXPECT_EQ(d["Name"], "bridge");
  EXPECT_EQ(d["Options"]["com.docker.network.bridge.name"], "husk0");
  EXPECT_EQ(d["Options"]["com.docker.network.bridge.default_bridge"], "true");
  EXPECT_FALSE(d["IPAM"]["Config"][0].contains("IPRange"));
  EXPECT_EQ(d["Internal"], false);
  auto host = to_json(*store().find("host"), nlohmann::ordered_json::object());
  EXPECT_EQ(host["Driver"], "host");
  EXPECT_TRUE(host["IPAM"]["Config"].empty());
  EXPECT_FALSE(host["Options"].contains("com.docker.network.bridge.name"));
}

TEST(NetMac, ParsesSixHexPairsOfAUnicastAddress) {
  auto m = net::parse_mac("02:42:ac:11:00:02");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->str(), "02:42:ac:11:00:02");
  auto dashed = net::parse_mac("02-42-AC-11-00-02");
  ASSERT_TRUE(dashed.has_value());
  EXPECT_EQ(dashed->str(), "02:42:ac:11:00:02");
  EXPECT_EQ(dashed->bytes[2], 0xac);
  EXPECT_EQ(net::parse_mac(net::mac_for(ip("10.88.0.2")).str())->str(), "02:42:0a:58:00:02");

  for (const char* bad : {"zz:42:ac:11:00:02", "02:42:ac:11:00", "01:00:5e:00:00:01",
                          "02:42:ac:11:00:02:", "02.42.ac.11.00.02", "", "0242ac110002"})
    EXPECT_FALSE(net::parse_mac(bad).has_value()) << bad;
}

TEST(NetNameServer, HostsLineIsTheAddressThenTheNames) {
  EXPECT_EQ(net::NameServer::hosts_line(ip("10.88.0.2"), {"web", "www", "abc123"}),
            "10.88.0.2 web www abc123\n");
  EXPECT_EQ(net::NameServer::hosts_line(ip("10.88.0.3"), {"db"}), "10.88.0.3 db\n");
}

TEST(EngineNetworkResolvConf, TheNetworksNameServerReplacesTheHostsUnlessDnsIsGiven) {
  std::string host =
      "nameserver 192.0.2.53\n"
      "nameserver 192.0.2.54\n"
      "search corp.example\n"
      "options edns0\n";
  RunFlags f;
  EXPECT_EQ(resolv_conf_text(host, f, ip("10.88.0.1")),
            "search corp.example\nnameserver 10.88.0.1\noptions edns0\n");
  EXPECT_EQ(resolv_conf_text("nameserver 127.0.0.53\n", f, ip("10.88.0.1")), "nameserver 10.88.0.1\n")
      << "not docker's public ones";
  EXPECT_EQ(resolv_conf_text(host, f, ip("10.88.0.1"), {"9.9.9.9"}),
            "search corp.example\nnameserver 10.88.0.1\noptions edns0\n")
      << "over the config file's dns";
  f.dns = {"1.1.1.1"};
  EXPECT_EQ(resolv_conf_text(host, f, ip("10.88.0.1")),
            "search corp.example\nnameserver 1.1.1.1\noptions edns0\n");
}

TEST(EngineNetworkResolver, OneNetworkWithNamesIsAskedAtItsGatewaySeveralAtTheContainersOwn) {
  auto net = [](const char* name, const char* gw, const char* driver = "bridge") {
    Network n;
    n.name = name;
    n.driver = driver;
    n.gateway = ip(gw);
    return n;
  };
  Network bridge = net("bridge", "10.87.0.1"), a = net("a", "10.90.0.1"), b = net("b", "10.91.0.1");
  EXPECT_EQ(resolver_for({}), std::nullopt);
  EXPECT_EQ(resolver_for({bridge}), std::nullopt) << "the default bridge has no names";
  EXPECT_EQ(resolver_for({net("host", "0.0.0.0", "host")}), std::nullopt);
  EXPECT_EQ(resolver_for({bridge, a}), ip("10.90.0.1")) << "the one with names";
  EXPECT_EQ(resolver_for({a, bridge}), ip("10.90.0.1"));
  EXPECT_EQ(resolver_for({a, b}), ip("127.0.0.11")) << "its own, for both";
  EXPECT_EQ(resolver_for({bridge, b, a}), ip("127.0.0.11"));
}

TEST(NetFirewallElements, ANetworkIsItsBridgeSubnetAndSameOrInternalAndSame) {
  EXPECT_EQ(net::firewall_network_elements("husk0", subnet("10.87.0.0/16"), false),
            (std::vector<std::string>{" element ip husk bridges { \"husk0\" }",
                                      " element ip husk subnets { 10.87.0.0/16 }",
                                      " element ip husk same { \"husk0\" . \"husk0\" }"}));
  EXPECT_EQ(net::firewall_network_elements("husk0", subnet("10.87.0.0/16"), true),
            (std::vector<std::string>{" element ip husk internal { \"husk0\" }",
                                      " element ip husk same { \"husk0\" . \"husk0\" }"}));
  EXPECT_EQ(net::firewall_network_script("br-x", subnet("10.201.0.0/24"), true),
            "add element ip husk internal { \"br-x\" }\nadd element ip husk same { \"br-x\" . \"br-x\" }\n");
}

}  // namespace
}  // namespace husk::engine
