// The engine's networks, docker's way: three built in ("bridge", the
// default bridge network; "host"; "none") and the bridge networks `network
// create` makes, kept as ROOT/networks/ID.json (a network outlives the
// containers on it, and a reboot). What a network holds while containers
// run on it (its bridge device, address leases, names) is under the run
// root (engine/network.hpp).
//
// Subnets: --subnet as given (it must not overlap another network's);
// otherwise the first /16 of the address pools (10.87.0.0/16 onwards, or a
// config file's "default-address-pools") that overlaps no network and no
// route of the host. The default bridge network's subnet is the config
// file's "bip", else chosen the same way when its bridge is first made, and
// kept under the run root while that bridge lives.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "engine/events.hpp"
#include "net/cidr.hpp"
#include "net/ipam.hpp"

namespace husk::engine {

inline constexpr std::string_view kDefaultConfigFile = "/etc/husk/daemon.json";

struct Network {
  std::string id;  // 64 hex digits
  std::string name;
  std::string driver = "bridge";  // bridge, host, null
  std::string created;            // RFC 3339
  std::string bridge;             // the host's bridge device
  net::Subnet subnet;
  net::Ipv4 gateway;
  std::optional<net::Subnet> ip_range;  // --ip-range: the part containers get
  bool internal = false;                // no route out, nothing forwarded
  bool configured_subnet = false;       // --subnet was given: --ip may be asked for
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;

  bool is_default() const { return name == "bridge"; }
  // Containers on it resolve each other's names (user-defined networks).
  bool has_names() const { return driver == "bridge" && !is_default(); }
  net::Pool pool() const { return net::Pool{subnet, ip_range.value_or(subnet), gateway}; }
};

// `network create`'s flags.
struct NetworkOptions {
  std::string name;
  std::string driver = "bridge";
  std::string subnet, gateway, ip_range;  // empty: chosen
  bool internal = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;  // com.docker.network.bridge.name=NAME
};

// What the config file (docker's daemon.json names) says of networks.
struct NetworkDefaults {
  std::optional<net::Subnet> bip_subnet;  // "bip": "10.87.0.1/16", the default bridge's
  std::optional<net::Ipv4> bip_gateway;
  std::vector<net::Subnet> pools;  // "default-address-pools": [{"base", "size"}], as /size subnets
  // "dns": the containers' nameservers in place of the host's, and the
  // servers the networks' name servers forward to.
  std::vector<std::string> dns;
};
// PATH's network settings; a missing file is the defaults.
Result<NetworkDefaults> read_network_defaults(const std::string& path);

// `network inspect`'s shape; CONTAINERS: id -> {Name, EndpointID, MacAddress, IPv4Address, IPv6Address}.
nlohmann::ordered_json to_json(const Network& n, const nlohmann::ordered_json& containers);

class NetworkStore {
 public:
  // ROOT: the image store's root; RUN_ROOT: the engine's run root; CONFIG:
  // the config file.
  NetworkStore(std::string root, std::string run_root, std::string config)
      : root_(std::move(root)), run_root_(std::move(run_root)), config_(std::move(config)) {}

  // A new bridge network; EEXIST for a taken name, EINVAL for bad flags,
  // an overlap, or a full pool.
  Result<Network> create(const NetworkOptions& o) const;
  // By name, full id or unique id prefix; the built-in ones too (ENOENT:
  // "network NAME not found").
  Result<Network> find(const std::string& name_or_id) const;
  // The built-in ones first, then the others by name.
  Result<std::vector<Network>> list() const;
  // N's definition gone (the caller let go of what it held on the host).
  // EPERM for a built-in network.
  Result<void> remove(const Network& n) const;

  // The default bridge network (its subnet chosen now when not yet).
  Result<Network> default_bridge() const;
  // The config file's settings.
  Result<NetworkDefaults> defaults() const { return read_network_defaults(config_); }

 private:
  std::vector<Network> user_networks() const;
  Result<net::Subnet> free_subnet(const std::vector<Network>& others, const NetworkDefaults& d) const;

  std::string root_, run_root_, config_;
};

// docker's event ACTION about N (with the CONTAINER connected or disconnected).
Event network_event(std::string_view action, const Network& n, const std::string& container = {});

}  // namespace husk::engine
