// image/store and image/bundle: chain ids, verified blobs, layers that land
// whole or not at all, names, garbage collection, and turning an image
// config into a container's user and command. Real files in a temp dir; the
// overlay mount and running the bundle are the integration tests' part
// (tests/integration/image*.bats).
#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "image/bundle.hpp"
#include "image/overlay.hpp"
#include "image/store.hpp"
#include "image_layers.hpp"
#include "test_helpers.hpp"

namespace husk::image {
namespace {

using husk::testing::FailsWith;
using husk::testing::put_file;
using husk::testing::TempDir;
using namespace husk::image::test_layers;

std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

std::string layer_tar(const std::string& file, const std::string& content) {
  return make_layer({{.path = file, .data = content}});
}

Store open_store(const TempDir& tmp) {
  auto s = Store::open(tmp / "store");
  EXPECT_TRUE(s.has_value()) << s.error().what();
  return std::move(*s);
}

TEST(ImageStore, ChainIdsFollowTheImageSpec) {
  Digest a = sha256_of("a"), b = sha256_of("b"), c = sha256_of("c");
  auto chains = chain_ids({a, b, c});
  ASSERT_EQ(chains.size(), 3u);
  EXPECT_EQ(chains[0], a);
  EXPECT_EQ(chains[1], sha256_of(a.str() + " " + b.str()));
  EXPECT_EQ(chains[2], sha256_of(chains[1].str() + " " + c.str()));
  EXPECT_TRUE(chain_ids({}).empty());
}

TEST(ImageStore, BlobsAreVerifiedAndNothingIsLeftOfABadOne) {
  TempDir tmp;
  Store store = open_store(tmp);
  auto good = store.put_blob("hello", sha256_of("hello"));
  ASSERT_TRUE(good.has_value()) << good.error().what();
  EXPECT_EQ(husk::testing::get_file(store.blob_path(*good)), "hello");
  EXPECT_TRUE(FailsWith(store.put_blob("tampered", sha256_of("original")), EBADMSG, "digest mismatch"));
  EXPECT_FALSE(store.has_blob(sha256_of("original")));
  EXPECT_FALSE(store.has_blob(sha256_of("tampered")));
  auto w = store.begin_blob();
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE(w->write("abc", 3).has_value());
  EXPECT_TRUE(FailsWith(w->commit(sha256_of("abc"), 4), EBADMSG, "size mismatch"));
  {
    auto dropped = store.begin_blob();  // never committed
    ASSERT_TRUE(dropped->write("x", 1).has_value());
  }
  EXPECT_EQ(entries_of(tmp / "store/tmp"), std::vector<std::string>{}) << "temporary blobs removed";
}

TEST(ImageStore, LayersLandWholeWithAShortLinkOrNotAtAll) {
  TempDir tmp;
  Store store = open_store(tmp);
  std::string tar = layer_tar("etc/os-release", "husk\n");
  Store::LayerSource src;
  src.read = reader_of(tar);
  src.desc.media_type = "application/vnd.oci.image.layer.v1.tar";
  src.expected_diff_id = sha256_of(tar);
  auto l = store.add_layer(src);
  ASSERT_TRUE(l.has_value()) << l.error().what();
  EXPECT_EQ(l->chain_id, sha256_of(tar));
  EXPECT_EQ(l->blob, sha256_of(tar)) << "a plain tar is its own blob";
  EXPECT_TRUE(store.has_blob(l->blob));
  EXPECT_EQ(husk::testing::get_file(store.root() + "/" + l->link + "/etc/os-release"), "husk\n");
  auto again = store.layer(l->chain_id);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->link, l->link);

