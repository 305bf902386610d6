// /dev inside the container: the default devices, linux.devices, symlinks.
#pragma once

#include <vector>

#include "base/error.hpp"
#include "linux/kernel.hpp"
#include "spec/config.hpp"

namespace husk::linux {

// The devices every container gets (null, zero, full, random, urandom, tty).
std::vector<spec::Device> default_devices();
// Creates DEVICES under ROOTFD: mknod, or a bind of the host's node when in a
// user namespace (mknod is not allowed there).
Result<void> create_devices(Kernel& k, int rootfd, const std::vector<spec::Device>& devices, bool bind);
// /dev/fd, /dev/std{in,out,err}, /dev/core, /dev/ptmx -> pts/ptmx.
Result<void> create_dev_symlinks(int rootfd);

}  // namespace husk::linux
