#include "linux/rootfs.hpp"

#include <dirent.h>

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <algorithm>
#include <optional>
#include <span>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "linux/devices.hpp"
#include "linux/idmap.hpp"
#include "linux/lsm.hpp"
#include "linux/mount_options.hpp"

namespace husk::linux {
namespace {

// MS_* flags that map onto mount_setattr attributes for a bind.
uint64_t attrs_from_flags(unsigned long flags) {
  uint64_t a = 0;
  if (flags & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NOATIME) a |= MOUNT_ATTR_NOATIME;
  if (flags & MS_STRICTATIME) a |= MOUNT_ATTR_STRICTATIME;
  if (flags & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW) a |= MOUNT_ATTR_NOSYMFOLLOW;
  return a;
}

// A bind made as a detached tree, its attributes set before it is
// attached: no window where it is visible writable, and flags locked by a
// user namespace stay as they were. IDMAP_USERNS (-1: none): the user
// namespace whose maps id-map it (O.recursive_idmap: every mount of it).
Result<UniqueFd> bind_tree(Kernel& k, const std::string& source, const MountOptions& o,
                           const std::string& dest, int idmap_userns = -1) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (o.recursive_bind) flags |= AT_RECURSIVE;
  UniqueFd tree(k.open_tree(AT_FDCWD, source.c_str(), flags));
  if (!tree) return fail_errno("bind " + source + " on " + dest);
  struct mount_attr attr = {};
  attr.attr_set = attrs_from_flags(o.flags);
  // An atime mode asked for replaces the source's; none keeps it (as a
  // remount without one does).
  uint64_t atime_clr = (o.flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) ? MOUNT_ATTR__ATIME : 0;
  if (attr.attr_set || atime_clr) {
    // Plain options act on the top mount only, and, as runc's remount, they
    // are the mount's whole set: the source's ro, nosuid, ... go unless
    // asked for again (a bind with no such option keeps them all).
    attr.attr_clr = (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                     MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW) &
                    ~attr.attr_set;
    attr.attr_clr |= atime_clr;
    if (k.mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr) < 0) {
      // Flags a user namespace locked (the host's ro, nosuid, ...) cannot
      // be cleared: keep them and add what was asked.
      if (errno != EPERM) return fail_errno("set options on bind of " + source + " at " + dest);
      attr.attr_clr = atime_clr;
      if (k.mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr) < 0)
        return fail_errno("set options on bind of " + source + " at " + dest);
    }
  }
  if (o.rec_attr_set || o.rec_attr_clr) {
    struct mount_attr rattr = {};
    rattr.attr_set = o.rec_attr_set;
    rattr.attr_clr = o.rec_attr_clr;
    if (k.mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &rattr) < 0)
      return fail_errno("set recursive options on bind of " + source + " at " + dest);
  }
  if (idmap_userns >= 0) {
    struct mount_attr iattr = {};
    iattr.attr_set = MOUNT_ATTR_IDMAP;
    iattr.userns_fd = static_cast<uint64_t>(idmap_userns);
    if (k.mount_setattr(tree.get(), "", AT_EMPTY_PATH | (o.recursive_idmap ? AT_RECURSIVE : 0), &iattr) < 0)
      return fail_errno("id-map the bind of " + source + " at " + dest +
                        (errno == EINVAL ? " (its filesystem cannot be id-mapped, or it is already)" : ""));
  }
  return tree;
}

Result<void> attach_tree(Kernel& k, int tree, int target_fd, const std::string& source,
                         const std::string& dest) {
  if (k.move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return fail_errno("attach bind of " + source + " at " + dest);
  return {};
}

Result<void> bind_mount(Kernel& k, const std::string& source, int target_fd, const MountOptions& o,
                        const std::string& dest) {
  auto tree = HUSK_TRY(bind_tree(k, source, o, dest));
  return attach_tree(k, tree.get(), target_fd, source, dest);
}

// A bind's source: a relative one is the bundle's.
std::string bind_source(const spec::Mount& m, const std::string& bundle) {
  if (!m.source.empty() && m.source[0] != '/') return bundle + "/" + m.source;
  return m.source;
}

// The bytes of IN into OUT: copy_file_range where the kernel can (it
// refuses across filesystems, e.g. overlayfs to ext4), read/write otherwise.
Result<void> copy_file_data(int in, int out) {
  for (;;) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n == 0) return {};
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      return fail_errno("copy_file_range");
    break;
  }
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n == 0) return {};
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read");
    }
    HUSK_TRY(write_all(out, std::string_view(buf, static_cast<size_t>(n))));
  }
}

}  // namespace

