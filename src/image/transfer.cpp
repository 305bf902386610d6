#include "image/transfer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "image/unpack.hpp"

namespace husk::image {

namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kRefName = "org.opencontainers.image.ref.name";
constexpr std::string_view kContainerdName = "io.containerd.image.name";

std::string sniff_layer_type(const std::string& path) {
  unsigned char head[4] = {};
  if (auto fd = open_fd(path, O_RDONLY)) (void)!::read(fd->get(), head, sizeof head);
  if (head[0] == 0x1f && head[1] == 0x8b) return std::string(media::kOciLayerGzip);
  if (std::memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0) return std::string(media::kOciLayerZstd);
  return std::string(media::kOciLayer);
}

// A file of the archive, by a path the archive gave: it must stay inside DIR.
Result<std::string> inside(const std::string& dir, const std::string& rel) {
  std::string clean = clean_path("/" + rel);
  if (clean == "/") return fail_code(EINVAL, "archive path \"" + rel + "\" names no file");
  return dir + clean;
}

Result<std::string> read_verified(const std::string& path, const Descriptor& d) {
  std::string bytes = HUSK_TRY(read_file(path));
  if (sha256_of(bytes) != d.digest) return fail_code(EBADMSG, "blob " + d.digest.str() + ": digest mismatch");
  if (d.size && static_cast<int64_t>(bytes.size()) != d.size)
    return fail_code(EBADMSG, "blob " + d.digest.str() + ": size mismatch");
  return bytes;
}

// Adds the layers (from BLOB_PATH(desc)) that the store lacks, then the image.
Result<StoredImage> import_manifest(const Store& store, const std::string& manifest_bytes,
                                    const std::function<Result<std::string>(const Descriptor&)>& blob_path,
                                    std::vector<std::string> names) {
  Manifest m = HUSK_TRY(parse_manifest(manifest_bytes));
  std::string config_bytes = HUSK_TRY(read_verified(HUSK_TRY(blob_path(m.config)), m.config));
  ImageConfig config = HUSK_TRY(parse_image_config(config_bytes));
  if (config.diff_ids.size() != m.layers.size())
    return fail_code(EINVAL, "the manifest has " + std::to_string(m.layers.size()) + " layers, its config " +
                                 std::to_string(config.diff_ids.size()));
  auto chains = chain_ids(config.diff_ids);
  for (size_t i = 0; i < chains.size(); ++i) {
    if (store.has_layer(chains[i])) continue;
    if (!is_layer_type(m.layers[i].media_type))
      return fail_code(ENOTSUP, "layer " + m.layers[i].digest.str() + ": unsupported media type \"" +
                                    m.layers[i].media_type + "\"");
    std::string path = HUSK_TRY(blob_path(m.layers[i]));
    UniqueFd fd = HUSK_TRY(open_fd(path, O_RDONLY));
    Store::LayerSource src;
    src.read = fd_reader(fd.get(), path);
    src.desc = m.layers[i];
    src.expected_diff_id = config.diff_ids[i];
    if (i) src.parent = chains[i - 1];
    HUSK_TRY(store.add_layer(src));
  }
  if (names.empty()) names.push_back(sha256_of(manifest_bytes).str());  // unnamed: kept under its digest
  return store.add_image(manifest_bytes, config_bytes, names);
}

std::vector<std::string> oci_names(const Descriptor& d) {
  auto pick = [&](std::string_view key) -> std::optional<std::string> {
    auto it = d.annotations.find(std::string(key));
    if (it == d.annotations.end()) return std::nullopt;
    // A bare tag ("latest") names no repository: not a name husk can use.
    if (it->second.find('/') == std::string::npos && it->second.find(':') == std::string::npos)
      return std::nullopt;
    auto ref = parse_reference(it->second);
    if (!ref) return std::nullopt;
    return ref->str();
  };
  if (auto n = pick(kContainerdName)) return {*n};
  if (auto n = pick(kRefName)) return {*n};
  return {};
}

Result<std::vector<StoredImage>> load_oci_dir(const Store& store, const std::string& dir) {
  Index index = HUSK_TRY_CTX(parse_index(HUSK_TRY(read_file(dir + "/index.json"))), dir + "/index.json");
  auto blob_path = [&](const Descriptor& d) -> Result<std::string> {
    return dir + "/blobs/" + d.digest.algorithm + "/" + d.digest.hex;
  };
  std::vector<StoredImage> out;
  Lock content = HUSK_TRY(store.lock_content_shared());
  for (auto& top : index.manifests) {
    Descriptor d = top;
    std::string bytes = HUSK_TRY(read_verified(HUSK_TRY(blob_path(d)), d));
    if (is_index_type(d.media_type)) {
      Index inner = HUSK_TRY(parse_index(bytes));
      d = HUSK_TRY(select_platform(inner, host_platform()));
      bytes = HUSK_TRY(read_verified(HUSK_TRY(blob_path(d)), d));
    }
    if (!is_manifest_type(d.media_type))
      return fail_code(ENOTSUP,
                       "index entry " + d.digest.str() + ": unsupported media type \"" + d.media_type + "\"");
    out.push_back(HUSK_TRY(import_manifest(store, bytes, blob_path, oci_names(top))));
  }
  return out;
}

Result<std::vector<StoredImage>> load_docker_dir(const Store& store, const std::string& dir) {
  json entries;
  try {
    entries = json::parse(HUSK_TRY(read_file(dir + "/manifest.json")));
  } catch (const json::exception& e) {
    return fail_code(EINVAL, "manifest.json: " + std::string(e.what()));
  }
  if (!entries.is_array()) return fail_code(EINVAL, "manifest.json: not a list");
  std::vector<StoredImage> out;
  Lock content = HUSK_TRY(store.lock_content_shared());
  for (auto& e : entries) {
    std::string config_path, config_bytes;
    std::vector<std::string> layer_paths, names;
    try {
      config_path = HUSK_TRY(inside(dir, e.at("Config").get<std::string>()));
      for (auto& l : e.at("Layers")) layer_paths.push_back(HUSK_TRY(inside(dir, l.get<std::string>())));
      if (e.contains("RepoTags") && e["RepoTags"].is_array())
        for (auto& t : e["RepoTags"]) names.push_back(HUSK_TRY(parse_reference(t.get<std::string>())).str());
    } catch (const json::exception& ex) {
      return fail_code(EINVAL, "manifest.json: " + std::string(ex.what()));
    }
    config_bytes = HUSK_TRY(read_file(config_path));
    ImageConfig config = HUSK_TRY_CTX(parse_image_config(config_bytes), config_path);
    if (config.diff_ids.size() != layer_paths.size())
      return fail_code(EINVAL, "manifest.json lists " + std::to_string(layer_paths.size()) +
                                   " layers, the config " + std::to_string(config.diff_ids.size()));
    // The archive has no manifest of the registry kind: make an OCI one from
    // the layers as they are stored.
    Manifest m;
    m.media_type = std::string(media::kOciManifest);
    m.config = Descriptor{std::string(media::kOciConfig), sha256_of(config_bytes),
                          static_cast<int64_t>(config_bytes.size())};
    auto chains = chain_ids(config.diff_ids);
    for (size_t i = 0; i < layer_paths.size(); ++i) {
      LayerInfo info;
      if (store.has_layer(chains[i])) {
        info = HUSK_TRY(store.layer(chains[i]));
      } else {
        UniqueFd fd = HUSK_TRY(open_fd(layer_paths[i], O_RDONLY));
        Store::LayerSource src;
        src.read = fd_reader(fd.get(), layer_paths[i]);
        src.desc.media_type = sniff_layer_type(layer_paths[i]);
        src.expected_diff_id = config.diff_ids[i];
        if (i) src.parent = chains[i - 1];
        info = HUSK_TRY_CTX(store.add_layer(src), layer_paths[i]);
      }
      std::string type = info.blob_media_type.empty() ? std::string(media::kOciLayer) : info.blob_media_type;
      m.layers.push_back(Descriptor{type, info.blob, info.blob_size});
    }
    std::string manifest_bytes = to_json(m);
    if (names.empty()) names.push_back(sha256_of(manifest_bytes).str());
    out.push_back(HUSK_TRY(store.add_image(manifest_bytes, config_bytes, names)));
  }
  return out;
}

Result<std::vector<StoredImage>> load_dir(const Store& store, const std::string& dir) {
  if (path_exists(dir + "/oci-layout") && path_exists(dir + "/index.json")) return load_oci_dir(store, dir);
  if (path_exists(dir + "/manifest.json")) return load_docker_dir(store, dir);
  return fail_code(EINVAL,
                   dir + " is neither a docker archive (manifest.json) nor an OCI layout (oci-layout)");
}

}  // namespace

