#include "engine/cid_file.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace husk::engine {

Result<ContainerIdFile> ContainerIdFile::claim(const std::string& path) {
  if (path.empty()) return ContainerIdFile();
  // O_EXCL: of two runs with the same file, one gets it.
  auto fd = open_fd(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!fd && fd.error().err() == EEXIST)
    return fail_code(
        EEXIST, "Container ID file found, make sure the other container isn't running or delete " + path);
  if (!fd) return fail(std::move(fd).error().context("failed to create the container ID file"));
  return ContainerIdFile(path, std::move(*fd));
}

ContainerIdFile::ContainerIdFile(ContainerIdFile&& o) noexcept
    : path_(std::move(o.path_)), fd_(std::move(o.fd_)), written_(o.written_) {
  o.path_.clear();
}

ContainerIdFile::~ContainerIdFile() {
  if (!path_.empty() && !written_) ::unlink(path_.c_str());
}

Result<void> ContainerIdFile::write(const std::string& id) {
  if (path_.empty()) return {};
  HUSK_TRY_CTX(write_all(fd_.get(), id, "write " + path_), "failed to write the container ID to the file");
  fd_.reset();
  written_ = true;
  return {};
}

}  // namespace husk::engine
