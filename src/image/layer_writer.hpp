// Writes a layer's tar entries (from image/layer_stream) into DEST, the
// directory that becomes one overlayfs lower layer: paths resolved inside
// DEST, whiteouts made overlayfs's, metadata applied in the order the kernel
// needs (see image/unpack.hpp for the rules).
#pragma once

#include <archive_entry.h>
#include <sys/types.h>
#include <time.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "image/layer_stream.hpp"
#include "image/unpack.hpp"

namespace husk::image {

class LayerWriter {
 public:
  LayerWriter(UniqueFd root, const UnpackOptions& opts) : root_(std::move(root)), opts_(opts) {}

  Result<void> apply(LayerStream& stream, archive_entry* e);
  // Directory modes and times, deepest first.
  Result<void> finish();

 private:
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

}  // namespace husk::image