Result<void> copy_tree(int src, int dst) {
  int dup_fd = ::openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return fail_errno("open directory to copy");
  DIR* d = ::fdopendir(dup_fd);
  if (!d) {
    ::close(dup_fd);
    return fail_errno("read directory to copy");
  }
  Result<void> r;
  while (auto* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      r = fail_errno("stat " + name);
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst, name.c_str(), st.st_mode & 07777) < 0 && errno != EEXIST) {
        r = fail_errno("mkdir " + name);
        break;
      }
      UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd t(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!s || !t) {
        r = fail_errno("open " + name);
        break;
      }
      r = copy_tree(s.get(), t.get());
      if (!r) break;
    } else if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX];
      ssize_t n = ::readlinkat(src, name.c_str(), buf, sizeof buf - 1);
      if (n < 0) {
        r = fail_errno("readlink " + name);
        break;
      }
      buf[n] = 0;
      if (::symlinkat(buf, dst, name.c_str()) < 0) {
        r = fail_errno("symlink " + name);
        break;
      }
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd in(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      UniqueFd out(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777));
      if (!in || !out) {
        r = fail_errno("copy " + name);
        break;
      }
      r = copy_file_data(in.get(), out.get());
      if (!r) {
        r = fail(std::move(r).error().context("copy " + name));
        break;
      }
    } else {
      if (::mknodat(dst, name.c_str(), st.st_mode, st.st_rdev) < 0) {
        r = fail_errno("mknod " + name);
        break;
      }
    }
    (void)::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
  }
  ::closedir(d);
  return r;
}