Result<ArchiveFormat> parse_archive_format(const std::string& name) {
  if (name == "docker-archive") return ArchiveFormat::docker_archive;
  if (name == "oci-archive") return ArchiveFormat::oci_archive;
  if (name == "oci-dir") return ArchiveFormat::oci_dir;
  return fail_code(EINVAL, "unknown format \"" + name + "\" (docker-archive, oci-archive or oci-dir)");
}

Result<std::vector<StoredImage>> load_archive(const Store& store, const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) return fail_errno(path);
  if (S_ISDIR(st.st_mode)) return with_context(load_dir(store, path), "load " + path);
  // A tar: unpacked into the store's tmp/ with the layer unpacker's care
  // (nothing lands outside), read from there, removed.
  std::string tmp =
      store.root() + "/tmp/load-" + sha256_of(path + std::to_string(::getpid())).hex.substr(0, 16);
  HUSK_TRY(mkdir_all(tmp, 0700));
  struct Cleanup {
    std::string p;
    ~Cleanup() { (void)remove_all(p); }
  } cleanup{tmp};
  UniqueFd fd = HUSK_TRY(open_fd(path, O_RDONLY));
  UnpackOptions o;
  o.preserve_owner = false;
  HUSK_TRY_CTX(unpack_layer_fd(fd.get(), tmp, o), "load " + path);
  return with_context(load_dir(store, tmp), "load " + path);
}

