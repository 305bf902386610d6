// image/unpack: layer tars built here with libarchive's writer (pax, plain
// or compressed), unpacked into a temporary directory and checked with
// stat, readlink and getxattr.
#include "image/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.hpp"
#include "image_layers.hpp"
#include "test_helpers.hpp"

namespace husk::image {

// Digests in failure messages as "sha256:...", not as bytes.
[[maybe_unused]] static void PrintTo(const Digest& d, std::ostream* os) { *os << d.str(); }

namespace {

using husk::testing::FailsWith;
using husk::testing::TempDir;
using namespace husk::image::test_layers;

bool is_root() { return ::geteuid() == 0; }

// Owners as recorded only when we can set them.
UnpackOptions opts_for_user() { return UnpackOptions{.preserve_owner = is_root()}; }

Result<UnpackResult> unpack(const std::string& layer, const std::string& dest,
                            const UnpackOptions& opts = opts_for_user()) {
  return unpack_layer(reader_of(layer), dest, opts);
}

struct stat lstat_of(const std::string& path) {
  struct stat st = {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path << ": " << strerror(errno);
  return st;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::string xattr_of(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  if (n < 0) return "<" + std::string(strerror(errno)) + ">";
  return std::string(buf, static_cast<size_t>(n));
}

std::string link_of(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return "<" + std::string(strerror(errno)) + ">";
  return std::string(buf, static_cast<size_t>(n));
}

// A host path no test run has used: where an escaping entry would land.
std::string unique_host_path(const char* what) {
  static std::atomic<int> counter{0};
  std::string p = "/tmp/husk-unpack-escape-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
                  std::to_string(counter++);
  EXPECT_FALSE(exists(p)) << p << " exists before the test";
  return p;
}

#define SKIP_UNLESS_ROOT(why) \
  if (is_root()) {            \
  } else                      \
    GTEST_SKIP() << "needs root: " << why

// ---------------------------------------------------------------------------

TEST(UnpackTree, FilesDirectoriesModesAndTimes) {
  TempDir tmp;
  std::string layer = make_layer({
      {.path = "./", .type = AE_IFDIR, .mode = 0755},
      {.path = "etc", .type = AE_IFDIR, .mode = 0750, .mtime = kMtime - 1000},
      {.path = "etc/hostname", .mode = 0640, .data = "box\n", .mtime = kMtime - 50},
      {.path = "etc/empty", .mode = 0600},
      {.path = "usr/share/doc/README", .mode = 0444, .data = "read me"},  // parents not listed
      {.path = "opt//x/./y", .data = "y"},
      {.path = "ro", .type = AE_IFDIR, .mode = 0555},
      {.path = "ro/inside", .data = "a read-only directory still takes its children"},
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->entries, 8u);

  struct stat etc = lstat_of(tmp / "etc");
  EXPECT_TRUE(S_ISDIR(etc.st_mode));
  EXPECT_EQ(etc.st_mode & 07777, 0750u);
  EXPECT_EQ(etc.st_mtim.tv_sec, kMtime - 1000)
      << "a directory keeps its mtime though its children came later";
  struct stat host = lstat_of(tmp / "etc/hostname");
  EXPECT_TRUE(S_ISREG(host.st_mode));
  EXPECT_EQ(host.st_mode & 07777, 0640u);
  EXPECT_EQ(host.st_mtim.tv_sec, kMtime - 50);
  EXPECT_EQ(host.st_atim.tv_sec, kMtime - 50) << "no atime in the tar: the mtime";
  EXPECT_EQ(testing::get_file(tmp / "etc/hostname"), "box\n");
  EXPECT_EQ(lstat_of(tmp / "etc/empty").st_size, 0);
  EXPECT_EQ(lstat_of(tmp / "usr/share/doc/README").st_mode & 07777, 0444u);
  EXPECT_EQ(testing::get_file(tmp / "usr/share/doc/README"), "read me");
  EXPECT_TRUE(S_ISDIR(lstat_of(tmp / "usr/share").st_mode));
  EXPECT_EQ(testing::get_file(tmp / "opt/x/y"), "y");
  EXPECT_EQ(lstat_of(tmp.path()).st_mtim.tv_sec, kMtime) << "\"./\" is DEST itself";
  EXPECT_EQ(lstat_of(tmp / "ro").st_mode & 07777, 0555u);
  EXPECT_TRUE(exists(tmp / "ro/inside"));
  ::chmod((tmp / "ro").c_str(), 0755);  // so that a non-root TempDir can remove it
}

TEST(UnpackTree, LargeFileCrossesBuffers) {
  TempDir tmp;
  std::string big(3 * (1 << 20) + 12345, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::string layer =
      make_layer({{.path = "big", .data = big}, {.path = "after", .data = "tail"}}, Filter::gzip);
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_TRUE(testing::get_file(tmp / "big") == big) << "contents differ";
  EXPECT_EQ(testing::get_file(tmp / "after"), "tail");
}

TEST(UnpackTree, SymlinkKeptAsWrittenAndNeverFollowed) {
  TempDir tmp;
  std::string layer = make_layer({
      {.path = "abs", .type = AE_IFLNK, .symlink = "/etc/passwd"},
      {.path = "target", .data = "original"},
      {.path = "rel", .type = AE_IFLNK, .symlink = "target"},
      {.path = "rel", .data = "replacement"},  // replaces the link, not its target
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_TRUE(S_ISLNK(lstat_of(tmp / "abs").st_mode));
  EXPECT_EQ(link_of(tmp / "abs"), "/etc/passwd");
  EXPECT_EQ(lstat_of(tmp / "abs").st_mtim.tv_sec, kMtime);
  EXPECT_TRUE(S_ISREG(lstat_of(tmp / "rel").st_mode));
  EXPECT_EQ(testing::get_file(tmp / "rel"), "replacement");
  EXPECT_EQ(testing::get_file(tmp / "target"), "original");
}

TEST(UnpackTree, HardLinkSharesTheInode) {
  TempDir tmp;
  std::string layer = make_layer({
      {.path = "bin/busybox", .mode = 0755, .data = "#!elf"},
      {.path = "bin/sh", .hardlink = "bin/busybox"},
      {.path = "/bin/ls", .hardlink = "/bin/busybox"},
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  struct stat a = lstat_of(tmp / "bin/busybox"), b = lstat_of(tmp / "bin/sh"), c = lstat_of(tmp / "bin/ls");
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_ino, c.st_ino);
  EXPECT_EQ(a.st_nlink, 3u);
  EXPECT_EQ(b.st_mode & 07777, 0755u) << "the link keeps its target's mode";
}

TEST(UnpackTree, LaterEntriesReplaceEarlierOnes) {
  TempDir tmp;
  std::string layer = make_layer({
      {.path = "f", .data = "first, and longer"},
      {.path = "f", .data = "second"},
      {.path = "d/child", .data = "c"},
      {.path = "d", .data = "now a file"},
      {.path = "e", .data = "was a file"},
      {.path = "e", .type = AE_IFDIR, .mode = 0711},
      {.path = "e/in", .data = "in"},
      {.path = "keep", .type = AE_IFDIR, .mode = 0700},
      {.path = "keep/old", .data = "old"},
      {.path = "keep", .type = AE_IFDIR, .mode = 0755, .mtime = kMtime - 7},
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(testing::get_file(tmp / "f"), "second");
  EXPECT_EQ(testing::get_file(tmp / "d"), "now a file");
  EXPECT_EQ(lstat_of(tmp / "e").st_mode & 07777, 0711u);
  EXPECT_EQ(testing::get_file(tmp / "e/in"), "in");
  EXPECT_EQ(testing::get_file(tmp / "keep/old"), "old")
      << "a directory entry over a directory keeps its contents";
  EXPECT_EQ(lstat_of(tmp / "keep").st_mode & 07777, 0755u) << "the later entry's metadata wins";
  EXPECT_EQ(lstat_of(tmp / "keep").st_mtim.tv_sec, kMtime - 7);
}

TEST(UnpackTree, FromFileDescriptor) {
  TempDir tmp;
  std::string layer = make_layer({{.path = "a", .data = "from a file"}}, Filter::gzip);
  testing::put_file(tmp / "layer.tar.gz", layer);
  ASSERT_EQ(::mkdir((tmp / "root").c_str(), 0755), 0);
  auto fd = open_fd(tmp / "layer.tar.gz", O_RDONLY);
  ASSERT_TRUE(fd.has_value()) << fd.error().what();
  auto r = unpack_layer_fd(fd->get(), tmp / "root", opts_for_user());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(testing::get_file(tmp / "root/a"), "from a file");
  EXPECT_EQ(r->blob_digest, sha256_of(layer));
  EXPECT_EQ(r->blob_size, layer.size());
}

// ---------------------------------------------------------------------------

TEST(UnpackPrivileged, DevicesAndFifo) {
  SKIP_UNLESS_ROOT("mknod of character and block devices");
  TempDir tmp;
  std::string layer = make_layer({
      {.path = "dev/null", .type = AE_IFCHR, .mode = 0666, .rdev_major = 1, .rdev_minor = 3},
      {.path = "dev/loop9", .type = AE_IFBLK, .mode = 0660, .gid = 6, .rdev_major = 7, .rdev_minor = 9},
      {.path = "run/pipe", .type = AE_IFIFO, .mode = 0620},
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  struct stat null = lstat_of(tmp / "dev/null");
  EXPECT_TRUE(S_ISCHR(null.st_mode));
  EXPECT_EQ(null.st_mode & 07777, 0666u);
  EXPECT_EQ(null.st_rdev, makedev(1, 3));
  struct stat loop = lstat_of(tmp / "dev/loop9");
  EXPECT_TRUE(S_ISBLK(loop.st_mode));
  EXPECT_EQ(loop.st_rdev, makedev(7, 9));
  EXPECT_EQ(loop.st_gid, 6u);
  struct stat pipe = lstat_of(tmp / "run/pipe");
  EXPECT_TRUE(S_ISFIFO(pipe.st_mode));
  EXPECT_EQ(pipe.st_mode & 07777, 0620u);
  EXPECT_EQ(pipe.st_mtim.tv_sec, kMtime);
}

TEST(UnpackPrivileged, OwnersAsRecordedAndShifted) {
  SKIP_UNLESS_ROOT("chown to other users");
  std::vector<Entry> entries = {
      {.path = "d", .type = AE_IFDIR, .mode = 0755, .uid = 1234, .gid = 5678},
      {.path = "d/f", .uid = 1234, .gid = 5678, .data = "x"},
      {.path = "d/l", .type = AE_IFLNK, .uid = 1234, .gid = 5678, .symlink = "/nowhere"},
  };
  std::string layer = make_layer(entries);
  for (const char* name : {"d", "d/f", "d/l"}) {
    TempDir plain, shifted, unowned;
    ASSERT_TRUE(unpack(layer, plain.path()).has_value());
    ASSERT_TRUE(unpack(layer, shifted.path(), {.id_shift = 100000}).has_value());
    ASSERT_TRUE(unpack(layer, unowned.path(), {.preserve_owner = false}).has_value());
    struct stat st = lstat_of(plain / name);
    EXPECT_EQ(st.st_uid, 1234u) << name;
    EXPECT_EQ(st.st_gid, 5678u) << name;
    st = lstat_of(shifted / name);
    EXPECT_EQ(st.st_uid, 101234u) << name;
    EXPECT_EQ(st.st_gid, 105678u) << name;
    st = lstat_of(unowned / name);
    EXPECT_EQ(st.st_uid, ::geteuid()) << name;
    EXPECT_EQ(st.st_gid, ::getegid()) << name;
  }
}

// Found by tests/fuzz (regressions/unpack/uid-max-shifted.tar): the shift
// was added to a pax header's int64 uid before the range check (overflow).
TEST(UnpackPrivileged, ShiftedOwnersStayInRange) {
  SKIP_UNLESS_ROOT("chown to other users");
  constexpr int64_t kLast = 0xFFFFFFFE - 100000;  // the highest id that still fits once shifted
  {
    TempDir tmp;
    auto r = unpack(make_layer({{.path = "f", .uid = kLast, .gid = kLast, .data = "x"}}), tmp.path(),
                    {.id_shift = 100000});
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(lstat_of(tmp / "f").st_uid, 0xFFFFFFFEu);
  }
  for (int64_t uid : {kLast + 1, int64_t{INT64_MAX}}) {
    TempDir tmp;
    auto r = unpack(make_layer({{.path = "f", .uid = uid, .data = "x"}}), tmp.path(), {.id_shift = 100000});
    EXPECT_TRUE(FailsWith(r, EINVAL,
                          "layer entry \"f\": owner " + std::to_string(uid) + ":0 out of range (shifted by 100000)"))
        << uid;
  }
}

TEST(UnpackPrivileged, SetuidSetgidAndStickySurviveChown) {
  SKIP_UNLESS_ROOT("chown to other users");
  TempDir tmp;
  std::string layer = make_layer({
      {.path = "usr/bin/su", .mode = 04755, .uid = 1234, .gid = 5678, .data = "su"},
      {.path = "usr/bin/wall", .mode = 02755, .gid = 5, .data = "wall"},
      {.path = "tmp", .type = AE_IFDIR, .mode = 01777, .uid = 1234},
      {.path = "shared", .type = AE_IFDIR, .mode = 02775, .gid = 5678},
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(lstat_of(tmp / "usr/bin/su").st_mode & 07777, 04755u);
  EXPECT_EQ(lstat_of(tmp / "usr/bin/su").st_uid, 1234u);
  EXPECT_EQ(lstat_of(tmp / "usr/bin/wall").st_mode & 07777, 02755u);
  EXPECT_EQ(lstat_of(tmp / "tmp").st_mode & 07777, 01777u);
  EXPECT_EQ(lstat_of(tmp / "shared").st_mode & 07777, 02775u);
}

// VFS_CAP_REVISION_2 with the effective flag, then {permitted, inheritable}
// for capabilities 0-31 and 32-63, little-endian: cap_net_bind_service (10)
// permitted.
std::string capability_blob() {
  const uint32_t words[5] = {0x02000001, 1u << 10, 0, 0, 0};
  std::string blob;
  for (uint32_t w : words)
    for (int shift = 0; shift < 32; shift += 8) blob.push_back(static_cast<char>((w >> shift) & 0xff));
  return blob;
}

TEST(UnpackPrivileged, XattrsAndFileCapabilitiesAfterChown) {
  SKIP_UNLESS_ROOT("security.capability and chown to other users");
  TempDir tmp;
  std::string caps = capability_blob();
  ASSERT_EQ(caps.size(), 20u);
  std::string layer = make_layer({
      {.path = "ping", .mode = 0755, .uid = 1234, .data = "elf", .xattrs = {{"security.capability", caps}}},
      {.path = "f", .data = "x", .xattrs = {{"user.test", "value"}, {"user.other", std::string("a\0b", 3)}}},
      {.path = "d", .type = AE_IFDIR, .mode = 0755, .xattrs = {{"user.dir", "yes"}}},
      {.path = "l", .type = AE_IFLNK, .symlink = "f", .xattrs = {{"trusted.link", "on the link"}}},
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(xattr_of(tmp / "ping", "security.capability"), caps);
  EXPECT_EQ(lstat_of(tmp / "ping").st_uid, 1234u);
  EXPECT_EQ(xattr_of(tmp / "f", "user.test"), "value");
  EXPECT_EQ(xattr_of(tmp / "f", "user.other"), std::string("a\0b", 3));
  EXPECT_EQ(xattr_of(tmp / "d", "user.dir"), "yes");
  EXPECT_EQ(xattr_of(tmp / "l", "trusted.link"), "on the link");
  EXPECT_EQ(xattr_of(tmp / "f", "trusted.link"), "<No data available>") << "set on the link, not its target";
}

// ---------------------------------------------------------------------------

TEST(UnpackWhiteout, BecomesCharDeviceZeroZero) {
  SKIP_UNLESS_ROOT("chown of the whiteout devices");
  TempDir tmp;
  std::string layer = make_layer({
      {.path = "etc/gone", .data = "made earlier in this layer"},
      {.path = "etc/.wh.gone"},
      {.path = "var/cache/sub/file", .data = "x"},
      {.path = "var/.wh.cache"},
      {.path = ".wh.toplevel", .uid = 1234},
      {.path = "lib/.wh..wh.plnk", .type = AE_IFDIR},
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  for (const char* name : {"etc/gone", "var/cache", "toplevel"}) {
    struct stat st = lstat_of(tmp / name);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << name;
    EXPECT_EQ(st.st_rdev, makedev(0, 0)) << name;
  }
  EXPECT_EQ(lstat_of(tmp / "toplevel").st_uid, 1234u);
  EXPECT_FALSE(exists(tmp / "etc/.wh.gone"));
  EXPECT_FALSE(exists(tmp / "lib/.wh..wh.plnk")) << "aufs metadata is skipped";
}

TEST(UnpackWhiteout, OpaqueDirectoryGetsTheOverlayXattr) {
  SKIP_UNLESS_ROOT("trusted.* xattrs");
  TempDir tmp;
  std::string layer = make_layer({
      {.path = "d", .type = AE_IFDIR, .mode = 0755},
      {.path = "d/.wh..wh..opq"},
      {.path = "d/kept", .data = "same layer"},
      {.path = "new/deep/.wh..wh..opq"},  // the directory is not listed
  });
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(xattr_of(tmp / "d", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(xattr_of(tmp / "new/deep", "trusted.overlay.opaque"), "y");
  EXPECT_EQ(xattr_of(tmp / "new", "trusted.overlay.opaque"), "<No data available>");
  EXPECT_FALSE(exists(tmp / "d/.wh..wh..opq"));
  EXPECT_EQ(testing::get_file(tmp / "d/kept"), "same layer");
}

// ---------------------------------------------------------------------------

std::vector<Entry> digest_entries() {
  return {
      {.path = "a", .type = AE_IFDIR, .mode = 0755},
      {.path = "a/b", .data = std::string(100000, 'b')},
      {.path = "a/c", .type = AE_IFLNK, .symlink = "b"},
  };
}

TEST(UnpackDigest, DiffIdIsTheSameWhateverTheCompression) {
  std::string plain = make_layer(digest_entries());
  Digest tar_digest = sha256_of(plain);
  for (Filter f : {Filter::none, Filter::gzip, Filter::zstd, Filter::xz, Filter::bzip2}) {
    SCOPED_TRACE(static_cast<int>(f));
    std::string layer = make_layer(digest_entries(), f);
    if (f != Filter::none) {
      ASSERT_NE(layer, plain);
    }
    TempDir tmp;
    auto r = unpack(layer, tmp.path());
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->diff_id, tar_digest);
    EXPECT_EQ(r->tar_size, plain.size());
    EXPECT_EQ(r->blob_digest, sha256_of(layer));
    EXPECT_EQ(r->blob_size, layer.size());
    EXPECT_EQ(r->entries, 3u);
    EXPECT_EQ(lstat_of(tmp / "a/b").st_size, 100000);
  }
}

// DATA compressed as one stream (libarchive's "raw" format: no tar around it).
std::string compress(const std::string& data, Filter filter) {
  std::string out;
  archive* w = archive_write_new();
  archive_write_set_format_raw(w);
  add_filter(w, filter);
  archive_write_set_bytes_in_last_block(w, 1);
  EXPECT_EQ(archive_write_open(w, &out, nullptr, append_to_string, nullptr), ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  EXPECT_EQ(archive_write_header(w, e), ARCHIVE_OK) << archive_error_string(w);
  EXPECT_EQ(archive_write_data(w, data.data(), data.size()), static_cast<la_ssize_t>(data.size()));
  archive_entry_free(e);
  EXPECT_EQ(archive_write_close(w), ARCHIVE_OK);
  archive_write_free(w);
  return out;
}

// The tar's end blocks fall just short of 1 MiB, its padding to a 10 KiB
// record runs past it: the tar reader stops reading before the padding, and
// small reads leave the end of the compressed stream unread too. Both
// digests must still cover every byte.
TEST(UnpackDigest, PaddingAfterTheTarAndTheCompressedStreamIsHashed) {
  // 512 header + 1044992 data + 1024 end blocks = 1046528, then padded to 1054720.
  std::string plain = make_layer({{.path = "big", .data = std::string(1044992, 'z')}}, Filter::none,
                                 /*pad_blocks=*/true);
  ASSERT_EQ(plain.size(), 1054720u);
  for (Filter f : {Filter::none, Filter::gzip, Filter::zstd}) {
    SCOPED_TRACE(static_cast<int>(f));
    std::string layer = f == Filter::none ? plain : compress(plain, f);
    // Zeros after a gzip stream, as some tools leave them.
    if (f == Filter::gzip) layer += std::string(3000, '\0');
    TempDir tmp;
    auto r = unpack_layer(reader_of(layer, 512), tmp.path(), opts_for_user());
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->blob_digest, sha256_of(layer));
    EXPECT_EQ(r->blob_size, layer.size());
    EXPECT_EQ(r->diff_id, sha256_of(plain));
    EXPECT_EQ(r->tar_size, plain.size());
    EXPECT_EQ(lstat_of(tmp / "big").st_size, 1044992);
  }
}

TEST(UnpackDigest, SmallReadsGiveTheSameResult) {
  std::string layer = make_layer(digest_entries(), Filter::zstd);
  TempDir a, b;
  auto whole = unpack(layer, a.path());
  auto bits = unpack_layer(reader_of(layer, 7), b.path(), opts_for_user());
  ASSERT_TRUE(whole.has_value()) << whole.error().what();
  ASSERT_TRUE(bits.has_value()) << bits.error().what();
  EXPECT_EQ(bits->blob_digest, whole->blob_digest);
  EXPECT_EQ(bits->diff_id, whole->diff_id);
  EXPECT_EQ(testing::get_file(b / "a/b"), std::string(100000, 'b'));
}

// ---------------------------------------------------------------------------

TEST(UnpackPaths, DotDotThatLeavesIsRejected) {
  for (const char* bad : {"../x", "a/../../x", "./../x", "/../x"}) {
    TempDir tmp;
    ASSERT_EQ(::mkdir((tmp / "root").c_str(), 0755), 0);
    auto r = unpack(make_layer({{.path = bad, .data = "escaped"}}), tmp / "root");
    EXPECT_TRUE(FailsWith(r, EINVAL, "layer entry \"" + std::string(bad) + "\": path leaves the layer"));
    EXPECT_FALSE(exists(tmp / "x")) << bad;
  }
}

TEST(UnpackPaths, DotDotThatStaysInsideIsFine) {
  TempDir tmp;
  auto r = unpack(make_layer({{.path = "a/../b", .data = "b"}}), tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(testing::get_file(tmp / "b"), "b");
}

TEST(UnpackPaths, AbsolutePathMeansTheLayerRoot) {
  TempDir tmp;
  auto r = unpack(make_layer({{.path = "/etc/x", .data = "inside"}}), tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(testing::get_file(tmp / "etc/x"), "inside");
}

// A symlink made by an earlier entry must not lead a later one out of DEST:
// the later entry either lands inside or fails, and the host path stays
// untouched.
TEST(UnpackPaths, SymlinkFromAnEarlierEntryCannotLeadOut) {
  struct Case {
    const char* name;
    std::string link_target;  // of "evil"
    std::string entry;        // written through "evil"
    std::string host;         // where an escape would land
  };
  std::string h1 = unique_host_path("root"), h2 = unique_host_path("tmp"), h3 = unique_host_path("dotdot");
  std::vector<Case> cases = {
      {"absolute /", "/", "evil" + h1, h1},
      {"absolute /tmp", "/tmp", "evil/" + h2.substr(5), h2},
      {"relative ..", "../../../../../../../..", "evil" + h3, h3},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir tmp;
    auto r = unpack(make_layer({{.path = "evil", .type = AE_IFLNK, .symlink = c.link_target},
                                {.path = c.entry, .data = "escaped"}}),
                    tmp.path());
    EXPECT_FALSE(exists(c.host)) << c.host << " was written outside DEST";
    if (r) {
      // RESOLVE_IN_ROOT: the link's "/" is DEST.
      std::string inside = c.link_target == "/tmp" ? tmp / ("tmp/" + c.host.substr(5)) : tmp.path() + c.host;
      EXPECT_EQ(testing::get_file(inside), "escaped");
    }
    ::unlink(c.host.c_str());
  }
}

TEST(UnpackPaths, SymlinkAsTheLastComponentIsReplacedNotFollowed) {
  TempDir tmp;
  std::string host = unique_host_path("final");
  auto r =
      unpack(make_layer({{.path = "s", .type = AE_IFLNK, .symlink = host}, {.path = "s", .data = "local"}}),
             tmp.path());
  EXPECT_FALSE(exists(host));
  ::unlink(host.c_str());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(testing::get_file(tmp / "s"), "local");
}

TEST(UnpackPaths, HardLinkTargetMustStayInside) {
  TempDir tmp;
  ASSERT_EQ(::mkdir((tmp / "root").c_str(), 0755), 0);
  auto r = unpack(make_layer({{.path = "pw", .hardlink = "../../etc/passwd"}}), tmp / "root");
  EXPECT_TRUE(
      FailsWith(r, EINVAL, "layer entry \"pw\": hard link target \"../../etc/passwd\" leaves the layer"));
  EXPECT_FALSE(exists(tmp / "root/pw"));

  // Through a symlink, the target is looked up inside DEST: no /etc/passwd
  // there, so no link.
  TempDir tmp2;
  r = unpack(make_layer({{.path = "evil", .type = AE_IFLNK, .symlink = "/etc"},
                         {.path = "pw", .hardlink = "evil/passwd"}}),
             tmp2.path());
  EXPECT_TRUE(FailsWith(r, ENOENT, "layer entry \"pw\""));
  EXPECT_FALSE(exists(tmp2 / "pw"));
}

// ---------------------------------------------------------------------------

TEST(UnpackCorrupt, TruncatedGzip) {
  std::string layer = make_layer(digest_entries(), Filter::gzip);
  for (size_t keep : {layer.size() / 2, layer.size() - 4, size_t{5}}) {
    SCOPED_TRACE(keep);
    TempDir tmp;
    auto r = unpack(layer.substr(0, keep), tmp.path());
    EXPECT_TRUE(FailsWith(r, EINVAL, "corrupt or truncated layer: "));
  }
}

TEST(UnpackCorrupt, CorruptGzip) {
  std::string layer = make_layer(digest_entries(), Filter::gzip);
  for (size_t i = 20; i < 60; ++i) layer[i] = static_cast<char>(layer[i] ^ 0x5a);
  TempDir tmp;
  EXPECT_TRUE(FailsWith(unpack(layer, tmp.path()), EINVAL, "corrupt or truncated layer: "));
}

// Concatenated gzip members are one stream (gunzip's rule; pigz and some
// layer builders write them): a tar split across two members unpacks whole,
// and the digests cover every byte.
TEST(UnpackStream, ConcatenatedGzipMembersAreOneStream) {
  std::string tar = make_layer(digest_entries());
  size_t half = tar.size() / 2 + 7;  // mid-entry, not on a block boundary
  std::string layer = compress(tar.substr(0, half), Filter::gzip) + compress(tar.substr(half), Filter::gzip);
  TempDir tmp;
  auto r = unpack(layer, tmp.path());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->diff_id, sha256_of(tar));
  EXPECT_EQ(r->blob_digest, sha256_of(layer));
  EXPECT_EQ(r->blob_size, layer.size());
  TempDir whole;
  auto w = unpack(tar, whole.path());
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(r->entries, w->entries);
}

// A caller that checks the blob itself (a registry pull) gets no blob digest,
// only its size; the diff_id is computed as always.
TEST(UnpackStream, NoBlobHashWhenTheCallerChecksIt) {
  std::string layer = make_layer(digest_entries(), Filter::gzip);
  TempDir tmp;
  UnpackOptions o = opts_for_user();
  o.hash_blob = false;
  auto r = unpack(layer, tmp.path(), o);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_TRUE(r->blob_digest.empty());
  EXPECT_EQ(r->blob_size, layer.size());
  EXPECT_EQ(r->diff_id, sha256_of(make_layer(digest_entries())));
}

TEST(UnpackCorrupt, TruncatedAndForeignTars) {
  std::string plain = make_layer(digest_entries());
  TempDir a, b;
  EXPECT_TRUE(FailsWith(unpack(plain.substr(0, 5000), a.path()), EINVAL, "corrupt or truncated layer: "));
  EXPECT_TRUE(FailsWith(unpack(std::string(4096, 'x') + "not a tar", b.path()), EINVAL,
                        "corrupt or truncated layer: "));
}

TEST(UnpackRead, ErrorFromReadAbortsWithIt) {
  std::string layer = make_layer(digest_entries(), Filter::gzip);
  for (size_t fail_after : {size_t{0}, size_t{1000}, layer.size()}) {
    SCOPED_TRACE(fail_after);
    size_t pos = 0;
    ReadFn read = [&](void* buf, size_t size) -> Result<size_t> {
      if (pos >= fail_after) return fail_code(ECONNRESET, "registry: connection reset");
      size_t n = std::min({size, size_t{500}, fail_after - pos});
      std::memcpy(buf, layer.data() + pos, n);
      pos += n;
      return n;
    };
    TempDir tmp;
    auto r = unpack_layer(read, tmp.path(), opts_for_user());
    EXPECT_TRUE(FailsWith(r, ECONNRESET, "read layer: registry: connection reset"));
  }
}

TEST(UnpackRead, DestinationMustExist) {
  TempDir tmp;
  EXPECT_TRUE(FailsWith(unpack(make_layer(digest_entries()), tmp / "missing"), ENOENT, "unpack layer"));
}

}  // namespace
}  // namespace husk::image
