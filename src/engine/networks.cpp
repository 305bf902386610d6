#include "engine/networks.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "engine/containers.hpp"
#include "image/digest.hpp"
#include "net/netlink.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

constexpr const char* kBridgeNameOption = "com.docker.network.bridge.name";
constexpr size_t kMaxLinkName = 15;
constexpr size_t kMaxCandidates = 4096;

Error invalid(std::string what) { return Error(EINVAL, std::move(what), false, ErrorKind::invalid_argument); }

// The built-in networks' ids: fixed, from their names.
std::string builtin_id(const std::string& name) { return image::sha256_of("husk network " + name).hex; }

Network builtin(const std::string& name, const std::string& driver) {
  Network n;
  n.id = builtin_id(name);
  n.name = name;
  n.driver = driver;
  return n;
}

json network_json(const Network& n) {
  json j = {{"id", n.id},
            {"name", n.name},
            {"driver", n.driver},
            {"created", n.created},
            {"bridge", n.bridge},
            {"subnet", n.subnet.str()},
            {"gateway", n.gateway.str()},
            {"internal", n.internal},
            {"configured_subnet", n.configured_subnet},
            {"labels", n.labels},
            {"options", n.options}};
  if (n.ip_range) j["ip_range"] = n.ip_range->str();
  return j;
}

Result<Network> parse_network(const std::string& text) {
  try {
    json j = json::parse(text);
    Network n;
    n.id = j.at("id").get<std::string>();
    n.name = j.at("name").get<std::string>();
    n.driver = j.value("driver", "bridge");
    n.created = j.value("created", "");
    n.bridge = j.at("bridge").get<std::string>();
    n.subnet = HUSK_TRY(net::parse_subnet(j.at("subnet").get<std::string>()));
    auto gw = net::parse_ipv4(j.at("gateway").get<std::string>());
    if (!gw) return fail_code(EINVAL, "bad gateway");
    n.gateway = *gw;
    if (j.contains("ip_range")) n.ip_range = HUSK_TRY(net::parse_subnet(j["ip_range"].get<std::string>()));
    n.internal = j.value("internal", false);
    n.configured_subnet = j.value("configured_subnet", false);
    n.labels = j.value("labels", std::map<std::string, std::string>{});
    n.options = j.value("options", std::map<std::string, std::string>{});
    return n;
  } catch (const json::exception& e) {
    return fail_code(EINVAL, std::string("network.json: ") + e.what());
  }
}

Result<void> validate_network_name(const std::string& name) {
  bool ok = !name.empty() && isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  if (!ok)
    return fail(
        invalid("invalid network name \"" + name + "\": only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed"));
  return {};
}

// The gateway of SUBNET: GIVEN, or its first address.
Result<net::Ipv4> gateway_in(const net::Subnet& subnet, const std::string& given) {
  if (given.empty()) return subnet.at(1);
  auto gw = net::parse_ipv4(given);
  if (!gw) return fail(invalid("invalid gateway address \"" + given + "\""));
  if (!subnet.contains(*gw) || *gw == subnet.at(0) || *gw == subnet.broadcast())
    return fail(invalid("gateway " + given + " is not a host address of the subnet " + subnet.str()));
  return *gw;
}

Result<UniqueFd> lock_file(const std::string& dir) {
  HUSK_TRY(mkdir_all(dir, 0700));
  UniqueFd lock = HUSK_TRY(open_fd(dir + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + dir));
  return lock;
}

// The default bridge network's subnet, once chosen: RUN_ROOT/.net/networks/bridge/subnet.
std::string chosen_file(const std::string& run_root) { return run_root + "/.net/networks/bridge/subnet"; }

}  // namespace

Result<NetworkDefaults> read_network_defaults(const std::string& path) {
  NetworkDefaults d;
  auto text = read_file(path);
  if (!text) {
    if (text.error().err() == ENOENT) return d;
    return fail(std::move(text).error().context("config file " + path));
  }
  auto bad = [&](const std::string& why) { return fail_code(EINVAL, "config file " + path + ": " + why); };
  try {
    json j = json::parse(*text);
    if (j.contains("bip")) {
      std::string bip = j["bip"].get<std::string>();
      auto slash = bip.find('/');
      auto gw = net::parse_ipv4(bip.substr(0, slash));
      if (slash == std::string::npos || !gw) return bad("bip \"" + bip + "\" is not ADDRESS/PREFIX");
      auto prefix_number = parse_u64(bip.substr(slash + 1));
      if (!prefix_number || *prefix_number > 30) return bad("bip \"" + bip + "\": not a prefix of 0 to 30");
      auto prefix = static_cast<unsigned>(*prefix_number);
      net::Subnet s{net::Ipv4{gw->value & (prefix ? ~uint32_t{0} << (32 - prefix) : 0)}, prefix};
      d.bip_subnet = s;
      d.bip_gateway = *gw;
      if (*gw == s.at(0) || *gw == s.broadcast()) return bad("bip \"" + bip + "\" is not a host address");
    }
    for (auto& server : j.value("dns", json::array())) {
      std::string v = server.get<std::string>();
      if (!net::parse_ipv4(v) && v.find(':') == std::string::npos)
        return bad("dns: \"" + v + "\" is no address");
      d.dns.push_back(v);
    }
    for (auto& p : j.value("default-address-pools", json::array())) {
      auto base = net::parse_subnet(p.at("base").get<std::string>());
      unsigned size = p.at("size").get<unsigned>();
      if (!base || size < base->prefix || size > 30) return bad("default-address-pools: bad base or size");
      for (uint64_t n = 0; n < (uint64_t{1} << (size - base->prefix)) && d.pools.size() < kMaxCandidates; ++n)
        d.pools.push_back(net::Subnet{base->at(n << (32 - size)), size});
    }
  } catch (const std::exception& e) {
    return bad(e.what());
  }
  return d;
}

