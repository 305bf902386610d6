#include "spec/namespaces.hpp"

namespace husk::spec {
namespace {

struct Names {
  NamespaceType type;
  std::string_view spec, proc;
};
constexpr Names kNames[] = {
    {NamespaceType::pid, "pid", "pid"},          {NamespaceType::network, "network", "net"},
    {NamespaceType::mount, "mount", "mnt"},      {NamespaceType::ipc, "ipc", "ipc"},
    {NamespaceType::uts, "uts", "uts"},          {NamespaceType::user, "user", "user"},
    {NamespaceType::cgroup, "cgroup", "cgroup"}, {NamespaceType::time, "time", "time"},
};

const Names* find(NamespaceType t) {
  for (auto& n : kNames)
    if (n.type == t) return &n;
  return nullptr;
}

}  // namespace

std::string namespace_type_name(NamespaceType t) {
  auto* n = find(t);
  return n ? std::string(n->spec) : "?";
}

std::optional<NamespaceType> namespace_type_from_name(std::string_view name) {
  for (auto& n : kNames)
    if (n.spec == name) return n.type;
  return std::nullopt;
}

std::string namespace_proc_name(NamespaceType t) {
  auto* n = find(t);
  return n ? std::string(n->proc) : "?";
}

}  // namespace husk::spec
