#include "image/layer_writer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

namespace husk::image {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMeta = ".wh..wh.";  // aufs bookkeeping (.wh..wh.plnk, ...)
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

std::string quoted_entry(std::string_view name) { return "layer entry \"" + std::string(name) + "\""; }

// ---------------------------------------------------------------------------
// Paths.

// An entry's name as a path relative to DEST: "./a//b/" -> "a/b", "/etc/x"
// -> "etc/x" (absolute means the layer's root), "a/../b" -> "b"; "" is DEST
// itself. False when ".." climbs above the root.
bool clean_entry_path(std::string_view raw, std::string& out) {
  out.clear();
  size_t i = 0;
  while (i < raw.size()) {
    size_t j = raw.find('/', i);
    if (j == std::string_view::npos) j = raw.size();
    std::string_view part = raw.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (out.empty()) return false;
      size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  return true;
}

// "a/b/c" -> ("a/b", "c"); "c" -> ("", "c").
std::pair<std::string_view, std::string_view> split_parent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {{}, path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// rm -r of NAME in DIRFD, never following a symlink: everything below DEST
// came from this layer, so nothing here is worth keeping or can lead out.
Result<void> remove_tree_at(int dirfd, const char* name) {
  if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR) return fail_errno(std::string("remove ") + name);
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail_errno(std::string("open ") + name);
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return fail_errno(std::string("open ") + name);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
  while (dirent* ent = ::readdir(dir)) {
    std::string_view n = ent->d_name;
    if (n == "." || n == "..") continue;
    HUSK_TRY(remove_tree_at(::dirfd(dir), ent->d_name));
  }
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) < 0) return fail_errno(std::string("remove ") + name);
  return {};
}

// ---------------------------------------------------------------------------
// Metadata.

// A file to give its metadata: by descriptor when one is open (regular files,
// directories), else by name in its parent (symlinks, devices and fifos,
// which opening would follow or block on, or open the device).
struct Node {
  int fd = -1;
  int dirfd = -1;
  const char* name = nullptr;
};

Result<void> set_owner(const Node& n, archive_entry* e, const UnpackOptions& opts) {
  if (!opts.preserve_owner) return {};
  // (uid_t)-1 would mean "leave it" to chown: not an owner a file can have.
  // Checked before the shift is added: a pax header can say any int64.
  constexpr int64_t kMaxId = 0xFFFFFFFE;
  const int64_t max = kMaxId - int64_t{opts.id_shift};
  int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
  if (uid < 0 || gid < 0 || uid > max || gid > max)
    return fail_code(EINVAL,
                     "owner " + std::to_string(uid) + ":" + std::to_string(gid) + " out of range" +
                         (opts.id_shift ? " (shifted by " + std::to_string(opts.id_shift) + ")" : ""));
  uid += opts.id_shift;
  gid += opts.id_shift;
  int r = n.fd >= 0 ? ::fchown(n.fd, static_cast<uid_t>(uid), static_cast<gid_t>(gid))
                    : ::fchownat(n.dirfd, n.name, static_cast<uid_t>(uid), static_cast<gid_t>(gid),
                                 AT_SYMLINK_NOFOLLOW);
  if (r < 0) return fail_errno("chown");
  return {};
}

Result<void> set_mode(const Node& n, archive_entry* e) {
  mode_t mode = archive_entry_perm(e) & 07777;
  // By name only for devices and fifos, which are never symlinks.
  int r = n.fd >= 0 ? ::fchmod(n.fd, mode) : ::fchmodat(n.dirfd, n.name, mode, 0);
  if (r < 0) return fail_errno("chmod");
  return {};
}

Result<void> set_xattrs(const Node& n, archive_entry* e) {
  if (archive_entry_xattr_reset(e) == 0) return {};
  // By name: lsetxattr on /proc/self/fd/DIRFD/NAME acts on NAME in exactly
  // that directory and does not follow NAME itself.
  std::string path = n.fd >= 0 ? std::string() : fd_path(n.dirfd) + "/" + n.name;
  const char* key;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    int r =
        n.fd >= 0 ? ::fsetxattr(n.fd, key, value, size, 0) : ::lsetxattr(path.c_str(), key, value, size, 0);
    if (r < 0) return fail_errno(std::string("set xattr ") + key);
  }
  return {};
}

