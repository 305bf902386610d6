#include "net/firewall.hpp"

#include <string>

namespace husk::net {

std::string firewall_table_script(bool guard_forwarding) {
  std::string s = std::string("table ip ") + kFirewallTable + " {\n" +
                  R"(  set bridges { type ifname; }
  set subnets { type ipv4_addr; flags interval; }
  set internal { type ifname; }
  set same { type ifname . ifname; }
  map published { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
  map published_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @published
    fib daddr type local dnat ip to meta l4proto . th dport map @published_any
  }
  chain output {
    type nat hook output priority -100; policy accept;
    fib daddr type local dnat ip to ip daddr . meta l4proto . th dport map @published
    fib daddr type local dnat ip to meta l4proto . th dport map @published_any
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr @subnets oifname != @bridges masquerade
    ip saddr 127.0.0.0/8 oifname @bridges masquerade
    ip saddr @subnets ct status dnat oifname @bridges masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname . oifname @same accept
    iifname @internal drop
    oifname @internal drop
    oifname @bridges ct status dnat accept
    iifname @bridges oifname @bridges drop comment "networks are isolated from each other"
    iifname @bridges accept
    oifname @bridges ct state established,related accept
)";
  if (guard_forwarding) s += "    drop comment \"husk turned forwarding on: the host's own stays off\"\n";
  s += "  }\n}\n";
  return s;
}

std::vector<std::string> firewall_network_elements(const std::string& bridge, const Subnet& subnet,
                                                   bool internal) {
  std::string t = std::string(" element ip ") + kFirewallTable, name = "\"" + bridge + "\"";
  // A bridge's own traffic passes (where br_netfilter shows it to the
  // forward hook), an internal one's too.
  if (internal) return {t + " internal { " + name + " }", t + " same { " + name + " . " + name + " }"};
  return {t + " bridges { " + name + " }", t + " subnets { " + subnet.str() + " }",
          t + " same { " + name + " . " + name + " }"};
}

std::string firewall_network_script(const std::string& bridge, const Subnet& subnet, bool internal) {
  std::string s;
  for (auto& e : firewall_network_elements(bridge, subnet, internal)) s += "add" + e + "\n";
  return s;
}

std::string published_line(const Published& p) {
  return p.proto + " " + (p.host_address ? p.host_address->str() : "0.0.0.0") + " " +
         std::to_string(p.host_port) + " " + p.address.str() + " " + std::to_string(p.port);
}

std::optional<Published> parse_published_line(std::string_view line) {
  std::vector<std::string> f;
  for (size_t start = 0; start <= line.size();) {
    size_t sp = line.find(' ', start);
    if (sp == std::string_view::npos) sp = line.size();
    f.emplace_back(line.substr(start, sp - start));
    start = sp + 1;
  }
  if (f.size() != 5) return std::nullopt;
  auto number = [](const std::string& s) -> std::optional<uint16_t> {
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    unsigned long v = std::stoul(s);
    if (v == 0 || v > 65535) return std::nullopt;
    return static_cast<uint16_t>(v);
  };
  auto host = parse_ipv4(f[1]), addr = parse_ipv4(f[3]);
  auto hp = number(f[2]), cp = number(f[4]);
  if (!host || !addr || !hp || !cp || (f[0] != "tcp" && f[0] != "udp" && f[0] != "sctp")) return std::nullopt;
  Published p{f[0], std::nullopt, *hp, *addr, *cp};
  if (host->value != 0) p.host_address = *host;
  return p;
}

std::string firewall_ports_script(bool add, const std::vector<Published>& ports) {
  std::string t = kFirewallTable, verb = add ? "add" : "delete", s;
  for (auto& p : ports) {
    std::string key = p.proto + " . " + std::to_string(p.host_port);
    std::string value = add ? " : " + p.address.str() + " . " + std::to_string(p.port) : "";
    if (p.host_address)
      s += verb + " element ip " + t + " published { " + p.host_address->str() + " . " + key + value + " }\n";
    else
      s += verb + " element ip " + t + " published_any { " + key + value + " }\n";
  }
  return s;
}

}  // namespace husk::net