// --- save

namespace {

// The manifest as an OCI layout wants it: docker's media types become OCI's
// (same JSON shape; the digest changes with the bytes).
std::string oci_manifest_bytes(const StoredImage& img, const Store& store) {
  if (img.manifest_media_type == media::kOciManifest) return *store.read_blob(img.manifest_digest);
  Manifest m = img.manifest;
  m.media_type = std::string(media::kOciManifest);
  m.config.media_type = std::string(media::kOciConfig);
  for (auto& l : m.layers) {
    if (l.media_type == media::kDockerLayerGzip || l.media_type == media::kDockerLayerForeignGzip)
      l.media_type = std::string(media::kOciLayerGzip);
  }
  return to_json(m);
}

class TarWriter {
 public:
  static Result<TarWriter> open(const std::string& path) {
    TarWriter w;
    w.a_.reset(archive_write_new());
    archive_write_set_format_pax_restricted(w.a_.get());
    int rc = path == "-" ? archive_write_open_fd(w.a_.get(), STDOUT_FILENO)
                         : archive_write_open_filename(w.a_.get(), path.c_str());
    if (rc != ARCHIVE_OK) return fail_code(EIO, path + ": " + archive_error_string(w.a_.get()));
    w.path_ = path;
    return w;
  }
  Result<void> dir(const std::string& name) { return header(name, S_IFDIR | 0755, 0); }
  Result<void> file(const std::string& name, std::string_view data) {
    HUSK_TRY(header(name, S_IFREG | 0644, static_cast<int64_t>(data.size())));
    return put(data.data(), data.size());
  }
  // SIZE bytes from READ (a file, or a decompressor).
  Result<void> stream(const std::string& name, int64_t size, const ReadFn& read) {
    HUSK_TRY(header(name, S_IFREG | 0644, size));
    std::string buf(1 << 20, '\0');
    int64_t left = size;
    while (left > 0) {
      size_t n = HUSK_TRY(read(buf.data(), std::min<size_t>(buf.size(), static_cast<size_t>(left))));
      if (n == 0) return fail_code(EIO, name + ": ended " + std::to_string(left) + " bytes early");
      HUSK_TRY(put(buf.data(), n));
      left -= static_cast<int64_t>(n);
    }
    return {};
  }
  Result<void> close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK)
      return fail_code(EIO, path_ + ": " + archive_error_string(a_.get()));
    return {};
  }

 private:
  Result<void> header(const std::string& name, mode_t mode, int64_t size) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_mode(e.get(), mode);
    archive_entry_set_size(e.get(), size);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK)
      return fail_code(EIO, path_ + ": " + name + ": " + archive_error_string(a_.get()));
    return {};
  }
  Result<void> put(const void* data, size_t n) {
    if (archive_write_data(a_.get(), data, n) < 0)
      return fail_code(EIO, path_ + ": " + archive_error_string(a_.get()));
    return {};
  }
  std::unique_ptr<archive, decltype(&archive_write_free)> a_{nullptr, archive_write_free};
  std::string path_;
};

