#include "image/overlay.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "linux/idmap.hpp"

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

int sys_open_tree(int dirfd, const char* path, unsigned flags) {
  return static_cast<int>(::syscall(SYS_open_tree, dirfd, path, flags));
}
int sys_mount_setattr(int fd, const char* path, unsigned flags, mount_attr* attr) {
  return static_cast<int>(::syscall(SYS_mount_setattr, fd, path, flags, attr, sizeof *attr));
}

// A detached copy of the layer's mount, id-mapped through USERNS.
Result<UniqueFd> idmapped_layer(const std::string& path, int userns) {
  UniqueFd tree(sys_open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (!tree) return fail_errno("open_tree " + path);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns);
  if (sys_mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr) < 0) return fail_errno("id-map layer " + path);
  return tree;
}

// Each layer id-mapped and attached under a temp dir of the store for as
// long as the overlay takes to be made: overlayfs keeps private clones of
// its layers' mounts, so these go right after. (Detached mounts passed by
// fd are refused as layers: "failed to clone lowerpath".)
class MappedLayers {
 public:
  ~MappedLayers() {
    for (auto& m : mounted_) {
      ::umount2(m.c_str(), MNT_DETACH);
      ::rmdir(m.c_str());
    }
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  Result<std::string> attach(const std::string& store_root, const std::string& layer, int userns) {
    if (dir_.empty()) {
      std::string tmpl = store_root + "/tmp/idmap-XXXXXX";
      if (!::mkdtemp(tmpl.data())) return fail_errno("create " + tmpl);
      dir_ = tmpl;
    }
    std::string at = dir_ + "/" + std::to_string(mounted_.size());
    if (::mkdir(at.c_str(), 0700) < 0) return fail_errno("create " + at);
    UniqueFd tree = HUSK_TRY(idmapped_layer(store_root + "/" + layer, userns));
    if (sys_move_mount(tree.get(), "", AT_FDCWD, at.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0) {
      ::rmdir(at.c_str());
      return fail_errno("mount id-mapped layer " + layer);
    }
    mounted_.push_back(at);
    return at;
  }

 private:
  std::string dir_;
  std::vector<std::string> mounted_;
};

Result<void> add_idmapped_lowers(int fs, const OverlaySpec& spec, MappedLayers& mapped) {
  UniqueFd userns = HUSK_TRY(linux::user_namespace_fd(spec.uid_map, spec.gid_map));
  for (auto& l : spec.lowers) {
    std::string at = HUSK_TRY(mapped.attach(spec.store_root, l, userns.get()));
    if (sys_fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", at.c_str(), 0) < 0)
      return fail_errno("overlay lowerdir+ (an id-mapped layer) " + l);
  }
  return {};
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
  MappedLayers mapped;
  if (!spec.uid_map.empty())
    HUSK_TRY(add_idmapped_lowers(fs.get(), spec, mapped));
  else
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
  if (!spec.uid_map.empty()) return mount_with_fsconfig(spec, target);  // mount(2) cannot id-map
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
