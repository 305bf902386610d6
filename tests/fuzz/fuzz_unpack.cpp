// The layer unpacker on any bytes (a tar, or a gzip/zstd/xz/bzip2 one; the
// unpacker tells them apart): it must never crash, and never write outside
// its destination, whatever the entries say (../ paths, absolute paths and
// links, symlinks then paths through them, hard links, device nodes,
// whiteouts of ../).
//
// Each input is unpacked into DEST inside a fresh directory of its own:
//   ROOT/dest    the unpacker's target
//   ROOT/canary  a file the layer must not reach (no new link, no chmod,
//                chown, xattr, times or contents)
//   ROOT/trap    the working directory during the unpack: a path used
//                relative to the cwd instead of DEST lands here
// Afterwards ROOT must hold exactly these three, canary and trap unchanged.
// A broken promise aborts with what appeared (libFuzzer saves the input).
// (Absolute paths are not watched: "/" is shared with whatever else runs on
// the host. The unpacker never uses an entry's name as a path from "/":
// every lookup starts at DEST's fd, and a ".." above it shows up here.) Run libFuzzer with an absolute
// -artifact_prefix: the cwd is the trap while an input runs.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "fuzz_check.hpp"
#include "image/digest.hpp"
#include "image/unpack.hpp"

namespace {

using namespace husk;

constexpr char kCanaryText[] = "the layer must not reach this file\n";

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  FUZZ_CHECK(d != nullptr, "opendir %s: %s", dir.c_str(), std::strerror(errno));
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) out.insert(e->d_name);
  ::closedir(d);
  return out;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// What the layer could change about a file it must not reach.
struct Snapshot {
  struct stat st {};
  ssize_t xattr_bytes = 0;
};

Snapshot snapshot(const std::string& path) {
  Snapshot s;
  FUZZ_CHECK(::lstat(path.c_str(), &s.st) == 0, "lstat %s: %s", path.c_str(), std::strerror(errno));
  s.xattr_bytes = ::llistxattr(path.c_str(), nullptr, 0);
  return s;
}

void check_same(const Snapshot& before, const std::string& path) {
  Snapshot now = snapshot(path);
  const struct stat &a = before.st, &b = now.st;
  FUZZ_CHECK(a.st_ino == b.st_ino && a.st_mode == b.st_mode && a.st_uid == b.st_uid && a.st_gid == b.st_gid &&
                 a.st_nlink == b.st_nlink && a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
                 a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && before.xattr_bytes == now.xattr_bytes,
             "the layer changed %s outside its destination (mode %o -> %o, owner %u:%u -> %u:%u, links %lu -> "
             "%lu, size %ld -> %ld, xattrs %zd -> %zd bytes)",
             path.c_str(), a.st_mode, b.st_mode, a.st_uid, a.st_gid, b.st_uid, b.st_gid,
             static_cast<unsigned long>(a.st_nlink), static_cast<unsigned long>(b.st_nlink),
             static_cast<long>(a.st_size), static_cast<long>(b.st_size), before.xattr_bytes, now.xattr_bytes);
}

// rm -r that neither follows symlinks nor needs the modes the layer left
// (a directory of mode 000 is made searchable before it is emptied).
void remove_tree(int dirfd, const char* name) {
  if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return;
  FUZZ_CHECK(errno == EISDIR || errno == EPERM, "remove %s: %s", name, std::strerror(errno));
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES) {
    ::fchmodat(dirfd, name, 0700, 0);
    fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  FUZZ_CHECK(fd >= 0, "open %s: %s", name, std::strerror(errno));
  ::fchmod(fd, 0700);
  DIR* d = ::fdopendir(fd);
  FUZZ_CHECK(d != nullptr, "fdopendir %s: %s", name, std::strerror(errno));
  while (dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) remove_tree(fd, e->d_name);
  ::closedir(d);
  FUZZ_CHECK(::unlinkat(dirfd, name, AT_REMOVEDIR) == 0, "rmdir %s: %s", name, std::strerror(errno));
}

struct Sandbox {
  std::string root, dest, canary, trap;
  Snapshot root_before, canary_before, trap_before;
};

