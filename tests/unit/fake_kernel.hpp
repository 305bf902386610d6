// A linux::Kernel that records every call instead of making it, for unit
// tests of the code that decides which mounts, joins and clones a config
// needs (youki's TestHelperSyscall). Paths given as /proc/self/fd/N or as an
// fd are recorded as what the fd names, with the rootfs shown as "ROOTFS";
// flags are shown by name. fail() makes a chosen call return -1 with an errno.
#pragma once

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "linux/kernel.hpp"

namespace husk::testing {

class RecordingKernel final : public linux::Kernel {
 public:
  struct Call {
    std::string name;
    std::vector<std::string> args;
    std::string text() const {
      std::string t = name + "(";
      for (size_t i = 0; i < args.size(); ++i) t += (i ? ", " : "") + args[i];
      return t + ")";
    }
  };

  // ROOTFS: the host path shown as "ROOTFS" in recorded paths.
  explicit RecordingKernel(std::string rootfs = {}) : rootfs_(std::move(rootfs)) {}

  std::vector<Call> calls;
  long clone_pid = 4242;  // what clone and clone3 return (never 0: no child is made)

  // The next call named NAME whose text contains MATCH fails with ERR.
  void fail(std::string name, int err, std::string match = {}) {
    failures_.push_back({std::move(name), std::move(match), err});
  }
  // Every call's text, in order; with NAME, only the calls so named.
  std::vector<std::string> texts(const std::string& name = {}) const {
    std::vector<std::string> out;
    for (auto& c : calls)
      if (name.empty() || c.name == name) out.push_back(c.text());
    return out;
  }

  int mount(const char* source, const char* target, const char* fstype, unsigned long flags,
            const void* data) override {
    return record("mount", {path(source), path(target), str(fstype), mount_flags(flags),
                            str(static_cast<const char*>(data))});
  }
  int umount2(const char* target, int flags) override {
    return record("umount2", {path(target), flags & MNT_DETACH ? "MNT_DETACH" : std::to_string(flags)});
  }
  int open_tree(int dfd, const char* p, unsigned flags) override {
    std::string flag_text = flags & AT_RECURSIVE ? "AT_RECURSIVE" : "0";
    if (int r = record("open_tree", {at(dfd, p), flag_text}); r < 0) return r;
    // A real fd on the source, so the code's later calls name it.
    return ::openat(dfd, p, O_PATH | O_CLOEXEC);
  }
  int move_mount(int from_dfd, const char* from, int to_dfd, const char* to, unsigned) override {
    return record("move_mount", {at(from_dfd, from), at(to_dfd, to)});
  }
  int mount_setattr(int dfd, const char* p, unsigned flags, mount_attr* attr) override {
    return record("mount_setattr", {at(dfd, p), flags & AT_RECURSIVE ? "AT_RECURSIVE" : "0",
                                    "set=" + attr_flags(attr->attr_set), "clr=" + attr_flags(attr->attr_clr)});
  }
  int pivot_root(const char* new_root, const char* put_old) override {
    return record("pivot_root", {str(new_root), str(put_old)});
  }
  int chroot(const char* p) override { return record("chroot", {str(p)}); }
  int chdir(const char* p) override { return record("chdir", {path(p)}); }
  int fchdir(int fd) override { return record("fchdir", {fd_link(fd)}); }
  int mknodat(int dfd, const char* name, mode_t mode, dev_t dev) override {
    char type = S_ISBLK(mode) ? 'b' : S_ISFIFO(mode) ? 'p' : 'c';
    return record("mknod", {at(dfd, name), std::string(1, type) + " " + std::to_string(major(dev)) + ":" +
                                               std::to_string(minor(dev))});
  }
  int fchmodat(int dfd, const char* name, mode_t mode, int) override {
    return record("chmod", {at(dfd, name), octal(mode)});
  }
  int fchownat(int dfd, const char* name, uid_t uid, gid_t gid, int) override {
    return record("chown", {at(dfd, name), std::to_string(uid) + ":" + std::to_string(gid)});
  }
  int setns(int fd, int nstype) override { return record("setns", {fd_link(fd), clone_flags(nstype)}); }
  int unshare(int flags) override { return record("unshare", {clone_flags(flags)}); }
  int sethostname(const char* name, size_t len) override {
    return record("sethostname", {std::string(name, len)});
  }
  int setdomainname(const char* name, size_t len) override {
    return record("setdomainname", {std::string(name, len)});
  }
  int setresuid(uid_t r, uid_t e, uid_t s) override { return record("setresuid", {ids(r, e, s)}); }
  int setresgid(gid_t r, gid_t e, gid_t s) override { return record("setresgid", {ids(r, e, s)}); }
  long clone3(clone_args* args, size_t) override {
    if (int r = record("clone3", {clone_flags(static_cast<int>(args->flags)) +
                                  (args->flags & CLONE_INTO_CGROUP ? "|CLONE_INTO_CGROUP" : "")});
        r < 0)
      return r;
    return clone_pid;
  }
  long clone(unsigned long flags) override {
    if (int r = record("clone", {clone_flags(static_cast<int>(flags))}); r < 0) return r;
    return clone_pid;
  }

