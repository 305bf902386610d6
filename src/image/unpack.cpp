#include "image/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/fd.hpp"

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

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kWhiteoutMeta = ".wh..wh.";  // aufs bookkeeping (.wh..wh.plnk, ...)
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

std::string quoted_entry(std::string_view name) { return "layer entry \"" + std::string(name) + "\""; }

// ---------------------------------------------------------------------------
// Decompressed chunks handed from the decompressing thread to the tar reader.
class ChunkQueue {
 public:
  // Producer: waits for room; false once the consumer has given up.
  bool push(std::vector<char>&& chunk) {
    std::unique_lock l(mu_);
    room_.wait(l, [&] { return full_.size() < kDepth || cancelled_; });
    if (cancelled_) return false;
    full_.push_back(std::move(chunk));
    ready_.notify_one();
    return true;
  }
  // Producer: no more chunks (ERROR says why, when it failed).
  void finish(std::optional<Error> error) {
    std::lock_guard l(mu_);
    done_ = true;
    error_ = std::move(error);
    ready_.notify_one();
  }
  bool cancelled() {
    std::lock_guard l(mu_);
    return cancelled_;
  }
  // A buffer to fill: a recycled one when there is one.
  std::vector<char> buffer() {
    std::lock_guard l(mu_);
    if (spare_.empty()) return std::vector<char>(kBufSize);
    auto b = std::move(spare_.back());
    spare_.pop_back();
    b.resize(kBufSize);
    return b;
  }
  // Consumer: the next chunk; empty at the end; the producer's error.
  Result<std::vector<char>> pop() {
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
  void recycle(std::vector<char>&& b) {
    std::lock_guard l(mu_);
    if (spare_.size() < kDepth) spare_.push_back(std::move(b));
  }
  void cancel() {
    std::lock_guard l(mu_);
    cancelled_ = true;
    room_.notify_all();
  }

 private:
  static constexpr size_t kDepth = 4;
  std::mutex mu_;
  std::condition_variable room_, ready_;
  std::deque<std::vector<char>> full_;
  std::vector<std::vector<char>> spare_;
  bool done_ = false, cancelled_ = false;
  std::optional<Error> error_;
};

// ---------------------------------------------------------------------------
// The stream: two chained libarchive readers, on two threads.
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
  LayerStream(const ReadFn& read, bool hash_blob)
      : read_(read), hash_blob_(hash_blob), raw_buf_(std::make_unique_for_overwrite<char[]>(kBufSize)) {}
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

// ---------------------------------------------------------------------------
// Paths.

// An entry's name as a path relative to DEST: "./a//b/" -> "a/b", "/etc/x"
// -> "etc/x" (absolute means the layer's root), "a/../b" -> "b"; "" is DEST
// itself. False when ".." climbs above the root.
bool clean_entry_path(std::string_view raw, std::string& out) {
  out.clear();
  size_t i = 0;
  while (i < raw.size()) {
    size_t j = raw.find('/', i);
    if (j == std::string_view::npos) j = raw.size();
    std::string_view part = raw.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (out.empty()) return false;
      size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
      continue;
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  return true;
}

// "a/b/c" -> ("a/b", "c"); "c" -> ("", "c").
std::pair<std::string_view, std::string_view> split_parent(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return {{}, path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// rm -r of NAME in DIRFD, never following a symlink: everything below DEST
// came from this layer, so nothing here is worth keeping or can lead out.
Result<void> remove_tree_at(int dirfd, const char* name) {
  if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR) return fail_errno(std::string("remove ") + name);
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail_errno(std::string("open ") + name);
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return fail_errno(std::string("open ") + name);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
  while (dirent* ent = ::readdir(dir)) {
    std::string_view n = ent->d_name;
    if (n == "." || n == "..") continue;
    HUSK_TRY(remove_tree_at(::dirfd(dir), ent->d_name));
  }
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) < 0) return fail_errno(std::string("remove ") + name);
  return {};
}

// ---------------------------------------------------------------------------
// Metadata.

// A file to give its metadata: by descriptor when one is open (regular files,
// directories), else by name in its parent (symlinks, devices and fifos,
// which opening would follow or block on, or open the device).
struct Node {
  int fd = -1;
  int dirfd = -1;
  const char* name = nullptr;
};

Result<void> set_owner(const Node& n, archive_entry* e, const UnpackOptions& opts) {
  if (!opts.preserve_owner) return {};
  // (uid_t)-1 would mean "leave it" to chown: not an owner a file can have.
  // Checked before the shift is added: a pax header can say any int64.
  constexpr int64_t kMaxId = 0xFFFFFFFE;
  const int64_t max = kMaxId - int64_t{opts.id_shift};
  int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
  if (uid < 0 || gid < 0 || uid > max || gid > max)
    return fail_code(EINVAL, "owner " + std::to_string(uid) + ":" + std::to_string(gid) + " out of range" +
                                 (opts.id_shift ? " (shifted by " + std::to_string(opts.id_shift) + ")" : ""));
  uid += opts.id_shift;
  gid += opts.id_shift;
  int r = n.fd >= 0 ? ::fchown(n.fd, static_cast<uid_t>(uid), static_cast<gid_t>(gid))
                    : ::fchownat(n.dirfd, n.name, static_cast<uid_t>(uid), static_cast<gid_t>(gid),
                                 AT_SYMLINK_NOFOLLOW);
  if (r < 0) return fail_errno("chown");
  return {};
}

Result<void> set_mode(const Node& n, archive_entry* e) {
  mode_t mode = archive_entry_perm(e) & 07777;
  // By name only for devices and fifos, which are never symlinks.
  int r = n.fd >= 0 ? ::fchmod(n.fd, mode) : ::fchmodat(n.dirfd, n.name, mode, 0);
  if (r < 0) return fail_errno("chmod");
  return {};
}

Result<void> set_xattrs(const Node& n, archive_entry* e) {
  if (archive_entry_xattr_reset(e) == 0) return {};
  // By name: lsetxattr on /proc/self/fd/DIRFD/NAME acts on NAME in exactly
  // that directory and does not follow NAME itself.
  std::string path = n.fd >= 0 ? std::string() : fd_path(n.dirfd) + "/" + n.name;
  const char* key;
  const void* value;
  size_t size;
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    int r =
        n.fd >= 0 ? ::fsetxattr(n.fd, key, value, size, 0) : ::lsetxattr(path.c_str(), key, value, size, 0);
    if (r < 0) return fail_errno(std::string("set xattr ") + key);
  }
  return {};
}

