// Store::add_layer: a layer blob unpacked into the store (see store.hpp).
#include <unistd.h>

#include "base/fault.hpp"
#include "base/file.hpp"
#include "image/store.hpp"
#include "image/store_detail.hpp"

namespace husk::image {

using detail::layer_json;
using detail::random_name;

Result<LayerInfo> Store::add_layer(const LayerSource& src) const {
  // Work in a temporary directory; only a complete, verified layer is renamed in.
  std::string tmp = root_ + "/tmp/layer-" + random_name(16);
  HUSK_TRY(mkdir_all(tmp + "/diff", 0755));
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      if (!path.empty()) (void)remove_all(path);
    }
  } cleanup{tmp};

  bool write_blob = src.keep_blob && !(src.desc.digest.hex.size() && has_blob(src.desc.digest));
  std::optional<BlobWriter> blob;
  if (write_blob) blob.emplace(HUSK_TRY(begin_blob()));
  ReadFn read = src.read;
  if (blob) {
    read = [&](void* buf, size_t size) -> Result<size_t> {
      size_t n = HUSK_TRY(src.read(buf, size));
      if (n) HUSK_TRY(blob->write(buf, n));
      return n;
    };
  }
  UnpackOptions unpack_opts;
  unpack_opts.hash_blob = !(src.read_verifies && !src.desc.digest.empty());
  auto unpacked = HUSK_TRY(unpack_layer(read, tmp + "/diff", unpack_opts));
  if (!unpack_opts.hash_blob) unpacked.blob_digest = src.desc.digest;
  std::string what =
      "layer " + (src.desc.digest.empty() ? unpacked.blob_digest.str() : src.desc.digest.str());
  if (!src.desc.digest.empty() && unpacked.blob_digest != src.desc.digest)
    return fail_code(EBADMSG, what + ": digest mismatch (the content is " + unpacked.blob_digest.str() + ")");
  if (src.desc.size > 0 && unpacked.blob_size != static_cast<uint64_t>(src.desc.size))
    return fail_code(EBADMSG, what + ": size mismatch (got " + std::to_string(unpacked.blob_size) +
                                  " bytes, want " + std::to_string(src.desc.size) + ")");
  if (!src.expected_diff_id.empty() && unpacked.diff_id != src.expected_diff_id)
    return fail_code(EBADMSG, what + ": its content (diff_id " + unpacked.diff_id.str() +
                                  ") is not what the image config says (" + src.expected_diff_id.str() + ")");
  if (blob) HUSK_TRY(blob->commit(unpacked.blob_digest, static_cast<int64_t>(unpacked.blob_size)));

  LayerInfo info;
  info.diff_id = unpacked.diff_id;
  info.parent = src.parent;
  info.chain_id = src.parent ? sha256_of(src.parent->str() + " " + unpacked.diff_id.str()) : unpacked.diff_id;
  info.blob = unpacked.blob_digest;
  info.blob_media_type = src.desc.media_type;
  info.blob_size = static_cast<int64_t>(unpacked.blob_size);
  info.tar_size = unpacked.tar_size;
  if (has_layer(info.chain_id)) return layer(info.chain_id);

  // Short names keep overlay's mount options small on kernels without
  // "lowerdir+" (one page for every layer): "l/" + 12 characters is 15 bytes
  // a layer with its separator, room for ~270 layers. A name taken already
  // (36^12 makes that rare) is simply drawn again.
  std::string final_dir = root_ + "/layers/" + info.chain_id.hex;
  std::string target = "../layers/" + info.chain_id.hex + "/diff";
  for (int attempt = 0;; ++attempt) {
    info.link = "l/" + random_name(12);
    if (::symlink(target.c_str(), (root_ + "/" + info.link).c_str()) == 0) break;
    if (errno != EEXIST || attempt > 10) return fail_errno("link layer " + info.chain_id.str());
  }
  HUSK_TRY(write_file_atomic(tmp + "/layer.json", layer_json(info), 0644));
  fault_point(Fault::pull_layer_linked);
  if (::rename(tmp.c_str(), final_dir.c_str()) < 0) {
    int err = errno;
    ::unlink((root_ + "/" + info.link).c_str());
    // Someone else unpacked the same layer meanwhile: theirs stands.
    if ((err == EEXIST || err == ENOTEMPTY) && has_layer(info.chain_id)) return layer(info.chain_id);
    return fail(Error(err, "store layer " + info.chain_id.str()));
  }
  cleanup.path.clear();
  return info;
}

}  // namespace husk::image
