#include "image/commit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/time.hpp"
#include "image/tar_stream.hpp"

namespace husk::image {

Result<StoredImage> add_layer_image(const Store& store, const StoredImage* base, const LayerInfo& layer,
                                    const NewImage& what) {
  ImageConfig c;
  if (base) {
    c.platform = base->config.platform;
    c.diff_ids = base->config.diff_ids;
    c.history = base->config.history;
  } else {
    c.platform = host_platform();
  }
  c.created = what.created.empty() ? now_rfc3339() : what.created;
  c.author = what.author;
  c.comment = what.comment;
  c.container = what.container;
  c.config = what.config;
  c.diff_ids.push_back(layer.diff_id);
  c.history.push_back(HistoryEntry{c.created, what.created_by, what.author, what.comment, false});
  std::string config = to_json(c);
  Manifest m;
  m.schema_version = 2;
  m.media_type = std::string(media::kOciManifest);
  m.config =
      Descriptor{std::string(media::kOciConfig), sha256_of(config), static_cast<int64_t>(config.size())};
  if (base) m.layers = base->manifest.layers;
  m.layers.push_back(Descriptor{layer.blob_media_type, layer.blob, layer.blob_size});
  std::string manifest = to_json(m);
  std::vector<std::string> names = what.names;
  if (names.empty())
    names.push_back(sha256_of(manifest).str());  // unnamed: kept under its digest, as load does
  return store.add_image(manifest, config, names);
}

Result<StoredImage> commit_upper(const Store& store, const StoredImage& base, const std::string& upper,
                                 const NewImage& what) {
  Lock content = HUSK_TRY(store.lock_content_shared());  // gc leaves tmp/ and the new layer alone
  std::string tmp = store.root() + "/tmp";
  HUSK_TRY(mkdir_all(tmp, 0700));
  // The layer's tar in a file with no name: nothing is left of it whatever happens.
  UniqueFd tar(::open(tmp.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!tar) return fail_errno("a temporary file in " + tmp);
  UniqueFd dir = HUSK_TRY(open_fd(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  HUSK_TRY_CTX(write_upper_tar(dir.get(), tar.get()), "commit " + upper);
  if (::lseek(tar.get(), 0, SEEK_SET) < 0) return fail_errno("rewind the layer of " + upper);
  Store::LayerSource src;
  src.read = fd_reader(tar.get(), "the layer of " + upper);
  src.desc.media_type = std::string(media::kOciLayer);
  if (!base.config.diff_ids.empty()) src.parent = chain_ids(base.config.diff_ids).back();
  auto layer = HUSK_TRY_CTX(store.add_layer(src), "commit " + upper);
  return add_layer_image(store, &base, layer, what);
}

}  // namespace husk::image
