#include "linux/mount_options.hpp"

#include <linux/mount.h>
#include <sys/mount.h>

#include <string_view>

namespace husk::linux {
namespace {

struct FlagOption {
  std::string_view name;
  bool clear;  // the option removes the flag ("rw", "suid", ...)
  unsigned long flag;
};
constexpr FlagOption kFlags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};
constexpr PropagationOption kPropagation[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct RecursiveOption {
  std::string_view name;
  bool clear;
  uint64_t attr;
};
constexpr RecursiveOption kRecursive[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
};

}  // namespace

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (auto& opt : options) {
    bool matched = false;
    for (auto& f : kFlags) {
      if (f.name != opt) continue;
      if (f.clear)
        out.flags &= ~f.flag;
      else
        out.flags |= f.flag;
      matched = true;
      break;
    }
    if (matched) continue;
    for (auto& p : kPropagation) {
      if (p.name != opt) continue;
      out.propagation = p.flags;
      matched = true;
      break;
    }
    if (matched) continue;
    for (auto& r : kRecursive) {
      if (r.name != opt) continue;
      if (r.clear) {
        out.rec_attr_clr |= r.attr;
        out.rec_attr_set &= ~r.attr;
      } else {
        // atime modes are one field: setting one clears the others.
        if (r.attr == MOUNT_ATTR_NOATIME || r.attr == MOUNT_ATTR_RELATIME ||
            r.attr == MOUNT_ATTR_STRICTATIME) {
          out.rec_attr_clr |= MOUNT_ATTR__ATIME;
          out.rec_attr_set &= ~static_cast<uint64_t>(MOUNT_ATTR__ATIME);
        }
        out.rec_attr_set |= r.attr;
      }
      matched = true;
      break;
    }
    if (matched) continue;
    if (opt == "bind") {
      out.bind = true;
      continue;
    }
    if (opt == "rbind") {
      out.bind = out.recursive_bind = true;
      continue;
    }
    if (opt == "idmap" || opt == "ridmap") {
      out.idmap = true;
      out.recursive_idmap = opt == "ridmap";
      continue;
    }
    if (opt == "tmpcopyup") {
      out.tmpcopyup = true;
      continue;
    }
    if (opt == "notmpcopyup") {
      out.tmpcopyup = false;
      continue;
    }
    if (opt.empty()) continue;
    if (!out.data.empty()) out.data += ",";
    out.data += opt;
  }
  return out;
}

std::vector<std::string> known_mount_option_names() {
  std::vector<std::string> out;
  for (auto& f : kFlags) out.emplace_back(f.name);
  for (auto& p : kPropagation) out.emplace_back(p.name);
  for (auto& r : kRecursive) out.emplace_back(r.name);
  out.emplace_back("bind");
  out.emplace_back("rbind");
  out.emplace_back("idmap");
  out.emplace_back("ridmap");
  return out;
}

}  // namespace husk::linux