// atime and mtime; a tar without an atime gets the mtime for both.
bool entry_times(archive_entry* e, timespec (&ts)[2]) {
  if (!archive_entry_mtime_is_set(e)) return false;
  ts[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  ts[0] =
      archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)} : ts[1];
  return true;
}

Result<void> set_times(const Node& n, archive_entry* e) {
  timespec ts[2];
  if (!entry_times(e, ts)) return {};
  int r = n.fd >= 0 ? ::futimens(n.fd, ts) : ::utimensat(n.dirfd, n.name, ts, AT_SYMLINK_NOFOLLOW);
  if (r < 0) return fail_errno("set times");
  return {};
}

// In this order: chown clears setuid/setgid and file capabilities, so the
// mode and the xattrs go on after it.
Result<void> set_metadata(const Node& n, archive_entry* e, const UnpackOptions& opts, bool with_mode) {
  HUSK_TRY(set_owner(n, e, opts));
  if (with_mode) HUSK_TRY(set_mode(n, e));
  HUSK_TRY(set_xattrs(n, e));
  return set_times(n, e);
}

// ---------------------------------------------------------------------------
// The tree.

// A directory's mode and times, set once its children are in (creating them
// changes its mtime; a read-only mode would refuse them to a non-root user).
struct PendingDir {
  std::string path;  // relative to DEST; "" is DEST itself
  mode_t mode = 0;
  bool has_times = false;
  timespec times[2] = {};
  dev_t dev = 0;  // which directory it was, in case a later entry replaced it
  ino_t ino = 0;
  size_t depth = 0;
};

// Where an entry goes: its name in its parent directory.
struct Place {
  int dirfd;
  const char* name;
};

