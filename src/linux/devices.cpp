#include "linux/devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "base/strings.hpp"
#include "linux/rootfs.hpp"

namespace husk::linux {

std::vector<spec::Device> default_devices() {
  auto dev = [](const char* path, int64_t major, int64_t minor) {
    spec::Device d;
    d.type = 'c';
    d.path = path;
    d.major = major;
    d.minor = minor;
    d.file_mode = 0666;
    d.uid = 0;
    d.gid = 0;
    return d;
  };
  return {dev("/dev/null", 1, 3),   dev("/dev/zero", 1, 5),    dev("/dev/full", 1, 7),
          dev("/dev/random", 1, 8), dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0)};
}

namespace {
mode_t type_bits(char t) {
  switch (t) {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return S_IFCHR;
  }
}

Result<void> create_one(Kernel& k, int rootfd, const spec::Device& d, bool bind) {
  std::string path = clean_path(d.path);
  auto slash = path.rfind('/');
  std::string dir = path.substr(0, slash), name = path.substr(slash + 1);
  UniqueFd parent = HUSK_TRY(ensure_path_in_root(rootfd, dir.empty() ? "/" : dir, true));
  if (bind) {
    // mknod is refused in a user namespace: bind the host's node instead.
    auto target = HUSK_TRY(ensure_path_in_root(rootfd, path, false));
    if (k.mount(path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
      return fail_errno("bind device " + path);
    return {};
  }
  mode_t mode = type_bits(d.type) | (d.file_mode ? (*d.file_mode & 07777) : 0666);
  dev_t devno = d.type == 'p' ? 0 : makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  // An image may ship its own node or a symlink there: replace it.
  if (::unlinkat(parent.get(), name.c_str(), 0) < 0) {
    // A directory there stays, as runc leaves whatever exists ("/mnt/").
    if (errno == EISDIR) return {};
    if (errno != ENOENT) return fail_errno("remove existing " + path);
  }
  if (k.mknodat(parent.get(), name.c_str(), mode, devno) < 0) return fail_errno("mknod " + path);
  if (k.fchmodat(parent.get(), name.c_str(), mode & 07777, 0) < 0) return fail_errno("chmod " + path);
  if (k.fchownat(parent.get(), name.c_str(), d.uid.value_or(0), d.gid.value_or(0), AT_SYMLINK_NOFOLLOW) < 0)
    return fail_errno("chown " + path);
  return {};
}
}  // namespace

Result<void> create_devices(Kernel& k, int rootfd, const std::vector<spec::Device>& devices, bool bind) {
  mode_t old = ::umask(0);
  Result<void> r;
  for (auto& d : devices) {
    r = create_one(k, rootfd, d, bind);
    if (!r) break;
  }
  ::umask(old);
  return r;
}

Result<void> create_dev_symlinks(int rootfd) {
  UniqueFd dev = HUSK_TRY(ensure_path_in_root(rootfd, "/dev", true));
  UniqueFd devdir = HUSK_TRY(open_at(dev.get(), ".", O_RDONLY | O_DIRECTORY));
  const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "fd"},
                                                       {"/proc/self/fd/0", "stdin"},
                                                       {"/proc/self/fd/1", "stdout"},
                                                       {"/proc/self/fd/2", "stderr"},
                                                       {"/proc/kcore", "core"}};
  for (auto& [target, name] : links) {
    if (::symlinkat(target, devdir.get(), name) < 0 && errno != EEXIST)
      return fail_errno(std::string("symlink /dev/") + name);
  }
  // The container's own devpts instance owns /dev/ptmx.
  if (::unlinkat(devdir.get(), "ptmx", 0) < 0 && errno != ENOENT) return fail_errno("remove /dev/ptmx");
  if (::symlinkat("pts/ptmx", devdir.get(), "ptmx") < 0) return fail_errno("symlink /dev/ptmx");
  return {};
}

}  // namespace husk::linux
