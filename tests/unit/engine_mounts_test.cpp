// engine/mounts: docker's -v, --mount and --tmpfs as OCI mounts, with
// docker's defaults (rbind + rprivate, tmpfs noexec,nosuid,nodev), order
// (parents first, the defaults a user mount covers dropped) and messages.
#include <gtest/gtest.h>

#include "engine/mounts.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using husk::testing::TempDir;
using Strings = std::vector<std::string>;

TEST(EngineMountsVolumeFlag, BindsNamedAndAnonymous) {
  auto bind = parse_volume_flag("/srv/data/:/data:ro,rslave");
  ASSERT_TRUE(bind.has_value()) << bind.error().what();
  EXPECT_EQ(bind->type, MountType::bind);
  EXPECT_EQ(bind->source, "/srv/data");
  EXPECT_EQ(bind->target, "/data");
  EXPECT_TRUE(bind->readonly);
  EXPECT_TRUE(bind->create_source);
  EXPECT_EQ(bind->propagation, "rslave");
  auto m = oci_mount(*bind, bind->source);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->type, "bind");
  EXPECT_EQ(m->options, (Strings{"rbind", "ro", "rro", "rslave"}));

  auto named = parse_volume_flag("cache:/var/cache:nocopy");
  ASSERT_TRUE(named.has_value()) << named.error().what();
  EXPECT_EQ(named->type, MountType::volume);
  EXPECT_EQ(named->source, "cache");
  EXPECT_TRUE(named->nocopy);
  EXPECT_FALSE(named->readonly);
  auto nm = oci_mount(*named, "/store/volumes/cache/_data");
  EXPECT_EQ(nm->options, (Strings{"rbind", "rprivate"}));
  EXPECT_EQ(nm->source, "/store/volumes/cache/_data");

  auto anon = parse_volume_flag("/scratch/");
  ASSERT_TRUE(anon.has_value());
  EXPECT_EQ(anon->type, MountType::volume);
  EXPECT_EQ(anon->source, "");
  EXPECT_EQ(anon->target, "/scratch");
  // SELinux labels and macOS consistency are accepted (and mean nothing here).
  EXPECT_TRUE(parse_volume_flag("/a:/b:z").has_value());
  EXPECT_TRUE(parse_volume_flag("/a:/b:rw,Z,cached").has_value());
}

TEST(EngineMountsVolumeFlag, DotSourcesAreFromTheCurrentDirectory) {
  auto r = parse_volume_flag("./sub:/x");
  ASSERT_TRUE(r.has_value()) << r.error().what();
  EXPECT_EQ(r->type, MountType::bind);
  auto cwd = absolute_from_cwd("sub");
  EXPECT_EQ(r->source, *cwd);
}

TEST(EngineMountsVolumeFlag, BadSpecsAreRefusedAsDockerSays) {
  EXPECT_TRUE(FailsWith(parse_volume_flag(""), EINVAL, "invalid volume specification: ''"));
  EXPECT_TRUE(FailsWith(parse_volume_flag(":/x"), EINVAL, "invalid volume specification: ':/x'"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("/a:/b:ro:x"), EINVAL, "invalid volume specification"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("/x:ro"), EINVAL, "invalid volume specification: '/x:ro'"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("/h:"), EINVAL, "invalid volume specification"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("/h:rel"), EINVAL,
                        "invalid volume specification: '/h:rel': invalid mount config for type \"bind\": "
                        "invalid mount path: 'rel' mount path must be absolute"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("rel"), EINVAL, "mount path must be absolute"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("/h:/"), EINVAL, "destination can't be '/'"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("/h:/c:rx"), EINVAL, "invalid mode: rx"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("/h:/c:ro,rw"), EINVAL, "invalid mode: ro,rw"));
  EXPECT_TRUE(
      FailsWith(parse_volume_flag("v1:/c:shared"), EINVAL, "field BindOptions must not be specified"));
  EXPECT_TRUE(
      FailsWith(parse_volume_flag("/h:/c:nocopy"), EINVAL, "field VolumeOptions must not be specified"));
  EXPECT_TRUE(FailsWith(parse_volume_flag("foo/bar:/c"), EINVAL,
                        "\"foo/bar\" includes invalid characters for a local volume name"));
}