json to_json(const Network& n, const json& containers) {
  json config = json::array();
  if (n.driver == "bridge") {
    json c = {{"Subnet", n.subnet.str()}, {"Gateway", n.gateway.str()}};
    if (n.ip_range) c["IPRange"] = n.ip_range->str();
    config.push_back(c);
  }
  json options = json::object();
  for (auto& [k, v] : n.options) options[k] = v;
  if (n.driver == "bridge") options[kBridgeNameOption] = n.bridge;
  if (n.is_default()) options["com.docker.network.bridge.default_bridge"] = "true";
  return {{"Name", n.name},
          {"Id", n.id},
          {"Created", n.created},
          {"Scope", "local"},
          {"Driver", n.driver},
          {"EnableIPv6", false},
          {"IPAM", {{"Driver", "default"}, {"Options", nullptr}, {"Config", config}}},
          {"Internal", n.internal},
          {"Attachable", false},
          {"Ingress", false},
          {"ConfigFrom", {{"Network", ""}}},
          {"ConfigOnly", false},
          {"Containers", containers},
          {"Options", options},
          {"Labels", n.labels}};
}

std::vector<Network> NetworkStore::user_networks() const {
  std::vector<Network> out;
  std::string dir = root_ + "/networks";
  for (auto& f : list_dir(dir)) {
    if (f.size() != 64 + 5 || !f.ends_with(".json")) continue;
    auto text = read_file(dir + "/" + f);
    if (!text) continue;
    if (auto n = parse_network(*text)) out.push_back(std::move(*n));
  }
  std::sort(out.begin(), out.end(), [](const Network& a, const Network& b) { return a.name < b.name; });
  return out;
}

Result<net::Subnet> NetworkStore::free_subnet(const std::vector<Network>& others,
                                              const NetworkDefaults& d) const {
  std::vector<net::Subnet> candidates = d.pools;
  if (candidates.empty())
    for (uint32_t b = 87; b <= 127; ++b)
      candidates.push_back(net::Subnet{net::Ipv4{(10u << 24) | (b << 16)}, 16});
  std::vector<net::Subnet> taken;
  for (auto& n : others) taken.push_back(n.subnet);
  auto host = HUSK_TRY(net::Netlink::open());
  for (auto& r : HUSK_TRY(host.route_destinations())) taken.push_back(r);
  for (auto& c : candidates)
    if (std::none_of(taken.begin(), taken.end(), [&](const net::Subnet& t) { return t.overlaps(c); }))
      return c;
  return fail(
      invalid("could not find an available, non-overlapping IPv4 address pool among the defaults to "
              "assign to the network"));
}

Result<Network> NetworkStore::default_bridge() const {
  Network n = builtin("bridge", "bridge");
  n.bridge = "husk0";
  auto parse_chosen = [&](const std::string& text) -> Result<void> {
    auto words = split(trim(text), ' ');
    if (words.size() != 2) return fail_code(EINVAL, chosen_file(run_root_) + ": not SUBNET GATEWAY");
    n.subnet = HUSK_TRY(net::parse_subnet(words[0]));
    auto gw = net::parse_ipv4(words[1]);
    if (!gw) return fail_code(EINVAL, chosen_file(run_root_) + ": bad gateway");
    n.gateway = *gw;
    return {};
  };
  if (auto text = read_file(chosen_file(run_root_))) {
    HUSK_TRY(parse_chosen(*text));
    return n;
  }
  UniqueFd lock = HUSK_TRY(lock_file(run_root_ + "/.net/networks/bridge"));
  if (auto text = read_file(chosen_file(run_root_))) {
    HUSK_TRY(parse_chosen(*text));
    return n;
  }
  auto d = HUSK_TRY(read_network_defaults(config_));
  if (d.bip_subnet) {
    n.subnet = *d.bip_subnet;
    n.gateway = *d.bip_gateway;
  } else {
    n.subnet = HUSK_TRY(free_subnet(user_networks(), d));
    n.gateway = n.subnet.at(1);
  }
  HUSK_TRY(write_file_atomic(chosen_file(run_root_), n.subnet.str() + " " + n.gateway.str() + "\n", 0600));
  return n;
}

