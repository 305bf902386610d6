#include "linux/idmap.hpp"

#include <unistd.h>

#include "base/file.hpp"

namespace husk::linux {

std::string format_id_map(const std::vector<spec::IdMapping>& maps) {
  std::string out;
  for (auto& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) +
           "\n";
  return out;
}

std::optional<uint32_t> host_id(const std::vector<spec::IdMapping>& maps, uint32_t id) {
  for (auto& m : maps)
    if (id >= m.container_id && id - m.container_id < m.size) return m.host_id + (id - m.container_id);
  return std::nullopt;
}

Result<void> check_id_map(const std::vector<spec::IdMapping>& maps, const std::string& what) {
  if (maps.size() > 340) return fail_code(EINVAL, what + ": more than 340 ranges");
  for (size_t i = 0; i < maps.size(); ++i) {
    auto& a = maps[i];
    if (uint64_t(a.container_id) + a.size > (1ULL << 32) || uint64_t(a.host_id) + a.size > (1ULL << 32))
      return fail_code(EINVAL, what + ": range " + std::to_string(i) + " overflows 32 bits");
    for (size_t k = i + 1; k < maps.size(); ++k) {
      auto& b = maps[k];
      bool inside = a.container_id < uint64_t(b.container_id) + b.size &&
                    b.container_id < uint64_t(a.container_id) + a.size;
      bool outside = a.host_id < uint64_t(b.host_id) + b.size && b.host_id < uint64_t(a.host_id) + a.size;
      if (inside || outside)
        return fail_code(EINVAL,
                         what + ": ranges " + std::to_string(i) + " and " + std::to_string(k) + " overlap");
    }
  }
  return {};
}

Result<void> write_id_maps(int pid, const std::vector<spec::IdMapping>& uids,
                           const std::vector<spec::IdMapping>& gids) {
  std::string base = "/proc/" + std::to_string(pid) + "/";
  HUSK_TRY_CTX(write_file(base + "uid_map", format_id_map(uids)), "write uid map");
  // Without CAP_SETGID over the parent namespace the kernel takes a gid map
  // only once setgroups(2) is denied in the child (user_namespaces(7)).
  if (::geteuid() != 0) HUSK_TRY_CTX(write_file(base + "setgroups", "deny"), "deny setgroups");
  HUSK_TRY_CTX(write_file(base + "gid_map", format_id_map(gids)), "write gid map");
  return {};
}

}  // namespace husk::linux
