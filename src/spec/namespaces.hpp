// The eight namespace types and their names, from one table: the
// runtime-spec's ("network", "mount") and the kernel's under /proc/PID/ns/
// ("net", "mnt").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace husk::spec {

enum class NamespaceType { pid, network, mount, ipc, uts, user, cgroup, time };
inline constexpr NamespaceType kAllNamespaceTypes[] = {
    NamespaceType::pid, NamespaceType::network, NamespaceType::mount,  NamespaceType::ipc,
    NamespaceType::uts, NamespaceType::user,    NamespaceType::cgroup, NamespaceType::time};

// config.json's name: "network" for network.
std::string namespace_type_name(NamespaceType t);
std::optional<NamespaceType> namespace_type_from_name(std::string_view name);
// The name under /proc/PID/ns/: "net" for network, "mnt" for mount.
std::string namespace_proc_name(NamespaceType t);

}  // namespace husk::spec
