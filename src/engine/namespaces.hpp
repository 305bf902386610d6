// docker's namespace modes as values: what --ipc, --pid, --uts, --network,
// --cgroupns, --userns and --time-offset ask for, parsed and checked before
// anything is made (engine/namespaces.cpp applies them to the spec).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "spec/config.hpp"

namespace husk::engine {

// private: a namespace of its own (the default); shareable: the same, that
// others may join (--ipc); none: private with no /dev/shm (--ipc); host: the
// host's; container: that of the running container NAME.
enum class NsMode { private_ns, shareable, none, host, container };

struct NamespaceChoice {
  NsMode mode = NsMode::private_ns;
  std::string container;  // NAME of container:NAME
  std::string network;    // --network NAME: a network of the engine's (engine/network.hpp)
  bool operator==(const NamespaceChoice&) const = default;
};

// "" is the default of each (private; --network: the default bridge
// network; none is a private network namespace with only lo).
Result<NamespaceChoice> parse_ipc_mode(std::string_view v);      // private|shareable|none|host|container:NAME
Result<NamespaceChoice> parse_pid_mode(std::string_view v);      // host|container:NAME
Result<NamespaceChoice> parse_uts_mode(std::string_view v);      // host
Result<NamespaceChoice> parse_network_mode(std::string_view v);  // none|bridge|host|container:NAME|NAME
Result<NamespaceChoice> parse_cgroupns_mode(std::string_view v);  // private|host

// --shm-size: the bytes of a private IPC namespace's /dev/shm, in docker's
// units ("64m", "1g", "1048576"); "" and 0 are docker's default, 64m.
inline constexpr long long kDefaultShmBytes = 64LL << 20;
Result<long long> parse_shm_size(std::string_view v);

// --userns: host (no user namespace, the default), remap (the "husk" user's
// subordinate range), auto (a range of its own per container).
enum class UsernsMode { host, remap, automatic };
Result<UsernsMode> parse_userns_mode(std::string_view v);

// --time-offset boottime=SECONDS,monotonic=SECONDS: each clock once,
// seconds with up to 9 decimals, negative allowed.
struct TimeOffsets {
  std::optional<spec::TimeOffset> boottime;
  std::optional<spec::TimeOffset> monotonic;
};
Result<TimeOffsets> parse_time_offsets(std::string_view v);

// --init: where the init is found (husk-init beside husk) and where the
// container sees it. /dev/init, as podman's catatonit: /dev is the
// runtime's own tmpfs, so the mount point is made there and never in the
// container's root (which may be --read-only, and whose upper dir `diff`
// would otherwise show an /sbin/docker-init it never wrote).
inline constexpr std::string_view kInitInContainer = "/dev/init";
std::string init_binary_beside(const std::string& husk_binary);
struct SpecContext;
struct RunFlags;
// process.args become [/dev/init, --, args...], with the init bound there.
Result<void> apply_init(const SpecContext& ctx, const RunFlags& f, spec::Config& spec);

}  // namespace husk::engine