// A layer blob's uncompressed tar, through libarchive's decompressors.
class Decompressor {
 public:
  static Result<Decompressor> open(const std::string& path) {
    Decompressor d;
    d.a_.reset(archive_read_new());
    archive_read_support_filter_all(d.a_.get());
    archive_read_support_format_raw(d.a_.get());
    archive_entry* e;
    if (archive_read_open_filename(d.a_.get(), path.c_str(), 1 << 20) != ARCHIVE_OK ||
        archive_read_next_header(d.a_.get(), &e) != ARCHIVE_OK)
      return fail_code(EIO, path + ": " + archive_error_string(d.a_.get()));
    return d;
  }
  ReadFn reader() {
    return [this](void* buf, size_t size) -> Result<size_t> {
      la_ssize_t n = archive_read_data(a_.get(), buf, size);
      if (n < 0) return fail_code(EIO, std::string("decompress layer: ") + archive_error_string(a_.get()));
      return static_cast<size_t>(n);
    };
  }

 private:
  std::unique_ptr<archive, decltype(&archive_read_free)> a_{nullptr, archive_read_free};
};

Result<void> save_oci(const Store& store, const std::vector<SaveItem>& items, TarWriter* tar,
                      const std::string& dir) {
  Index index;
  index.media_type = std::string(media::kOciIndex);
  std::map<std::string, std::pair<std::string, std::string>> blobs;  // hex -> (store path | "", inline bytes)
  for (auto& it : items) {
    std::string mbytes = oci_manifest_bytes(it.image, store);
    Digest md = sha256_of(mbytes);
    blobs[md.hex] = {"", mbytes};
    blobs[it.image.manifest.config.digest.hex] = {store.blob_path(it.image.manifest.config.digest), ""};
    for (auto& l : it.image.manifest.layers) blobs[l.digest.hex] = {store.blob_path(l.digest), ""};
    std::vector<std::string> names = it.names.empty() ? std::vector<std::string>{""} : it.names;
    for (auto& n : names) {
      Descriptor d{std::string(media::kOciManifest), md, static_cast<int64_t>(mbytes.size())};
      if (!n.empty()) {
        auto ref = parse_reference(n);
        d.annotations[std::string(kContainerdName)] = n;
        d.annotations[std::string(kRefName)] = ref && !ref->tag.empty() ? ref->tag : n;
      }
      index.manifests.push_back(d);
    }
  }
  std::string layout = R"({"imageLayoutVersion":"1.0.0"})";
  std::string index_json = to_json(index);
  if (tar) {
    HUSK_TRY(tar->file("oci-layout", layout));
    HUSK_TRY(tar->file("index.json", index_json));
    HUSK_TRY(tar->dir("blobs/"));
    HUSK_TRY(tar->dir("blobs/sha256/"));
    for (auto& [hex, src] : blobs) {
      std::string name = "blobs/sha256/" + hex;
      if (src.first.empty()) {
        HUSK_TRY(tar->file(name, src.second));
        continue;
      }
      UniqueFd fd = HUSK_TRY(open_fd(src.first, O_RDONLY));
      struct stat st;
      if (::fstat(fd.get(), &st) < 0) return fail_errno(src.first);
      HUSK_TRY(tar->stream(name, st.st_size, fd_reader(fd.get(), src.first)));
    }
    return tar->close();
  }
  if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) return fail_errno("create " + dir);
  if (path_exists(dir + "/index.json")) return fail_code(EEXIST, dir + " already holds an OCI layout");
  HUSK_TRY(mkdir_all(dir + "/blobs/sha256", 0755));
  for (auto& [hex, src] : blobs) {
    std::string dest = dir + "/blobs/sha256/" + hex;
    if (!src.first.empty()) {
      // Same filesystem: a hard link; else a copy.
      if (::link(src.first.c_str(), dest.c_str()) == 0 || errno == EEXIST) continue;
      HUSK_TRY(write_file_atomic(dest, HUSK_TRY(read_file(src.first)), 0644));
    } else {
      HUSK_TRY(write_file_atomic(dest, src.second, 0644));
    }
  }
  HUSK_TRY(write_file_atomic(dir + "/oci-layout", layout, 0644));
  return write_file_atomic(dir + "/index.json", index_json, 0644);
}

