// IPv4 addresses and subnets as the networks' configuration names them
// ("172.18.0.0/16", "172.18.0.1"): parsed once, compared as numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace husk::net {

// An IPv4 address in host byte order.
struct Ipv4 {
  uint32_t value = 0;

  std::string str() const;
  auto operator<=>(const Ipv4&) const = default;
};
std::optional<Ipv4> parse_ipv4(std::string_view text);

struct Subnet {
  Ipv4 base;            // the network's first address (host bits zero)
  unsigned prefix = 0;  // 0..32

  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  uint64_t size() const { return uint64_t{1} << (32 - prefix); }
  bool contains(Ipv4 a) const { return (a.value & mask()) == base.value; }
  bool contains(const Subnet& s) const { return s.prefix >= prefix && contains(s.base); }
  bool overlaps(const Subnet& s) const { return contains(s) || s.contains(*this); }
  // The N-th address of the subnet (0: the network's own).
  Ipv4 at(uint64_t n) const { return Ipv4{base.value + static_cast<uint32_t>(n)}; }
  Ipv4 broadcast() const { return Ipv4{base.value | ~mask()}; }
  std::string str() const;  // "172.18.0.0/16"

  auto operator<=>(const Subnet&) const = default;
};

// "10.1.0.0/16". An address with host bits set is refused, as docker
// refuses it ("invalid subnet ...: it should be 10.1.0.0/16").
Result<Subnet> parse_subnet(std::string_view text);

}  // namespace husk::net