// atime and mtime; a tar without an atime gets the mtime for both.
bool entry_times(archive_entry* e, timespec (&ts)[2]) {
  if (!archive_entry_mtime_is_set(e)) return false;
  ts[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  ts[0] =
      archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)} : ts[1];
  return true;
}

Result<void> set_times(const Node& n, archive_entry* e) {
  timespec ts[2];
  if (!entry_times(e, ts)) return {};
  int r = n.fd >= 0 ? ::futimens(n.fd, ts) : ::utimensat(n.dirfd, n.name, ts, AT_SYMLINK_NOFOLLOW);
  if (r < 0) return fail_errno("set times");
  return {};
}

// In this order: chown clears setuid/setgid and file capabilities, so the
// mode and the xattrs go on after it.
Result<void> set_metadata(const Node& n, archive_entry* e, const UnpackOptions& opts, bool with_mode) {
  HUSK_TRY(set_owner(n, e, opts));
  if (with_mode) HUSK_TRY(set_mode(n, e));
  HUSK_TRY(set_xattrs(n, e));
  return set_times(n, e);
}

// ---------------------------------------------------------------------------
// The tree.

}  // namespace

Result<void> LayerWriter::apply(LayerStream& stream, archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  if (!raw) return fail_code(EINVAL, "layer entry without a name");
  HUSK_TRY_CTX(apply_named(stream, e, raw), quoted_entry(raw));
  return {};
}

Result<void> LayerWriter::apply_named(LayerStream& stream, archive_entry* e, std::string_view raw) {
  if (!clean_entry_path(raw, path_)) return fail_code(EINVAL, "path leaves the layer");
  auto [dir, base] = split_parent(path_);
  if (base.starts_with(kWhiteoutPrefix)) return apply_whiteout(e, dir, base);
  const char* hardlink = archive_entry_hardlink(e);
  auto type = archive_entry_filetype(e);
  if (path_.empty()) {
    if (hardlink || type != AE_IFDIR) return fail_code(EINVAL, "the layer's root is not a directory");
    return make_dir(e, Place{root_.get(), "."});
  }
  int dirfd = HUSK_TRY(parent_fd(dir));
  name_.assign(base);
  Place at{dirfd, name_.c_str()};
  if (hardlink) return make_hardlink(e, at);
  switch (type) {
    case AE_IFREG:
      return make_file(stream, e, at);
    case AE_IFDIR:
      return make_dir(e, at);
    case AE_IFLNK:
      return make_symlink(e, at);
    case AE_IFCHR:
      return make_node(e, at, S_IFCHR);
    case AE_IFBLK:
      return make_node(e, at, S_IFBLK);
    case AE_IFIFO:
      return make_node(e, at, S_IFIFO);
    default:
      return fail_code(EINVAL, "unsupported entry type " + std::to_string(type));
  }
}

// ".wh.NAME" hides NAME of the lower layers: overlayfs's whiteout is a
// character device 0:0. ".wh..wh..opq" hides all of its directory's lower
// contents: overlayfs's opaque xattr.
Result<void> LayerWriter::apply_whiteout(archive_entry* e, std::string_view dir, std::string_view base) {
  if (base == kOpaqueMarker) {
    int dirfd = HUSK_TRY(parent_fd(dir));
    UniqueFd fd = HUSK_TRY(open_at(dirfd, ".", O_RDONLY | O_DIRECTORY));
    if (::fsetxattr(fd.get(), "trusted.overlay.opaque", "y", 1, 0) < 0)
      return fail_errno("set xattr trusted.overlay.opaque");
    return {};
  }
  if (base.starts_with(kWhiteoutMeta)) return {};
  std::string_view hidden = base.substr(kWhiteoutPrefix.size());
  if (hidden.empty() || hidden == "." || hidden == "..") return fail_code(EINVAL, "invalid whiteout name");
  int dirfd = HUSK_TRY(parent_fd(dir));
  name_.assign(hidden);
  Place at{dirfd, name_.c_str()};
  // Whatever this layer made there earlier goes first.
  HUSK_TRY(remove_existing(at));
  if (::mknodat(dirfd, at.name, S_IFCHR, makedev(0, 0)) < 0) return fail_errno("mknod whiteout " + name_);
  return set_owner(Node{-1, dirfd, at.name}, e, opts_);
}

