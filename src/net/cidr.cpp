#include "net/cidr.hpp"

#include <arpa/inet.h>

#include "base/strings.hpp"

namespace husk::net {

std::string Ipv4::str() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
         std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

std::optional<Ipv4> parse_ipv4(std::string_view text) {
  // inet_pton takes exactly the dotted quad (no octal, no short forms).
  std::string s(text);
  in_addr a{};
  if (::inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
  return Ipv4{ntohl(a.s_addr)};
}

std::string Subnet::str() const { return base.str() + "/" + std::to_string(prefix); }

Result<Subnet> parse_subnet(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return fail(Error(EINVAL, "invalid subnet " + std::string(text) + ": " + why, false,
                      ErrorKind::invalid_argument));
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad("not ADDRESS/PREFIX");
  auto addr = parse_ipv4(text.substr(0, slash));
  if (!addr) return bad("not an IPv4 address");
  auto prefix = parse_u64(text.substr(slash + 1));
  if (!prefix || *prefix > 32 || text.substr(slash + 1).empty()) return bad("the prefix is not 0 to 32");
  Subnet s{*addr, static_cast<unsigned>(*prefix)};
  if ((addr->value & s.mask()) != addr->value) {
    Subnet want{Ipv4{addr->value & s.mask()}, s.prefix};
    return bad("it should be " + want.str());
  }
  return s;
}

}  // namespace husk::net
