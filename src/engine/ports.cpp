#include "engine/ports.hpp"

#include <cctype>
#include <optional>
#include <set>

#include "base/strings.hpp"
#include "net/cidr.hpp"

namespace husk::engine {

namespace {

Error invalid(const std::string& what) { return Error(EINVAL, what, false, ErrorKind::invalid_argument); }

// "80" or "8000-8009": the first and last port; none for anything else.
std::optional<std::pair<uint16_t, uint16_t>> port_range(const std::string& s, bool allow_zero) {
  auto dash = s.find('-');
  auto first = parse_u64(s.substr(0, dash));
  auto last = dash == std::string::npos ? first : parse_u64(s.substr(dash + 1));
  if (!first || !last || *first > 65535 || *last > 65535 || *last < *first) return std::nullopt;
  if (!allow_zero && *first == 0) return std::nullopt;
  return std::pair{static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)};
}

}  // namespace

Result<std::vector<PortBinding>> parse_publish(const std::vector<std::string>& specs) {
  std::vector<PortBinding> out;
  for (auto& spec : specs) {
    std::string rest = spec, proto = "tcp";
    if (auto slash = rest.rfind('/'); slash != std::string::npos) {
      proto = rest.substr(slash + 1);
      for (auto& ch : proto) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      rest.resize(slash);
      if (proto != "tcp" && proto != "udp" && proto != "sctp")
        return fail(invalid("Invalid proto: " + proto));
    }
    // IP:HOST:CONTAINER, HOST:CONTAINER or CONTAINER (the IP may not hold colons: IPv4 only).
    auto parts = split(rest, ':');
    std::string ip, host, container;
    if (parts.size() == 1) {
      container = parts[0];
    } else if (parts.size() == 2) {
      host = parts[0];
      container = parts[1];
    } else if (parts.size() == 3) {
      ip = parts[0];
      host = parts[1];
      container = parts[2];
    } else {
      return fail(invalid("invalid port format for --publish: " + spec));
    }
    if (!ip.empty() && !net::parse_ipv4(ip)) return fail(invalid("invalid IP address: " + ip));
    if (ip == "0.0.0.0") ip.clear();
    if (container.empty()) return fail(invalid("No port specified: " + spec + "<empty>"));
    auto c = port_range(container, false);
    if (!c) return fail(invalid("Invalid containerPort: " + container));
    std::pair<uint16_t, uint16_t> h{0, 0};
    if (!host.empty()) {
      auto parsed = port_range(host, false);
      if (!parsed) return fail(invalid("Invalid hostPort: " + host));
      h = *parsed;
    }
    unsigned count = c->second - c->first + 1;
    if (h.first != 0 && h.second - h.first + 1u != count)
      return fail(
          invalid("Invalid ranges specified for container and host Ports: " + container + " and " + host));
    for (unsigned i = 0; i < count; ++i)
      out.push_back(PortBinding{ip, static_cast<uint16_t>(h.first ? h.first + i : 0),
                                static_cast<uint16_t>(c->first + i), proto});
  }
  return out;
}

Result<std::vector<std::string>> exposed_ports(const std::vector<std::string>& image,
                                               const std::vector<std::string>& expose,
                                               const std::vector<std::string>& publish) {
  std::set<std::pair<unsigned, std::string>> ports;
  auto add = [&](const std::string& value, bool from_image) -> Result<void> {
    std::string port = value, proto = "tcp";
    if (auto slash = port.rfind('/'); slash != std::string::npos) {
      proto = port.substr(slash + 1);
      port.resize(slash);
    }
    auto range = port_range(port, false);
    if (!range || (proto != "tcp" && proto != "udp" && proto != "sctp")) {
      if (from_image) return {};  // an image's odd entry is not the user's error
      return fail(invalid("invalid range format for --expose: " + value));
    }
    for (unsigned p = range->first; p <= range->second; ++p) ports.insert({p, proto});
    return {};
  };
  for (auto& v : image) HUSK_TRY(add(v, true));
  for (auto& v : expose) HUSK_TRY(add(v, false));
  for (auto& b : HUSK_TRY(parse_publish(publish))) ports.insert({b.container_port, b.proto});
  std::vector<std::string> out;
  for (auto& [p, proto] : ports) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

std::vector<PortBinding> with_published_all(std::vector<PortBinding> bindings,
                                            const std::vector<std::string>& exposed) {
  for (auto& e : exposed) {
    auto slash = e.find('/');
    auto port = parse_u64(e.substr(0, slash));
    if (!port || *port == 0 || *port > 65535 || slash == std::string::npos) continue;
    std::string proto = e.substr(slash + 1);
    bool bound = false;
    for (auto& b : bindings) bound |= b.container_port == *port && b.proto == proto;
    if (!bound) bindings.push_back(PortBinding{"", 0, static_cast<uint16_t>(*port), proto});
  }
  return bindings;
}

}  // namespace husk::engine
