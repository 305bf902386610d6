#include "image/pull.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "base/fault.hpp"
#include "base/fd.hpp"

namespace husk::image {

namespace {

// The manifest for REF on PLATFORM: an index is resolved to its entry.
Result<FetchedManifest> fetch_manifest(RegistryClient& client, const Reference& ref,
                                       const Platform& platform) {
  std::string want = ref.digest ? ref.digest->str() : ref.tag;
  auto m = HUSK_TRY(client.get_manifest(ref.path, want));
  if (is_index_type(m.media_type)) {
    auto index = HUSK_TRY_CTX(parse_index(m.bytes), ref.familiar());
    auto desc = HUSK_TRY_CTX(select_platform(index, platform), ref.familiar());
    m = HUSK_TRY(client.get_manifest(ref.path, desc.digest.str()));
    if (m.digest != desc.digest)
      return fail_code(EBADMSG, ref.familiar() + ": manifest " + m.digest.str() + " is not the " +
                                    desc.digest.str() + " the index names");
  }
  if (!is_manifest_type(m.media_type))
    return fail_code(ENOTSUP, ref.familiar() + ": unsupported manifest media type \"" + m.media_type + "\"");
  return m;
}

// One layer: the download writes into a pipe that the unpacker reads, so
// the layer is on disk about when its last byte arrives.
Result<LayerInfo> pull_layer(const Store& store, RegistryClient& client, const std::string& repo,
                             const Descriptor& desc, const Digest& diff_id,
                             const std::optional<Digest>& parent, const ProgressFn& progress) {
  auto fds = HUSK_TRY(make_pipe("pipe"));
  UniqueFd rd = std::move(fds.read), wr = std::move(fds.write);
  // A deep pipe lets the download run ahead of the decompressor instead of
  // handing it 64 KiB at a time (root may exceed pipe-max-size; others get
  // what the limit allows, or the default).
  (void)::fcntl(wr.get(), F_SETPIPE_SZ, 8 << 20);
  // Set by the download thread before it closes the pipe; read after EOF.
  std::mutex mu;
  std::optional<Error> download_error;
  auto failed_download = [&]() -> std::optional<Error> {
    std::lock_guard g(mu);
    return download_error;
  };
  LayerProgress p{desc.digest, LayerProgress::Phase::downloading, 0, static_cast<uint64_t>(desc.size)};
  // The download thread also keeps the blob (for save and push), so the
  // unpacker, the slower of the two, only unpacks.
  std::optional<Store::BlobWriter> blob;
  if (!store.has_blob(desc.digest)) blob.emplace(HUSK_TRY(store.begin_blob()));
  std::thread download([&] {
    auto r = client.get_blob(repo, desc, [&](const char* data, size_t size) -> Result<void> {
      if (blob) HUSK_TRY(blob->write(data, size));
      if (p.bytes > 0) fault_point(Fault::pull_blob_partial);
      if (auto w = write_all(wr.get(), std::string_view(data, size)); !w)
        return fail(Error(w.error().err(), "layer " + desc.digest.str() + ": hand to the unpacker"));
      p.bytes += size;
      if (progress) progress(p);
      return {};
    });
    // get_blob checked the digest and size; the writer checks them again.
    if (r && blob)
      r = [&]() -> Result<void> {
        HUSK_TRY(blob->commit(desc.digest, desc.size));
        return {};
      }();
    if (!r) {
      std::lock_guard g(mu);
      download_error = std::move(r).error();
    }
    wr.reset();  // end of stream for the unpacker
  });
  Store::LayerSource src;
  src.read = [&](void* buf, size_t size) -> Result<size_t> {
    for (;;) {
      ssize_t n = ::read(rd.get(), buf, size);
      if (n >= 0) {
        // A download that failed ends the stream early: say why, not "truncated".
        if (n == 0)
          if (auto e = failed_download()) return fail(std::move(*e));
        if (n > 0) fault_point(Fault::pull_layer_partial);
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) return fail_errno("read layer stream");
    }
  };
  src.desc = desc;
  src.expected_diff_id = diff_id;
  src.parent = parent;
  src.keep_blob = false;
  src.read_verifies = true;  // get_blob checks digest and size; a mismatch ends the stream with an error
  auto layer = store.add_layer(src);
  rd.reset();  // an unpacker that gave up stops the download (EPIPE)
  download.join();
  if (!layer) return layer;  // its error says what was wrong with the bytes
  if (auto e = failed_download()) return fail(std::move(*e));
  return layer;
}

}  // namespace

Result<StoredImage> pull_image(const Store& store, const Reference& ref, const PullOptions& opts) {
  RegistryClient client(ref.domain, opts.registry);
  auto m = HUSK_TRY(fetch_manifest(client, ref, opts.platform));
  auto manifest = HUSK_TRY_CTX(parse_manifest(m.bytes), ref.familiar());
  for (auto& l : manifest.layers)
    if (!is_layer_type(l.media_type))
      return fail_code(ENOTSUP, ref.familiar() + ": layer " + l.digest.str() +
                                    " has an unsupported media type \"" + l.media_type + "\"");
  std::string config_bytes;
  HUSK_TRY(client.get_blob(ref.path, manifest.config, [&](const char* d, size_t n) -> Result<void> {
    config_bytes.append(d, n);
    return {};
  }));
  auto config = HUSK_TRY_CTX(parse_image_config(config_bytes), ref.familiar() + ": image config");
  if (config.diff_ids.size() != manifest.layers.size())
    return fail_code(EINVAL, ref.familiar() + ": the manifest has " + std::to_string(manifest.layers.size()) +
                                 " layers, its config " + std::to_string(config.diff_ids.size()));

  Lock content = HUSK_TRY(store.lock_content_shared());
  auto chains = chain_ids(config.diff_ids);
  // Layers go in parallel: each knows its chain id (and parent's) from the config.
  std::vector<size_t> todo;
  for (size_t i = 0; i < chains.size(); ++i) {
    if (store.has_layer(chains[i])) {
      if (opts.progress)
        opts.progress({manifest.layers[i].digest, LayerProgress::Phase::exists, 0,
                       static_cast<uint64_t>(manifest.layers[i].size)});
      continue;
    }
    todo.push_back(i);
  }
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> first_error;
  auto worker = [&] {
    for (;;) {
      size_t k = next.fetch_add(1);
      if (k >= todo.size()) return;
      {
        std::lock_guard g(mu);
        if (first_error) return;
      }
      size_t i = todo[k];
      std::optional<Digest> parent = i ? std::optional<Digest>(chains[i - 1]) : std::nullopt;
      auto r =
          pull_layer(store, client, ref.path, manifest.layers[i], config.diff_ids[i], parent, opts.progress);
      LayerProgress done{
          manifest.layers[i].digest, r ? LayerProgress::Phase::done : LayerProgress::Phase::failed,
          static_cast<uint64_t>(manifest.layers[i].size), static_cast<uint64_t>(manifest.layers[i].size)};
      if (opts.progress) opts.progress(done);
      if (!r) {
        std::lock_guard g(mu);
        if (!first_error) first_error = std::move(r).error().context(ref.familiar());
      }
    }
  };
  std::vector<std::thread> threads;
  size_t n = std::min<size_t>(todo.size(), static_cast<size_t>(std::max(1, opts.parallel)));
  for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
  if (n) worker();
  for (auto& t : threads) t.join();
  if (first_error) return fail(std::move(*first_error));
  fault_point(Fault::pull_image_layers);
  return store.add_image(m.bytes, config_bytes, {ref.str()});
}

Result<Digest> push_image(const Store& store, const StoredImage& image, const Reference& dest,
                          const RegistryOptions& opts, const ProgressFn& progress) {
  RegistryClient client(dest.domain, opts);
  auto push_blob = [&](const Descriptor& d) -> Result<void> {
    if (HUSK_TRY(client.has_blob(dest.path, d.digest))) {
      if (progress) progress({d.digest, LayerProgress::Phase::exists, 0, static_cast<uint64_t>(d.size)});
      return {};
    }
    UniqueFd fd = HUSK_TRY(open_fd(store.blob_path(d.digest), O_RDONLY));
    LayerProgress p{d.digest, LayerProgress::Phase::downloading, 0, static_cast<uint64_t>(d.size)};
    HUSK_TRY(client.put_blob(dest.path, d, [&](char* buf, size_t size) -> Result<size_t> {
      for (;;) {
        ssize_t n = ::read(fd.get(), buf, size);
        if (n >= 0) {
          p.bytes += static_cast<uint64_t>(n);
          if (progress) progress(p);
          return static_cast<size_t>(n);
        }
        if (errno != EINTR) return fail_errno("read blob " + d.digest.str());
      }
    }));
    if (progress) progress({d.digest, LayerProgress::Phase::done, p.bytes, p.bytes});
    return {};
  };
  for (auto& l : image.manifest.layers) HUSK_TRY_CTX(push_blob(l), "push " + dest.familiar());
  HUSK_TRY_CTX(push_blob(image.manifest.config), "push " + dest.familiar());
  std::string bytes = HUSK_TRY(store.read_blob(image.manifest_digest));
  std::string tag = dest.digest ? dest.digest->str() : dest.tag;
  HUSK_TRY_CTX(client.put_manifest(dest.path, tag, image.manifest_media_type, bytes),
               "push " + dest.familiar());
  return image.manifest_digest;
}

}  // namespace husk::image
