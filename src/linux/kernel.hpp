// The kernel calls that build a container's mounts and namespaces, behind one
// interface: the runtime passes the real one (HostKernel) down to the code
// that decides which calls to make, and unit tests pass a recording fake, so
// the order of mounts and joins for a config is checked without root.
//
// Each method is the system call itself: 0 (or an fd, or a pid) on success,
// -1 with errno set on failure, and C strings in, so the real one allocates
// nothing and costs one virtual call. HostKernel holds no state: the init
// may call it after clone, where the runtime's rules hold (one thread, no
// locks taken).
#pragma once

#include <sys/types.h>

#include <cstddef>

struct mount_attr;
struct clone_args;

namespace husk::linux {

class Kernel {
 public:
  virtual ~Kernel() = default;

  // Mounts and the root.
  virtual int mount(const char* source, const char* target, const char* fstype, unsigned long flags,
                    const void* data) = 0;
  virtual int umount2(const char* target, int flags) = 0;
  virtual int open_tree(int dfd, const char* path, unsigned flags) = 0;
  virtual int move_mount(int from_dfd, const char* from, int to_dfd, const char* to, unsigned flags) = 0;
  virtual int mount_setattr(int dfd, const char* path, unsigned flags, mount_attr* attr) = 0;
  virtual int pivot_root(const char* new_root, const char* put_old) = 0;
  virtual int chroot(const char* path) = 0;
  virtual int chdir(const char* path) = 0;
  virtual int fchdir(int fd) = 0;

  // Device nodes.
  virtual int mknodat(int dfd, const char* name, mode_t mode, dev_t dev) = 0;
  virtual int fchmodat(int dfd, const char* name, mode_t mode, int flags) = 0;
  virtual int fchownat(int dfd, const char* name, uid_t uid, gid_t gid, int flags) = 0;

  // Namespaces, names and the identity inside them.
  virtual int setns(int fd, int nstype) = 0;
  virtual int unshare(int flags) = 0;
  virtual int sethostname(const char* name, size_t len) = 0;
  virtual int setdomainname(const char* name, size_t len) = 0;
  virtual int setresuid(uid_t r, uid_t e, uid_t s) = 0;
  virtual int setresgid(gid_t r, gid_t e, gid_t s) = 0;

  // New processes: clone3 (for CLONE_INTO_CGROUP) and clone, fork-like
  // (no new stack): the pid in the parent, 0 in the child.
  virtual long clone3(clone_args* args, size_t size) = 0;
  virtual long clone(unsigned long flags) = 0;
};

// The real kernel: each method is the system call.
class HostKernel final : public Kernel {
 public:
  int mount(const char* source, const char* target, const char* fstype, unsigned long flags,
            const void* data) override;
  int umount2(const char* target, int flags) override;
  int open_tree(int dfd, const char* path, unsigned flags) override;
  int move_mount(int from_dfd, const char* from, int to_dfd, const char* to, unsigned flags) override;
  int mount_setattr(int dfd, const char* path, unsigned flags, mount_attr* attr) override;
  int pivot_root(const char* new_root, const char* put_old) override;
  int chroot(const char* path) override;
  int chdir(const char* path) override;
  int fchdir(int fd) override;
  int mknodat(int dfd, const char* name, mode_t mode, dev_t dev) override;
  int fchmodat(int dfd, const char* name, mode_t mode, int flags) override;
  int fchownat(int dfd, const char* name, uid_t uid, gid_t gid, int flags) override;
  int setns(int fd, int nstype) override;
  int unshare(int flags) override;
  int sethostname(const char* name, size_t len) override;
  int setdomainname(const char* name, size_t len) override;
  int setresuid(uid_t r, uid_t e, uid_t s) override;
  int setresgid(gid_t r, gid_t e, gid_t s) override;
  long clone3(clone_args* args, size_t size) override;
  long clone(unsigned long flags) override;
};

}  // namespace husk::linux