class LayerWriter {
 public:
  LayerWriter(UniqueFd root, const UnpackOptions& opts) : root_(std::move(root)), opts_(opts) {}

  Result<void> apply(LayerStream& stream, archive_entry* e);
  // Directory modes and times, deepest first.
  Result<void> finish();

 private:
  Result<void> apply_named(LayerStream& stream, archive_entry* e, std::string_view raw);
  Result<void> apply_whiteout(archive_entry* e, std::string_view dir, std::string_view base);
  Result<int> parent_fd(std::string_view dir);
  Result<UniqueFd> open_dir_making(const std::string& dir);
  Result<void> remove_existing(Place at);
  template <typename Make>
  Result<void> create_replacing(Place at, const char* what, Make&& make);

  Result<void> make_dir(archive_entry* e, Place at);
  Result<void> make_file(LayerStream& stream, archive_entry* e, Place at);
  Result<void> make_symlink(archive_entry* e, Place at);
  Result<void> make_hardlink(archive_entry* e, Place at);
  Result<void> make_node(archive_entry* e, Place at, mode_t type);

  UniqueFd root_;  // DEST, O_PATH
  UnpackOptions opts_;
  // Per-entry scratch, kept to spare an allocation per entry.
  std::string path_;
  std::string name_;
  std::string link_path_;
  // The last parent directory opened: entries come grouped by directory.
  // Dropped whenever anything is removed, since that may have been (a link
  // on the way to) it.
  std::string cached_dir_;
  UniqueFd cached_fd_;
  bool cache_valid_ = false;
  std::vector<PendingDir> dirs_;
};

Result<void> LayerWriter::apply(LayerStream& stream, archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  if (!raw) return fail_code(EINVAL, "layer entry without a name");
  HUSK_TRY_CTX(apply_named(stream, e, raw), quoted_entry(raw));
  return {};
}

Result<void> LayerWriter::apply_named(LayerStream& stream, archive_entry* e, std::string_view raw) {
  if (!clean_entry_path(raw, path_)) return fail_code(EINVAL, "path leaves the layer");
  auto [dir, base] = split_parent(path_);
  if (base.starts_with(kWhiteoutPrefix)) return apply_whiteout(e, dir, base);
  const char* hardlink = archive_entry_hardlink(e);
  auto type = archive_entry_filetype(e);
  if (path_.empty()) {
    if (hardlink || type != AE_IFDIR) return fail_code(EINVAL, "the layer's root is not a directory");
    return make_dir(e, Place{root_.get(), "."});
  }
  int dirfd = HUSK_TRY(parent_fd(dir));
  name_.assign(base);
  Place at{dirfd, name_.c_str()};
  if (hardlink) return make_hardlink(e, at);
  switch (type) {
    case AE_IFREG:
      return make_file(stream, e, at);
    case AE_IFDIR:
      return make_dir(e, at);
    case AE_IFLNK:
      return make_symlink(e, at);
    case AE_IFCHR:
      return make_node(e, at, S_IFCHR);
    case AE_IFBLK:
      return make_node(e, at, S_IFBLK);
    case AE_IFIFO:
      return make_node(e, at, S_IFIFO);
    default:
      return fail_code(EINVAL, "unsupported entry type " + std::to_string(type));
  }
}

// ".wh.NAME" hides NAME of the lower layers: overlayfs's whiteout is a
// character device 0:0. ".wh..wh..opq" hides all of its directory's lower
// contents: overlayfs's opaque xattr.
Result<void> LayerWriter::apply_whiteout(archive_entry* e, std::string_view dir, std::string_view base) {
  if (base == kOpaqueMarker) {
    int dirfd = HUSK_TRY(parent_fd(dir));
    UniqueFd fd = HUSK_TRY(open_at(dirfd, ".", O_RDONLY | O_DIRECTORY));
    if (::fsetxattr(fd.get(), "trusted.overlay.opaque", "y", 1, 0) < 0)
      return fail_errno("set xattr trusted.overlay.opaque");
    return {};
  }
  if (base.starts_with(kWhiteoutMeta)) return {};
  std::string_view hidden = base.substr(kWhiteoutPrefix.size());
  if (hidden.empty() || hidden == "." || hidden == "..") return fail_code(EINVAL, "invalid whiteout name");
  int dirfd = HUSK_TRY(parent_fd(dir));
  name_.assign(hidden);
  Place at{dirfd, name_.c_str()};
  // Whatever this layer made there earlier goes first.
  HUSK_TRY(remove_existing(at));
  if (::mknodat(dirfd, at.name, S_IFCHR, makedev(0, 0)) < 0) return fail_errno("mknod whiteout " + name_);
  return set_owner(Node{-1, dirfd, at.name}, e, opts_);
}

