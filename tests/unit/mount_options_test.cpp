// linux/mount_options: how an OCI mount's "options" split into mount(2)
// flags, propagation, mount_setattr attributes and the filesystem's data.
#include "linux/mount_options.hpp"

#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sys/mount.h>

#include "test_helpers.hpp"

namespace husk::linux {
namespace {

MountOptions parse(const std::vector<std::string>& options) {
  auto r = parse_mount_options(options);
  EXPECT_TRUE(r.has_value()) << r.error().what();
  return r.value_or(MountOptions{});
}

TEST(MountOptions, EmptyListIsAPlainMount) {
  auto m = parse({});
  EXPECT_EQ(m.flags, 0ul);
  EXPECT_EQ(m.propagation, 0ul);
  EXPECT_FALSE(m.bind);
  EXPECT_FALSE(m.recursive_bind);
  EXPECT_EQ(m.rec_attr_set, 0u);
  EXPECT_EQ(m.rec_attr_clr, 0u);
  EXPECT_FALSE(m.tmpcopyup);
  EXPECT_EQ(m.data, "");
}

TEST(MountOptions, ReadOnlyAndReadWriteSetAndClear) {
  EXPECT_EQ(parse({"ro"}).flags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(parse({"ro", "rw"}).flags, 0ul);
  EXPECT_EQ(parse({"rw", "ro"}).flags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(parse({"rw"}).flags, 0ul);
}

TEST(MountOptions, SecurityFlags) {
  EXPECT_EQ(parse({"nosuid", "nodev", "noexec"}).flags,
            static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_NOEXEC));
  EXPECT_EQ(parse({"nosuid", "nodev", "noexec", "suid", "dev", "exec"}).flags, 0ul);
  EXPECT_EQ(parse({"nosuid", "nodev", "dev"}).flags, static_cast<unsigned long>(MS_NOSUID));
}

TEST(MountOptions, AtimeFlags) {
  EXPECT_EQ(parse({"relatime"}).flags, static_cast<unsigned long>(MS_RELATIME));
  EXPECT_EQ(parse({"strictatime"}).flags, static_cast<unsigned long>(MS_STRICTATIME));
  EXPECT_EQ(parse({"noatime", "nodiratime"}).flags, static_cast<unsigned long>(MS_NOATIME | MS_NODIRATIME));
  EXPECT_EQ(parse({"relatime", "norelatime"}).flags, 0ul);
}

TEST(MountOptions, OtherKernelFlags) {
  EXPECT_EQ(parse({"sync", "dirsync", "remount", "mand", "silent", "lazytime", "nosymfollow"}).flags,
            static_cast<unsigned long>(MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_SILENT |
                                       MS_LAZYTIME | MS_NOSYMFOLLOW));
  EXPECT_EQ(parse({"sync", "async", "mand", "nomand", "silent", "loud"}).flags, 0ul);
}

TEST(MountOptions, BindIsNotRecursiveRbindIs) {
  auto bind = parse({"bind"});
  EXPECT_TRUE(bind.bind);
  EXPECT_FALSE(bind.recursive_bind);
  auto rbind = parse({"rbind"});
  EXPECT_TRUE(rbind.bind);
  EXPECT_TRUE(rbind.recursive_bind);
  // Bind options are not kernel flags nor filesystem data.
  EXPECT_EQ(rbind.flags, 0ul);
  EXPECT_EQ(rbind.data, "");
}

TEST(MountOptions, Propagation) {
  const std::vector<std::pair<std::string, unsigned long>> cases = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  for (auto& [name, want] : cases) {
    auto m = parse({name});
    EXPECT_EQ(m.propagation, want) << name;
    EXPECT_EQ(m.flags, 0ul) << name << " must not leak into the mount flags";
  }
}

TEST(MountOptions, LastPropagationWins) {
  EXPECT_EQ(parse({"rshared", "private"}).propagation, static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(parse({"slave", "rprivate"}).propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
}

TEST(MountOptions, RecursiveAttributesSet) {
  auto m = parse({"rro", "rnosuid", "rnodev", "rnoexec", "rnodiratime", "rnosymfollow"});
  EXPECT_EQ(m.rec_attr_set,
            static_cast<uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                  MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
  EXPECT_EQ(m.rec_attr_clr, 0u);
  EXPECT_EQ(m.flags, 0ul) << "recursive attributes are not mount(2) flags";
}

TEST(MountOptions, RecursiveAttributesClear) {
  auto m = parse({"rrw"});
  EXPECT_EQ(m.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_EQ(m.rec_attr_set, 0u);
  auto all = parse({"rsuid", "rdev", "rexec", "rdiratime", "rsymfollow"});
  EXPECT_EQ(all.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                                                    MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW));
}

TEST(MountOptions, RecursiveClearUndoesAnEarlierSet) {
  auto m = parse({"rro", "rnosuid", "rrw"});
  EXPECT_EQ(m.rec_attr_set, static_cast<uint64_t>(MOUNT_ATTR_NOSUID));
  EXPECT_EQ(m.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
}

TEST(MountOptions, RecursiveAtimeClearsTheAtimeField) {
  // The atime modes are one enum field: mount_setattr needs MOUNT_ATTR__ATIME
  // in attr_clr to change it at all.
  auto noatime = parse({"rnoatime"});
  EXPECT_EQ(noatime.rec_attr_set, static_cast<uint64_t>(MOUNT_ATTR_NOATIME));
  EXPECT_EQ(noatime.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
  auto strict = parse({"rstrictatime"});
  EXPECT_EQ(strict.rec_attr_set, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
  EXPECT_EQ(strict.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
  auto relatime = parse({"rrelatime"});
  EXPECT_EQ(relatime.rec_attr_set & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR_RELATIME));
  EXPECT_EQ(relatime.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

// Known bug (reported): a second recursive atime option ORs its value into
// rec_attr_set instead of replacing the first, so {"rnoatime","rstrictatime"}
// yields NOATIME|STRICTATIME (0x30), which mount_setattr rejects with EINVAL,
// and {"rnoatime","rrelatime"} stays noatime. Enable once fixed.
TEST(MountOptions, LastRecursiveAtimeWins) {
  EXPECT_EQ(parse({"rnoatime", "rstrictatime"}).rec_attr_set & MOUNT_ATTR__ATIME,
            static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
  EXPECT_EQ(parse({"rnoatime", "rrelatime"}).rec_attr_set & MOUNT_ATTR__ATIME,
            static_cast<uint64_t>(MOUNT_ATTR_RELATIME));
}

TEST(MountOptions, UnknownOptionsAreFilesystemDataInOrder) {
  auto m = parse({"nosuid", "strictatime", "mode=755", "size=65536k"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(m.data, "mode=755,size=65536k");
}

TEST(MountOptions, DataKeepsOrderAcrossInterleavedFlags) {
  auto m = parse({"newinstance", "nosuid", "ptmxmode=0666", "", "noexec", "mode=0620", "gid=5"});
  EXPECT_EQ(m.data, "newinstance,ptmxmode=0666,mode=0620,gid=5") << "empty options are dropped";
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
}

TEST(MountOptions, TmpcopyupIsAFlagNotData) {
  auto m = parse({"tmpcopyup", "mode=755"});
  EXPECT_TRUE(m.tmpcopyup);
  EXPECT_EQ(m.data, "mode=755");
  EXPECT_FALSE(parse({"tmpcopyup", "notmpcopyup"}).tmpcopyup);
}

TEST(MountOptions, IdmapMapsTheTopMountRidmapEveryOne) {
  auto m = parse({"rbind", "idmap"});
  EXPECT_TRUE(m.idmap);
  EXPECT_FALSE(m.recursive_idmap);
  EXPECT_TRUE(m.recursive_bind);
  EXPECT_EQ(m.data, "");
  auto r = parse({"bind", "ridmap"});
  EXPECT_TRUE(r.idmap);
  EXPECT_TRUE(r.recursive_idmap);
  EXPECT_FALSE(parse({"rbind"}).idmap);
}

TEST(MountOptions, KnownNamesCoverTheTables) {
  auto names = known_mount_option_names();
  for (const char* n : {"ro", "rw", "nosuid", "rprivate", "rro", "rrw", "bind", "rbind", "strictatime"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  // Each known name parses without landing in the data string.
  for (auto& n : names) EXPECT_EQ(parse({n}).data, "") << n;
}

}  // namespace
}  // namespace husk::linux
