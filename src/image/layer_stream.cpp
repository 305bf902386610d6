#include "image/layer_stream.hpp"

#include <isa-l/igzip_lib.h>
#include <unistd.h>

#include <utility>

namespace husk::image {

namespace {

// Large enough that a layer goes through read(2), libarchive and write(2) in
// few calls: per-call overhead stays far below the cost of decompression.
// The fuzz build (tests/fuzz) makes it small: cheap per input under the
// sanitizers, and chunk boundaries fall everywhere.
#ifndef HUSK_UNPACK_BUF_SIZE
#define HUSK_UNPACK_BUF_SIZE (1 << 20)
#endif
constexpr size_t kBufSize = HUSK_UNPACK_BUF_SIZE;

Result<void> write_all_at(int fd, const char* data, size_t size, off_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write");
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return {};
}

}  // namespace

LayerStream::LayerStream(const ReadFn& read, bool hash_blob)
    : read_(read),
      hash_blob_(hash_blob),
      raw_buf_(std::make_unique_for_overwrite<char[]>(kBufSize)),
      queue_(kBufSize) {}

Result<size_t> LayerStream::pull_raw() {
  if (read_eof_) return size_t{0};
  size_t n = HUSK_TRY(read_(raw_buf_.get(), kBufSize));
  if (n == 0) read_eof_ = true;
  raw_bytes_ += n;
  if (hash_blob_) blob_.update(raw_buf_.get(), n);
  return n;
}

la_ssize_t LayerStream::read_raw(archive* a, void* self, const void** buf) {
  auto* s = static_cast<LayerStream*>(self);
  *buf = s->raw_buf_.get();
  if (s->pending_) return static_cast<la_ssize_t>(std::exchange(s->pending_, 0));
  auto n = s->pull_raw();
  if (!n) {
    s->read_error_ = std::move(n).error();
    archive_set_error(a, EIO, "read failed");
    return ARCHIVE_FATAL;
  }
  return static_cast<la_ssize_t>(*n);
}

void LayerStream::decompress() {
  auto r = decompress_all();
  queue_.finish(r ? std::nullopt : std::optional<Error>(std::move(r).error()));
}

Result<void> LayerStream::decompress_all() {
  if (gzip_) {
    HUSK_TRY(inflate_gzip());
  } else {
    archive* d = decompressor_.get();
    for (;;) {
      if (queue_.cancelled()) return {};
      std::vector<char> chunk = queue_.buffer();
      la_ssize_t n = archive_read_data(d, chunk.data(), chunk.size());
      if (n < 0) return fail(error_of(d));
      if (n == 0) break;
      chunk.resize(static_cast<size_t>(n));
      if (!queue_.push(std::move(chunk))) return {};
    }
  }
  // Bytes after the end of the compressed stream belong to the blob too.
  while (!read_eof_) HUSK_TRY_CTX(pull_raw(), "read layer");
  return {};
}

// gzip, the common layer compression, through ISA-L's inflate: the same
// format zlib reads (checked header, CRC and length), at twice zlib's speed
// on this kind of machine, and decompression is most of an unpack.
// Concatenated gzip members are one stream, as gunzip reads them.
Result<void> LayerStream::inflate_gzip() {
  auto corrupt = [](const std::string& why) {
    return fail_code(EINVAL, "corrupt or truncated layer: gzip: " + why);
  };
  auto state = std::make_unique<inflate_state>();
  isal_inflate_init(state.get());
  state->crc_flag = ISAL_GZIP;
  state->next_in = reinterpret_cast<uint8_t*>(raw_buf_.get());
  state->avail_in = static_cast<uint32_t>(std::exchange(pending_, 0));
  for (;;) {
    if (queue_.cancelled()) return {};
    if (state->avail_in == 0) {
      size_t n = HUSK_TRY_CTX(pull_raw(), "read layer");
      if (n == 0) return corrupt("the stream ends before its last block");
      state->next_in = reinterpret_cast<uint8_t*>(raw_buf_.get());
      state->avail_in = static_cast<uint32_t>(n);
    }
    std::vector<char> chunk = queue_.buffer();
    state->next_out = reinterpret_cast<uint8_t*>(chunk.data());
    state->avail_out = static_cast<uint32_t>(chunk.size());
    int r = isal_inflate(state.get());
    if (r < 0) {
      switch (r) {
        case ISAL_INCORRECT_CHECKSUM:
          return corrupt("CRC mismatch");
        case ISAL_INVALID_WRAPPER:
        case ISAL_UNSUPPORTED_METHOD:
          return corrupt("bad header");
        default:
          return corrupt("invalid compressed data (error " + std::to_string(r) + ")");
      }
    }
    chunk.resize(chunk.size() - state->avail_out);
    if (!chunk.empty() && !queue_.push(std::move(chunk))) return {};
    if (state->block_state != ISAL_BLOCK_FINISH) continue;
    // A member ended. Another one may follow; anything else is trailing
    // data (zeros that some tools pad with), hashed by the caller.
    if (state->avail_in == 0 && !read_eof_) {
      size_t n = HUSK_TRY_CTX(pull_raw(), "read layer");
      state->next_in = reinterpret_cast<uint8_t*>(raw_buf_.get());
      state->avail_in = static_cast<uint32_t>(n);
    }
    if (state->avail_in >= 2 && state->next_in[0] == 0x1f && state->next_in[1] == 0x8b) {
      uint8_t* next = state->next_in;
      uint32_t avail = state->avail_in;
      isal_inflate_reset(state.get());
      state->crc_flag = ISAL_GZIP;
      state->next_in = next;
      state->avail_in = avail;
      continue;
    }
    return {};
  }
}

la_ssize_t LayerStream::read_decompressed(archive* a, void* self, const void** buf) {
  auto* s = static_cast<LayerStream*>(self);
  if (!s->current_.empty()) s->queue_.recycle(std::move(s->current_));
  auto chunk = s->queue_.pop();
  if (!chunk) {
    s->stream_error_ = std::move(chunk).error();
    archive_set_error(a, EIO, "%s", s->stream_error_->message().c_str());
    return ARCHIVE_FATAL;
  }
  s->current_ = std::move(*chunk);
  *buf = s->current_.data();
  s->diff_.update(s->current_.data(), s->current_.size());
  return static_cast<la_ssize_t>(s->current_.size());
}

Error LayerStream::error_of(archive* a) const {
  if (stream_error_) return *stream_error_;
  if (read_error_) return read_error_->context("read layer");
  const char* why = archive_error_string(a);
  return Error(EINVAL, std::string("corrupt or truncated layer: ") + (why ? why : "unknown error"), false);
}

Result<void> LayerStream::open() {
  tar_.reset(archive_read_new());
  if (!tar_) return fail_code(ENOMEM, "libarchive: out of memory");
  // The first bytes say what the stream is: gzip goes through ISA-L,
  // everything else (zstd, xz, bzip2, plain) through libarchive.
  pending_ = HUSK_TRY_CTX(pull_raw(), "read layer");
  gzip_ = pending_ >= 2 && static_cast<unsigned char>(raw_buf_[0]) == 0x1f &&
          static_cast<unsigned char>(raw_buf_[1]) == 0x8b;
  if (!gzip_) HUSK_TRY(open_decompressor());
  decompressing_ = std::thread([this] { decompress(); });
  archive* t = tar_.get();
  archive_read_support_format_tar(t);  // ustar and pax
  archive_read_support_format_gnutar(t);
  if (archive_read_open(t, this, nullptr, &read_decompressed, nullptr) != ARCHIVE_OK)
    return fail(error_of(t));
  return {};
}

Result<void> LayerStream::open_decompressor() {
  decompressor_.reset(archive_read_new());
  if (!decompressor_) return fail_code(ENOMEM, "libarchive: out of memory");
  archive* d = decompressor_.get();
  // Named one by one rather than archive_read_support_filter_all: that one
  // also brings filters that run external programs (lrzip, lzop, grzip).
  // ARCHIVE_WARN means "through an external program": slower, still correct.
  for (auto support : {archive_read_support_filter_gzip, archive_read_support_filter_zstd,
                       archive_read_support_filter_xz, archive_read_support_filter_bzip2}) {
    if (support(d) < ARCHIVE_WARN) return fail(error_of(d));
  }
  archive_read_support_format_raw(d);
  if (archive_read_open(d, this, nullptr, &read_raw, nullptr) != ARCHIVE_OK) return fail(error_of(d));
  archive_entry* whole;
  if (archive_read_next_header(d, &whole) < ARCHIVE_WARN) return fail(error_of(d));
  return {};
}

Result<archive_entry*> LayerStream::next_entry() {
  archive_entry* e = nullptr;
  int r = archive_read_next_header(tar_.get(), &e);
  if (r == ARCHIVE_EOF) return nullptr;
  // ARCHIVE_WARN: e.g. a UTF-8 name the C locale cannot convert; libarchive
  // keeps its bytes, which is what the file should be called.
  if (r < ARCHIVE_WARN) return fail(error_of(tar_.get()));
  return e;
}

Result<void> LayerStream::copy_contents(int fd, int64_t size) {
  int64_t end = 0;
  for (;;) {
    const void* block;
    size_t len;
    la_int64_t offset;
    int r = archive_read_data_block(tar_.get(), &block, &len, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail(error_of(tar_.get()));
    // Blocks come straight out of the tar reader's buffer; offsets skip the
    // holes of sparse files, which stay holes.
    HUSK_TRY(write_all_at(fd, static_cast<const char*>(block), len, offset));
    end = offset + static_cast<int64_t>(len);
  }
  if (end < size && ::ftruncate(fd, size) < 0) return fail_errno("truncate");
  return {};
}

Result<void> LayerStream::drain() {
  // The tar reader has seen its end; what the decompressor still makes is
  // padding or trailing data, hashed all the same.
  if (!current_.empty()) queue_.recycle(std::move(current_));
  for (;;) {
    auto chunk = queue_.pop();
    if (!chunk) return fail(std::move(chunk).error());
    if (chunk->empty()) break;
    diff_.update(chunk->data(), chunk->size());
    queue_.recycle(std::move(*chunk));
  }
  decompressing_.join();  // blob_ and read_eof_ are ours again
  return {};
}

}  // namespace husk::image
