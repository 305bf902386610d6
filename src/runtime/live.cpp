#include "runtime/live.hpp"

#include <unistd.h>

#include "linux/proc.hpp"

namespace husk::runtime {

Result<cgroups::Manager> cgroup_manager_for(const spec::State& s) {
  // An empty path is not the root cgroup: the container has none (rootless).
  if (s.cgroup_path.empty())
    return fail_code(ENOTSUP, "container " + s.id + " has no cgroup of its own (rootless without cgroups)");
  auto layout = HUSK_TRY(cgroups::detect_layout());
  return cgroups::Manager(std::move(layout), s.cgroup_path);
}

// The live status: the stored one says what we did; /proc and the freezer say what is.
spec::Status live_status(const spec::State& s) {
  if (s.pid <= 0) return s.status;
  if (!linux::process_alive(s.pid, s.pid_start_time)) return spec::Status::stopped;
  if (s.status == spec::Status::creating) return s.status;
  if (s.start_fd >= 0) {
    std::string link = "/proc/" + std::to_string(s.pid) + "/fd/" + std::to_string(s.start_fd);
    char buf[64];
    ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    if (n > 0 && std::string_view(buf, static_cast<size_t>(n)).starts_with("pipe:"))
      return spec::Status::created;
  }
  if (s.status == spec::Status::paused) {
    if (auto cg = cgroup_manager_for(s)) {
      if (auto f = cg->frozen(); f && *f) return spec::Status::paused;
    }
  }
  return spec::Status::running;
}

}  // namespace husk::runtime
