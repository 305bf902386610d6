#include "linux/rootfs.hpp"

#include <dirent.h>

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <optional>
#include <span>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "linux/devices.hpp"
#include "linux/lsm.hpp"
#include "linux/mount_options.hpp"

namespace husk::linux {
namespace {

int sys_open_tree(int dfd, const char* path, unsigned flags) {
  return static_cast<int>(::syscall(SYS_open_tree, dfd, path, flags));
}
int sys_move_mount(int from_dfd, const char* from, int to_dfd, const char* to, unsigned flags) {
  return static_cast<int>(::syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags));
}
int sys_mount_setattr(int dfd, const char* path, unsigned flags, struct mount_attr* attr) {
  return static_cast<int>(::syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof *attr));
}

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

// A bind mount made as a detached tree, its attributes set before it is
// attached: no window where it is visible writable, and flags locked by a
// user namespace stay as they were.
Result<void> bind_mount(const std::string& source, int target_fd, const MountOptions& o,
                        const std::string& dest) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
  if (o.recursive_bind) flags |= AT_RECURSIVE;
  UniqueFd tree(sys_open_tree(AT_FDCWD, source.c_str(), flags));
  if (!tree) return fail_errno("bind " + source + " on " + dest);
  struct mount_attr attr = {};
  attr.attr_set = attrs_from_flags(o.flags);
  if (attr.attr_set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME)) attr.attr_clr = MOUNT_ATTR__ATIME;
  if (attr.attr_set || attr.attr_clr) {
    // Plain options act on the top mount only, as with mount(2) remount.
    if (sys_mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr) < 0)
      return fail_errno("set options on bind of " + source + " at " + dest);
  }
  if (o.rec_attr_set || o.rec_attr_clr) {
    struct mount_attr rattr = {};
    rattr.attr_set = o.rec_attr_set;
    rattr.attr_clr = o.rec_attr_clr;
    if (sys_mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &rattr) < 0)
      return fail_errno("set recursive options on bind of " + source + " at " + dest);
  }
  if (sys_move_mount(tree.get(), "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return fail_errno("attach bind of " + source + " at " + dest);
  return {};
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

Result<void> mount_cgroup_views(int rootfd, const std::string& dest, const MountOptions& o,
                                const RootfsSpec& spec) {
  // Pure v2 with its own cgroup namespace: the real thing.
  if (spec.cgroups.size() == 1 && spec.cgroups[0].name.empty()) {
    auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, true));
    if (spec.new_cgroup_namespace) {
      if (::mount("cgroup2", fd_path(target.get()).c_str(), "cgroup2", o.flags, nullptr) < 0)
        return fail_errno("mount cgroup2 on " + dest);
      return {};
    }
    MountOptions b = o;
    b.bind = true;
    return bind_mount(spec.cgroups[0].host_dir, target.get(), b, dest);
  }
  // v1 and hybrid: a tmpfs laid out like the host's, each hierarchy a bind
  // of the container's own cgroup directory.
  auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, true));
  if (::mount("tmpfs", fd_path(target.get()).c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") <
      0)
    return fail_errno("mount tmpfs on " + dest);
  MountOptions b = o;
  b.bind = true;
  for (auto& view : spec.cgroups) {
    auto sub = HUSK_TRY(ensure_path_in_root(rootfd, dest + "/" + view.name, true));
    HUSK_TRY(bind_mount(view.host_dir, sub.get(), b, dest + "/" + view.name));
  }
  if (o.flags & MS_RDONLY) {
    auto top = HUSK_TRY(open_in_root(rootfd, dest, O_PATH | O_DIRECTORY));
    if (::mount(nullptr, fd_path(top.get()).c_str(), nullptr,
                MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
      return fail_errno("remount " + dest + " read-only");
  }
  return {};
}

Result<void> mount_one(int rootfd, const spec::Mount& m, const RootfsSpec& spec) {
  auto o = HUSK_TRY(parse_mount_options(m.options));
  std::string dest = clean_path(m.destination);
  bool bind = o.bind || m.type == "bind";
  if (bind) {
    o.bind = true;
    std::string source = m.source;
    if (!source.empty() && source[0] != '/') source = spec.bundle + "/" + source;
    struct stat st;
    if (::stat(source.c_str(), &st) < 0) return fail_errno("bind source " + source + " for " + dest);
    auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, S_ISDIR(st.st_mode)));
    HUSK_TRY(bind_mount(source, target.get(), o, dest));
  } else if (m.type == "cgroup" || m.type == "cgroup2") {
    if (spec.await_cgroup) HUSK_TRY(spec.await_cgroup());
    HUSK_TRY(mount_cgroup_views(rootfd, dest, o, spec));
  } else {
    auto target = HUSK_TRY(ensure_path_in_root(rootfd, dest, true));
    UniqueFd below;
    if (o.tmpcopyup) below = UniqueFd(::openat(target.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::string type = m.type.empty() ? "none" : m.type;
    // proc and sysfs take no context= option; tmpfs, mqueue, devpts do.
    std::string labeled = type == "proc" || type == "sysfs" ? o.data : with_mount_label(o.data, spec.mount_label);
    const char* data = labeled.empty() ? nullptr : labeled.c_str();
    if (::mount(m.source.c_str(), fd_path(target.get()).c_str(), type.c_str(), o.flags, data) < 0) {
      int err = errno;
      // In a user namespace that does not own the network (or ipc)
      // namespace, sysfs (mqueue) cannot be mounted: bind the host's, as runc does.
      if (err == EPERM && spec.in_user_namespace && (type == "sysfs" || type == "mqueue")) {
        MountOptions b = o;
        b.bind = b.recursive_bind = true;
        b.flags |= MS_NOSUID | MS_NODEV | MS_NOEXEC;
        HUSK_TRY(bind_mount(type == "sysfs" ? "/sys" : "/dev/mqueue", target.get(), b, dest));
      } else {
        return fail_code(err, "mount " + type + " on " + dest);
      }
    }
    if (below) {
      auto top = HUSK_TRY(open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY));
      HUSK_TRY_CTX(copy_tree(below.get(), top.get()), "tmpcopyup " + dest);
    }
  }
  if (o.propagation) {
    auto top = HUSK_TRY(open_in_root(rootfd, dest, O_PATH));
    if (::mount(nullptr, fd_path(top.get()).c_str(), nullptr, o.propagation, nullptr) < 0)
      return fail_errno("set propagation of " + dest);
  }
  if (!bind && (o.rec_attr_set || o.rec_attr_clr)) {
    auto top = HUSK_TRY(open_in_root(rootfd, dest, O_PATH));
    struct mount_attr attr = {};
    attr.attr_set = o.rec_attr_set;
    attr.attr_clr = o.rec_attr_clr;
    if (sys_mount_setattr(top.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
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

}  // namespace

Result<UniqueFd> ensure_path_in_root(int rootfd, const std::string& path, bool dir) {
  return ensure_path_in_root(rootfd, path, dir, 0);
}

Result<UniqueFd> prepare_rootfs(const RootfsSpec& spec) {
  const auto& c = *spec.config;
  // Nothing the container mounts may reach the host: slave by default, or
  // what rootfsPropagation asks for.
  // A shared root is made shared only after pivot_root, which refuses a
  // shared parent mount.
  unsigned long prop = MS_SLAVE | MS_REC;
  if (auto p = propagation_flags(c.linux.rootfs_propagation); p && !(p & MS_SHARED)) prop = p | MS_REC;
  if (::mount(nullptr, "/", nullptr, prop, nullptr) < 0) return fail_errno("set propagation of /");
  // pivot_root needs the new root to be a mount point whose parent is not shared.
  if (::mount(spec.rootfs.c_str(), spec.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    return fail_errno("bind rootfs " + spec.rootfs);
  if (::mount(nullptr, spec.rootfs.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
    return fail_errno("make rootfs private");

  UniqueFd rootfd = HUSK_TRY(open_fd(spec.rootfs, O_PATH | O_DIRECTORY));
  for (auto& m : c.mounts)
    HUSK_TRY_CTX(mount_one(rootfd.get(), m, spec), "mount " + clean_path(m.destination));
  if (spec.await_cgroup) HUSK_TRY(spec.await_cgroup());

  if (!dev_is_bind_of_host(c)) {
    auto devices = default_devices();
    devices.insert(devices.end(), c.linux.devices.begin(), c.linux.devices.end());
    HUSK_TRY_CTX(create_devices(rootfd.get(), devices, spec.in_user_namespace), "create devices");
    HUSK_TRY_CTX(create_dev_symlinks(rootfd.get()), "create /dev symlinks");
  } else if (!c.linux.devices.empty()) {
    HUSK_TRY_CTX(create_devices(rootfd.get(), c.linux.devices, spec.in_user_namespace), "create devices");
  }
  return rootfd;
}

Result<void> enter_rootfs(const RootfsSpec& spec) {
  if (::chdir(spec.rootfs.c_str()) < 0) return fail_errno("chdir " + spec.rootfs);
  if (spec.no_pivot) {
    if (::mount(spec.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
      return fail_errno("move rootfs to /");
    if (::chroot(".") < 0) return fail_errno("chroot");
    if (::chdir("/") < 0) return fail_errno("chdir /");
    return {};
  }
  UniqueFd oldroot = HUSK_TRY(open_fd("/", O_DIRECTORY | O_RDONLY));
  // pivot_root(".", "."): the old root ends up stacked under the new one,
  // where it can be detached without needing a directory for it.
  if (::syscall(SYS_pivot_root, ".", ".") < 0) return fail_errno("pivot_root");
  if (::fchdir(oldroot.get()) < 0) return fail_errno("fchdir old root");
  // Detaching must not propagate back to the host.
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    return fail_errno("make old root slave");
  if (::umount2(".", MNT_DETACH) < 0) return fail_errno("detach old root");
  if (::chdir("/") < 0) return fail_errno("chdir /");
  return {};
}

Result<void> mount_console(const std::string& slave_path) {
  UniqueFd root = HUSK_TRY(open_fd("/", O_PATH | O_DIRECTORY));
  auto target = HUSK_TRY(ensure_path_in_root(root.get(), "/dev/console", false));
  if (::mount(slave_path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
    return fail_errno("bind " + slave_path + " on /dev/console");
  return {};
}

Result<void> finalize_rootfs(const RootfsSpec& spec) {
  const auto& c = *spec.config;
  for (auto& [key, value] : c.linux.sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i)
      if (path[i] == '.') path[i] = '/';
    HUSK_TRY_CTX(write_file(path, value), "sysctl " + key);
  }
  for (auto& p : c.linux.readonly_paths) {
    if (!path_exists(p)) continue;
    if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
      return fail_errno("bind readonly path " + p);
    struct statvfs sv;
    unsigned long keep = 0;
    if (::statvfs(p.c_str(), &sv) == 0)
      keep = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
    if (::mount(nullptr, p.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) < 0)
      return fail_errno("remount " + p + " read-only");
  }
  for (auto& p : c.linux.masked_paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (::mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, nullptr) < 0) return fail_errno("mask " + p);
    } else if (::mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      return fail_errno("mask " + p);
    }
  }
  if (c.root.readonly) {
    struct statvfs sv;
    unsigned long keep = 0;
    if (::statvfs("/", &sv) == 0) keep = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr) < 0)
      return fail_errno("remount / read-only");
  }
  if (auto p = propagation_flags(c.linux.rootfs_propagation); p) {
    if (::mount(nullptr, "/", nullptr, p, nullptr) < 0) return fail_errno("set rootfs propagation");
  }
  return {};
}

}  // namespace husk::linux