TEST(EngineMountsMountFlag, EveryType) {
  TempDir tmp;
  auto bind = parse_mount_flag("type=bind,src=" + tmp.path() + ",dst=/in,readonly,bind-propagation=rshared");
  ASSERT_TRUE(bind.has_value()) << bind.error().what();
  EXPECT_EQ(bind->type, MountType::bind);
  EXPECT_EQ(bind->source, tmp.path());
  EXPECT_EQ(bind->target, "/in");
  EXPECT_TRUE(bind->readonly);
  EXPECT_FALSE(bind->create_source);
  EXPECT_EQ(bind->propagation, "rshared");
  auto flat = parse_mount_flag("type=bind,source=" + tmp.path() + ",target=/in,bind-nonrecursive,ro=true");
  ASSERT_TRUE(flat.has_value()) << flat.error().what();
  EXPECT_EQ(oci_mount(*flat, tmp.path())->options, (Strings{"bind", "ro", "rprivate"}));

  auto vol = parse_mount_flag("source=data,destination=/d,volume-nocopy,volume-label=team=db");
  ASSERT_TRUE(vol.has_value()) << vol.error().what();  // type defaults to volume
  EXPECT_EQ(vol->type, MountType::volume);
  EXPECT_EQ(vol->source, "data");
  EXPECT_TRUE(vol->nocopy);
  EXPECT_EQ(vol->labels.at("team"), "db");

  auto t = parse_mount_flag("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770");
  ASSERT_TRUE(t.has_value()) << t.error().what();
  auto tm = oci_mount(*t, "");
  ASSERT_TRUE(tm.has_value()) << tm.error().what();
  EXPECT_EQ(tm->type, "tmpfs");
  EXPECT_EQ(tm->source, "tmpfs");
  EXPECT_EQ(tm->options, (Strings{"noexec", "nosuid", "nodev", "rprivate", "mode=1770", "size=64m"}));
  auto odd = parse_mount_flag("type=tmpfs,dst=/t,tmpfs-size=1500");
  EXPECT_EQ(odd->tmpfs_options, (Strings{"size=1500"}));
}

TEST(EngineMountsMountFlag, BadSpecsAreRefusedAsDockerSays) {
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=bind,src=/tmp,dst=/x,color=red"), EINVAL,
                        "invalid argument \"type=bind,src=/tmp,dst=/x,color=red\" for \"--mount\" flag: "
                        "unexpected key 'color' in 'color=red'"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=bind,src=/tmp"), EINVAL, "target is required"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=,dst=/x"), EINVAL, "type is required"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=bind,src=/tmp,dst=/x,oops"), EINVAL,
                        "invalid field 'oops' must be a key=value pair"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=bind,src=/tmp,dst=/x,readonly=maybe"), EINVAL,
                        "invalid value for readonly: maybe"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=bind,src=/tmp,dst=/x,volume-nocopy"), EINVAL,
                        "cannot mix 'volume-*' options with mount type 'bind'"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=volume,dst=/x,tmpfs-size=1m"), EINVAL,
                        "cannot mix 'tmpfs-*' options with mount type 'volume'"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=disk,dst=/x"), EINVAL,
                        "invalid mount config for type \"disk\": mount type unknown"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=bind,dst=/x"), EINVAL,
                        "invalid mount config for type \"bind\": field Source must not be empty"));
  EXPECT_TRUE(FailsWith(
      parse_mount_flag("type=bind,src=/no/such/dir/here,dst=/x"), ENOENT,
      "invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir/here"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=bind,src=/tmp,dst=/x,bind-propagation=wide"), EINVAL,
                        "invalid propagation mode: wide"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=tmpfs,src=x,dst=/x"), EINVAL,
                        "invalid mount config for type \"tmpfs\": field Source must not be specified"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=volume,dst=/x,ro"), EINVAL,
                        "must not set ReadOnly mode when using anonymous volumes"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=volume,dst=x"), EINVAL, "mount path must be absolute"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=tmpfs,dst=/x,tmpfs-mode=9"), EINVAL,
                        "invalid value for tmpfs-mode: 9"));
  EXPECT_TRUE(FailsWith(parse_mount_flag("type=tmpfs,dst=/x,tmpfs-size=lots"), EINVAL,
                        "invalid value for tmpfs-size: lots"));
  EXPECT_TRUE(
      FailsWith(parse_mount_flag("type=volume,src=v1,dst=/x,volume-driver=nfs"), ENOTSUP, "not supported"));
}

