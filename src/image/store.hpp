// The image store: content-addressed blobs, layers unpacked once and shared,
// and the names that point at images. Everything lands by rename from a
// temporary directory on the same filesystem, so a crash or a concurrent
// writer never leaves a half-made blob or layer in place.
//
//   ROOT/blobs/sha256/HEX       manifests, indexes, configs and layer blobs, verified
//   ROOT/layers/CHAINHEX/       one unpacked layer: diff/ (an overlay lowerdir),
//                               layer.json (diff_id, parent, blob, size), link (its short name)
//   ROOT/l/SHORT -> ../layers/CHAINHEX/diff    short names keep overlay's mount options small
//   ROOT/repositories.json      {"refs": {"docker.io/library/busybox:latest": "sha256:MANIFEST"}}
//   ROOT/containers/ID/         a bundle's upper/ and work/ dirs and container.json
//   ROOT/tmp/                   work in progress (cleared of stale entries by prune)
//   ROOT/refs.lock              held (exclusively) while repositories.json changes
//   ROOT/gc.lock                shared by everything that adds content; exclusive to remove it
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/fd.hpp"
#include "image/digest.hpp"
#include "image/oci.hpp"
#include "image/reference.hpp"
#include "image/unpack.hpp"

namespace husk::image {

inline constexpr std::string_view kDefaultStoreRoot = "/var/lib/husk";

// A layer's identity in the store: the chain id of it and everything below
// (image-spec: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))).
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

struct LayerInfo {
  Digest chain_id;
  Digest diff_id;
  std::optional<Digest> parent;  // chain id of the layer below
  Digest blob;                   // the compressed blob it came from
  std::string blob_media_type;
  int64_t blob_size = 0;
  uint64_t tar_size = 0;
  std::string link;  // "l/SHORT"
};

// An image as the store knows it: the manifest a name points at, parsed.
struct StoredImage {
  Digest manifest_digest;
  std::string manifest_media_type;
  Manifest manifest;
  ImageConfig config;
  std::string config_bytes;
  Digest id() const { return manifest.config.digest; }  // docker's image id: the config's digest
  std::vector<std::string> names;                       // every ref that points at it
  // Every stored manifest of this config (MANIFEST_DIGEST first): a pull
  // and a load of one image are one image to the user, as docker's.
  std::vector<Digest> manifests;
};

class Lock;  // an flock held until destroyed

class Store {
 public:
  // Opens (creating if needed) the store at ROOT.
  static Result<Store> open(const std::string& root);

  const std::string& root() const { return root_; }

  // --- locks: see the file comment.
  Result<Lock> lock_content_shared() const;
  Result<Lock> lock_content_exclusive() const;

  // --- blobs
  std::string blob_path(const Digest& d) const;
  bool has_blob(const Digest& d) const;
  Result<std::string> read_blob(const Digest& d) const;
  // Writes DATA as a blob; its digest must be EXPECTED when given (EBADMSG otherwise).
  Result<Digest> put_blob(std::string_view data, const std::optional<Digest>& expected = {}) const;
  // A blob written in pieces: feed with write(), then commit() checks the
  // digest (and size) and renames it into place; destroyed uncommitted, it vanishes.
  class BlobWriter;
  Result<BlobWriter> begin_blob() const;

  // --- layers
  bool has_layer(const Digest& chain_id) const;
  Result<LayerInfo> layer(const Digest& chain_id) const;
  std::string layer_diff_dir(const Digest& chain_id) const;
  // Unpacks a layer blob into the store as CHAIN_ID (on top of PARENT),
  // reading the blob through READ; the blob bytes are also written to the
  // blob store when KEEP_BLOB. Checks the diff_id against EXPECTED_DIFF_ID
  // and the blob digest against DESC (when DESC.digest is set). A layer that
  // appears meanwhile (a concurrent pull) wins: ours is dropped.
  struct LayerSource {
    ReadFn read;
    Descriptor desc;          // media type, digest (may be empty: unknown until read), size
    Digest expected_diff_id;  // may be empty (import: unknown)
    std::optional<Digest> parent;
    bool keep_blob = true;
    // READ checks the bytes against DESC itself and fails at the end of the
    // stream if they differ (a registry transfer): no second hash here.
    bool read_verifies = false;
  };
  Result<LayerInfo> add_layer(const LayerSource& src) const;

  // --- images and names
  // Stores manifest + config (the layers must be in already) and points NAME
  // (a normalised reference string) at it. Returns the stored image.
  Result<StoredImage> add_image(const std::string& manifest_bytes, const std::string& config_bytes,
                                const std::vector<std::string>& names) const;
  // The image NAME_OR_ID names: a reference (normalised first), a full
  // "sha256:..." id or manifest digest, or an id prefix (ambiguity is an error).
  Result<StoredImage> find_image(const std::string& name_or_id) const;
  Result<std::vector<StoredImage>> list_images() const;
  Result<void> tag(const StoredImage& image, const Reference& name) const;
  // Removes NAME; with a name that is an id, every name of that image (FORCE
  // needed when it has several). Returns the names removed. Content goes with gc().
  Result<std::vector<std::string>> untag(const std::string& name_or_id, bool force) const;
  // Removes every blob, layer and short link no name and no container
  // needs, and stale temporary entries. Returns what was removed (for the CLI).
  struct GcReport {
    std::vector<std::string> removed;
    uint64_t bytes = 0;
  };
  Result<GcReport> gc() const;

  // Layers of IMAGE from the top, as "l/SHORT" links relative to root().
  Result<std::vector<std::string>> lower_links(const StoredImage& image) const;

 private:
  explicit Store(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

class Lock {
 public:
  Lock() = default;
  explicit Lock(UniqueFd fd) : fd_(std::move(fd)) {}
  Lock(Lock&&) = default;
  Lock& operator=(Lock&&) = default;

 private:
  UniqueFd fd_;
};

class Store::BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) noexcept;
  ~BlobWriter();
  Result<void> write(const void* data, size_t size);
  // Checks the digest (and SIZE when >= 0) and moves the blob into place.
  Result<Digest> commit(const std::optional<Digest>& expected, int64_t size = -1);

 private:
  friend class Store;
  BlobWriter(std::string root, std::string tmp_path, UniqueFd fd)
      : root_(std::move(root)), tmp_path_(std::move(tmp_path)), fd_(std::move(fd)) {}
  std::string root_;
  std::string tmp_path_;
  UniqueFd fd_;
  Sha256 hash_;
};

// The bytes of IMG's layers (their tars): docker's image Size.
uint64_t image_size(const Store& store, const StoredImage& img);

}  // namespace husk::image
