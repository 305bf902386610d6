// image/tar_stream's write_upper_tar and image/commit: an overlay upper dir
// as an OCI layer (a 0/0 char device is ".wh.NAME", an opaque directory gets
// ".wh..wh..opq", overlayfs's own xattrs stay out), and a commit's image:
// the base's layers plus that one, its history, author and comment, and the
// whiteout back as overlayfs's in the stored layer. Whiteouts and trusted.*
// xattrs need root: without it these say SKIP.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>

#include "base/fd.hpp"
#include "image/commit.hpp"
#include "image/tar_stream.hpp"
#include "image_layers.hpp"
#include "test_helpers.hpp"

namespace husk::image {
namespace {

using husk::testing::FailsWith;
using husk::testing::put_file;
using husk::testing::TempDir;
using namespace husk::image::test_layers;

struct TarEntry {
  unsigned type = 0;
  int64_t size = 0;
  std::vector<std::string> xattrs;
};

// The entries of the tar in FD (from its start), by name, in order.
std::vector<std::pair<std::string, TarEntry>> read_tar(int fd) {
  std::vector<std::pair<std::string, TarEntry>> out;
  EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  EXPECT_EQ(archive_read_open_fd(a.get(), fd, 65536), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    TarEntry t{archive_entry_filetype(e), archive_entry_size(e), {}};
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) t.xattrs.push_back(name);
    out.emplace_back(archive_entry_pathname(e), t);
  }
  return out;
}

// An upper dir as overlayfs leaves it: a new file, a deleted one (0/0 char
// device), a directory made opaque (deleted and made again), a file with
// overlayfs's origin xattr. False when this user cannot make them.
bool make_upper(const std::string& upper) {
  EXPECT_TRUE(mkdir_all(upper + "/etc", 0755).has_value());
  put_file(upper + "/etc/new", "changed\n");
  put_file(upper + "/copied", "up\n");
  if (::mknod((upper + "/etc/gone").c_str(), S_IFCHR | 0, makedev(0, 0)) < 0) return false;
  EXPECT_EQ(::mkdir((upper + "/opq").c_str(), 0755), 0);
  put_file(upper + "/opq/kept", "k\n");
  if (::setxattr((upper + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0) < 0) return false;
  if (::setxattr((upper + "/copied").c_str(), "trusted.overlay.origin", "\0\1", 2, 0) < 0) return false;
  return true;
}

TEST(ImageCommit, UpperDirWhiteoutsBecomeOciWhiteouts) {
  TempDir tmp;
  std::string upper = tmp / "upper";
  if (!make_upper(upper)) GTEST_SKIP() << "needs root: mknod 0/0 and trusted.* xattrs";
  auto root = open_fd(upper, O_PATH | O_DIRECTORY);
  ASSERT_TRUE(root.has_value());
  UniqueFd out(::open(tmp.path().c_str(), O_TMPFILE | O_RDWR, 0600));
  ASSERT_TRUE(out);
  auto r = write_upper_tar(root->get(), out.get());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  auto entries = read_tar(out.get());
  std::vector<std::string> names;
  for (auto& [n, e] : entries) names.push_back(n);
  // Sorted, each directory (named with a slash, as tar does) before what it
  // holds, the opaque marker first in it.
  EXPECT_EQ(names, (std::vector<std::string>{"copied", "etc/", "etc/.wh.gone", "etc/new", "opq/",
                                             "opq/.wh..wh..opq", "opq/kept"}));
  std::map<std::string, TarEntry> by_name(entries.begin(), entries.end());
  EXPECT_EQ(by_name["etc/.wh.gone"].type, static_cast<unsigned>(AE_IFREG));
  EXPECT_EQ(by_name["etc/.wh.gone"].size, 0);
  EXPECT_EQ(by_name["etc/new"].size, 8);
  for (auto& [n, e] : entries)
    for (auto& x : e.xattrs) EXPECT_FALSE(x.starts_with("trusted.overlay.")) << n << " keeps " << x;
}

TEST(ImageCommit, RootTarKeepsCharDevicesAndLinksAsTheyAre) {
  TempDir tmp;
  std::string root_dir = tmp / "root";
  ASSERT_TRUE(mkdir_all(root_dir + "/d", 0755).has_value());
  put_file(root_dir + "/d/f", "x");
  ASSERT_EQ(::symlink("/etc/passwd", (root_dir + "/link").c_str()), 0);
  auto root = open_fd(root_dir, O_PATH | O_DIRECTORY);
  ASSERT_TRUE(root.has_value());
  UniqueFd out(::open(tmp.path().c_str(), O_TMPFILE | O_RDWR, 0600));
  auto r = write_root_tar(root->get(), out.get());
  ASSERT_TRUE(r.has_value()) << r.error().what();
  auto entries = read_tar(out.get());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].first, "d/");
  EXPECT_EQ(entries[1].first, "d/f");
  EXPECT_EQ(entries[2].first, "link");
  EXPECT_EQ(entries[2].second.type, static_cast<unsigned>(AE_IFLNK));  // never followed
}