namespace {

Result<void> require_plain_directory(int rootfd, const std::string& dest, const std::string& type) {
  auto existing = open_in_root(rootfd, dest, O_PATH | O_NOFOLLOW);
  if (!existing) {
    if (existing.error().err() == ENOENT) return {};
    return fail(std::move(existing).error());
  }
  struct stat st;
  if (::fstat(existing->get(), &st) < 0) return fail_errno("stat " + dest);
  if (!S_ISDIR(st.st_mode))
    return fail_code(ENOTDIR,
                     "filesystem \"" + type + "\" must be mounted on ordinary directory (" + dest + ")");
  return {};
}

// DEST's top mount made read-only (its other flags as they are).
Result<void> make_read_only(Kernel& k, int rootfd, const std::string& dest) {
  auto top = HUSK_TRY(open_in_root(rootfd, dest, O_PATH | O_DIRECTORY));
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (k.mount_setattr(top.get(), "", AT_EMPTY_PATH, &attr) < 0)
    return fail_errno("make " + dest + " read-only");
  return {};
}

// Whether DATA (comma-joined filesystem options) sets NAME=...
bool has_data_option(const std::string& data, std::string_view name) {
  for (auto& opt : split(data, ','))
    if (opt.size() > name.size() && opt.starts_with(name) && opt[name.size()] == '=') return true;
  return false;
}

Result<void> mount_cgroup_views(Kernel& k, int rootfd, const std::string& dest, const MountOptions& o,
                                const RootfsSpec& spec) {
  // Pure v2 with its own cgroup namespace: the real thing.
  if (spec.cgroups.size() == 1 && spec.cgroups[0].name.empty()) {
    auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, true));
    if (spec.new_cgroup_namespace) {
      if (k.mount("cgroup2", fd_path(target.get()).c_str(), "cgroup2", o.flags, nullptr) < 0)
        return fail_errno("mount cgroup2 on " + dest);
      return {};
    }
    MountOptions b = o;
    b.bind = true;
    return bind_mount(k, spec.cgroups[0].host_dir, target.get(), b, dest);
  }
  // v1 and hybrid: a tmpfs laid out like the host's, each hierarchy a bind
  // of the container's own cgroup directory.
  auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, true));
  if (k.mount("tmpfs", fd_path(target.get()).c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") <
      0)
    return fail_errno("mount tmpfs on " + dest);
  MountOptions b = o;
  b.bind = true;
  for (auto& view : spec.cgroups) {
    auto sub = HUSK_TRY(ensure_path_in_root(rootfd, dest + "/" + view.name, true));
    HUSK_TRY(bind_mount(k, view.host_dir, sub.get(), b, dest + "/" + view.name));
  }
  if (o.flags & MS_RDONLY) {
    auto top = HUSK_TRY(open_in_root(rootfd, dest, O_PATH | O_DIRECTORY));
    if (k.mount(nullptr, fd_path(top.get()).c_str(), nullptr,
                MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
      return fail_errno("remount " + dest + " read-only");
  }
  return {};
}

unsigned long copied_mounts_propagation(const spec::Config& c);

Result<void> mount_one(Kernel& k, int rootfd, const spec::Mount& m, const RootfsSpec& spec, size_t index) {
  auto o = HUSK_TRY(parse_mount_options(m.options));
  std::string dest = clean_path(m.destination);
  bool bind = o.bind || m.type == "bind";
  if (auto prepared = spec.prepared_binds.find(index); prepared != spec.prepared_binds.end()) {
    // Made by the runtime (an id-mapped bind): only attached here.
    struct stat st;
    if (::fstat(prepared->second, &st) < 0) return fail_errno("stat the prepared bind for " + dest);
    auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, S_ISDIR(st.st_mode)));
    HUSK_TRY(attach_tree(k, prepared->second, target.get(), m.source, dest));
    // Cloned in the host's namespace, it is still a peer of the host's
    // shared mounts: it becomes what the container's other copies are.
    auto top = HUSK_TRY(open_in_root(rootfd, dest, O_PATH));
    if (k.mount(nullptr, fd_path(top.get()).c_str(), nullptr, copied_mounts_propagation(*spec.config),
                nullptr) < 0)
      return fail_errno("set propagation of " + dest);
  } else if (bind) {
    if (is_idmapped_bind(m))
      return fail_code(EINVAL, "an id-mapped bind the runtime did not prepare (prepare_binds)");
    o.bind = true;
    std::string source = bind_source(m, spec.bundle);
    struct stat st;
    if (::stat(source.c_str(), &st) < 0) return fail_errno("bind source " + source + " for " + dest);
    auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, S_ISDIR(st.st_mode)));
    HUSK_TRY(bind_mount(k, source, target.get(), o, dest));
  } else if (m.type == "cgroup" || m.type == "cgroup2") {
    if (spec.await_cgroup) HUSK_TRY(spec.await_cgroup());
    HUSK_TRY(mount_cgroup_views(k, rootfd, dest, o, spec));
  } else {
    // proc and sysfs never go through a symlink (runc's rule, after the
    // attacks that swapped /proc for a link).
    if (m.type == "proc" || m.type == "sysfs") HUSK_TRY(require_plain_directory(rootfd, dest, m.type));
    // A tmpfs on an existing directory keeps that directory's mode (runc),
    // unless mode= asks for another; a new one gets tmpfs' own 1777.
    std::optional<mode_t> keep_mode;
    if (m.type == "tmpfs" && !has_data_option(o.data, "mode"))
      if (auto existing = open_in_root(rootfd, dest, O_PATH | O_DIRECTORY)) {
        struct stat st;
        if (::fstat(existing->get(), &st) == 0) keep_mode = st.st_mode & 07777;
      }
    auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, true));
    UniqueFd below;
    if (o.tmpcopyup) below = UniqueFd(::openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::string type = m.type.empty() ? "none" : m.type;
    // proc and sysfs take no context= option; tmpfs, mqueue, devpts do.
    std::string labeled = type == "proc" || type == "sysfs" ? o.data : with_mount_label(o.data, spec.mount_label);
    const char* data = labeled.empty() ? nullptr : labeled.c_str();
    // A read-only tmpfs (and /dev) turns read-only once filled: after its
    // mode, copy-up, and for /dev its devices, devpts and console
    // (finalize_rootfs).
    bool late_ro = (o.flags & MS_RDONLY) && (type == "tmpfs" || dest == "/dev");
    unsigned long flags = late_ro ? o.flags & ~MS_RDONLY : o.flags;
    if (k.mount(m.source.c_str(), fd_path(target.get()).c_str(), type.c_str(), flags, data) < 0) {
      int err = errno;
      // In a user namespace that does not own the network (or ipc)
      // namespace, sysfs (mqueue) cannot be mounted: bind the host's, as runc does.
      if (err == EPERM && spec.in_user_namespace && (type == "sysfs" || type == "mqueue")) {
        MountOptions b = o;
        b.bind = b.recursive_bind = true;
        b.flags |= MS_NOSUID | MS_NODEV | MS_NOEXEC;
        HUSK_TRY(bind_mount(k, type == "sysfs" ? "/sys" : "/dev/mqueue", target.get(), b, dest));
      } else {
        return fail_code(err, "mount " + type + " on " + dest);
      }
    }
    if (below) {
      auto top = HUSK_TRY(open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY));
      HUSK_TRY_CTX(copy_tree(below.get(), top.get()), "tmpcopyup " + dest);
    }
    if (keep_mode) {
      auto top = HUSK_TRY(open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY));
      if (::fchmod(top.get(), *keep_mode) < 0) return fail_errno("chmod tmpfs on " + dest);
    }
    if (late_ro && dest != "/dev") HUSK_TRY(make_read_only(k, rootfd, dest));
  }
  if (o.propagation) {
    auto top = HUSK_TRY(open_in_root(rootfd, dest, O_PATH));
    if (k.mount(nullptr, fd_path(top.get()).c_str(), nullptr, o.propagation, nullptr) < 0)
      return fail_errno("set propagation of " + dest);
  }
  if (!bind && (o.rec_attr_set || o.rec_attr_clr)) {
    auto top = HUSK_TRY(open_in_root(rootfd, dest, O_PATH));
    struct mount_attr attr = {};
    attr.attr_set = o.rec_attr_set;
    attr.attr_clr = o.rec_attr_clr;
    if (k.mount_setattr(top.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
      return fail_errno("set recursive options on " + dest);
  }
  return {};
}

bool dev_is_bind_of_host(const spec::Config& c) {
  for (auto& m : c.mounts)
    if (clean_path(m.destination) == "/dev" &&
        (m.type == "bind" || std::find(m.options.begin(), m.options.end(), "bind") != m.options.end() ||
         std::find(m.options.begin(), m.options.end(), "rbind") != m.options.end()))
      return true;
  return false;
}

unsigned long propagation_flags(const std::string& p) {
  if (p == "shared") return MS_SHARED;
  if (p == "rshared") return MS_SHARED | MS_REC;
  if (p == "slave") return MS_SLAVE;
  if (p == "rslave") return MS_SLAVE | MS_REC;
  if (p == "private") return MS_PRIVATE;
  if (p == "rprivate") return MS_PRIVATE | MS_REC;
  if (p == "unbindable") return MS_UNBINDABLE;
  if (p == "runbindable") return MS_UNBINDABLE | MS_REC;
  return 0;
}

// What the mounts copied from the host become in the container: rslave
// unless rootfsPropagation asks for shared (kept as it is), private or slave.
unsigned long copied_mounts_propagation(const spec::Config& c) {
  unsigned long wanted = propagation_flags(c.linux.rootfs_propagation);
  if (wanted & MS_SHARED) return wanted;
  if (wanted & (MS_PRIVATE | MS_SLAVE)) return wanted | MS_REC;
  return MS_SLAVE | MS_REC;
}

}  // namespace

