// Layer unpacking: a tar stream (plain, gzip, zstd, xz or bzip2, told apart
// by its bytes; read with libarchive) applied to an empty directory that
// becomes one overlayfs lower layer.
//
// - OCI/docker whiteouts become overlayfs's own: ".wh.NAME" -> a character
//   device 0:0 named NAME; ".wh..wh..opq" in DIR -> xattr
//   trusted.overlay.opaque="y" on DIR.
// - Regular files, directories, symlinks, hard links (to an earlier entry of
//   the same layer), character/block devices and fifos; owner, mode
//   (setuid/setgid/sticky included), mtime (and atime), and every xattr in
//   the archive, file capabilities (security.capability) included, applied
//   after the owner so a chown cannot clear them.
// - Nothing is written outside DEST: each entry's parent is resolved with
//   openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from DEST, so neither
//   ".." nor a symlink made by an earlier entry can lead out; an entry whose
//   path leaves DEST by ".." is an error (EINVAL), as is a hard link whose
//   target does. Symlinks are created as the archive says (an absolute
//   target means the container's root), never followed while unpacking.
// - The compressed bytes and the uncompressed tar are hashed as they
//   stream past: the blob digest and the diff_id come back with the result,
//   for the caller to verify against the manifest and the image config.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace husk::image {

// Supplies the next bytes of the (possibly compressed) stream into BUF (at
// most SIZE). Returns the count, 0 at the end, or an error (which aborts the
// unpack with that error).
using ReadFn = std::function<Result<size_t>(void* buf, size_t size)>;

struct UnpackOptions {
  // Entries' owners as recorded (needs root); false keeps the caller's ids
  // (an unprivileged store).
  bool preserve_owner = true;
  // Added to every uid/gid (a store for a remapped user namespace); 0 for none.
  uint32_t id_shift = 0;
  // false: the caller checks the blob's digest itself (a registry transfer
  // does, as the bytes arrive), so blob_digest is left empty.
  bool hash_blob = true;
};

struct UnpackResult {
  Digest blob_digest;  // sha256 of the bytes READ returned (unless !hash_blob)
  uint64_t blob_size = 0;
  Digest diff_id;  // sha256 of the uncompressed tar
  uint64_t tar_size = 0;
  uint64_t entries = 0;
};

// DEST must exist and be empty. On error DEST holds a partial tree: the
// caller unpacks into a temporary directory and removes it on failure.
// Errors name the entry: "layer entry \"etc/../../x\": path leaves the layer".
// A stream that is not a tar (after decompression) or is truncated or corrupt
// is EINVAL with libarchive's message.
Result<UnpackResult> unpack_layer(const ReadFn& read, const std::string& dest,
                                  const UnpackOptions& opts = {});
// Reads FD to its end; errors name WHAT.
ReadFn fd_reader(int fd, const std::string& what);
// The same from a file descriptor, read to its end.
Result<UnpackResult> unpack_layer_fd(int fd, const std::string& dest, const UnpackOptions& opts = {});

}  // namespace husk::image
