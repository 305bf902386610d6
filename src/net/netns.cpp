#include "net/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include "base/file.hpp"
#include "linux/network.hpp"

namespace husk::net {

namespace {

// Back to ORIGINAL (this thread's namespace before): a thread left in
// another namespace would make everything after it wrong, so a failure here
// ends husk.
void return_to(int original) {
  if (::setns(original, CLONE_NEWNET) < 0) {
    static constexpr std::string_view kMsg = "husk: cannot return to the host's network namespace\n";
    (void)!::write(STDERR_FILENO, kMsg.data(), kMsg.size());
    ::abort();
  }
}

}  // namespace

Result<void> create_netns(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos) HUSK_TRY(mkdir_all(path.substr(0, slash), 0700));
  { UniqueFd made = HUSK_TRY(open_fd(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)); }
  auto undo_file = [&](Error e) {
    ::unlink(path.c_str());
    return fail(std::move(e));
  };
  auto original = open_fd("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (!original) return undo_file(std::move(original).error());
  if (::unshare(CLONE_NEWNET) < 0) return undo_file(Error::from_errno("unshare a network namespace"));
  auto kept = ::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) == 0
                  ? Result<void>{}
                  : fail_errno("keep the network namespace at " + path);
  auto lo = kept ? linux::bring_up_loopback() : Result<void>{};
  return_to(original->get());
  if (!kept) return undo_file(std::move(kept).error());
  if (!lo) {
    (void)remove_netns(path);
    return fail(std::move(lo).error());
  }
  return {};
}

Result<void> remove_netns(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return fail_errno("unmount the network namespace at " + path);
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) return fail_errno("remove " + path);
  return {};
}

Result<void> in_netns(int netns_fd, const std::function<Result<void>()>& fn) {
  UniqueFd original = HUSK_TRY(open_fd("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (::setns(netns_fd, CLONE_NEWNET) < 0) return fail_errno("join a container's network namespace");
  auto r = fn();
  return_to(original.get());
  return r;
}

}  // namespace husk::net