namespace {

// Where FD is inside the root ROOTFD ("/" for the root itself), from their
// /proc/self/fd links: what a relative symlink in FD is relative to.
Result<std::string> path_in_root(int rootfd, int fd) {
  std::string root = HUSK_TRY(read_link(fd_path(rootfd)));
  std::string p = HUSK_TRY(read_link(fd_path(fd)));
  if (root == "/") return clean_path(p);
  if (p != root && !p.starts_with(root + "/")) return fail_code(EXDEV, p + " is outside the rootfs " + root);
  return clean_path(p.substr(root.size()));
}

// The path a dangling symlink NAME in PARENT stands for, inside the root,
// with REST (the components after it) appended; nullopt when NAME is no
// symlink. ".." in the link stops at the root, as RESOLVE_IN_ROOT does.
Result<std::optional<std::string>> expand_link(int rootfd, int parent, const std::string& name,
                                               std::span<const std::string> rest) {
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(parent, name.c_str(), buf, sizeof buf);
  if (n < 0 || static_cast<size_t>(n) == sizeof buf) return std::optional<std::string>();
  std::string path(buf, static_cast<size_t>(n));
  if (path[0] != '/') path = HUSK_TRY(path_in_root(rootfd, parent)) + "/" + path;
  for (auto& r : rest) path += "/" + r;
  return std::optional<std::string>(clean_path(path));
}

Result<UniqueFd> ensure_path_in_root(int rootfd, const std::string& path, bool dir, int links) {
  std::string clean = clean_path(path);
  if (clean == "/") return open_at(rootfd, ".", O_PATH | O_DIRECTORY);
  if (auto existing = open_in_root(rootfd, clean, O_PATH); existing)
    return existing;
  else if (existing.error().err() != ENOENT)
    return existing;

  auto parts = split(clean.substr(1), '/');
  UniqueFd parent = HUSK_TRY(open_at(rootfd, ".", O_PATH | O_DIRECTORY));
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    prefix += "/" + parts[i];
    bool last = i + 1 == parts.size();
    auto next = open_in_root(rootfd, prefix, O_PATH | (last ? 0 : O_DIRECTORY));
    if (next) {
      parent = std::move(*next);
      continue;
    }
    if (next.error().err() != ENOENT) return fail(std::move(next).error());
    // A symlink to something missing: what it names is made, inside the
    // root (as runc does), not refused and never followed out of it.
    auto target = HUSK_TRY(expand_link(rootfd, parent.get(), parts[i], std::span(parts).subspan(i + 1)));
    if (target) {
      if (links >= 40) return fail_code(ELOOP, "create " + clean + " in rootfs");
      return ensure_path_in_root(rootfd, *target, dir, links + 1);
    }
    // The parent was resolved inside the root, so creating relative to it
    // cannot land outside, whatever symlinks the image holds.
    if (!last || dir) {
      if (::mkdirat(parent.get(), parts[i].c_str(), 0755) < 0 && errno != EEXIST)
        return fail_errno("mkdir " + prefix + " in rootfs");
    } else {
      int fd = ::openat(parent.get(), parts[i].c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0644);
      if (fd < 0 && errno != EEXIST) return fail_errno("create " + prefix + " in rootfs");
      if (fd >= 0) ::close(fd);
    }
    parent = HUSK_TRY(open_in_root(rootfd, prefix, O_PATH | (last && !dir ? 0 : O_DIRECTORY)));
  }
  return parent;
}

