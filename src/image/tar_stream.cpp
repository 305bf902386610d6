#include "image/tar_stream.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

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

namespace husk::image {

namespace {

constexpr std::string_view kOverlayXattrs = "trusted.overlay.";

// Walks a tree by fds (see write_root_tar) into a tar stream.
class TreeTar {
 public:
  explicit TreeTar(bool upper) : upper_(upper) {}

  Result<void> write(int root, int out) {
    if (!disk_ || !tar_ || !entry_) return fail_code(ENOMEM, "tar");
    archive_write_set_format_pax_restricted(tar_.get());
    archive_write_set_bytes_in_last_block(tar_.get(), 1);
    if (archive_write_open_fd(tar_.get(), out) != ARCHIVE_OK)
      return fail_archive(tar_.get(), "tar to the output");
    // ROOT may be an O_PATH fd: its entries are read through one for reading.
    UniqueFd dir = HUSK_TRY(open_at(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    HUSK_TRY(walk(dir.get(), ""));
    if (archive_write_close(tar_.get()) != ARCHIVE_OK) return fail_archive(tar_.get(), "tar to the output");
    return {};
  }

 private:
  Result<void> walk(int dir, const std::string& rel) {
    for (auto& name : HUSK_TRY(dir_entries(dir, "/" + rel)))
      HUSK_TRY(add(dir, name, rel.empty() ? name : rel + "/" + name));
    return {};
  }

  // A whiteout (or opaque marker) entry: an empty file, as docker writes them.
  Result<void> add_marker(const std::string& path, const struct stat& st) {
    archive_entry_clear(entry_.get());
    archive_entry_set_pathname(entry_.get(), path.c_str());
    archive_entry_set_filetype(entry_.get(), AE_IFREG);
    archive_entry_set_perm(entry_.get(), 0);
    archive_entry_set_size(entry_.get(), 0);
    archive_entry_set_mtime(entry_.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    if (archive_write_header(tar_.get(), entry_.get()) != ARCHIVE_OK)
      return fail_archive(tar_.get(), "tar " + path);
    return {};
  }

  // overlayfs's xattrs out of the entry; ENOTSUP for those that mean the
  // content lives elsewhere (write_upper_tar).
  Result<void> drop_overlay_xattrs(const std::string& path) {
    std::vector<std::tuple<std::string, std::string>> keep;
    archive_entry_xattr_reset(entry_.get());
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(entry_.get(), &name, &value, &size) == ARCHIVE_OK) {
      std::string_view n(name);
      if (n == "trusted.overlay.redirect" || n == "trusted.overlay.metacopy")
        return fail_code(ENOTSUP, "commit /" + path + ": overlayfs keeps its content elsewhere (" +
                                      std::string(n) + "); husk cannot commit it");
      if (!n.starts_with(kOverlayXattrs))
        keep.emplace_back(n, std::string(static_cast<const char*>(value), size));
    }
    archive_entry_xattr_clear(entry_.get());
    for (auto& [k, v] : keep) archive_entry_xattr_add_entry(entry_.get(), k.c_str(), v.data(), v.size());
    return {};
  }

  Result<void> add(int dir, const std::string& name, const std::string& path) {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) return {};
      return fail_errno("stat /" + path);
    }
    if (S_ISSOCK(st.st_mode)) return {};  // as tar: a socket is nothing to copy
    if (upper_ && S_ISCHR(st.st_mode) && st.st_rdev == 0) {
      auto slash = path.rfind('/');
      std::string parent = slash == std::string::npos ? "" : path.substr(0, slash + 1);
      return add_marker(parent + ".wh." + name, st);
    }
    UniqueFd fd;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
      // Opened without following: what is read is what the entry says,
      // even when the name was swapped for a link since the stat.
      int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0);
      fd = UniqueFd(::openat(dir, name.c_str(), flags));
      if (!fd) {
        if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) return {};  // changed meanwhile
        return fail_errno("open /" + path);
      }
      if (::fstat(fd.get(), &st) < 0) return fail_errno("stat /" + path);
    }
    archive_entry_clear(entry_.get());
    archive_entry_set_pathname(entry_.get(), path.c_str());
    if (fd) {
      // Metadata (xattrs, ACLs, file flags) from the fd, never the path.
      if (archive_read_disk_entry_from_file(disk_.get(), entry_.get(), fd.get(), &st) != ARCHIVE_OK)
        return fail_archive(disk_.get(), "tar /" + path);
    } else {
      archive_entry_copy_stat(entry_.get(), &st);
    }
    if (S_ISLNK(st.st_mode)) {
      std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
      ssize_t n = ::readlinkat(dir, name.c_str(), buf.data(), buf.size());
      if (n < 0 && (errno == ENOENT || errno == EINVAL)) return {};  // changed meanwhile
      if (n < 0) return fail_errno("readlink /" + path);
      archive_entry_set_symlink(entry_.get(), std::string(buf.data(), static_cast<size_t>(n)).c_str());
    }
    archive_entry_set_uname(entry_.get(), nullptr);
    archive_entry_set_gname(entry_.get(), nullptr);
    HUSK_TRY(drop_overlay_xattrs(path));
    if (archive_write_header(tar_.get(), entry_.get()) != ARCHIVE_OK)
      return fail_archive(tar_.get(), "tar " + path);
    if (S_ISREG(st.st_mode) && st.st_size > 0) HUSK_TRY(copy_data(tar_.get(), fd.get(), path));
    if (!S_ISDIR(st.st_mode)) return {};
    if (upper_ && opaque(fd.get())) HUSK_TRY(add_marker(path + "/.wh..wh..opq", st));
    return walk(fd.get(), path);
  }

  static bool opaque(int dir) {
    char v[2];
    ssize_t n = ::fgetxattr(dir, "trusted.overlay.opaque", v, sizeof v);
    return n == 1 && v[0] == 'y';
  }

  bool upper_;
  ArchivePtr disk_{archive_read_disk_new(), archive_free};
  ArchivePtr tar_{archive_write_new(), archive_free};
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry_{archive_entry_new(),
                                                                       archive_entry_free};
};

}  // namespace

Result<void> write_root_tar(int root, int out) { return TreeTar(false).write(root, out); }

Result<void> write_upper_tar(int upper, int out) { return TreeTar(true).write(upper, out); }

}  // namespace husk::image