Result<Network> NetworkStore::create(const NetworkOptions& o) const {
  HUSK_TRY(validate_network_name(o.name));
  if (o.driver != "bridge")
    return fail(invalid("plugin \"" + o.driver + "\" not found: husk has the bridge driver only"));
  Network n;
  n.name = o.name;
  n.labels = o.labels;
  n.internal = o.internal;
  for (auto& [k, v] : o.options) {
    if (k == kBridgeNameOption) {
      if (v.empty() || v.size() > kMaxLinkName || v.find_first_of("/ :") != std::string::npos)
        return fail(invalid("invalid bridge name \"" + v + "\""));
      n.bridge = v;
    } else {
      n.options[k] = v;
    }
  }
  if (o.subnet.empty() && (!o.gateway.empty() || !o.ip_range.empty()))
    return fail(invalid("--gateway and --ip-range need --subnet"));
  if (!o.subnet.empty()) {
    auto s = net::parse_subnet(o.subnet);
    if (!s) return fail(invalid(std::move(s).error().what()));
    if (s->prefix > 30) return fail(invalid("subnet " + o.subnet + " is too small for a network"));
    n.subnet = *s;
    n.configured_subnet = true;
  }
  if (!o.ip_range.empty()) {
    auto r = net::parse_subnet(o.ip_range);
    if (!r) return fail(invalid(std::move(r).error().what()));
    if (!n.subnet.contains(*r))
      return fail(invalid("ip-range " + o.ip_range + " is not in the subnet " + o.subnet));
    n.ip_range = *r;
  }

  UniqueFd lock = HUSK_TRY(lock_file(root_ + "/networks"));
  auto others = user_networks();
  for (auto& other : others)
    if (other.name == n.name) return fail_code(EEXIST, "network with name " + n.name + " already exists");
  if (n.name == "bridge" || n.name == "host" || n.name == "none")
    return fail_code(EEXIST, "network with name " + n.name + " already exists");
  auto def = HUSK_TRY(default_bridge());
  others.push_back(def);
  if (n.configured_subnet) {
    for (auto& other : others)
      if (other.subnet.overlaps(n.subnet))
        return fail(invalid("Pool overlaps with other one on this address space: " + n.subnet.str() +
                            " overlaps the subnet " + other.subnet.str() + " of network " + other.name));
  } else {
    n.subnet = HUSK_TRY(free_subnet(others, HUSK_TRY(read_network_defaults(config_))));
  }
  n.gateway = HUSK_TRY(gateway_in(n.subnet, o.gateway));
  n.id = new_container_id();
  if (n.bridge.empty()) n.bridge = "husk-" + n.id.substr(0, 10);
  for (auto& other : others)
    if (other.bridge == n.bridge)
      return fail(invalid("bridge name " + n.bridge + " is network " + other.name + "'s already"));
  n.created = now_rfc3339();
  HUSK_TRY(write_file_atomic(root_ + "/networks/" + n.id + ".json", network_json(n).dump(), 0600));
  return n;
}

Result<Network> NetworkStore::find(const std::string& name_or_id) const {
  if (name_or_id == "host") return builtin("host", "host");
  if (name_or_id == "none") return builtin("none", "null");
  if (name_or_id == "bridge" || name_or_id == builtin_id("bridge")) return default_bridge();
  auto all = user_networks();
  for (auto& n : all)
    if (n.name == name_or_id || n.id == name_or_id) return n;
  std::vector<std::string> prefixed;  // the names of those whose id starts so
  for (auto& n : all)
    if (!name_or_id.empty() && n.id.starts_with(name_or_id)) prefixed.push_back(n.name);
  for (const char* b : {"bridge", "host", "none"})
    if (!name_or_id.empty() && builtin_id(b).starts_with(name_or_id)) prefixed.push_back(b);
  if (prefixed.size() == 1) return find(prefixed[0]);
  if (prefixed.size() > 1)
    return fail_code(EINVAL, "network " + name_or_id + " is ambiguous (" + std::to_string(prefixed.size()) +
                                 " matches found based on ID prefix)");
  return fail_code(ENOENT, "network " + name_or_id + " not found");
}

Result<std::vector<Network>> NetworkStore::list() const {
  std::vector<Network> out{HUSK_TRY(default_bridge()), builtin("host", "host"), builtin("none", "null")};
  for (auto& n : user_networks()) out.push_back(std::move(n));
  return out;
}

Result<void> NetworkStore::remove(const Network& n) const {
  if (n.driver != "bridge" || n.is_default())
    return fail_code(EPERM, n.name + " is a pre-defined network and cannot be removed");
  UniqueFd lock = HUSK_TRY(lock_file(root_ + "/networks"));
  std::string path = root_ + "/networks/" + n.id + ".json";
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) return fail_errno("remove " + path);
  return {};
}

}  // namespace husk::engine