  // A layer whose content is not what the image config says: refused, and
  // neither it nor its blob nor a link stays.
  std::string other = layer_tar("x", "y");
  Store::LayerSource bad;
  bad.read = reader_of(other);
  bad.expected_diff_id = sha256_of("something else");
  EXPECT_TRUE(FailsWith(store.add_layer(bad), EBADMSG, "diff_id"));
  EXPECT_EQ(entries_of(store.root() + "/layers").size(), 1u);
  EXPECT_EQ(entries_of(store.root() + "/l").size(), 1u);
  EXPECT_FALSE(store.has_blob(sha256_of(other)));
  EXPECT_EQ(entries_of(store.root() + "/tmp"), std::vector<std::string>{});
}

TEST(ImageStore, TheSameLayerAddedAtOnceIsStoredOnce) {
  TempDir tmp;
  Store store = open_store(tmp);
  std::string tar = layer_tar("a", std::string(300000, 'a'));
  std::vector<Result<LayerInfo>> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results)
    threads.emplace_back([&] {
      Store::LayerSource src;
      src.read = reader_of(tar, 4096);
      r = store.add_layer(src);
    });
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_EQ(r->link, results[0]->link) << "every caller gets the one stored layer";
  }
  EXPECT_EQ(entries_of(store.root() + "/layers").size(), 1u);
  EXPECT_EQ(entries_of(store.root() + "/l").size(), 1u);
  EXPECT_EQ(entries_of(store.root() + "/tmp"), std::vector<std::string>{});
}

// A one-layer image in the store, named NAME.
Result<StoredImage> add_test_image(const Store& store, const std::string& file, const std::string& name) {
  std::string tar = layer_tar(file, "content of " + file);
  Store::LayerSource src;
  src.read = reader_of(tar);
  src.desc.media_type = std::string(media::kOciLayer);
  auto layer = HUSK_TRY(store.add_layer(src));
  ImageConfig c;
  c.platform = host_platform();
  c.diff_ids = {layer.diff_id};
  c.config.cmd = {"sh"};
  std::string config = to_json(c);
  Manifest m;
  m.media_type = std::string(media::kOciManifest);
  m.config =
      Descriptor{std::string(media::kOciConfig), sha256_of(config), static_cast<int64_t>(config.size())};
  m.layers.push_back(Descriptor{layer.blob_media_type, layer.blob, layer.blob_size});
  return store.add_image(to_json(m), config, {HUSK_TRY(parse_reference(name)).str()});
}

TEST(ImageStore, NamesIdsAndPrefixesFindImages) {
  TempDir tmp;
  Store store = open_store(tmp);
  auto a = add_test_image(store, "a", "busybox");
  ASSERT_TRUE(a.has_value()) << a.error().what();
  auto b = add_test_image(store, "b", "localhost:5000/b:1");
  ASSERT_TRUE(b.has_value()) << b.error().what();
  EXPECT_EQ(store.find_image("docker.io/library/busybox:latest")->id(), a->id());
  EXPECT_EQ(store.find_image(a->id().str())->id(), a->id());
  EXPECT_EQ(store.find_image(b->id().hex.substr(0, 12))->id(), b->id());
  EXPECT_TRUE(FailsWith(store.find_image("nothere"), ENOENT, "no such image"));
  // A name wins over an id prefix that reads the same (docker's order).
  std::string prefix = b->id().hex.substr(0, 8);
  ASSERT_TRUE(store.tag(*a, *parse_reference(prefix)).has_value());
  EXPECT_EQ(store.find_image(prefix)->id(), a->id());
  EXPECT_EQ(store.find_image(b->id().hex.substr(0, 9))->id(), b->id());
  EXPECT_TRUE(store.untag(prefix, false).has_value());
  ASSERT_TRUE(store.tag(*a, *parse_reference("mine:2")).has_value());
  EXPECT_EQ(store.find_image("mine:2")->id(), a->id());
  EXPECT_TRUE(FailsWith(store.untag(a->id().str(), false), EBUSY, "several names"));
  auto removed = store.untag("mine:2", false);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(*removed, std::vector<std::string>{"docker.io/library/mine:2"});
  EXPECT_TRUE(store.find_image("busybox").has_value()) << "the other name stays";
}

