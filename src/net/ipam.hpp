// Addresses of a network's subnet handed to containers, docker's way: the
// gateway and the subnet's first and last addresses are never given; a
// container may ask for one (--ip); otherwise the next free one after the
// last given (round robin, so an address just released is not reused at
// once while peers may still cache its MAC).
//
// The leases are a small file under a lock (flock): concurrent runs never
// get the same address. It lives under the run root (/run), as the
// containers' network namespaces do, so a reboot forgets both together. A
// lease whose container is no longer alive (its husk or monitor was
// SIGKILLed before it could release) is reclaimed at the next allocation.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "net/cidr.hpp"

namespace husk::net {

struct Lease {
  Ipv4 address;
  std::string owner;  // the container's id

  bool operator==(const Lease&) const = default;
};

// The pool of one network: its subnet, the part of it containers get
// (--ip-range; the subnet when unset) and the gateway's address.
struct Pool {
  Subnet subnet;
  Subnet range;
  Ipv4 gateway;
};

class Leases {
 public:
  // DIR holds the network's lease file (made when missing).
  explicit Leases(std::string dir) : dir_(std::move(dir)) {}

  // OWNER's address: the one it holds already, else WANTED (EADDRINUSE when
  // another holds it, EINVAL outside the subnet), else the next free one
  // (ENOSPC when none is). ALIVE says whether a holder still runs: the
  // leases of those that do not are dropped first.
  Result<Ipv4> acquire(const Pool& pool, const std::string& owner, std::optional<Ipv4> wanted,
                       const std::function<bool(const std::string& owner)>& alive) const;
  // OWNER's lease, if any, freed.
  Result<void> release(const std::string& owner) const;
  Result<std::vector<Lease>> list() const;

 private:
  std::string dir_;
};

}  // namespace husk::net