Sandbox make_sandbox() {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/husk-fuzz-unpack.XXXXXX";
  FUZZ_CHECK(::mkdtemp(templ.data()) != nullptr, "mkdtemp %s: %s", templ.c_str(), std::strerror(errno));
  Sandbox s{templ, templ + "/dest", templ + "/canary", templ + "/trap", {}, {}, {}};
  FUZZ_CHECK(::mkdir(s.dest.c_str(), 0755) == 0 && ::mkdir(s.trap.c_str(), 0755) == 0, "mkdir: %s",
             std::strerror(errno));
  int fd = ::open(s.canary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  FUZZ_CHECK(fd >= 0 && ::write(fd, kCanaryText, sizeof kCanaryText - 1) == sizeof kCanaryText - 1,
             "write %s: %s", s.canary.c_str(), std::strerror(errno));
  ::close(fd);
  s.root_before = snapshot(s.root);
  s.canary_before = snapshot(s.canary);
  s.trap_before = snapshot(s.trap);
  return s;
}

void check_sandbox(const Sandbox& s) {
  auto names = names_in(s.root);
  FUZZ_CHECK(names == (std::set<std::string>{"canary", "dest", "trap"}),
             "the layer wrote beside its destination: %s holds %s", s.root.c_str(), joined(names).c_str());
  auto in_trap = names_in(s.trap);
  FUZZ_CHECK(in_trap.empty(), "the layer wrote into the working directory: %s", joined(in_trap).c_str());
  check_same(s.root_before, s.root);
  check_same(s.canary_before, s.canary);
  check_same(s.trap_before, s.trap);
  char buf[sizeof kCanaryText] = {};
  int fd = ::open(s.canary.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  FUZZ_CHECK(fd >= 0, "open %s: %s", s.canary.c_str(), std::strerror(errno));
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  FUZZ_CHECK(n == sizeof kCanaryText - 1 && std::memcmp(buf, kCanaryText, n) == 0, "the canary's contents changed");
}

// Where to come back to after each input.
int initial_cwd() {
  static int fd = [] {
    int fd = ::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    FUZZ_CHECK(fd >= 0, "open .: %s", std::strerror(errno));
    return fd;
  }();
  return fd;
}

// Options vary with the input's size, so that the corpus covers all of them
// without a header that would make the inputs something other than layers.
image::UnpackOptions options_for(size_t size) {
  static constexpr uint32_t kShifts[] = {0, 100000, 0xFFFF0000u};
  image::UnpackOptions o;
  o.preserve_owner = ::geteuid() == 0;
  o.id_shift = kShifts[size % 3];
  o.hash_blob = size % 2 == 0;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int home = initial_cwd();
  Sandbox s = make_sandbox();
  // Odd-sized reads: chunk boundaries fall everywhere in headers and gzip members.
  size_t offset = 0;
  image::ReadFn read = [&](void* buf, size_t want) -> Result<size_t> {
    size_t n = std::min({want, size - offset, size_t{1021}});
    std::memcpy(buf, data + offset, n);
    offset += n;
    return n;
  };
  image::UnpackOptions opts = options_for(size);
  FUZZ_CHECK(::chdir(s.trap.c_str()) == 0, "chdir %s: %s", s.trap.c_str(), std::strerror(errno));
  auto r = image::unpack_layer(read, s.dest, opts);
  FUZZ_CHECK(::fchdir(home) == 0, "fchdir: %s", std::strerror(errno));

  check_sandbox(s);
  if (r) {
    // A layer that unpacked was read to its end, and its digest is over those bytes.
    FUZZ_CHECK(r->blob_size == size, "read %lu of %zu bytes", static_cast<unsigned long>(r->blob_size), size);
    if (opts.hash_blob) {
      auto want = image::sha256_of(std::string_view(reinterpret_cast<const char*>(data), size));
      FUZZ_CHECK(r->blob_digest == want, "blob digest %s, want %s", r->blob_digest.str().c_str(),
                 want.str().c_str());
    }
  }
  remove_tree(AT_FDCWD, s.root.c_str());
  return 0;
}