 private:
  struct Failure {
    std::string name, match;
    int err;
  };

  int record(std::string name, std::vector<std::string> args) {
    calls.push_back({std::move(name), std::move(args)});
    std::string text = calls.back().text();
    for (auto it = failures_.begin(); it != failures_.end(); ++it) {
      if (it->name != calls.back().name || text.find(it->match) == std::string::npos) continue;
      errno = it->err;
      failures_.erase(it);
      return -1;
    }
    return 0;
  }

  static std::string str(const char* s) { return s ? s : "-"; }
  std::string shown(std::string p) const {
    if (!rootfs_.empty() && (p == rootfs_ || p.starts_with(rootfs_ + "/"))) p = "ROOTFS" + p.substr(rootfs_.size());
    return p;
  }
  std::string fd_link(int fd) const {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf);
    return n < 0 ? "fd?" : shown(std::string(buf, static_cast<size_t>(n)));
  }
  std::string path(const char* p) const {
    if (!p) return "-";
    std::string s = p;
    if (s.starts_with("/proc/self/fd/")) return fd_link(std::stoi(s.substr(14)));
    return shown(s);
  }
  std::string at(int dfd, const char* p) const {
    std::string s = p ? p : "";
    if (dfd == AT_FDCWD || (!s.empty() && s[0] == '/')) return path(p);
    return s.empty() ? fd_link(dfd) : fd_link(dfd) + "/" + s;
  }
  static std::string octal(unsigned v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0%o", v);
    return buf;
  }
  static std::string ids(unsigned r, unsigned e, unsigned s) {
    return std::to_string(r) + "," + std::to_string(e) + "," + std::to_string(s);
  }
  template <typename T>
  static std::string names(T v, std::initializer_list<std::pair<T, const char*>> table) {
    std::string out;
    for (auto& [bit, name] : table)
      if ((v & bit) == bit && bit) {
        out += (out.empty() ? "" : "|") + std::string(name);
        v &= ~bit;
      }
    if (v) out += (out.empty() ? "" : "|") + octal(static_cast<unsigned>(v));
    return out.empty() ? "0" : out;
  }
  static std::string mount_flags(unsigned long f) {
    return names<unsigned long>(f, {{MS_RDONLY, "MS_RDONLY"},
                                    {MS_NOSUID, "MS_NOSUID"},
                                    {MS_NODEV, "MS_NODEV"},
                                    {MS_NOEXEC, "MS_NOEXEC"},
                                    {MS_REMOUNT, "MS_REMOUNT"},
                                    {MS_BIND, "MS_BIND"},
                                    {MS_MOVE, "MS_MOVE"},
                                    {MS_PRIVATE, "MS_PRIVATE"},
                                    {MS_SLAVE, "MS_SLAVE"},
                                    {MS_SHARED, "MS_SHARED"},
                                    {MS_UNBINDABLE, "MS_UNBINDABLE"},
                                    {MS_REC, "MS_REC"},
                                    {MS_NOATIME, "MS_NOATIME"},
                                    {MS_RELATIME, "MS_RELATIME"},
                                    {MS_NODIRATIME, "MS_NODIRATIME"},
                                    {MS_STRICTATIME, "MS_STRICTATIME"}});
  }
  static std::string attr_flags(uint64_t f) {
    return names<uint64_t>(f, {{MOUNT_ATTR_RDONLY, "RDONLY"},
                               {MOUNT_ATTR_NOSUID, "NOSUID"},
                               {MOUNT_ATTR_NODEV, "NODEV"},
                               {MOUNT_ATTR_NOEXEC, "NOEXEC"},
                               {MOUNT_ATTR_NOATIME, "NOATIME"},
                               {MOUNT_ATTR_STRICTATIME, "STRICTATIME"},
                               {MOUNT_ATTR_NODIRATIME, "NODIRATIME"},
                               {MOUNT_ATTR_NOSYMFOLLOW, "NOSYMFOLLOW"}});
  }
  // The low byte of clone's flags is the exit signal, except CLONE_NEWTIME (0x80).
  static std::string clone_flags(int f) {
    return names<int>(f & ~0x7f, {{CLONE_NEWUSER, "CLONE_NEWUSER"},
                                                       {CLONE_NEWNS, "CLONE_NEWNS"},
                                                       {CLONE_NEWPID, "CLONE_NEWPID"},
                                                       {CLONE_NEWNET, "CLONE_NEWNET"},
                                                       {CLONE_NEWIPC, "CLONE_NEWIPC"},
                                                       {CLONE_NEWUTS, "CLONE_NEWUTS"},
                                                       {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
                                                       {0x80, "CLONE_NEWTIME"},
                                                       {CLONE_PARENT, "CLONE_PARENT"}});
  }

  std::string rootfs_;
  std::vector<Failure> failures_;
};

}  // namespace husk::testing