TEST(ImageStore, TwoManifestsOfOneConfigAreOneImageWithAllTheirNames) {
  TempDir tmp;
  Store store = open_store(tmp);
  auto pulled = add_test_image(store, "a", "localhost:5000/bbx:latest");
  ASSERT_TRUE(pulled.has_value()) << pulled.error().what();
  // The same config under another manifest (a save and a load: docker's
  // media type, another annotation), named other:1.
  Manifest m = pulled->manifest;
  m.media_type = std::string(media::kDockerManifest);
  m.config.media_type = std::string(media::kDockerConfig);
  auto loaded = store.add_image(to_json(m), pulled->config_bytes, {parse_reference("other:1")->str()});
  ASSERT_TRUE(loaded.has_value()) << loaded.error().what();
  ASSERT_NE(loaded->manifest_digest, pulled->manifest_digest);
  auto all = store.list_images();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 1u) << "one image";
  EXPECT_EQ((*all)[0].names.size(), 2u);
  EXPECT_EQ((*all)[0].manifests.size(), 2u);
  for (const std::string& name :
       std::vector<std::string>{"other:1", "localhost:5000/bbx", pulled->id().str(), pulled->id().hex.substr(0, 12)}) {
    auto found = store.find_image(name);
    ASSERT_TRUE(found.has_value()) << name << ": " << found.error().what();
    EXPECT_EQ(found->id(), pulled->id()) << name;
  }
  EXPECT_EQ(store.find_image("other:1")->manifest_digest, loaded->manifest_digest) << "the name's own manifest";
  // One of its names goes: the image stays, found by id.
  auto removed = store.untag("other:1", false);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(*removed, std::vector<std::string>{"docker.io/library/other:1"});
  EXPECT_TRUE(store.find_image(pulled->id().str()).has_value());
  EXPECT_TRUE(FailsWith(store.untag("other:1", false), ENOENT, "no such image"));
}

TEST(ImageStore, GcKeepsWhatNamesAndContainersNeedAndRemovesTheRest) {
  TempDir tmp;
  Store store = open_store(tmp);
  auto kept = add_test_image(store, "kept", "kept:1");
  auto used = add_test_image(store, "used", "used:1");
  auto gone = add_test_image(store, "gone", "gone:1");
  ASSERT_TRUE(kept && used && gone);
  // A container made from "used" keeps it after its name goes.
  ASSERT_TRUE(mkdir_all(store.root() + "/containers/c1").has_value());
  put_file(store.root() + "/containers/c1/image", used->manifest_digest.str() + "\n");
  ASSERT_TRUE(store.untag("used:1", false).has_value());
  ASSERT_TRUE(store.untag("gone:1", false).has_value());
  put_file(store.root() + "/tmp/leftover-of-a-crash", "x");
  auto report = store.gc();
  ASSERT_TRUE(report.has_value()) << report.error().what();
  EXPECT_TRUE(store.has_layer(chain_ids(kept->config.diff_ids)[0]));
  EXPECT_TRUE(store.has_layer(chain_ids(used->config.diff_ids)[0]));
  EXPECT_TRUE(store.has_blob(used->manifest_digest));
  EXPECT_FALSE(store.has_layer(chain_ids(gone->config.diff_ids)[0]));
  EXPECT_FALSE(store.has_blob(gone->manifest_digest));
  EXPECT_FALSE(store.has_blob(gone->id()));
  EXPECT_EQ(entries_of(store.root() + "/l").size(), 2u) << "the gone layer's short link too";
  EXPECT_EQ(entries_of(store.root() + "/tmp"), std::vector<std::string>{});
}

