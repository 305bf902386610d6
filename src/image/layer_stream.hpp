// A layer's bytes as a stream of tar entries: two chained libarchive
// readers on two threads, with the blob's and the tar's digests computed as
// the bytes go past. image/unpack.cpp drives it; image/layer_writer.cpp
// writes what it reads.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "image/chunk_queue.hpp"
#include "image/digest.hpp"
#include "image/unpack.hpp"

namespace husk::image {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

// Two chained libarchive readers, on two threads.
//
// Reader #1 undoes the compression (format "raw" hands out the whole
// decompressed stream as one entry) on its own thread; reader #2 parses the
// chunks it produces as a tar, on the caller's. Decompression is most of the
// work, so the tar reader's file writes and hashing run beside it rather
// than after it. Reader #1 hashes the bytes READ returned (the blob digest),
// reader #2 the decompressed ones (the diff_id): neither needs a second
// pass nor a copy of the layer.
class LayerStream {
 public:
  LayerStream(const ReadFn& read, bool hash_blob);
  // The callbacks hold `this`.
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;
  ~LayerStream() {
    queue_.cancel();
    if (decompressing_.joinable()) decompressing_.join();
  }

  Result<void> open();
  // The next tar entry; nullptr at the end of the archive.
  Result<archive_entry*> next_entry();
  // Writes the current entry's contents to FD (a new, empty regular file).
  Result<void> copy_contents(int fd, int64_t size);
  // Reads what follows the tar's end blocks (padding, trailing bytes) so the
  // digests cover the whole stream, as the registry and the image config
  // hashed it. The blob digest is final once this returns.
  Result<void> drain();

  Sha256& blob() { return blob_; }
  uint64_t blob_bytes() const { return raw_bytes_; }
  Sha256& tar_hash() { return diff_; }

 private:
  Result<void> open_decompressor();
  // The next bytes from READ into raw_buf_, counted and hashed.
  Result<size_t> pull_raw();
  Result<void> inflate_gzip();
  static la_ssize_t read_raw(archive* a, void* self, const void** buf);
  static la_ssize_t read_decompressed(archive* a, void* self, const void** buf);
  // The decompressing thread: reader #1 to its end, then the raw bytes after it.
  void decompress();
  Result<void> decompress_all();
  // A failed libarchive call on A as an Error: READ's own error when that
  // is what stopped it, else the stream is corrupt or truncated.
  Error error_of(archive* a) const;

  const ReadFn& read_;
  bool hash_blob_;
  bool gzip_ = false;
  size_t pending_ = 0;  // bytes in raw_buf_ read ahead by open(), not yet decompressed
  uint64_t raw_bytes_ = 0;
  std::unique_ptr<char[]> raw_buf_;  // what READ returned, for reader #1
  std::vector<char> current_;        // the chunk reader #2 is reading
  Sha256 blob_;                      // decompressing thread only, until drain()
  Sha256 diff_;
  std::optional<Error> read_error_;  // decompressing thread; read after the queue says so
  bool read_eof_ = false;
  ChunkQueue queue_;
  std::optional<Error> stream_error_;  // what the queue reported, for error_of
  // Declared in this order so that the tar reader is freed first.
  ArchivePtr decompressor_;
  ArchivePtr tar_;
  std::thread decompressing_;
};

}  // namespace husk::image
