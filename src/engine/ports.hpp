// -p/--publish, docker's syntax: [[IP:][HOSTPORT]:]CONTAINERPORT[/PROTO],
// ports or equal ranges of them (8000-8009:80-89), HOSTPORT empty for a
// free one of the kernel's choosing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk::engine {

struct PortBinding {
  std::string host_ip;     // "" for every address (docker's 0.0.0.0)
  uint16_t host_port = 0;  // 0: a free one, chosen at each start
  uint16_t container_port = 0;
  std::string proto = "tcp";  // tcp, udp or sctp

  bool operator==(const PortBinding&) const = default;
};

// Each -p value as the bindings it makes, in order; docker's messages for
// a bad one ("Invalid hostPort: 70000", "invalid IP address: localhost").
Result<std::vector<PortBinding>> parse_publish(const std::vector<std::string>& specs);

// A container's exposed ports ("80/tcp", docker's Config.ExposedPorts): the
// image's, --expose's (PORT[/PROTO] or a range) and the -p ones', sorted,
// each once.
Result<std::vector<std::string>> exposed_ports(const std::vector<std::string>& image,
                                               const std::vector<std::string>& expose,
                                               const std::vector<std::string>& publish);
// -P: a free host port for each exposed port that no -p binds already.
std::vector<PortBinding> with_published_all(std::vector<PortBinding> bindings,
                                            const std::vector<std::string>& exposed);

}  // namespace husk::engine
