#include "image/unpack.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "image/layer_stream.hpp"
#include "image/layer_writer.hpp"

namespace husk::image {

Result<UnpackResult> unpack_layer(const ReadFn& read, const std::string& dest, const UnpackOptions& opts) {
  UniqueFd root = HUSK_TRY_CTX(open_fd(dest, O_PATH | O_DIRECTORY), "unpack layer");
  LayerStream stream(read, opts.hash_blob);
  HUSK_TRY(stream.open());
  LayerWriter writer(std::move(root), opts);
  UnpackResult result;
  for (;;) {
    archive_entry* e = HUSK_TRY(stream.next_entry());
    if (!e) break;
    HUSK_TRY(writer.apply(stream, e));
    ++result.entries;
  }
  // The rest of the stream first: a corrupt trailer fails the layer too.
  HUSK_TRY(stream.drain());
  HUSK_TRY(writer.finish());
  result.blob_size = stream.blob_bytes();
  if (opts.hash_blob) result.blob_digest = stream.blob().finish();
  result.tar_size = stream.tar_hash().bytes();
  result.diff_id = stream.tar_hash().finish();
  return result;
}

ReadFn fd_reader(int fd, const std::string& what) {
  return [fd, what](void* buf, size_t size) -> Result<size_t> {
    for (;;) {
      ssize_t n = ::read(fd, buf, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return fail_errno("read " + what);
    }
  };
}

Result<UnpackResult> unpack_layer_fd(int fd, const std::string& dest, const UnpackOptions& opts) {
  return unpack_layer(fd_reader(fd, "layer"), dest, opts);
}

}  // namespace husk::image