Result<void> save_docker(const Store& store, const std::vector<SaveItem>& items, TarWriter& tar) {
  json manifest = json::array();
  std::set<std::string> written;
  for (auto& it : items) {
    const auto& img = it.image;
    std::string config_name = img.id().hex + ".json";
    if (written.insert(config_name).second) HUSK_TRY(tar.file(config_name, img.config_bytes));
    json layers = json::array();
    auto chains = chain_ids(img.config.diff_ids);
    for (size_t i = 0; i < chains.size(); ++i) {
      std::string name = img.config.diff_ids[i].hex + "/layer.tar";
      layers.push_back(name);
      if (!written.insert(name).second) continue;
      LayerInfo info = HUSK_TRY(store.layer(chains[i]));
      HUSK_TRY(tar.dir(img.config.diff_ids[i].hex + "/"));
      auto dec = HUSK_TRY(Decompressor::open(store.blob_path(info.blob)));
      HUSK_TRY(tar.stream(name, static_cast<int64_t>(info.tar_size), dec.reader()));
    }
    json tags = json::array();
    for (auto& n : it.names)
      if (auto ref = parse_reference(n); ref && !ref->tag.empty()) tags.push_back(ref->familiar());
    manifest.push_back({{"Config", config_name}, {"RepoTags", tags}, {"Layers", layers}});
  }
  HUSK_TRY(tar.file("manifest.json", manifest.dump()));
  return tar.close();
}

}  // namespace

Result<void> save_archive(const Store& store, const std::vector<SaveItem>& items, ArchiveFormat format,
                          const std::string& path) {
  if (format == ArchiveFormat::oci_dir)
    return with_context(save_oci(store, items, nullptr, path), "save " + path);
  bool existed = path == "-" || path_exists(path);
  auto tar = HUSK_TRY(TarWriter::open(path));
  auto r = format == ArchiveFormat::oci_archive ? save_oci(store, items, &tar, path)
                                                : save_docker(store, items, tar);
  if (!r && !existed) ::unlink(path.c_str());  // no half-written archive
  return with_context(std::move(r), "save " + path);
}

}  // namespace husk::image
