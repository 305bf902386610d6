#include "image/tar_stream.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "base/fd.hpp"
#include "base/file.hpp"

namespace husk::image {

namespace {

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_free)>;

Result<void> fail_archive(archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return fail_code(EIO, what + ": " + (msg ? msg : "libarchive failed"));
}

Result<void> copy_data(archive* out, int fd, const std::string& path) {
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read " + path);
    if (n == 0) return {};
    if (archive_write_data(out, buf, static_cast<size_t>(n)) < 0) return fail_archive(out, "tar " + path);
  }
}

}  // namespace

Result<void> write_tree_tar(const std::string& dir, int out) {
  ArchivePtr disk(archive_read_disk_new(), archive_free);
  ArchivePtr tar(archive_write_new(), archive_free);
  if (!disk || !tar) return fail_code(ENOMEM, "tar " + dir);
  // Physical: symlinks stay links; owner names as the ids' names on this host
  // are not looked up (the tree's ids are the container's).
  archive_read_disk_set_symlink_physical(disk.get());
  archive_write_set_format_pax_restricted(tar.get());
  archive_write_set_bytes_in_last_block(tar.get(), 1);
  if (archive_write_open_fd(tar.get(), out) != ARCHIVE_OK)
    return fail_archive(tar.get(), "tar to the output");
  if (archive_read_disk_open(disk.get(), dir.c_str()) != ARCHIVE_OK)
    return fail_archive(disk.get(), "tar " + dir);
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
  const std::string prefix = dir + "/";
  while (true) {
    archive_entry_clear(e.get());
    int r = archive_read_next_header2(disk.get(), e.get());
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return fail_archive(disk.get(), "tar " + dir);
    std::string path = archive_entry_pathname(e.get());
    if (archive_read_disk_can_descend(disk.get())) archive_read_disk_descend(disk.get());
    if (!path.starts_with(prefix)) continue;  // DIR itself
    std::string name = path.substr(prefix.size());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_uname(e.get(), nullptr);
    archive_entry_set_gname(e.get(), nullptr);
    if (archive_write_header(tar.get(), e.get()) != ARCHIVE_OK) return fail_archive(tar.get(), "tar " + name);
    if (archive_entry_filetype(e.get()) == AE_IFREG && archive_entry_size(e.get()) > 0) {
      auto fd = HUSK_TRY(open_fd(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      HUSK_TRY(copy_data(tar.get(), fd.get(), name));
    }
  }
  if (archive_write_close(tar.get()) != ARCHIVE_OK) return fail_archive(tar.get(), "tar to the output");
  return {};
}

}  // namespace husk::image