Result<int> LayerWriter::parent_fd(std::string_view dir) {
  if (dir.empty()) return root_.get();
  if (cache_valid_ && dir == cached_dir_) return cached_fd_.get();
  cached_fd_ = HUSK_TRY(open_dir_making(std::string(dir)));
  cached_dir_.assign(dir);
  cache_valid_ = true;
  return cached_fd_.get();
}

// DIR opened O_PATH inside DEST, what is missing of it made first: a tar
// need not list an entry's parents before it. Resolved with RESOLVE_IN_ROOT,
// so a symlink on the way ("evil -> /") leads to DEST's own "/", never out.
Result<UniqueFd> LayerWriter::open_dir_making(const std::string& dir) {
  auto fd = open_in_root(root_.get(), dir, O_PATH | O_DIRECTORY);
  if (fd || fd.error().err() != ENOENT) return fd;
  auto [up, name] = split_parent(dir);
  UniqueFd upfd;
  if (!up.empty()) upfd = HUSK_TRY(open_dir_making(std::string(up)));
  int at = up.empty() ? root_.get() : upfd.get();
  std::string n(name);
  if (::mkdirat(at, n.c_str(), 0755) == 0) {
    // 0755 whatever our umask: the layer must not depend on who unpacked it.
    if (::fchmodat(at, n.c_str(), 0755, 0) < 0) return fail_errno("chmod " + dir);
  } else if (errno != EEXIST) {
    return fail_errno("mkdir " + dir);
  }
  // NOFOLLOW: a dangling symlink there is an error, not a way elsewhere.
  return open_at(at, n, O_PATH | O_DIRECTORY | O_NOFOLLOW);
}

Result<void> LayerWriter::remove_existing(Place at) {
  cache_valid_ = false;  // the cached fd stays open: the caller may hold it
  return remove_tree_at(at.dirfd, at.name);
}

// MAKE creates AT (returning < 0 with errno set on failure). A later entry
// for the same path replaces the earlier one: when AT exists, it goes (a whole
// tree if it is a directory) and MAKE runs again. Nothing is ever opened
// through an existing file, which could be a symlink or another's hard link.
template <typename Make>
Result<void> LayerWriter::create_replacing(Place at, const char* what, Make&& make) {
  if (make() >= 0) return {};
  if (errno != EEXIST) return fail_errno(what);
  HUSK_TRY(remove_existing(at));
  if (make() >= 0) return {};
  return fail_errno(what);
}

