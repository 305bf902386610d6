// An owned file descriptor: move-only, closed exactly once.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "base/error.hpp"

namespace husk {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Hand the descriptor on: the caller now owns it.
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// open(2)/openat(2) with O_CLOEXEC always added.
Result<UniqueFd> open_fd(const std::string& path, int flags, unsigned mode = 0);
Result<UniqueFd> open_at(int dirfd, const std::string& path, int flags, unsigned mode = 0);

// Resolves PATH inside the tree rooted at ROOT as if ROOT were "/": symlinks
// and ".." cannot leave it (openat2 RESOLVE_IN_ROOT).
Result<UniqueFd> open_in_root(int rootfd, const std::string& path, int flags, unsigned mode = 0);

// "/proc/self/fd/N": lets path-based syscalls act on exactly the opened file.
std::string fd_path(int fd);

// pipe2(2) with O_CLOEXEC: both ends owned, neither leaked on a failure.
struct Pipe {
  UniqueFd read, write;
};
Result<Pipe> make_pipe(std::string_view what = "pipe");

// Writes all of DATA to FD, going on after short writes and EINTR. The
// error carries errno and WHAT as its message ("write /path").
Result<void> write_all(int fd, std::string_view data, std::string_view what = "write");

// flock(2) OP on FD, retried after EINTR. The error carries errno (e.g.
// EWOULDBLOCK for LOCK_NB) and WHAT as its message ("lock /path").
Result<void> flock_fd(int fd, int op, std::string_view what);

}  // namespace husk
