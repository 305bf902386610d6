// Network namespaces the engine makes for its containers, kept at a path as
// `ip netns add` keeps them (a bind mount of the namespace's nsfs file): the
// container's config.json names the path, so the runtime joins a namespace
// whose interfaces the engine has already set up.
#pragma once

#include <functional>
#include <string>

#include "base/error.hpp"
#include "base/fd.hpp"

namespace husk::net {

// A new network namespace, kept at PATH (a file is made there). Its lo is up.
Result<void> create_netns(const std::string& path);
// The namespace at PATH let go (it ends once nothing else holds it: its
// interfaces with it); nothing there is no error.
Result<void> remove_netns(const std::string& path);

// FN run with this thread in the network namespace NETNS_FD, then back in
// the one it was in.
Result<void> in_netns(int netns_fd, const std::function<Result<void>()>& fn);

}  // namespace husk::net
