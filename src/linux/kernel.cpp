#include "linux/kernel.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace husk::linux {

int HostKernel::mount(const char* source, const char* target, const char* fstype, unsigned long flags,
                      const void* data) {
  return ::mount(source, target, fstype, flags, data);
}
int HostKernel::umount2(const char* target, int flags) { return ::umount2(target, flags); }
int HostKernel::open_tree(int dfd, const char* path, unsigned flags) {
  return static_cast<int>(::syscall(SYS_open_tree, dfd, path, flags));
}
int HostKernel::move_mount(int from_dfd, const char* from, int to_dfd, const char* to, unsigned flags) {
  return static_cast<int>(::syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags));
}
int HostKernel::mount_setattr(int dfd, const char* path, unsigned flags, mount_attr* attr) {
  return static_cast<int>(::syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof *attr));
}
int HostKernel::pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}
int HostKernel::chroot(const char* path) { return ::chroot(path); }
int HostKernel::chdir(const char* path) { return ::chdir(path); }
int HostKernel::fchdir(int fd) { return ::fchdir(fd); }
int HostKernel::mknodat(int dfd, const char* name, mode_t mode, dev_t dev) {
  return ::mknodat(dfd, name, mode, dev);
}
int HostKernel::fchmodat(int dfd, const char* name, mode_t mode, int flags) {
  return ::fchmodat(dfd, name, mode, flags);
}
int HostKernel::fchownat(int dfd, const char* name, uid_t uid, gid_t gid, int flags) {
  return ::fchownat(dfd, name, uid, gid, flags);
}
int HostKernel::setns(int fd, int nstype) { return ::setns(fd, nstype); }
int HostKernel::unshare(int flags) { return ::unshare(flags); }
int HostKernel::sethostname(const char* name, size_t len) { return ::sethostname(name, len); }
int HostKernel::setdomainname(const char* name, size_t len) { return ::setdomainname(name, len); }
int HostKernel::setresuid(uid_t r, uid_t e, uid_t s) { return ::setresuid(r, e, s); }
int HostKernel::setresgid(gid_t r, gid_t e, gid_t s) { return ::setresgid(r, e, s); }
long HostKernel::clone3(clone_args* args, size_t size) { return ::syscall(SYS_clone3, args, size); }
long HostKernel::clone(unsigned long flags) { return ::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, 0); }

}  // namespace husk::linux