TEST(ImageBundle, UsersResolveInTheImagesPasswdAndGroup) {
  TempDir tmp;
  ASSERT_TRUE(mkdir_all(tmp / "rootfs/etc").has_value());
  put_file(tmp / "rootfs/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n");
  put_file(tmp / "rootfs/etc/group", "root:x:0:\napp:x:1001:\nwheel:x:10:app,other\naudio:x:29:app\n");
  auto r = resolve_user(tmp / "rootfs", "app");
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->gid, 1001u);
  EXPECT_EQ(r->additional_gids, (std::vector<uint32_t>{10, 29}));
  r = resolve_user(tmp / "rootfs", "app:wheel");
  EXPECT_EQ(r->gid, 10u);
  EXPECT_TRUE(r->additional_gids.empty()) << "a given group replaces the supplementary ones, as docker";
  r = resolve_user(tmp / "rootfs", "4242");
  EXPECT_EQ(r->uid, 4242u) << "a uid need not be in passwd";
  EXPECT_EQ(r->gid, 0u);
  r = resolve_user(tmp / "rootfs", "1000:29");
  EXPECT_EQ(r->uid, 1000u);
  EXPECT_EQ(r->gid, 29u);
  EXPECT_TRUE(FailsWith(resolve_user(tmp / "rootfs", "nobody"), ENOENT, "unable to find user nobody"));
  EXPECT_TRUE(FailsWith(resolve_user(tmp / "rootfs", "app:nogroup"), ENOENT, "unable to find group nogroup"));
  // --group-add: names or gids of the group file, else numbers as they are.
  auto g = resolve_groups(tmp / "rootfs", {"audio", "10", "4242", "wheel"});
  ASSERT_TRUE(g.has_value()) << g.error().what();
  EXPECT_EQ(*g, (std::vector<uint32_t>{29, 10, 4242})) << "once each, in order";
  EXPECT_TRUE(FailsWith(resolve_groups(tmp / "rootfs", {"video"}), ENOENT,
                        "Unable to find group video: no matching entries in group file"));
  EXPECT_TRUE(FailsWith(resolve_groups(tmp / "rootfs", {"2147483648"}), ERANGE, "range 0-2147483647"));
  // /etc/passwd is read inside the rootfs: a symlink to a host file with a
  // root entry reads nothing of it.
  put_file(tmp / "host-passwd", "root:x:0:0:root:/root:/bin/sh\n");
  ASSERT_TRUE(remove_all(tmp / "rootfs/etc/passwd").has_value());
  ASSERT_EQ(::symlink((tmp / "host-passwd").c_str(), (tmp / "rootfs/etc/passwd").c_str()), 0);
  EXPECT_TRUE(FailsWith(resolve_user(tmp / "rootfs", "root"), ENOENT, "unable to find user root"));
}

}  // namespace
}  // namespace husk::image

namespace husk::image {
namespace {

// Both ways of mounting a deep image, in a mount namespace of a child
// process (needs root): the new API with one "lowerdir+" per layer, and the
// classic options string of short links that older kernels get.
class OverlayDeep : public ::testing::TestWithParam<MountApi> {};

TEST_P(OverlayDeep, TwoHundredLayersMountAndShowTopAndBottom) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (mount)";
  TempDir tmp;
  Store store = open_store(tmp);
  std::vector<std::string> lowers;  // top first
  for (int i = 0; i < 200; ++i) {
    std::string tar = layer_tar("layers/" + std::to_string(i), std::to_string(i));
    Store::LayerSource src;
    src.read = reader_of(tar);
    auto l = store.add_layer(src);
    ASSERT_TRUE(l.has_value()) << l.error().what();
    lowers.insert(lowers.begin(), l->link);
  }
  ASSERT_TRUE(mkdir_all(tmp / "upper").has_value());
  ASSERT_TRUE(mkdir_all(tmp / "work").has_value());
  ASSERT_TRUE(mkdir_all(tmp / "merged").has_value());
  OverlaySpec spec{store.root(), lowers, tmp / "upper", tmp / "work"};
  MountApi api = GetParam();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) < 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
      _exit(10);
    auto r = mount_overlay(spec, tmp / "merged", api);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().what().c_str());
      _exit(11);
    }
    auto bottom = read_file(tmp / "merged/layers/0");
    auto top = read_file(tmp / "merged/layers/199");
    _exit(bottom && *bottom == "0" && top && *top == "199" ? 0 : 12);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: namespace, 11: mount, 12: files";
}

INSTANTIATE_TEST_SUITE_P(Apis, OverlayDeep, ::testing::Values(MountApi::fsconfig, MountApi::classic),
                         [](const auto& info) {
                           return info.param == MountApi::classic ? "classic" : "fsconfig";
                         });

}  // namespace
}  // namespace husk::image
