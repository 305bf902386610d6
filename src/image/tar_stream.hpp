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

// The tree under ROOT (an opened directory) as a tar stream to OUT, walked
// by file descriptors: each step is an *at call with O_NOFOLLOW on an
// opened directory, and an entry's metadata is its opened fd's, so a tree
// that changes meanwhile (a running container swapping a directory for a
// symlink under the walk) can never lead it out of ROOT; an entry that
// vanishes meanwhile is left out. Names sorted: the same tree makes the same
// bytes. `husk export`'s stream.
Result<void> write_root_tar(int root, int out);

// An overlay upper dir UPPER as an OCI layer to OUT (`husk commit`): the
// same walk, overlayfs's whiteouts made OCI's (a 0/0 char device NAME is
// ".wh.NAME"; a directory with trusted.overlay.opaque=y gets a
// ".wh..wh..opq" entry) and overlayfs's own trusted.overlay.* xattrs left
// out. A directory renamed under redirect_dir or a metacopy-only file
// holds no content of its own: ENOTSUP rather than a layer that lacks it.
Result<void> write_upper_tar(int upper, int out);

}  // namespace husk::image
