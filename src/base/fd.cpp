#include "base/fd.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace husk {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<UniqueFd> open_fd(const std::string& path, int flags, unsigned mode) {
  return open_at(AT_FDCWD, path, flags, mode);
}

Result<UniqueFd> open_at(int dirfd, const std::string& path, int flags, unsigned mode) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return fail_errno("open " + path);
  return UniqueFd(fd);
}

Result<UniqueFd> open_in_root(int rootfd, const std::string& path, int flags, unsigned mode) {
  struct open_how how = {};
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = ::syscall(SYS_openat2, rootfd, path.c_str(), &how, sizeof(how));
  } while (fd < 0 && errno == EAGAIN);
  if (fd < 0) return fail_errno("open " + path + " in rootfs");
  return UniqueFd(static_cast<int>(fd));
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<Pipe> make_pipe(std::string_view what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_errno(std::string(what));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<void> write_all(int fd, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(std::string(what));
    // write(2) returns 0 only for an empty write; a count of 0 would spin.
    if (n == 0) return fail_code(EIO, std::string(what) + ": wrote nothing");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> flock_fd(int fd, int op, std::string_view what) {
  while (::flock(fd, op) < 0)
    if (errno != EINTR) return fail_errno(std::string(what));
  return {};
}

}  // namespace husk