Result<int> LayerWriter::parent_fd(std::string_view dir) {
  if (dir.empty()) return root_.get();
  if (cache_valid_ && dir == cached_dir_) return cached_fd_.get();
  cached_fd_ = HUSK_TRY(open_dir_making(std::string(dir)));
  cached_dir_.assign(dir);
  cache_valid_ = true;
  return cached_fd_.get();
}

// DIR opened O_PATH inside DEST, what is missing of it made first: a tar
// need not list an entry's parents before it. Resolved with RESOLVE_IN_ROOT,
// so a symlink on the way ("evil -> /") leads to DEST's own "/", never out.
Result<UniqueFd> LayerWriter::open_dir_making(const std::string& dir) {
  auto fd = open_in_root(root_.get(), dir, O_PATH | O_DIRECTORY);
  if (fd || fd.error().err() != ENOENT) return fd;
  auto [up, name] = split_parent(dir);
  UniqueFd upfd;
  if (!up.empty()) upfd = HUSK_TRY(open_dir_making(std::string(up)));
  int at = up.empty() ? root_.get() : upfd.get();
  std::string n(name);
  if (::mkdirat(at, n.c_str(), 0755) == 0) {
    // 0755 whatever our umask: the layer must not depend on who unpacked it.
    if (::fchmodat(at, n.c_str(), 0755, 0) < 0) return fail_errno("chmod " + dir);
  } else if (errno != EEXIST) {
    return fail_errno("mkdir " + dir);
  }
  // NOFOLLOW: a dangling symlink there is an error, not a way elsewhere.
  return open_at(at, n, O_PATH | O_DIRECTORY | O_NOFOLLOW);
}

Result<void> LayerWriter::remove_existing(Place at) {
  cache_valid_ = false;  // the cached fd stays open: the caller may hold it
  return remove_tree_at(at.dirfd, at.name);
}

// MAKE creates AT (returning < 0 with errno set on failure). A later entry
// for the same path replaces the earlier one: when AT exists, it goes (a whole
// tree if it is a directory) and MAKE runs again. Nothing is ever opened
// through an existing file, which could be a symlink or another's hard link.
template <typename Make>
Result<void> LayerWriter::create_replacing(Place at, const char* what, Make&& make) {
  if (make() >= 0) return {};
  if (errno != EEXIST) return fail_errno(what);
  HUSK_TRY(remove_existing(at));
  if (make() >= 0) return {};
  return fail_errno(what);
}

