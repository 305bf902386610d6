#include "net/firewall.hpp"

namespace husk::net {

std::string firewall_table_script(bool guard_forwarding) {
  std::string t = kFirewallTable;
  std::string s = "table ip " + t +
                  " {\n"
                  "  set bridges { type ifname; }\n"
                  "  set subnets { type ipv4_addr; flags interval; }\n"
                  "  set internal { type ifname; }\n"
                  "  chain postrouting {\n"
                  "    type nat hook postrouting priority srcnat; policy accept;\n"
                  "    ip saddr @subnets oifname != @bridges masquerade\n"
                  "  }\n"
                  "  chain forward {\n"
                  "    type filter hook forward priority filter; policy accept;\n"
                  "    iifname @internal drop\n"
                  "    oifname @internal drop\n"
                  "    iifname @bridges accept\n"
                  "    oifname @bridges ct state established,related accept\n";
  if (guard_forwarding) s += "    drop comment \"husk turned forwarding on: the host's own stays off\"\n";
  s += "  }\n}\n";
  return s;
}

std::string firewall_network_script(const std::string& bridge, const Subnet& subnet, bool internal) {
  std::string t = kFirewallTable;
  if (internal) return "add element ip " + t + " internal { \"" + bridge + "\" }\n";
  return "add element ip " + t + " bridges { \"" + bridge + "\" }\n" + "add element ip " + t + " subnets { " +
         subnet.str() + " }\n";
}

}  // namespace husk::net
