#include "linux/idmap.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fd.hpp"
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

Result<UniqueFd> user_namespace_fd(const std::vector<spec::IdMapping>& uids,
                                   const std::vector<spec::IdMapping>& gids) {
  auto up = HUSK_TRY(make_pipe("pipe"));
  auto down = HUSK_TRY(make_pipe("pipe"));
  UniqueFd up_read = std::move(up.read), up_write = std::move(up.write);
  UniqueFd down_read = std::move(down.read), down_write = std::move(down.write);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    // Says when it is in its user namespace, then stays until the parent
    // has written the maps and opened the ns file (EOF on DOWN).
    char c = ::unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
    (void)!::write(up_write.get(), &c, 1);
    down_write.reset();
    (void)!::read(down_read.get(), &c, 1);
    ::_exit(0);
  }
  up_write.reset();
  down_read.reset();
  char c = 0;
  while (::read(up_read.get(), &c, 1) < 0 && errno == EINTR) {
  }
  Result<UniqueFd> fd = fail_code(EPERM, "unshare a user namespace");
  if (c == 'y') {
    auto maps = write_id_maps(pid, uids, gids);
    fd = maps ? open_fd("/proc/" + std::to_string(pid) + "/ns/user", O_RDONLY | O_CLOEXEC)
              : Result<UniqueFd>(fail(maps.error()));
  }
  down_write.reset();
  ::waitpid(pid, nullptr, 0);
  if (!fd) return fail(std::move(fd).error().context("a user namespace for id-mapped mounts"));
  return fd;
}

}  // namespace husk::linux
