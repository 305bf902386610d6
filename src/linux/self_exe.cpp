#include "linux/self_exe.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/fd.hpp"
#include "base/file.hpp"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char** environ;

namespace husk::linux {
namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// Our argv as the kernel keeps it: the re-executed image gets exactly it.
Result<std::vector<std::string>> own_arguments() {
  auto text = HUSK_TRY(read_file("/proc/self/cmdline"));
  std::vector<std::string> args;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    args.emplace_back(text, start, end - start);
    start = end + 1;
  }
  if (args.empty()) return fail_code(EINVAL, "/proc/self/cmdline is empty");
  return args;
}

Result<void> exec_fd(int fd, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::syscall(SYS_execveat, fd, "", argv.data(), environ, AT_EMPTY_PATH);
  return fail_errno("re-execute the runtime from a protected copy of its binary");
}

// The binary itself, on a bind mount of just that file that is read-only and
// attached nowhere: the container cannot remount what it cannot name.
Result<UniqueFd> read_only_view(int exe) {
  UniqueFd tree(static_cast<int>(
      ::syscall(SYS_open_tree, exe, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree) return fail_errno("open_tree of the runtime binary");
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV;
  if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return fail_errno("make the runtime binary's bind mount read-only");
  return tree;
}

Result<UniqueFd> sealed_copy() {
  UniqueFd src(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  if (!src) return fail_errno("open /proc/self/exe");
  struct stat st;
  if (::fstat(src.get(), &st) < 0) return fail_errno("stat /proc/self/exe");
  // MFD_EXEC: where vm.memfd_noexec is set, an executable memfd must ask for it.
  UniqueFd copy(::memfd_create("husk-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC));
  if (!copy && errno == EINVAL) copy.reset(::memfd_create("husk-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!copy) return fail_errno("memfd_create for a copy of the runtime binary");
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(copy.get(), src.get(), &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("copy the runtime binary into a memfd");
    if (n == 0) return fail_code(EIO, "copy the runtime binary into a memfd: it shrank while copying");
  }
  if (::fcntl(copy.get(), F_ADD_SEALS, kSeals) < 0) return fail_errno("seal the runtime binary's copy");
  return copy;
}

}  // namespace

Result<SelfExe> exe_protection(const char* exe_link) {
  UniqueFd exe(::open(exe_link, O_RDONLY | O_CLOEXEC));
  if (!exe) return fail_errno(std::string("open ") + exe_link);
  int seals = ::fcntl(exe.get(), F_GET_SEALS);
  if (seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL)) return SelfExe::sealed_memfd;
  struct statfs fs;
  if (::fstatfs(exe.get(), &fs) < 0) return fail_errno(std::string("statfs ") + exe_link);
  return (fs.f_flags & ST_RDONLY) ? SelfExe::read_only : SelfExe::writable;
}

Result<void> reexec_protected() {
  auto args = HUSK_TRY(own_arguments());
  // The view has no installed path: the new image finds the programs beside
  // it (husk-full, husk-monitor, husk-init) through this.
  if (!std::getenv(kInstalledExeEnv)) {
    auto installed = HUSK_TRY(read_link("/proc/self/exe"));
    if (::setenv(kInstalledExeEnv, installed.c_str(), 1) < 0) return fail_errno("setenv");
  }
  UniqueFd exe(::open("/proc/self/exe", O_PATH | O_CLOEXEC));
  if (!exe) return fail_errno("open /proc/self/exe");
  auto view = read_only_view(exe.get());
  // Without CAP_SYS_ADMIN over our mount namespace (rootless), a copy.
  if (!view && (view.error().err() == EPERM || view.error().err() == ENOSYS)) view = sealed_copy();
  if (!view) return std::unexpected(view.error());
  return exec_fd(view->get(), args);
}

Result<void> ensure_protected_self_exe() {
  if (HUSK_TRY(self_exe_protection()) != SelfExe::writable) return {};
  return reexec_protected();
}

}  // namespace husk::linux
