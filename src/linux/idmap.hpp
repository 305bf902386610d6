// User-namespace id maps: written by the parent into /proc/PID/{uid,gid}_map.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "spec/config.hpp"

namespace husk::linux {

// "0 100000 65536\n..." as the kernel wants it.
std::string format_id_map(const std::vector<spec::IdMapping>& maps);
// The host id that container id ID maps to, if any.
std::optional<uint32_t> host_id(const std::vector<spec::IdMapping>& maps, uint32_t id);
// Overlapping ranges are refused by the kernel; say which, before it does.
Result<void> check_id_map(const std::vector<spec::IdMapping>& maps, const std::string& what);

Result<void> write_id_maps(int pid, const std::vector<spec::IdMapping>& uids,
                           const std::vector<spec::IdMapping>& gids);

// A user namespace with these maps and no process in it, as an fd: what
// mount_setattr(MOUNT_ATTR_IDMAP) takes to id-map a mount. (A child is
// forked into a new user namespace only long enough to open its ns file.)
Result<UniqueFd> user_namespace_fd(const std::vector<spec::IdMapping>& uids,
                                   const std::vector<spec::IdMapping>& gids);

}  // namespace husk::linux