TEST(EngineMountsTmpfs, DockersDefaultsMergedWithTheUsers) {
  auto plain = parse_tmpfs_flag("/run");
  ASSERT_TRUE(plain.has_value()) << plain.error().what();
  EXPECT_EQ(*merge_tmpfs_options(plain->tmpfs_options), (Strings{"noexec", "nosuid", "nodev", "rprivate"}));
  auto t = parse_tmpfs_flag("/run/:rw,exec,size=65536k,mode=700,size=1m,shared");
  ASSERT_TRUE(t.has_value()) << t.error().what();
  EXPECT_EQ(t->target, "/run");
  // The last of each kind wins: exec over noexec, one propagation, one size.
  EXPECT_EQ(*merge_tmpfs_options(t->tmpfs_options),
            (Strings{"nosuid", "nodev", "rw", "exec", "mode=700", "size=1m", "shared"}));
  EXPECT_TRUE(FailsWith(parse_tmpfs_flag("/run:size"), EINVAL, "invalid tmpfs option \"size\""));
  EXPECT_TRUE(FailsWith(parse_tmpfs_flag("/run:bogus=1"), EINVAL, "invalid tmpfs option \"bogus=1\""));
  EXPECT_TRUE(FailsWith(parse_tmpfs_flag("run"), EINVAL, "mount path must be absolute"));
  EXPECT_TRUE(FailsWith(parse_tmpfs_flag("/"), EINVAL, "destination can't be '/'"));
  EXPECT_TRUE(FailsWith(parse_tmpfs_flag(":size=1m"), EINVAL, "no mount point"));
}

TEST(EngineMountsRequests, AllFlagsInOrderAndNoTargetTwice) {
  RunFlags f;
  f.volumes = {"/h:/a", "named:/b"};
  f.mounts = {"type=tmpfs,dst=/c"};
  f.tmpfs = {"/d"};
  auto all = mount_requests(f);
  ASSERT_TRUE(all.has_value()) << all.error().what();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].target, "/a");
  EXPECT_EQ((*all)[3].target, "/d");
  f.tmpfs = {"/a/"};
  EXPECT_TRUE(FailsWith(mount_requests(f), EINVAL, "Duplicate mount point: /a"));
  f.tmpfs.clear();
  f.volumes = {"/h:/x", "/i:/x"};
  EXPECT_TRUE(FailsWith(mount_requests(f), EINVAL, "Duplicate mount point: /x"));
}

TEST(EngineMountsImageVolumes, TheImagesVolumesAreAnonymousUnlessAFlagCoversThem) {
  RunFlags f;
  f.volumes = {"/h:/data"};
  auto all = mount_requests(f);
  ASSERT_TRUE(all.has_value());
  add_image_volumes(*all, {"/data/", "/var/log", "/var/log"});
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].type, MountType::bind) << "the flag's mount wins";
  EXPECT_EQ((*all)[1].type, MountType::volume);
  EXPECT_EQ((*all)[1].source, "");
  EXPECT_EQ((*all)[1].target, "/var/log");
}

spec::Mount at(const std::string& destination, const std::string& type = "") {
  spec::Mount m;
  m.destination = destination;
  m.type = type;
  return m;
}

Strings destinations(const spec::Config& spec) {
  Strings out;
  for (auto& m : spec.mounts) out.push_back(m.destination);
  return out;
}