// mountinfo escapes spaces and friends as \040 etc.
std::string unescape_mount_point(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}

// The mount PATH is on, from /proc/self/mountinfo: its mount point and
// whether it is shared (an optional field "shared:N").
struct MountOf {
  std::string mount_point;
  bool shared = false;
};

Result<MountOf> mount_of(const std::string& path) {
  struct statx stx = {};
  if (::statx(AT_FDCWD, path.c_str(), 0, STATX_MNT_ID, &stx) < 0) return fail_errno("statx " + path);
  if (!(stx.stx_mask & STATX_MNT_ID)) return fail_code(ENOTSUP, "statx " + path + ": no mount id");
  std::string info = HUSK_TRY(read_file("/proc/self/mountinfo"));
  std::string id = std::to_string(stx.stx_mnt_id);
  for (auto& line : split(info, '\n')) {
    auto fields = split(line, ' ');
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    if (fields.size() < 7 || fields[0] != id) continue;
    MountOf m;
    m.mount_point = unescape_mount_point(fields[4]);
    for (size_t i = 6; i < fields.size() && fields[i] != "-"; ++i)
      if (fields[i].starts_with("shared:")) m.shared = true;
    return m;
  }
  return fail_code(ENOENT, "mount of " + path + " (id " + id + ") not in /proc/self/mountinfo");
}

