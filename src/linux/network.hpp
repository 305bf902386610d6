// The network namespace's first step: a fresh one has only `lo`, down. runc
// and crun bring it up, and `--network none` users expect 127.0.0.1 to work.
#pragma once

#include "base/error.hpp"

namespace husk::linux {

Result<void> bring_up_loopback();

}  // namespace husk::linux