TEST(ImageCommit, RedirectedDirectoryIsRefused) {
  TempDir tmp;
  std::string upper = tmp / "upper";
  ASSERT_TRUE(mkdir_all(upper + "/moved", 0755).has_value());
  if (::setxattr((upper + "/moved").c_str(), "trusted.overlay.redirect", "/old", 4, 0) < 0)
    GTEST_SKIP() << "needs root: trusted.* xattrs";
  auto root = open_fd(upper, O_PATH | O_DIRECTORY);
  UniqueFd out(::open(tmp.path().c_str(), O_TMPFILE | O_RDWR, 0600));
  EXPECT_TRUE(FailsWith(write_upper_tar(root->get(), out.get()), ENOTSUP, "trusted.overlay.redirect"));
}

TEST(ImageCommit, CommitAddsOneLayerOnTheBaseWithItsHistory) {
  TempDir tmp;
  std::string upper = tmp / "upper";
  if (!make_upper(upper)) GTEST_SKIP() << "needs root: mknod 0/0 and trusted.* xattrs";
  auto store = Store::open(tmp / "store");
  ASSERT_TRUE(store.has_value()) << store.error().what();
  Store::LayerSource src;
  src.read = reader_of(make_layer({{.path = "etc", .type = AE_IFDIR, .mode = 0755},
                                   {.path = "etc/gone", .data = "old\n"},
                                   {.path = "etc/kept", .data = "kept\n"}}));
  src.desc.media_type = std::string(media::kOciLayer);
  auto layer = store->add_layer(src);
  ASSERT_TRUE(layer.has_value()) << layer.error().what();
  NewImage base_what;
  base_what.config.cmd = {"sh"};
  base_what.created_by = "base";
  base_what.names = {"docker.io/library/base:latest"};
  auto base = add_layer_image(*store, nullptr, *layer, base_what);
  ASSERT_TRUE(base.has_value()) << base.error().what();

  NewImage what;
  what.config.cmd = {"echo", "hi"};
  what.author = "A U Thor";
  what.comment = "a message";
  what.container = "c0ffee";
  what.created_by = "husk commit c";
  auto img = commit_upper(*store, *base, upper, what);
  ASSERT_TRUE(img.has_value()) << img.error().what();
  EXPECT_NE(img->id(), base->id());
  // Untagged: its one name its manifest's digest, which lists as <none>.
  EXPECT_EQ(img->names, (std::vector<std::string>{img->manifest_digest.str()}));
  ASSERT_EQ(img->config.diff_ids.size(), 2u);
  EXPECT_EQ(img->config.diff_ids[0], base->config.diff_ids[0]);
  ASSERT_EQ(img->manifest.layers.size(), 2u);
  EXPECT_EQ(img->config.author, "A U Thor");
  EXPECT_EQ(img->config.comment, "a message");
  EXPECT_EQ(img->config.container, "c0ffee");
  EXPECT_EQ(img->config.config.cmd, (std::vector<std::string>{"echo", "hi"}));
  ASSERT_EQ(img->config.history.size(), 2u);
  EXPECT_EQ(img->config.history[1].comment, "a message");
  EXPECT_EQ(img->config.history[1].author, "A U Thor");
  // The stored layer: the OCI whiteout unpacked as overlayfs's again.
  auto top = chain_ids(img->config.diff_ids).back();
  std::string diff = store->layer_diff_dir(top);
  struct stat st;
  ASSERT_EQ(::lstat((diff + "/etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode) && st.st_rdev == 0);
  EXPECT_EQ(husk::testing::get_file(diff + "/etc/new"), "changed\n");
  EXPECT_FALSE(path_exists(diff + "/etc/kept"));  // the base's, not the container's change
}

}  // namespace
}  // namespace husk::image
