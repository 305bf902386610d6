// A directory tree as a tar stream (docker cp's "-" destination): the
// other direction, a stream unpacked into a directory, is image/unpack.hpp.
#pragma once

#include <string>

#include "base/error.hpp"

namespace husk::image {

// Every entry under DIR (not DIR itself), named relative to it, in pax
// format, to OUT: files, directories, symlinks (as links, never followed),
// devices and fifos, with their modes, numeric owners and times.
Result<void> write_tree_tar(const std::string& dir, int out);

}  // namespace husk::image