TEST(EngineMountsPut, DefaultsTheUserCoversGoAndParentsComeFirst) {
  spec::Config spec;
  spec.mounts = {at("/proc", "proc"), at("/dev", "tmpfs"), at("/dev/shm", "tmpfs"), at("/dev/pts", "devpts")};
  put_mounts(spec, {at("/a/b/c"), at("/dev/shm"), at("/a")});
  EXPECT_EQ(destinations(spec), (Strings{"/proc", "/dev", "/dev/pts", "/a", "/dev/shm", "/a/b/c"}));
  put_mounts(spec, {at("/dev")});  // a /dev of the user's takes every /dev/*
  EXPECT_EQ(destinations(spec), (Strings{"/proc", "/a", "/a/b/c", "/dev"}));
}

TEST(EngineMountsVolumesFrom, ContainerAndMode) {
  auto v = parse_volumes_from("data");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->container, "data");
  EXPECT_FALSE(v->readonly);
  EXPECT_TRUE(parse_volumes_from("data:ro")->readonly);
  EXPECT_FALSE(parse_volumes_from("data:rw")->readonly);
  EXPECT_TRUE(parse_volumes_from("data:ro,z")->readonly);
  EXPECT_TRUE(FailsWith(parse_volumes_from(""), EINVAL, "cannot be an empty string"));
  EXPECT_TRUE(FailsWith(parse_volumes_from("data:rx"), EINVAL, "invalid mode: rx"));
  EXPECT_TRUE(FailsWith(parse_volumes_from("data:"), EINVAL, "invalid mode: "));
  EXPECT_TRUE(FailsWith(parse_volumes_from("data:rshared"), EINVAL, "invalid mode: rshared"));
  EXPECT_TRUE(FailsWith(parse_volumes_from("data:nocopy"), EINVAL, "invalid mode: nocopy"));
}

spec::Mount mount_of(const std::string& dest, const std::string& type, const std::string& source,
                     Strings options) {
  spec::Mount m;
  m.destination = dest;
  m.type = type;
  m.source = source;
  m.options = std::move(options);
  return m;
}

TEST(EngineMountsVolumesFrom, TheDonorsVolumesAndBindsNotTheEnginesOwn) {
  spec::Config donor;
  donor.mounts = {
      mount_of("/proc", "proc", "proc", {}),
      mount_of("/sys", "none", "/sys", {"rbind", "ro"}),
      mount_of("/dev/shm", "bind", "/dev/shm", {"rbind"}),
      mount_of("/etc/hosts", "bind", "/r/containers/d1/hosts", {"rbind", "rprivate"}),
      mount_of("/dev/init", "bind", "/usr/bin/husk-init", {"bind", "ro"}),
      mount_of("/data", "bind", "/r/volumes/vol1/_data", {"rbind", "rprivate"}),
      mount_of("/conf", "bind", "/srv/conf", {"rbind", "ro", "rro", "rslave"}),
      mount_of("/flat", "bind", "/srv/flat", {"bind", "rprivate"}),
  };
  auto got = donor_mounts(donor, "/r/containers/d1", "/r/volumes", false);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, MountType::volume);
  EXPECT_EQ(got[0].source, "vol1");
  EXPECT_EQ(got[0].target, "/data");
  EXPECT_FALSE(got[0].readonly);
  EXPECT_TRUE(got[0].nocopy) << "the donor's data as it is";
  EXPECT_EQ(got[1].type, MountType::bind);
  EXPECT_EQ(got[1].source, "/srv/conf");
  EXPECT_TRUE(got[1].readonly);
  EXPECT_EQ(got[1].propagation, "rslave");
  EXPECT_FALSE(got[1].create_source);
  EXPECT_TRUE(got[2].nonrecursive);
  // :ro makes all read-only; the OCI mount is docker's read-only bind.
  auto ro = donor_mounts(donor, "/r/containers/d1", "/r/volumes", true);
  for (auto& r : ro) EXPECT_TRUE(r.readonly) << r.target;
  EXPECT_EQ(oci_mount(ro[0], "/r/volumes/vol1/_data")->options, (Strings{"rbind", "ro", "rro", "rprivate"}));
}

}  // namespace
}  // namespace husk::engine
