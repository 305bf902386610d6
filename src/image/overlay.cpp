#include "image/overlay.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fd.hpp"

namespace husk::image {

namespace {

int sys_fsopen(const char* fs, unsigned flags) { return static_cast<int>(::syscall(SYS_fsopen, fs, flags)); }
int sys_fsconfig(int fd, unsigned cmd, const char* key, const void* value, int aux) {
  return static_cast<int>(::syscall(SYS_fsconfig, fd, cmd, key, value, aux));
}
int sys_fsmount(int fd, unsigned flags, unsigned attrs) {
  return static_cast<int>(::syscall(SYS_fsmount, fd, flags, attrs));
}
int sys_move_mount(int from, const char* from_path, int to, const char* to_path, unsigned flags) {
  return static_cast<int>(::syscall(SYS_move_mount, from, from_path, to, to_path, flags));
}

// The new mount API: one fsconfig per layer. ENOSYS/EINVAL (no "lowerdir+"
// before Linux 6.8) tells the caller to fall back.
Result<void> mount_with_fsconfig(const OverlaySpec& spec, const std::string& target) {
  UniqueFd fs(sys_fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return fail_errno("fsopen overlay");
  auto set = [&](const char* key, const std::string& value) -> Result<void> {
    if (sys_fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) < 0)
      return fail_errno(std::string("overlay option ") + key + "=" + value);
    return {};
  };
  for (auto& l : spec.lowers) HUSK_TRY(set("lowerdir+", spec.store_root + "/" + l));
  if (!spec.upper.empty()) {
    HUSK_TRY(set("upperdir", spec.upper));
    HUSK_TRY(set("workdir", spec.work));
  }
  if (sys_fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    return fail_errno("create overlay");
  UniqueFd mnt(sys_fsmount(fs.get(), FSMOUNT_CLOEXEC, spec.upper.empty() ? MOUNT_ATTR_RDONLY : 0));
  if (!mnt) return fail_errno("fsmount overlay");
  if (sys_move_mount(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return fail_errno("mount overlay on " + target);
  return {};
}

// mount(2) with relative short links, from the store's directory.
Result<void> mount_classic(const OverlaySpec& spec, const std::string& target) {
  std::string opts = "lowerdir=";
  for (size_t i = 0; i < spec.lowers.size(); ++i) opts += (i ? ":" : "") + spec.lowers[i];
  if (!spec.upper.empty()) opts += ",upperdir=" + spec.upper + ",workdir=" + spec.work;
  if (opts.size() >= 4096)
    return fail_code(E2BIG, "image has too many layers (" + std::to_string(spec.lowers.size()) +
                                ") for this kernel's overlay mount options (Linux 6.8 has no limit)");
  UniqueFd cwd = HUSK_TRY(open_fd(".", O_PATH | O_DIRECTORY));
  if (::chdir(spec.store_root.c_str()) < 0) return fail_errno("chdir " + spec.store_root);
  int rc = ::mount("overlay", target.c_str(), "overlay", spec.upper.empty() ? MS_RDONLY : 0, opts.c_str());
  int err = errno;
  (void)!::fchdir(cwd.get());
  if (rc < 0) return fail(Error(err, "mount overlay on " + target));
  return {};
}

}  // namespace

Result<void> mount_overlay(const OverlaySpec& spec, const std::string& target, MountApi api) {
  if (spec.lowers.empty()) return fail_code(EINVAL, "an overlay needs at least one layer");
  if (spec.lowers.size() == 1 && spec.upper.empty()) {
    std::string src = spec.store_root + "/" + spec.lowers[0];
    if (::mount(src.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) < 0 ||
        ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) < 0)
      return fail_errno("bind " + src + " on " + target);
    return {};
  }
  if (api == MountApi::classic) return mount_classic(spec, target);
  auto r = mount_with_fsconfig(spec, target);
  if (api == MountApi::fsconfig || r || (r.error().err() != EINVAL && r.error().err() != ENOSYS)) return r;
  return mount_classic(spec, target);
}

Result<void> unmount_overlay(const std::string& target) {
  if (::umount2(target.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return fail_errno("unmount " + target);
  return {};
}

}  // namespace husk::image