// An existing directory stays (its contents too) and takes the new metadata.
Result<void> LayerWriter::make_dir(archive_entry* e, Place at) {
  // Owner-only until finish() sets the recorded mode.
  int r = ::mkdirat(at.dirfd, at.name, 0700);
  if (r < 0 && errno == EEXIST) {
    struct stat st;
    if (::fstatat(at.dirfd, at.name, &st, AT_SYMLINK_NOFOLLOW) < 0) return fail_errno("stat");
    if (S_ISDIR(st.st_mode)) {
      r = 0;
    } else {
      HUSK_TRY(remove_existing(at));
      r = ::mkdirat(at.dirfd, at.name, 0700);
    }
  }
  if (r < 0) return fail_errno("mkdir");
  UniqueFd fd = HUSK_TRY(open_at(at.dirfd, at.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
  Node n{fd.get(), at.dirfd, at.name};
  HUSK_TRY(set_owner(n, e, opts_));
  HUSK_TRY(set_xattrs(n, e));
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return fail_errno("stat");
  PendingDir& d = dirs_.emplace_back();
  d.path = path_;
  d.mode = archive_entry_perm(e) & 07777;
  d.has_times = entry_times(e, d.times);
  d.dev = st.st_dev;
  d.ino = st.st_ino;
  d.depth = path_.empty() ? 0 : 1 + static_cast<size_t>(std::count(path_.begin(), path_.end(), '/'));
  return {};
}

Result<void> LayerWriter::make_file(LayerStream& stream, archive_entry* e, Place at) {
  int raw = -1;
  HUSK_TRY(create_replacing(at, "create", [&] {
    raw = ::openat(at.dirfd, at.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    return raw;
  }));
  UniqueFd fd(raw);
  HUSK_TRY(stream.copy_contents(fd.get(), archive_entry_size(e)));
  return set_metadata(Node{fd.get(), at.dirfd, at.name}, e, opts_, true);
}

// The target is kept as the archive says (absolute means the container's
// root) and never followed here.
Result<void> LayerWriter::make_symlink(archive_entry* e, Place at) {
  const char* target = archive_entry_symlink(e);
  if (!target || !*target) return fail_code(EINVAL, "symlink without a target");
  HUSK_TRY(create_replacing(at, "symlink", [&] { return ::symlinkat(target, at.dirfd, at.name); }));
  // A symlink has no mode of its own.
  return set_metadata(Node{-1, at.dirfd, at.name}, e, opts_, false);
}

// The target is an earlier entry of this layer, looked up inside DEST. The
// new name shares its inode and so its metadata: the entry's own owner,
// mode and times would only overwrite the target's.
Result<void> LayerWriter::make_hardlink(archive_entry* e, Place at) {
  std::string_view raw = archive_entry_hardlink(e);
  std::string what = "hard link to \"" + std::string(raw) + "\"";
  if (!clean_entry_path(raw, link_path_))
    return fail_code(EINVAL, "hard link target \"" + std::string(raw) + "\" leaves the layer");
  if (link_path_.empty()) return fail_code(EINVAL, what + ": the layer's root is a directory");
  auto [dir, base] = split_parent(link_path_);
  UniqueFd dirfd;
  if (!dir.empty())
    dirfd = HUSK_TRY_CTX(open_in_root(root_.get(), std::string(dir), O_PATH | O_DIRECTORY), what);
  int from = dir.empty() ? root_.get() : dirfd.get();
  std::string name(base);
  // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, as tar means.
  return create_replacing(at, what.c_str(),
                          [&] { return ::linkat(from, name.c_str(), at.dirfd, at.name, 0); });
}

// Character and block devices, fifos.
Result<void> LayerWriter::make_node(archive_entry* e, Place at, mode_t type) {
  dev_t dev = type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
  HUSK_TRY(create_replacing(at, "mknod", [&] { return ::mknodat(at.dirfd, at.name, type | 0600, dev); }));
  return set_metadata(Node{-1, at.dirfd, at.name}, e, opts_, true);
}

Result<void> LayerWriter::finish() {
  // Deepest first: a parent's restrictive mode must not stop the lookup of
  // its children. Stable, so that of two entries for one directory the
  // later wins.
  std::stable_sort(dirs_.begin(), dirs_.end(),
                   [](const PendingDir& a, const PendingDir& b) { return a.depth > b.depth; });
  for (const PendingDir& d : dirs_) {
    auto fd = open_in_root(root_.get(), d.path.empty() ? "." : d.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) {
      int err = fd.error().err();
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;  // a later entry removed it
      return fail(std::move(fd).error().context(quoted_entry(d.path)));
    }
    struct stat st;
    if (::fstat(fd->get(), &st) < 0) return fail(Error::from_errno("stat").context(quoted_entry(d.path)));
    if (st.st_dev != d.dev || st.st_ino != d.ino) continue;  // replaced by a later entry
    if (::fchmod(fd->get(), d.mode) < 0)
      return fail(Error::from_errno("chmod").context(quoted_entry(d.path)));
    if (d.has_times && ::futimens(fd->get(), d.times) < 0)
      return fail(Error::from_errno("set times").context(quoted_entry(d.path)));
  }
  return {};
}

}  // namespace

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
