// Layers for the image tests: tar streams (plain or compressed) built with
// libarchive's writer from a list of entries, and a ReadFn over them.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "image/unpack.hpp"

namespace husk::image::test_layers {

inline constexpr time_t kMtime = 1700000000;

struct Entry {
  std::string path;
  unsigned type = AE_IFREG;
  unsigned mode = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
  std::string data;
  std::string symlink;
  std::string hardlink;
  time_t mtime = kMtime;
  unsigned rdev_major = 0;
  unsigned rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

enum class Filter { none, gzip, zstd, xz, bzip2 };

inline la_ssize_t append_to_string(archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

inline void add_filter(archive* w, Filter f) {
  switch (f) {
    case Filter::none:
      archive_write_add_filter_none(w);
      break;
    case Filter::gzip:
      archive_write_add_filter_gzip(w);
      break;
    case Filter::zstd:
      archive_write_add_filter_zstd(w);
      break;
    case Filter::xz:
      archive_write_add_filter_xz(w);
      break;
    case Filter::bzip2:
      archive_write_add_filter_bzip2(w);
      break;
  }
}

// A layer as a registry would serve it. PAD_BLOCKS keeps libarchive's
// default of padding the output to 10 KiB records (zeros after a compressed
// stream, as some tools leave them); otherwise the stream ends where the
// data does.
inline std::string make_layer(const std::vector<Entry>& entries, Filter filter = Filter::none,
                              bool pad_blocks = false) {
  std::string out;
  archive* w = archive_write_new();
  archive_write_set_format_pax_restricted(w);
  add_filter(w, filter);
  if (!pad_blocks) archive_write_set_bytes_in_last_block(w, 1);
  EXPECT_EQ(archive_write_open(w, &out, nullptr, append_to_string, nullptr), ARCHIVE_OK)
      << archive_error_string(w);
  archive_entry* e = archive_entry_new();
  for (const Entry& x : entries) {
    archive_entry_clear(e);
    archive_entry_copy_pathname(e, x.path.c_str());
    archive_entry_set_filetype(e, x.type);
    archive_entry_set_perm(e, x.mode);
    archive_entry_set_uid(e, x.uid);
    archive_entry_set_gid(e, x.gid);
    archive_entry_set_mtime(e, x.mtime, 0);
    archive_entry_set_size(
        e, x.type == AE_IFREG && x.hardlink.empty() ? static_cast<la_int64_t>(x.data.size()) : 0);
    if (!x.symlink.empty()) archive_entry_copy_symlink(e, x.symlink.c_str());
    if (!x.hardlink.empty()) archive_entry_copy_hardlink(e, x.hardlink.c_str());
    archive_entry_set_rdevmajor(e, x.rdev_major);
    archive_entry_set_rdevminor(e, x.rdev_minor);
    for (const auto& [k, v] : x.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    EXPECT_EQ(archive_write_header(w, e), ARCHIVE_OK) << x.path << ": " << archive_error_string(w);
    if (archive_entry_size(e) > 0) {
      EXPECT_EQ(archive_write_data(w, x.data.data(), x.data.size()), static_cast<la_ssize_t>(x.data.size()));
    }
  }
  archive_entry_free(e);
  EXPECT_EQ(archive_write_close(w), ARCHIVE_OK);
  archive_write_free(w);
  return out;
}

// Hands out DATA in pieces of at most CHUNK bytes.
inline ReadFn reader_of(const std::string& data, size_t chunk = 1 << 20) {
  auto pos = std::make_shared<size_t>(0);
  return [&data, chunk, pos](void* buf, size_t size) -> Result<size_t> {
    size_t n = std::min({size, chunk, data.size() - *pos});
    std::memcpy(buf, data.data() + *pos, n);
    *pos += n;
    return n;
  };
}

}  // namespace husk::image::test_layers
