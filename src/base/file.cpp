#include "base/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "base/fd.hpp"

namespace husk {

Result<std::string> read_file_at(int dirfd, const std::string& path) {
  UniqueFd fd = HUSK_TRY(open_at(dirfd, path, O_RDONLY));
  std::string out;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> read_file(const std::string& path) { return read_file_at(AT_FDCWD, path); }

Result<void> write_file_at(int dirfd, const std::string& path, std::string_view data) {
  UniqueFd fd = HUSK_TRY(open_at(dirfd, path, O_WRONLY | O_TRUNC));
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("write " + path);
  if (static_cast<size_t>(n) != data.size()) return fail_code(EIO, "short write to " + path);
  return {};
}

Result<void> write_file(const std::string& path, std::string_view data) {
  return write_file_at(AT_FDCWD, path, data);
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    UniqueFd fd = HUSK_TRY(open_fd(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    if (auto written = write_all(fd.get(), data); !written) {
      ::unlink(tmp.c_str());
      return fail_code(written.error().err(), "write " + tmp);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return fail_code(e, "rename " + tmp + " to " + path);
  }
  return {};
}

Result<void> mkdir_all(const std::string& path, unsigned mode) {
  if (path.empty()) return {};
  if (::mkdir(path.c_str(), mode) == 0) return {};
  if (errno == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    if (errno == EEXIST) return fail_code(ENOTDIR, "mkdir " + path);
  }
  if (errno != ENOENT) return fail_errno("mkdir " + path);
  auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) HUSK_TRY(mkdir_all(path.substr(0, slash), mode));
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) return fail_errno("mkdir " + path);
  return {};
}

namespace {
Result<void> remove_tree_at(int parent, const char* name, dev_t dev) {
  struct stat st;
  if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return {};
    return fail_errno(std::string("stat ") + name);
  }
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev) return fail_code(EBUSY, std::string("refusing to cross a mount at ") + name);
    int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail_errno(std::string("open ") + name);
    DIR* d = ::fdopendir(fd);
    if (!d) {
      ::close(fd);
      return fail_errno(std::string("opendir ") + name);
    }
    Result<void> r;
    while (auto* ent = ::readdir(d)) {
      std::string n = ent->d_name;
      if (n == "." || n == "..") continue;
      r = remove_tree_at(::dirfd(d), ent->d_name, dev);
      if (!r) break;
    }
    ::closedir(d);
    if (!r) return r;
    if (::unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
      return fail_errno(std::string("rmdir ") + name);
    return {};
  }
  if (::unlinkat(parent, name, 0) < 0 && errno != ENOENT) return fail_errno(std::string("unlink ") + name);
  return {};
}
}  // namespace

Result<void> remove_all(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) < 0) {
    if (errno == ENOENT) return {};
    return fail_errno("stat " + path);
  }
  return with_context(remove_tree_at(AT_FDCWD, path.c_str(), st.st_dev), "remove " + path);
}

bool path_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(path.c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> dir_entries(int dir, const std::string& what) {
  DIR* d = ::fdopendir(::fcntl(dir, F_DUPFD_CLOEXEC, 0));
  if (!d) return fail_errno("read directory " + what);
  std::vector<std::string> names;
  while (auto* e = ::readdir(d))
    if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
      names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool dir_is_empty(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return false;
  bool empty = true;
  while (auto* e = ::readdir(d))
    if (std::string_view n = e->d_name; n != "." && n != "..") empty = false;
  ::closedir(d);
  return empty;
}

Result<std::string> absolute_from_cwd(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[PATH_MAX];
  if (!::getcwd(cwd, sizeof cwd)) return fail_errno("getcwd");
  return std::string(cwd) + "/" + path;
}

Result<std::string> read_link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return fail_errno("readlink " + path);
  if (static_cast<size_t>(n) == sizeof buf) return fail_code(ENAMETOOLONG, "readlink " + path + ": too long");
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::string> installed_exe() {
  if (const char* env = std::getenv(kInstalledExeEnv); env && env[0] == '/') return std::string(env);
  return read_link("/proc/self/exe");
}

std::string program_beside_us(std::string_view name) {
  auto self = installed_exe();
  if (!self) return {};
  std::string path = self->substr(0, self->rfind('/') + 1) + std::string(name);
  return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
}

}  // namespace husk
