// A container's /etc/hosts, /etc/hostname and /etc/resolv.conf, docker's
// way: written into the container's directory and bound over the image's
// (a -v or --mount of the same path wins), so every container has a name
// for itself and the host's resolvers without touching its image.
//   hosts: localhost and the IPv6 names, --add-host's entries, then the
//     container's own address with its hostname (rewritten at each start:
//     the address is the network's lease of that start);
//   resolv.conf: the host's, without loopback nameservers (they are the
//     host's own, unreachable from the container's namespace; none left:
//     docker's 8.8.8.8 and 8.8.4.4); --dns, --dns-search and --dns-option
//     replace its nameservers, search domains and options.
// With --network host the container gets the host's own hosts and
// resolv.conf; with --network container:NAME, none of its own (NAME's
// namespace, the image's files).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "engine/run_flags.hpp"
#include "engine/spec.hpp"
#include "net/cidr.hpp"

namespace husk::engine {

// --add-host NAME:IP (NAME=IP too) as (IP, NAME); host-gateway is the
// default bridge's gateway, as docker's. Docker's message for a bad one.
// HOST_GATEWAY is asked only when one names host-gateway.
using HostGateway = std::function<Result<net::Ipv4>()>;
Result<std::vector<std::pair<std::string, std::string>>> parse_add_hosts(
    const std::vector<std::string>& flags, const HostGateway& host_gateway);

std::string hosts_text(const std::string& hostname, std::optional<net::Ipv4> address,
                       const std::vector<std::pair<std::string, std::string>>& extra);
// HOST_RESOLV_CONF (the host's text) under the flags' overrides.
// NAMESERVER (a user-defined network's name server) in place of the host's
// servers, unless --dns names others.
// DEFAULT_DNS (the config file's "dns") in place of the host's servers.
std::string resolv_conf_text(const std::string& host_resolv_conf, const RunFlags& f,
                             std::optional<net::Ipv4> nameserver = std::nullopt,
                             const std::vector<std::string>& default_dns = {});

// The files written into CTX.container_dir and bound into the spec.
Result<void> apply_etc_files(const SpecContext& ctx, const RunFlags& f, spec::Config& spec);
// At each start: hosts again, with ADDRESS (the container's now).
Result<void> rewrite_hosts(const std::string& container_dir, const RunFlags& f,
                           std::optional<net::Ipv4> address, const HostGateway& host_gateway);

// resolv.conf again, in place (a running container has it bound), with
// NAMESERVER (none: the host's, or DEFAULT_DNS): `network connect` and
// `disconnect` changed which server the container asks.
Result<void> rewrite_resolv_conf(const std::string& container_dir, const RunFlags& f,
                                 std::optional<net::Ipv4> nameserver,
                                 const std::vector<std::string>& default_dns);

}  // namespace husk::engine
