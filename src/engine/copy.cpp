#include "engine/copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <vector>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "image/bundle.hpp"
#include "image/overlay.hpp"
#include "runtime/container.hpp"
#include "spec/config.hpp"

namespace husk::engine {

namespace {

struct Place {
  UniqueFd dir;  // the parent directory, opened
  std::string name;
};

std::string base_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string dir_name(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : p.substr(0, slash);
}

// PATH on SIDE: inside its root, or the host's.
Result<UniqueFd> open_on(const CopySide& side, const std::string& path, int flags) {
  if (side.root >= 0) return open_in_root(side.root, path, flags);
  return open_fd(path, flags);
}

Result<void> copy_entry(int sdir, const std::string& sname, int ddir, const std::string& dname,
                        const CopyOptions& opts);

Result<void> set_owner_mode_times(int fd, const struct stat& st, const CopyOptions& opts,
                                  const std::string& what) {
  uid_t uid = opts.owner ? opts.owner->first : st.st_uid;
  gid_t gid = opts.owner ? opts.owner->second : st.st_gid;
  if (::fchown(fd, uid, gid) < 0) return fail_errno("chown " + what);
  if (::fchmod(fd, st.st_mode & 07777) < 0) return fail_errno("chmod " + what);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(fd, times) < 0) return fail_errno("set times of " + what);
  return {};
}

// An existing non-directory at DDIR/DNAME goes (tar's way: replaced, never written through).
Result<void> clear_non_dir(int ddir, const std::string& dname) {
  struct stat st;
  if (::fstatat(ddir, dname.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return {};
  if (S_ISDIR(st.st_mode))
    return fail_code(EISDIR, "cannot overwrite directory \"" + dname + "\" with a non-directory");
  if (::unlinkat(ddir, dname.c_str(), 0) < 0) return fail_errno("remove " + dname);
  return {};
}

// IN (opened for reading) onto DDIR/DNAME.
Result<void> copy_file(const UniqueFd& in, const std::string& sname, const struct stat& st, int ddir,
                       const std::string& dname, const CopyOptions& opts) {
  HUSK_TRY(clear_non_dir(ddir, dname));
  UniqueFd out = HUSK_TRY(open_at(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  while (true) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 1 << 30, 0);
    if (n == 0) break;
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      return fail_errno("copy " + sname);
    // Filesystems that cannot: plain reads and writes.
    char buf[65536];
    ssize_t r;
    while ((r = ::read(in.get(), buf, sizeof buf)) > 0)
      if (auto w = write_all(out.get(), std::string_view(buf, static_cast<size_t>(r))); !w)
        return fail(Error(w.error().err(), "write " + dname));
    if (r < 0) return fail_errno("read " + sname);
    break;
  }
  return set_owner_mode_times(out.get(), st, opts, dname);
}

Result<void> copy_dir(int sdir, const std::string& sname, const struct stat& st, int ddir,
                      const std::string& dname, const CopyOptions& opts) {
  struct stat existing;
  if (::fstatat(ddir, dname.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(existing.st_mode))
    return fail_code(ENOTDIR, "cannot copy a directory onto the non-directory \"" + dname + "\"");
  if (::mkdirat(ddir, dname.c_str(), 0700) < 0 && errno != EEXIST)
    return fail_errno("create directory " + dname);
  UniqueFd from = HUSK_TRY(open_at(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  UniqueFd to = HUSK_TRY(open_at(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  for (auto& n : HUSK_TRY(dir_entries(from.get(), sname)))
    HUSK_TRY_CTX(copy_entry(from.get(), n, to.get(), n, opts), sname);
  return set_owner_mode_times(to.get(), st, opts, dname);
}

Result<void> copy_link(int sdir, const std::string& sname, const struct stat& st, int ddir,
                       const std::string& dname, const CopyOptions& opts) {
  std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
  ssize_t n = ::readlinkat(sdir, sname.c_str(), buf.data(), buf.size());
  if (n < 0) return fail_errno("readlink " + sname);
  HUSK_TRY(clear_non_dir(ddir, dname));
  if (::symlinkat(std::string(buf.data(), static_cast<size_t>(n)).c_str(), ddir, dname.c_str()) < 0)
    return fail_errno("symlink " + dname);
  uid_t uid = opts.owner ? opts.owner->first : st.st_uid;
  gid_t gid = opts.owner ? opts.owner->second : st.st_gid;
  if (::fchownat(ddir, dname.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) return fail_errno("chown " + dname);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  (void)::utimensat(ddir, dname.c_str(), times, AT_SYMLINK_NOFOLLOW);
  return {};
}

Result<void> copy_entry(int sdir, const std::string& sname, int ddir, const std::string& dname,
                        const CopyOptions& opts) {
  struct stat st;
  if (::fstatat(sdir, sname.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return fail_errno("stat " + sname);
  if (S_ISDIR(st.st_mode)) return copy_dir(sdir, sname, st, ddir, dname, opts);
  if (S_ISREG(st.st_mode))
    return copy_file(HUSK_TRY(open_at(sdir, sname, O_RDONLY | O_NOFOLLOW)), sname, st, ddir, dname, opts);
  if (S_ISLNK(st.st_mode)) return copy_link(sdir, sname, st, ddir, dname, opts);
  if (S_ISSOCK(st.st_mode)) return {};  // as tar: a socket is nothing to copy
  HUSK_TRY(clear_non_dir(ddir, dname));
  if (::mknodat(ddir, dname.c_str(), st.st_mode, st.st_rdev) < 0) return fail_errno("mknod " + dname);
  uid_t uid = opts.owner ? opts.owner->first : st.st_uid;
  gid_t gid = opts.owner ? opts.owner->second : st.st_gid;
  if (::fchownat(ddir, dname.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) return fail_errno("chown " + dname);
  return {};
}

// The source: its parent opened on its side and its name; "X/." is X's contents.
struct Source {
  Place place;
  bool contents = false;  // SRC ended in "/."
  bool is_dir = false;
};

Result<Source> resolve_source(const CopySide& src, bool follow_link) {
  Source s;
  std::string path = src.path;
  if (path.ends_with("/.") || path == ".") {
    s.contents = true;
    path = path.size() > 2 ? path.substr(0, path.size() - 2) : (path == "." ? "." : "/");
  }
  if (follow_link || s.contents || base_name(path) == "/") {
    // The path itself, its last symlink followed (inside the root).
    UniqueFd target = HUSK_TRY_CTX(open_on(src, path, O_PATH), src.path);
    struct stat st;
    if (::fstat(target.get(), &st) < 0) return fail_errno("stat " + src.path);
    s.is_dir = S_ISDIR(st.st_mode);
    if (s.contents && !s.is_dir) return fail_code(ENOTDIR, "not a directory: " + src.path);
    // A directory is copied from "." of itself; a file through the opened target ("").
    s.place = {std::move(target), s.is_dir ? "." : ""};
    return s;
  }
  s.place = {HUSK_TRY_CTX(open_on(src, dir_name(path), O_PATH | O_DIRECTORY), src.path), base_name(path)};
  struct stat st;
  if (::fstatat(s.place.dir.get(), s.place.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
    return fail_errno("stat " + src.path);
  s.is_dir = S_ISDIR(st.st_mode);
  return s;
}

}  // namespace

Result<void> copy_path(const CopySide& src, const CopySide& dst, const CopyOptions& opts) {
  auto s = HUSK_TRY(resolve_source(src, opts.follow_link));
  // DST an existing directory (a symlink to one included, inside the root)?
  auto as_dir = open_on(dst, dst.path, O_PATH | O_DIRECTORY);
  Place to;
  if (as_dir) {
    if (s.contents) {
      // Into DST itself: each entry of SRC by its name.
      UniqueFd from = HUSK_TRY(open_at(s.place.dir.get(), s.place.name, O_RDONLY | O_DIRECTORY));
      for (auto& n : HUSK_TRY(dir_entries(from.get(), src.path)))
        HUSK_TRY(copy_entry(from.get(), n, as_dir->get(), n, opts));
      return {};
    }
    to = {std::move(*as_dir), base_name(src.path)};
  } else {
    if (as_dir.error().err() != ENOENT && as_dir.error().err() != ENOTDIR)
      return fail(std::move(as_dir).error());
    if (as_dir.error().err() == ENOENT && dst.path.ends_with("/") && !s.is_dir)
      return fail_code(ENOENT, "no such directory: " + dst.path);
    if (as_dir.error().err() == ENOTDIR && s.is_dir)
      return fail_code(ENOTDIR, "cannot copy a directory to a file: " + dst.path);
    to = {HUSK_TRY_CTX(open_on(dst, dir_name(dst.path), O_PATH | O_DIRECTORY), dst.path),
          base_name(dst.path)};
  }
  if (s.place.name.empty()) {
    // -L to a file: what the link leads to, reopened for reading.
    struct stat st;
    if (::fstat(s.place.dir.get(), &st) < 0) return fail_errno("stat " + src.path);
    UniqueFd in = HUSK_TRY(open_fd(fd_path(s.place.dir.get()), O_RDONLY));
    return copy_file(in, src.path, st, to.dir.get(), to.name, opts);
  }
  return copy_entry(s.place.dir.get(), s.place.name, to.dir.get(), to.name, opts);
}

Result<ContainerRoot> ContainerRoot::open(const Engine& eng, const ContainerRecord& rec) {
  ContainerRoot r;
  ContainerStore cs = eng.containers();
  if (auto cfg = spec::load_config(cs.bundle_dir(rec.id) + "/config.json")) {
    for (auto& m : cfg->linux.uid_mappings)
      if (m.container_id == 0) r.owner_.first = m.host_id;
    for (auto& m : cfg->linux.gid_mappings)
      if (m.container_id == 0) r.owner_.second = m.host_id;
  }
  auto live = eng.live_status(rec);
  if (live == LiveStatus::running || live == LiveStatus::paused) {
    auto state = HUSK_TRY(runtime::container_state(eng.runtime_context(), rec.id));
    r.fd_ = HUSK_TRY(open_fd("/proc/" + std::to_string(state.pid) + "/root", O_PATH | O_DIRECTORY));
    return r;
  }
  HUSK_TRY(r.open_rootfs(eng, rec));  // stopped
  return r;
}

Result<ContainerRoot> ContainerRoot::open_filesystem(const Engine& eng, const ContainerRecord& rec) {
  ContainerRoot r;
  HUSK_TRY(r.open_rootfs(eng, rec));
  return r;
}

Result<void> ContainerRoot::open_rootfs(const Engine& eng, const ContainerRecord& rec) {
  ContainerStore cs = eng.containers();
  std::string rootfs = cs.bundle_dir(rec.id) + "/rootfs";
  struct stat mine, parent;
  bool mounted = ::stat(rootfs.c_str(), &mine) == 0 && ::stat(cs.bundle_dir(rec.id).c_str(), &parent) == 0 &&
                 mine.st_dev != parent.st_dev;
  if (!mounted) {
    auto img = HUSK_TRY(eng.images().find_image(rec.image_id));
    HUSK_TRY(image::remount_bundle(eng.images(), img, rec.id, cs.bundle_dir(rec.id)));
    mounted_ = rootfs;
  }
  fd_ = HUSK_TRY(open_fd(rootfs, O_PATH | O_DIRECTORY));
  return {};
}

ContainerRoot::~ContainerRoot() {
  fd_.reset();
  if (!mounted_.empty()) (void)image::unmount_overlay(mounted_);
}

}  // namespace husk::engine