// An existing directory stays (its contents too) and takes the new metadata.
Result<void> LayerWriter::make_dir(archive_entry* e, Place at) {
  // Owner-only until finish() sets the recorded mode.
  int r = ::mkdirat(at.dirfd, at.name, 0700);
  if (r < 0 && errno == EEXIST) {
    struct stat st;
    if (::fstatat(at.dirfd, at.name, &st, AT_SYMLINK_NOFOLLOW) < 0) return fail_errno("stat");
    if (S_ISDIR(st.st_mode)) {
      r = 0;
    } else {
      HUSK_TRY(remove_existing(at));
      r = ::mkdirat(at.dirfd, at.name, 0700);
    }
  }
  if (r < 0) return fail_errno("mkdir");
  UniqueFd fd = HUSK_TRY(open_at(at.dirfd, at.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  Node n{fd.get(), at.dirfd, at.name};
  HUSK_TRY(set_owner(n, e, opts_));
  HUSK_TRY(set_xattrs(n, e));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return fail_errno("stat");
  PendingDir& d = dirs_.emplace_back();
  d.path = path_;
  d.mode = archive_entry_perm(e) & 07777;
  d.has_times = entry_times(e, d.times);
  d.dev = st.st_dev;
  d.ino = st.st_ino;
  d.depth = path_.empty() ? 0 : 1 + static_cast<size_t>(std::count(path_.begin(), path_.end(), '/'));
  return {};
}

Result<void> LayerWriter::make_file(LayerStream& stream, archive_entry* e, Place at) {
  int raw = -1;
  HUSK_TRY(create_replacing(at, "create", [&] {
    raw = ::openat(at.dirfd, at.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    return raw;
  }));
  UniqueFd fd(raw);
  HUSK_TRY(stream.copy_contents(fd.get(), archive_entry_size(e)));
  return set_metadata(Node{fd.get(), at.dirfd, at.name}, e, opts_, true);
}

// The target is kept as the archive says (absolute means the container's
// root) and never followed here.
Result<void> LayerWriter::make_symlink(archive_entry* e, Place at) {
  const char* target = archive_entry_symlink(e);
  if (!target || !*target) return fail_code(EINVAL, "symlink without a target");
  HUSK_TRY(create_replacing(at, "symlink", [&] { return ::symlinkat(target, at.dirfd, at.name); }));
  // A symlink has no mode of its own.
  return set_metadata(Node{-1, at.dirfd, at.name}, e, opts_, false);
}

// The target is an earlier entry of this layer, looked up inside DEST. The
// new name shares its inode and so its metadata: the entry's own owner,
// mode and times would only overwrite the target's.
Result<void> LayerWriter::make_hardlink(archive_entry* e, Place at) {
  std::string_view raw = archive_entry_hardlink(e);
  std::string what = "hard link to \"" + std::string(raw) + "\"";
  if (!clean_entry_path(raw, link_path_))
    return fail_code(EINVAL, "hard link target \"" + std::string(raw) + "\" leaves the layer");
  if (link_path_.empty()) return fail_code(EINVAL, what + ": the layer's root is a directory");
  auto [dir, base] = split_parent(link_path_);
  UniqueFd dirfd;
  if (!dir.empty())
    dirfd = HUSK_TRY_CTX(open_in_root(root_.get(), std::string(dir), O_PATH | O_DIRECTORY), what);
  int from = dir.empty() ? root_.get() : dirfd.get();
  std::string name(base);
  // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, as tar means.
  return create_replacing(at, what.c_str(),
                          [&] { return ::linkat(from, name.c_str(), at.dirfd, at.name, 0); });
}

// Character and block devices, fifos.
Result<void> LayerWriter::make_node(archive_entry* e, Place at, mode_t type) {
  dev_t dev = type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
  HUSK_TRY(create_replacing(at, "mknod", [&] { return ::mknodat(at.dirfd, at.name, type | 0600, dev); }));
  return set_metadata(Node{-1, at.dirfd, at.name}, e, opts_, true);
}

Result<void> LayerWriter::finish() {
  // Deepest first: a parent's restrictive mode must not stop the lookup of
  // its children. Stable, so that of two entries for one directory the
  // later wins.
  std::stable_sort(dirs_.begin(), dirs_.end(),
                   [](const PendingDir& a, const PendingDir& b) { return a.depth > b.depth; });
  for (const PendingDir& d : dirs_) {
    auto fd = open_in_root(root_.get(), d.path.empty() ? "." : d.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) {
      int err = fd.error().err();
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;  // a later entry removed it
      return fail(std::move(fd).error().context(quoted_entry(d.path)));
    }
    struct stat st;
    if (::fstat(fd->get(), &st) < 0) return fail(Error::from_errno("stat").context(quoted_entry(d.path)));
    if (st.st_dev != d.dev || st.st_ino != d.ino) continue;  // replaced by a later entry
    if (::fchmod(fd->get(), d.mode) < 0)
      return fail(Error::from_errno("chmod").context(quoted_entry(d.path)));
    if (d.has_times && ::futimens(fd->get(), d.times) < 0)
      return fail(Error::from_errno("set times").context(quoted_entry(d.path)));
  }
  return {};
}

}  // namespace husk::image