Result<void> make_parent_mount_private(Kernel& k, const std::string& rootfs) {
  auto m = HUSK_TRY_CTX(mount_of(rootfs), "find the mount of rootfs");
  if (!m.shared) return {};
  if (k.mount(nullptr, m.mount_point.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
    return fail_errno("make " + m.mount_point + " (the rootfs's mount) private");
  return {};
}

}  // namespace

Result<UniqueFd> ensure_path_in_root(int rootfd, const std::string& path, bool dir) {
  return ensure_path_in_root(rootfd, path, dir, 0);
}

Result<UniqueFd> prepare_rootfs(Kernel& k, const RootfsSpec& spec) {
  const auto& c = *spec.config;
  // The mounts we copied from the host: rslave by default, so nothing the
  // container mounts reaches the host. rshared keeps the host's shared
  // mounts as peers (Kubernetes' Bidirectional propagation); private and
  // slave are applied as asked. Unbindable waits until after the rootfs
  // self-bind (an unbindable source cannot be bound) and pivot_root.
  unsigned long prop = copied_mounts_propagation(c);
  if (k.mount(nullptr, "/", nullptr, prop, nullptr) < 0) return fail_errno("set propagation of /");
  // Only what pivot_root needs is made private: the mount holding the
  // rootfs, when shared (the self-bind would reach its peers, and
  // pivot_root refuses a shared parent).
  HUSK_TRY(make_parent_mount_private(k, spec.rootfs));
  if (k.mount(spec.rootfs.c_str(), spec.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return fail_errno("bind rootfs " + spec.rootfs);

  UniqueFd rootfd = HUSK_TRY(open_fd(spec.rootfs, O_PATH | O_DIRECTORY));
  for (size_t i = 0; i < c.mounts.size(); ++i)
    HUSK_TRY_CTX(mount_one(k, rootfd.get(), c.mounts[i], spec, i),
                 "mount " + clean_path(c.mounts[i].destination));
  if (spec.await_cgroup) HUSK_TRY(spec.await_cgroup());

  if (!dev_is_bind_of_host(c)) {
    auto devices = default_devices();
    devices.insert(devices.end(), c.linux.devices.begin(), c.linux.devices.end());
    HUSK_TRY_CTX(create_devices(k, rootfd.get(), devices, spec.in_user_namespace), "create devices");
    HUSK_TRY_CTX(create_dev_symlinks(rootfd.get()), "create /dev symlinks");
  } else if (!c.linux.devices.empty()) {
    HUSK_TRY_CTX(create_devices(k, rootfd.get(), c.linux.devices, spec.in_user_namespace), "create devices");
  }
  return rootfd;
}

Result<void> enter_rootfs(Kernel& k, const RootfsSpec& spec) {
  if (k.chdir(spec.rootfs.c_str()) < 0) return fail_errno("chdir " + spec.rootfs);
  if (spec.no_pivot) {
    if (k.mount(spec.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
      return fail_errno("move rootfs to /");
    if (k.chroot(".") < 0) return fail_errno("chroot");
    if (k.chdir("/") < 0) return fail_errno("chdir /");
    return {};
  }
  UniqueFd oldroot = HUSK_TRY(open_fd("/", O_DIRECTORY | O_RDONLY));
  // pivot_root(".", "."): the old root ends up stacked under the new one,
  // where it can be detached without needing a directory for it.
  if (k.pivot_root(".", ".") < 0) return fail_errno("pivot_root");
  if (k.fchdir(oldroot.get()) < 0) return fail_errno("fchdir old root");
  // Detaching must not propagate back to the host.
  if (k.mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    return fail_errno("make old root slave");
  if (k.umount2(".", MNT_DETACH) < 0) return fail_errno("detach old root");
  if (k.chdir("/") < 0) return fail_errno("chdir /");
  return {};
}

Result<void> mount_console(Kernel& k, const std::string& slave_path) {
  UniqueFd root = HUSK_TRY(open_fd("/", O_PATH | O_DIRECTORY));
  auto target = HUSK_TRY(ensure_path_in_root(root.get(), "/dev/console", false));
  if (k.mount(slave_path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
    return fail_errno("bind " + slave_path + " on /dev/console");
  return {};
}

Result<void> finalize_rootfs(Kernel& k, const RootfsSpec& spec) {
  const auto& c = *spec.config;
  // A read-only /dev was mounted writable for its devices, devpts, console.
  for (auto& m : c.mounts) {
    if (clean_path(m.destination) != "/dev") continue;
    auto o = HUSK_TRY(parse_mount_options(m.options));
    if ((o.flags & MS_RDONLY) && !o.bind && m.type != "bind") {
      UniqueFd root = HUSK_TRY(open_fd("/", O_PATH | O_DIRECTORY));
      HUSK_TRY(make_read_only(k, root.get(), "/dev"));
    }
  }
  for (auto& [key, value] : c.linux.sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    HUSK_TRY_CTX(write_file(path, value), "sysctl " + key);
  }
  for (auto& p : c.linux.readonly_paths) {
    if (!path_exists(p)) continue;
    if (k.mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
      return fail_errno("bind readonly path " + p);
    struct statvfs sv;
    unsigned long keep = 0;
    if (::statvfs(p.c_str(), &sv) == 0)
      keep = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
    if (k.mount(nullptr, p.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) < 0)
      return fail_errno("remount " + p + " read-only");
  }
  for (auto& p : c.linux.masked_paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (k.mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, nullptr) < 0) return fail_errno("mask " + p);
    } else if (k.mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      return fail_errno("mask " + p);
    }
  }
  if (c.root.readonly) {
    struct statvfs sv;
    unsigned long keep = 0;
    if (::statvfs("/", &sv) == 0) keep = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (k.mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) < 0)
      return fail_errno("remount / read-only");
  }
  if (auto p = propagation_flags(c.linux.rootfs_propagation); p) {
    if (k.mount(nullptr, "/", nullptr, p, nullptr) < 0) return fail_errno("set rootfs propagation");
  }
  return {};
}

bool is_idmapped_bind(const spec::Mount& m) {
  if (!m.uid_mappings.empty() || !m.gid_mappings.empty()) return true;
  return std::ranges::any_of(m.options, [](const std::string& o) { return o == "idmap" || o == "ridmap"; });
}

Result<std::map<size_t, UniqueFd>> prepare_binds(Kernel& k, const spec::Config& c, const std::string& bundle,
                                                 bool every_bind) {
  std::map<size_t, UniqueFd> out;
  for (size_t i = 0; i < c.mounts.size(); ++i) {
    const spec::Mount& m = c.mounts[i];
    bool idmapped = is_idmapped_bind(m);
    std::string dest = clean_path(m.destination);
    auto o = HUSK_TRY_CTX(parse_mount_options(m.options), "mount " + dest);
    bool bind = o.bind || m.type == "bind";
    if (idmapped && !bind)
      return fail_code(EINVAL,
                       "mount " + dest + ": id-mapped mounts are only for binds (type " + m.type + ")");
    if (!bind || (!idmapped && !every_bind)) continue;
    o.bind = true;
    UniqueFd userns;
    if (idmapped) {
      // runc's rule: a mapping of the mount's own, or the container's.
      auto uids = m.uid_mappings.empty() ? c.linux.uid_mappings : m.uid_mappings;
      auto gids = m.gid_mappings.empty() ? c.linux.gid_mappings : m.gid_mappings;
      if (uids.empty() || gids.empty())
        return fail_code(EINVAL, "mount " + dest +
                                     ": an id-mapped bind needs uidMappings and gidMappings, on the mount or "
                                     "for the container's user namespace");
      o.idmap = true;  // mappings alone ask for it
      userns = HUSK_TRY_CTX(user_namespace_fd(uids, gids), "mount " + dest);
    }
    out.emplace(i, HUSK_TRY_CTX(bind_tree(k, bind_source(m, bundle), o, dest, userns ? userns.get() : -1),
                                "mount " + dest));
  }
  return out;
}

}  // namespace husk::linux
