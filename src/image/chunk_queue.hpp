// The decompressed chunks of a layer, handed from the thread that
// decompresses it to the one that reads it as a tar (image/layer_stream):
// a bounded queue, so the decompressor runs at most a few chunks ahead, and
// the buffers go round (the reader recycles what it has read) instead of
// being allocated per chunk.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "base/error.hpp"

namespace husk::image {

class ChunkQueue {
 public:
  // Buffers of CHUNK_SIZE bytes.
  explicit ChunkQueue(size_t chunk_size) : chunk_size_(chunk_size) {}
  ChunkQueue(const ChunkQueue&) = delete;
  ChunkQueue& operator=(const ChunkQueue&) = delete;

  // Producer: waits for room; false once the consumer has given up.
  bool push(std::vector<char>&& chunk);
  // Producer: no more chunks (ERROR says why, when it failed).
  void finish(std::optional<Error> error);
  bool cancelled();
  // A buffer to fill: a recycled one when there is one.
  std::vector<char> buffer();
  // Consumer: the next chunk; empty at the end; the producer's error.
  Result<std::vector<char>> pop();
  void recycle(std::vector<char>&& b);
  void cancel();

 private:
  static constexpr size_t kDepth = 4;
  const size_t chunk_size_;
  std::mutex mu_;
  std::condition_variable room_, ready_;
  std::deque<std::vector<char>> full_;
  std::vector<std::vector<char>> spare_;
  bool done_ = false, cancelled_ = false;
  std::optional<Error> error_;
};

}  // namespace husk::image
