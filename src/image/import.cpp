#include "image/import.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "image/commit.hpp"

namespace husk::image {

namespace {

// The layer media type a tarball's first bytes call for. OCI has none for
// xz or bzip2 layers, and husk keeps what it imports byte for byte.
Result<std::string> layer_media_type(const unsigned char* head, size_t n, const std::string& path) {
  if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) return std::string(media::kOciLayerGzip);
  if (n >= 4 && std::memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0) return std::string(media::kOciLayerZstd);
  if (n >= 6 && std::memcmp(head,
                            "\xfd"
                            "7zXZ\0",
                            6) == 0)
    return fail_code(ENOTSUP, path + ": an xz-compressed tarball; import a plain, gzip or zstd one");
  if (n >= 3 && std::memcmp(head, "BZh", 3) == 0)
    return fail_code(ENOTSUP, path + ": a bzip2-compressed tarball; import a plain, gzip or zstd one");
  return std::string(media::kOciLayer);
}

// Config, manifest and names for a one-layer image made here.
Result<StoredImage> commit_image(const Store& store, const LayerInfo& layer, const ImportOptions& opts) {
  NewImage what;
  what.config = opts.config;
  what.created = opts.created;
  what.created_by = opts.created_by;
  what.names = opts.names;
  return add_layer_image(store, nullptr, layer, what);
}

ReadFn read_string(const std::string& data) {
  auto off = std::make_shared<size_t>(0);
  return [&data, off](void* buf, size_t size) -> Result<size_t> {
    size_t n = std::min(size, data.size() - *off);
    std::memcpy(buf, data.data() + *off, n);
    *off += n;
    return n;
  };
}

// `busybox --list`: the applets the binary has.
Result<std::vector<std::string>> busybox_applets(const std::string& binary) {
  std::string cmd = binary + " --list";
  FILE* f = ::popen(cmd.c_str(), "re");
  if (!f) return fail_errno("run " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int status = ::pclose(f);
  if (status != 0) return fail_code(EIO, cmd + " failed");
  std::vector<std::string> applets;
  for (auto& a : split(out, '\n'))
    if (!a.empty() && a != "busybox" && a.find('/') == std::string::npos) applets.push_back(a);
  return applets;
}

// The default image's one layer: busybox, a symlink per applet, the usual
// directories, and passwd/group for root and nobody. Every entry carries
// the binary's mtime, so the same busybox makes the same layer digest.
Result<std::string> busybox_layer(const std::string& binary) {
  std::string bin = HUSK_TRY(read_file(binary));
  struct stat st;
  if (::stat(binary.c_str(), &st) < 0) return fail_errno("stat " + binary);
  auto applets = HUSK_TRY(busybox_applets(binary));

  std::string out;
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  auto write_cb = [](archive*, void* data, const void* buf, size_t n) -> la_ssize_t {
    static_cast<std::string*>(data)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  if (archive_write_open(a.get(), &out, nullptr, write_cb, nullptr) != ARCHIVE_OK)
    return fail_code(EIO, std::string("busybox layer: ") + archive_error_string(a.get()));
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
  auto add = [&](const std::string& path, mode_t mode, const std::string& content = {},
                 const std::string& link = {}) -> Result<void> {
    archive_entry_clear(e.get());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_mode(e.get(), mode);
    archive_entry_set_mtime(e.get(), st.st_mtime, 0);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    if (S_ISLNK(mode)) archive_entry_set_symlink(e.get(), link.c_str());
    if (S_ISREG(mode)) archive_entry_set_size(e.get(), static_cast<la_int64_t>(content.size()));
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        (S_ISREG(mode) && archive_write_data(a.get(), content.data(), content.size()) < 0))
      return fail_code(EIO, "busybox layer " + path + ": " + archive_error_string(a.get()));
    return {};
  };
  for (const char* d : {"bin", "dev", "etc", "home", "proc", "root", "sys", "usr", "usr/bin", "usr/sbin",
                        "sbin", "var", "var/spool", "var/spool/mail", "var/www"})
    HUSK_TRY(add(d, S_IFDIR | (std::string(d) == "root" ? 0700 : 0755)));
  HUSK_TRY(add("tmp", S_IFDIR | 01777));
  HUSK_TRY(add("bin/busybox", S_IFREG | 0755, bin));
  for (auto& app : applets) HUSK_TRY(add("bin/" + app, S_IFLNK | 0777, {}, "busybox"));
  HUSK_TRY(add("etc/passwd", S_IFREG | 0644,
               "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"));
  HUSK_TRY(add("etc/group", S_IFREG | 0644, "root:x:0:\nnobody:x:65534:\n"));
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return fail_code(EIO, std::string("busybox layer: ") + archive_error_string(a.get()));
  return out;
}

// Our stdin, whole, in a file of the store's tmp dir that has no name
// (nothing is left of it whatever happens), read from its start.
Result<UniqueFd> spool_stdin(const Store& store) {
  std::string dir = store.root() + "/tmp";
  HUSK_TRY(mkdir_all(dir, 0700));
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("a temporary file in " + dir);
  std::string buf(1 << 16, '\0');
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read the tarball from stdin");
    if (n == 0) break;
    HUSK_TRY(write_all(fd.get(), std::string_view(buf.data(), static_cast<size_t>(n)), "spool the tarball"));
  }
  if (::lseek(fd.get(), 0, SEEK_SET) < 0) return fail_errno("rewind the tarball from stdin");
  return fd;
}

}  // namespace

