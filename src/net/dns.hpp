// The names of a network's containers, served to them: one dnsmasq per
// network that has containers running, listening on the network's gateway
// address (port 53, UDP and TCP), answering from a directory of hosts
// files (one per container, written by husk; dnsmasq follows the directory
// through inotify, so a container coming or going changes what it answers
// at once, without a signal or a restart) and forwarding every other name
// to the host's resolvers (/etc/resolv.conf, which dnsmasq also follows).
//
// Why dnsmasq: husk has no daemon to embed a server in (docker answers at
// 127.0.0.11 from dockerd), and a resolver is not code to write again;
// Debian's dnsmasq is small (about 1 MB resident), fast (answers from
// memory), and does the following of files and the forwarding itself. One
// per network keeps each network's names its own (containers on another
// network cannot resolve them), as docker's do. It starts with the first
// container on the network and stops with the last one.
//
// DIR (under the run root, one per network) holds hosts/ID, dnsmasq.pid,
// dnsmasq.log and a lock.
//
// A container on several networks with names asks a dnsmasq of its own
// (the engine starts it in the container's network namespace, at docker's
// 127.0.0.11): it answers from every one of those networks' hosts
// directories, so the container resolves the names of each network it is
// on (and only of those), and forwards other names to a network's server.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "net/cidr.hpp"

namespace husk::net {

// What one dnsmasq of husk's serves: where it listens, the hosts files it
// answers from, where other names go.
struct DnsmasqConfig {
  Ipv4 listen;
  std::vector<std::string> hosts_dirs;
  // Other names: to UPSTREAM (none: the host's resolv.conf's), or, when
  // false, answered by none (an --internal network's).
  bool forward = true;
  std::vector<std::string> upstream;
  int netns_fd = -1;  // it serves in this network namespace (-1: ours)
};

// A dnsmasq known by its DIR (its pid file and log there).
class Dnsmasq {
 public:
  explicit Dnsmasq(std::string dir) : dir_(std::move(dir)) {}
  // Running with CONFIG (nothing done when it runs already).
  Result<void> start(const DnsmasqConfig& config) const;
  void stop() const;
  int running_pid() const;  // 0 when none of ours runs

 private:
  std::string dir_;
};

class NameServer {
 public:
  // LISTEN: the network's gateway address (on its bridge); INTERNAL: names
  // of other hosts are not forwarded.
  // UPSTREAM: the servers to forward to (none: the host's resolv.conf's).
  NameServer(std::string dir, Ipv4 listen, bool internal, std::vector<std::string> upstream = {})
      : dir_(std::move(dir)), listen_(listen), internal_(internal), upstream_(std::move(upstream)) {}

  // OWNER's NAMES at ADDRESS (replacing what OWNER had), and the server
  // running.
  Result<void> add(const std::string& owner, Ipv4 address, const std::vector<std::string>& names) const;
  // OWNER's names, when it has some here, replaced by NAMES (a rename).
  Result<void> rename(const std::string& owner, Ipv4 address, const std::vector<std::string>& names) const;
  // OWNER's names gone; with them the last, the server stopped.
  Result<void> remove(const std::string& owner) const;
  // The server stopped and DIR removed (the network is going).
  Result<void> destroy() const;
  // Whether OWNER has names here.
  bool serves(const std::string& owner) const;
  // Where the hosts files are (another server may answer from them too).
  std::string hosts_dir() const { return dir_ + "/hosts"; }

  // The text of a hosts file: "ADDRESS NAME..." (unit tests).
  static std::string hosts_line(Ipv4 address, const std::vector<std::string>& names);

 private:
  std::string dir_;
  Ipv4 listen_;
  bool internal_ = false;
  std::vector<std::string> upstream_;
};

}  // namespace husk::net
