#include "engine/etc_files.hpp"

#include <unistd.h>

#include <algorithm>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/namespaces.hpp"

namespace husk::engine {

namespace {

constexpr const char* kHostResolvConf = "/etc/resolv.conf";

enum class Own { yes, host, none };

// Which files the container gets, by its network mode.
Own own_files(const RunFlags& f) {
  auto mode = parse_network_mode(f.network);
  if (!mode) return Own::yes;  // refused elsewhere, with its message
  if (mode->mode == NsMode::host) return Own::host;
  if (mode->mode == NsMode::container) return Own::none;
  return Own::yes;
}

bool loopback_nameserver(const std::string& addr) {
  return addr.starts_with("127.") || addr == "::1" || addr == "0:0:0:0:0:0:0:1";
}

spec::Mount bound_file(const std::string& source, const std::string& destination) {
  spec::Mount m;
  m.destination = destination;
  m.type = "bind";
  m.source = source;
  m.options = {"rbind", "rprivate"};
  return m;
}

std::string hostname_of(const std::string& container_dir) {
  auto text = read_file(container_dir + "/hostname");
  return text ? trim(*text) : "";
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> parse_add_hosts(
    const std::vector<std::string>& flags, const HostGateway& host_gateway) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& v : flags) {
    auto bad = [&](const std::string& why) {
      return fail(Error(EINVAL, "invalid argument \"" + v + "\" for \"--add-host\" flag: " + why, false,
                        ErrorKind::invalid_argument));
    };
    auto sep = v.find_first_of(":=");
    if (sep == std::string::npos || sep == 0 || sep + 1 == v.size())
      return bad("bad format for add-host: \"" + v + "\"");
    std::string name = v.substr(0, sep), ip = v.substr(sep + 1);
    if (ip == "host-gateway") {
      if (!host_gateway) return bad("host-gateway: no network of the engine's to name");
      ip = HUSK_TRY(host_gateway()).str();
    } else if (!net::parse_ipv4(ip) && ip.find(':') == std::string::npos) {
      return bad("invalid IP address in add-host: \"" + ip + "\"");
    }
    out.emplace_back(ip, name);
  }
  return out;
}

std::string hosts_text(const std::string& hostname, std::optional<net::Ipv4> address,
                       const std::vector<std::pair<std::string, std::string>>& extra) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (auto& [ip, name] : extra) out += ip + "\t" + name + "\n";
  if (address) out += address->str() + "\t" + hostname + "\n";
  return out;
}

std::string resolv_conf_text(const std::string& host, const RunFlags& f, std::optional<net::Ipv4> nameserver,
                             const std::vector<std::string>& default_dns) {
  std::vector<std::string> servers, search, options, other;
  for (auto& raw : split(host, '\n')) {
    std::string line = trim(raw);
    auto words = split(line, ' ');
    std::erase(words, std::string());
    if (words.empty() || line[0] == '#' || line[0] == ';') continue;
    if (words[0] == "nameserver" && words.size() > 1) {
      if (!loopback_nameserver(words[1])) servers.push_back(words[1]);
    } else if ((words[0] == "search" || words[0] == "domain") && words.size() > 1) {
      search.assign(words.begin() + 1, words.end());
    } else if (words[0] == "options") {
      options.insert(options.end(), words.begin() + 1, words.end());
    } else {
      other.push_back(line);
    }
  }
  if (!default_dns.empty()) servers = default_dns;
  if (nameserver) servers = {nameserver->str()};
  if (!f.dns.empty()) servers = f.dns;
  if (!f.dns_search.empty()) search = f.dns_search;
  if (!f.dns_options.empty()) options = f.dns_options;
  if (servers.empty()) servers = {"8.8.8.8", "8.8.4.4"};  // docker's, when the host's are all its own
  std::string out;
  if (!search.empty() && !(search.size() == 1 && search[0] == "."))
    out += "search " + join(search, " ") + "\n";
  for (auto& s : servers) out += "nameserver " + s + "\n";
  if (!options.empty()) out += "options " + join(options, " ") + "\n";
  for (auto& o : other) out += o + "\n";
  return out;
}

Result<void> apply_etc_files(const SpecContext& ctx, const RunFlags& f, spec::Config& spec) {
  Own own = own_files(f);
  // Checked on every mode: a bad flag is refused whatever the network.
  auto extra = HUSK_TRY(parse_add_hosts(f.add_hosts, ctx.host_gateway));
  if (own == Own::none || ctx.container_dir.empty()) return {};
  const std::string& dir = ctx.container_dir;
  std::string host_hosts = own == Own::host ? read_file("/etc/hosts").value_or("") : "";
  std::string host_resolv = read_file(kHostResolvConf).value_or("");
  HUSK_TRY(write_file_atomic(dir + "/hostname", spec.hostname + "\n", 0644));
  if (own == Own::host) {
    std::string hosts = host_hosts;
    for (auto& [ip, name] : extra) hosts += ip + "\t" + name + "\n";
    HUSK_TRY(write_file_atomic(dir + "/hosts", hosts, 0644));
    HUSK_TRY(write_file_atomic(dir + "/resolv.conf", host_resolv, 0644));
  } else {
    HUSK_TRY(write_file_atomic(dir + "/hosts", hosts_text(hostname_of(dir), std::nullopt, extra), 0644));
    HUSK_TRY(write_file_atomic(dir + "/resolv.conf",
                               resolv_conf_text(host_resolv, f, ctx.nameserver, ctx.default_dns), 0644));
  }
  // Defaults: a user's mount of the same path takes their place (put_mounts).
  for (const char* name : {"hostname", "hosts", "resolv.conf"})
    spec.mounts.push_back(bound_file(dir + "/" + name, std::string("/etc/") + name));
  return {};
}

Result<void> rewrite_hosts(const std::string& container_dir, const RunFlags& f,
                           std::optional<net::Ipv4> address, const HostGateway& host_gateway) {
  if (own_files(f) != Own::yes) return {};
  auto extra = HUSK_TRY(parse_add_hosts(f.add_hosts, host_gateway));
  return write_file_atomic(container_dir + "/hosts", hosts_text(hostname_of(container_dir), address, extra),
                           0644);
}

Result<void> rewrite_resolv_conf(const std::string& container_dir, const RunFlags& f,
                                 std::optional<net::Ipv4> nameserver,
                                 const std::vector<std::string>& default_dns) {
  if (own_files(f) != Own::yes || !f.dns.empty()) return {};
  std::string text = resolv_conf_text(read_file(kHostResolvConf).value_or(""), f, nameserver, default_dns);
  return write_file(container_dir + "/resolv.conf", text);
}

}  // namespace husk::engine
