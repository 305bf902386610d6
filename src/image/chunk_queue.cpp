#include "image/chunk_queue.hpp"

namespace husk::image {

bool ChunkQueue::push(std::vector<char>&& chunk) {
  std::unique_lock l(mu_);
  room_.wait(l, [&] { return full_.size() < kDepth || cancelled_; });
  if (cancelled_) return false;
  full_.push_back(std::move(chunk));
  ready_.notify_one();
  return true;
}

void ChunkQueue::finish(std::optional<Error> error) {
  std::lock_guard l(mu_);
  done_ = true;
  error_ = std::move(error);
  ready_.notify_one();
}

bool ChunkQueue::cancelled() {
  std::lock_guard l(mu_);
  return cancelled_;
}

std::vector<char> ChunkQueue::buffer() {
  std::lock_guard l(mu_);
  if (spare_.empty()) return std::vector<char>(chunk_size_);
  auto b = std::move(spare_.back());
  spare_.pop_back();
  b.resize(chunk_size_);
  return b;
}

Result<std::vector<char>> ChunkQueue::pop() {
  std::unique_lock l(mu_);
  ready_.wait(l, [&] { return !full_.empty() || done_; });
  if (!full_.empty()) {
    auto c = std::move(full_.front());
    full_.pop_front();
    room_.notify_one();
    return c;
  }
  if (error_) return fail(*error_);
  return std::vector<char>();
}

void ChunkQueue::recycle(std::vector<char>&& b) {
  std::lock_guard l(mu_);
  if (spare_.size() < kDepth) spare_.push_back(std::move(b));
}

void ChunkQueue::cancel() {
  std::lock_guard l(mu_);
  cancelled_ = true;
  room_.notify_all();
}

}  // namespace husk::image