Result<StoredImage> import_rootfs(const Store& store, const std::string& tarball, const ImportOptions& opts) {
  UniqueFd fd = tarball == "-" ? HUSK_TRY(spool_stdin(store)) : HUSK_TRY(open_fd(tarball, O_RDONLY));
  unsigned char head[8];
  ssize_t got = ::pread(fd.get(), head, sizeof head, 0);
  if (got < 0) return fail_errno("read " + tarball);
  std::string type = HUSK_TRY(layer_media_type(head, static_cast<size_t>(got), tarball));
  Lock content = HUSK_TRY(store.lock_content_shared());
  Store::LayerSource src;
  src.read = fd_reader(fd.get(), tarball);
  src.desc.media_type = type;
  auto layer = HUSK_TRY_CTX(store.add_layer(src), "import " + tarball);
  return commit_image(store, layer, opts);
}

Result<StoredImage> find_or_make_default(const Store& store, const std::string& name_or_id) {
  auto found = store.find_image(name_or_id);
  if (found || found.error().err() != ENOENT) return found;
  auto want = parse_reference(name_or_id);
  auto def = parse_reference(kDefaultImage);
  if (!want || !def || want->str() != def->str()) return found;
  if (!path_exists(std::string(kBusyboxBinary)))
    return fail_code(ENOENT, "no image " + std::string(kDefaultImage) + " in the store, and no " +
                                 std::string(kBusyboxBinary) + " to make it from (install busybox-static)");
  std::string tar = HUSK_TRY_CTX(busybox_layer(std::string(kBusyboxBinary)), "make the default image");
  Lock content = HUSK_TRY(store.lock_content_shared());
  Store::LayerSource src;
  src.read = read_string(tar);
  src.desc.media_type = std::string(media::kOciLayer);
  auto layer = HUSK_TRY_CTX(store.add_layer(src), "make the default image");
  ImportOptions opts;
  opts.names = {def->str()};
  opts.config.cmd = {"sh"};
  opts.config.cmd_set = true;
  opts.config.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  opts.created_by = "husk: busybox from " + std::string(kBusyboxBinary);
  // Made at the binary's time (as its layer's entries): the same busybox
  // makes the same image, so runs that make it at once agree on its id.
  struct stat st;
  if (::stat(std::string(kBusyboxBinary).c_str(), &st) < 0)
    return fail_errno("stat " + std::string(kBusyboxBinary));
  opts.created = rfc3339(st.st_mtim);
  return commit_image(store, layer, opts);
}

}  // namespace husk::image
