// OCI mount options -> mount(2) flags, propagation, recursive attributes
// (mount_setattr) and the filesystem's data string.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk::linux {

struct MountOptions {
  unsigned long flags = 0;        // MS_* set on the mount itself
  unsigned long propagation = 0;  // one of MS_SHARED/MS_PRIVATE/... | MS_REC
  bool bind = false;
  bool recursive_bind = false;
  // mount_setattr(AT_RECURSIVE) attributes: "rro", "rnosuid", ...
  uint64_t rec_attr_set = 0;
  uint64_t rec_attr_clr = 0;
  // runc's extension: a tmpfs starts with a copy of what the image had there.
  bool tmpcopyup = false;
  // An id-mapped bind (runtime-spec 1.2): "idmap" maps the top mount,
  // "ridmap" every mount of a recursive bind.
  bool idmap = false;
  bool recursive_idmap = false;
  std::string data;  // comma-joined filesystem-specific options
};

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);
std::vector<std::string> known_mount_option_names();

}  // namespace husk::linux
