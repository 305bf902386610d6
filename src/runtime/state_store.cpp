#include "runtime/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/file.hpp"

namespace husk::runtime {

namespace {

// The file that marks a state directory the runtime made.
constexpr const char* kStateMark = ".husk-runtime";

Result<UniqueFd> lock_dir(const std::string& path) {
  UniqueFd fd = HUSK_TRY(open_fd(path, O_RDONLY | O_DIRECTORY));
  HUSK_TRY(flock_fd(fd.get(), LOCK_EX, "lock " + path));
  return fd;
}
}  // namespace

void ContainerDir::unlock() const { ::flock(fd_.get(), LOCK_UN); }

Result<void> ContainerDir::relock() const {
  HUSK_TRY(flock_fd(fd_.get(), LOCK_EX, "lock " + path_));
  if (::faccessat(fd_.get(), "state.json", F_OK, 0) < 0)
    return fail_code(ENOENT, "container deleted meanwhile");
  return {};
}

Result<ContainerDir> StateStore::create(const std::string& id) const {
  HUSK_TRY(spec::validate_id(id));
  HUSK_TRY_CTX(mkdir_all(root_, 0700), "create state root");
  std::string path = root_ + "/" + id;
  if (::mkdir(path.c_str(), 0700) < 0) {
    if (errno == EEXIST) return fail_code(EEXIST, "container with id exists: " + id);
    return fail_errno("create state directory " + path);
  }
  ContainerDir d;
  d.path_ = path;
  auto fd = lock_dir(path);
  if (!fd) {
    ::rmdir(path.c_str());
    return fail(std::move(fd).error());
  }
  d.fd_ = std::move(*fd);
  // Marks it the runtime's (remove_stale removes no other directory).
  UniqueFd mark(::openat(d.fd_.get(), kStateMark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!mark) {
    int err = errno;
    ::rmdir(path.c_str());
    return fail(Error(err, "mark state directory " + path));
  }
  return d;
}

Result<ContainerDir> StateStore::open(const std::string& id) const {
  HUSK_TRY(spec::validate_id(id));
  std::string path = root_ + "/" + id;
  ContainerDir d;
  d.path_ = path;
  auto fd = lock_dir(path);
  if (!fd) {
    if (fd.error().err() == ENOENT) return fail_code(ENOENT, "container \"" + id + "\" does not exist");
    return fail(std::move(fd).error());
  }
  d.fd_ = std::move(*fd);
  // A concurrent delete may have emptied it while we waited for the lock.
  if (::faccessat(d.fd_.get(), "state.json", F_OK, 0) < 0)
    return fail_code(ENOENT, "container \"" + id + "\" does not exist");
  return d;
}

Result<void> StateStore::remove_stale(const std::string& id) const {
  HUSK_TRY(spec::validate_id(id));
  std::string path = root_ + "/" + id;
  auto fd = lock_dir(path);
  if (!fd) return fd.error().err() == ENOENT ? Result<void>() : fail(std::move(fd).error());
  if (::faccessat(fd->get(), "state.json", F_OK, 0) == 0) return {};  // it came alive meanwhile
  // A directory the runtime did not make (another program's, beside its
  // containers under the same root) stays.
  if (!dir_is_empty(path) && ::faccessat(fd->get(), kStateMark, F_OK, 0) != 0) return {};
  return remove_all(path);
}

bool StateStore::has_state(const std::string& id) const {
  return ::access((root_ + "/" + id + "/state.json").c_str(), F_OK) == 0;
}

std::vector<std::string> StateStore::list_ids() const {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root_.c_str());
  if (!d) return ids;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || n[0] == '.') continue;  // not containers: .seccomp-cache
    if (spec::validate_id(n)) ids.push_back(n);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<spec::State> ContainerDir::load_state() const {
  auto text = HUSK_TRY(read_file_at(fd_.get(), "state.json"));
  return spec::state_from_store_json(text);
}

Result<void> ContainerDir::save_state(const spec::State& s) const {
  return write_file_atomic(path_ + "/state.json", spec::state_to_store_json(s), 0600);
}

Result<std::string> ContainerDir::load_config_text() const { return read_file_at(fd_.get(), "config.json"); }

Result<void> ContainerDir::save_config_text(const std::string& text) const {
  return write_file_atomic(path_ + "/config.json", text, 0600);
}

Result<void> ContainerDir::remove() const { return remove_all(path_); }

}  // namespace husk::runtime
