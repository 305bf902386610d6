#include "image/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/fault.hpp"
#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "image/store_detail.hpp"

namespace husk::image {

namespace {

using json = nlohmann::json;

Result<LayerInfo> parse_layer_json(const std::string& text) {
  try {
    json j = json::parse(text);
    LayerInfo l;
    l.chain_id = HUSK_TRY(parse_digest(j.at("chain_id").get<std::string>()));
    l.diff_id = HUSK_TRY(parse_digest(j.at("diff_id").get<std::string>()));
    l.blob = HUSK_TRY(parse_digest(j.at("blob").get<std::string>()));
    l.blob_media_type = j.value("blob_media_type", "");
    l.blob_size = j.value("blob_size", int64_t{0});
    l.tar_size = j.value("tar_size", uint64_t{0});
    l.link = j.at("link").get<std::string>();
    if (j.contains("parent")) l.parent = HUSK_TRY(parse_digest(j["parent"].get<std::string>()));
    return l;
  } catch (const json::exception& e) {
    return fail_code(EINVAL, std::string("layer.json: ") + e.what());
  }
}

// repositories.json: name -> manifest digest.
using Refs = std::map<std::string, std::string>;

Result<Refs> load_refs(const std::string& root) {
  auto text = read_file(root + "/repositories.json");
  if (!text) {
    if (text.error().err() == ENOENT) return Refs{};
    return fail(std::move(text).error());
  }
  try {
    return json::parse(*text).at("refs").get<Refs>();
  } catch (const json::exception& e) {
    return fail_code(EINVAL, root + "/repositories.json: " + e.what());
  }
}

Result<void> save_refs(const std::string& root, const Refs& refs) {
  json j = {{"refs", refs}};
  return write_file_atomic(root + "/repositories.json", j.dump(2) + "\n", 0644);
}

Result<Lock> take_lock(const std::string& path, int op) {
  UniqueFd fd = HUSK_TRY(open_fd(path, O_RDWR | O_CREAT, 0600));
  HUSK_TRY(flock_fd(fd.get(), op, "lock " + path));
  return Lock(std::move(fd));
}

}  // namespace

namespace detail {

// A name nobody else will pick: for temporary entries and short links.
std::string random_name(size_t len) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char raw[64];
  if (len > sizeof raw) len = sizeof raw;
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::getrandom(raw + got, len - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  std::string out;
  for (size_t i = 0; i < len; ++i) out.push_back(kAlphabet[raw[i] % 36]);
  return out;
}

std::string layer_json(const LayerInfo& l) {
  json j = {{"chain_id", l.chain_id.str()},
            {"diff_id", l.diff_id.str()},
            {"blob", l.blob.str()},
            {"blob_media_type", l.blob_media_type},
            {"blob_size", l.blob_size},
            {"tar_size", l.tar_size},
            {"link", l.link}};
  if (l.parent) j["parent"] = l.parent->str();
  return j.dump();
}

}  // namespace detail

using detail::layer_json;
using detail::random_name;

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  for (auto& d : diff_ids) {
    if (out.empty())
      out.push_back(d);
    else
      out.push_back(sha256_of(out.back().str() + " " + d.str()));
  }
  return out;
}

// --- the store itself

Result<Store> Store::open(const std::string& root) {
  std::string abs = HUSK_TRY(absolute_from_cwd(root));
  for (const char* sub : {"blobs/sha256", "layers", "l", "containers", "tmp"})
    HUSK_TRY_CTX(mkdir_all(abs + "/" + sub, 0700), "image store " + abs);
  return Store(abs);
}

Result<Lock> Store::lock_content_shared() const { return take_lock(root_ + "/gc.lock", LOCK_SH); }
Result<Lock> Store::lock_content_exclusive() const { return take_lock(root_ + "/gc.lock", LOCK_EX); }

std::string Store::blob_path(const Digest& d) const { return root_ + "/blobs/" + d.algorithm + "/" + d.hex; }
bool Store::has_blob(const Digest& d) const { return path_exists(blob_path(d)); }

Result<std::string> Store::read_blob(const Digest& d) const {
  auto text = read_file(blob_path(d));
  if (!text && text.error().err() == ENOENT)
    return fail_code(ENOENT, "blob " + d.str() + " is not in the store");
  return text;
}

Result<Store::BlobWriter> Store::begin_blob() const {
  std::string tmp = root_ + "/tmp/blob-" + random_name(16);
  UniqueFd fd = HUSK_TRY(open_fd(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644));
  return BlobWriter(root_, tmp, std::move(fd));
}

Result<Digest> Store::put_blob(std::string_view data, const std::optional<Digest>& expected) const {
  if (expected && has_blob(*expected)) {
    if (sha256_of(data) != *expected)
      return fail_code(EBADMSG, "blob " + expected->str() + ": digest mismatch");
    return *expected;
  }
  auto w = HUSK_TRY(begin_blob());
  HUSK_TRY(w.write(data.data(), data.size()));
  return w.commit(expected, static_cast<int64_t>(data.size()));
}

Store::BlobWriter::BlobWriter(BlobWriter&& o) noexcept
    : root_(std::move(o.root_)),
      tmp_path_(std::exchange(o.tmp_path_, {})),
      fd_(std::move(o.fd_)),
      hash_(std::move(o.hash_)) {}

Store::BlobWriter& Store::BlobWriter::operator=(BlobWriter&& o) noexcept {
  if (this != &o) {
    if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
    root_ = std::move(o.root_);
    tmp_path_ = std::exchange(o.tmp_path_, {});
    fd_ = std::move(o.fd_);
    hash_ = std::move(o.hash_);
  }
  return *this;
}

Store::BlobWriter::~BlobWriter() {
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
}

Result<void> Store::BlobWriter::write(const void* data, size_t size) {
  hash_.update(data, size);
  if (auto w = write_all(fd_.get(), std::string_view(static_cast<const char*>(data), size)); !w)
    return fail(Error(w.error().err(), "write " + tmp_path_));
  return {};
}

Result<Digest> Store::BlobWriter::commit(const std::optional<Digest>& expected, int64_t size) {
  uint64_t got_size = hash_.bytes();
  Digest got = hash_.finish();
  fd_.reset();
  // Spent either way: a blob that fails its checks is gone at once.
  std::string tmp = std::exchange(tmp_path_, {});
  auto refuse = [&](std::string why) {
    ::unlink(tmp.c_str());
    return fail_code(EBADMSG, "blob " + (expected ? expected->str() : got.str()) + ": " + why);
  };
  if (size >= 0 && got_size != static_cast<uint64_t>(size))
    return refuse("size mismatch (got " + std::to_string(got_size) + " bytes, want " + std::to_string(size) +
                  ")");
  if (expected && got != *expected) return refuse("digest mismatch (the content is " + got.str() + ")");
  std::string dest = root_ + "/blobs/" + got.algorithm + "/" + got.hex;
  if (::rename(tmp.c_str(), dest.c_str()) < 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(Error(err, "store blob " + got.str()));
  }
  return got;
}

// --- layers

bool Store::has_layer(const Digest& chain_id) const {
  return path_exists(root_ + "/layers/" + chain_id.hex + "/layer.json");
}

std::string Store::layer_diff_dir(const Digest& chain_id) const {
  return root_ + "/layers/" + chain_id.hex + "/diff";
}

Result<LayerInfo> Store::layer(const Digest& chain_id) const {
  auto text = read_file(root_ + "/layers/" + chain_id.hex + "/layer.json");
  if (!text && text.error().err() == ENOENT)
    return fail_code(ENOENT, "layer " + chain_id.str() + " is not in the store");
  return parse_layer_json(HUSK_TRY(std::move(text)));
}

Result<std::vector<std::string>> Store::lower_links(const StoredImage& image) const {
  std::vector<std::string> links;
  auto chains = chain_ids(image.config.diff_ids);
  for (auto it = chains.rbegin(); it != chains.rend(); ++it) links.push_back(HUSK_TRY(layer(*it)).link);
  return links;
}

// --- images and names

namespace {
Result<StoredImage> load_image(const Store& store, const Digest& manifest_digest) {
  StoredImage img;
  img.manifest_digest = manifest_digest;
  img.manifests = {manifest_digest};
  std::string bytes = HUSK_TRY(store.read_blob(manifest_digest));
  img.manifest = HUSK_TRY_CTX(parse_manifest(bytes), "manifest " + manifest_digest.str());
  img.manifest_media_type =
      img.manifest.media_type.empty() ? std::string(media::kOciManifest) : img.manifest.media_type;
  img.config_bytes = HUSK_TRY(store.read_blob(img.manifest.config.digest));
  img.config =
      HUSK_TRY_CTX(parse_image_config(img.config_bytes), "image config " + img.manifest.config.digest.str());
  return img;
}
}  // namespace

Result<StoredImage> Store::add_image(const std::string& manifest_bytes, const std::string& config_bytes,
                                     const std::vector<std::string>& names) const {
  Manifest m = HUSK_TRY_CTX(parse_manifest(manifest_bytes), "manifest");
  ImageConfig c = HUSK_TRY_CTX(parse_image_config(config_bytes), "image config");
  if (c.diff_ids.size() != m.layers.size())
    return fail_code(EINVAL, "the manifest has " + std::to_string(m.layers.size()) + " layers, its config " +
                                 std::to_string(c.diff_ids.size()));
  for (auto& chain : chain_ids(c.diff_ids))
    if (!has_layer(chain)) return fail_code(ENOENT, "layer " + chain.str() + " is not in the store");
  HUSK_TRY(put_blob(config_bytes, m.config.digest));
  Digest md = HUSK_TRY(put_blob(manifest_bytes));
  fault_point(Fault::pull_image_blobs);
  {
    Lock l = HUSK_TRY(take_lock(root_ + "/refs.lock", LOCK_EX));
    Refs refs = HUSK_TRY(load_refs(root_));
    for (auto& n : names) refs[n] = md.str();
    HUSK_TRY(save_refs(root_, refs));
  }
  auto img = HUSK_TRY(load_image(*this, md));
  img.names = names;
  return img;
}

Result<std::vector<StoredImage>> Store::list_images() const {
  Refs refs = HUSK_TRY(load_refs(root_));
  // One image per config (docker's id), whatever manifests name it.
  std::map<std::string, StoredImage> by_id;
  std::map<std::string, std::string> id_of;  // manifest digest -> image id
  for (auto& [name, digest] : refs) {
    auto known = id_of.find(digest);
    if (known == id_of.end()) {
      auto d = HUSK_TRY(parse_digest(digest));
      auto img = load_image(*this, d);
      if (!img) continue;  // a name whose content is gone (a crash mid-rmi): not an image
      std::string id = img->id().hex;
      known = id_of.emplace(digest, id).first;
      auto [it, fresh] = by_id.emplace(id, std::move(*img));
      if (!fresh) it->second.manifests.push_back(d);
    }
    by_id.at(known->second).names.push_back(name);
  }
  std::vector<StoredImage> out;
  for (auto& [_, img] : by_id) out.push_back(std::move(img));
  return out;
}

Result<StoredImage> Store::find_image(const std::string& name_or_id) const {
  auto all = HUSK_TRY(list_images());
  const std::string& want = name_or_id;
  // docker's order: a full id, then a name, then an id prefix (so an image
  // named "cafe" wins over an id that starts with cafe).
  auto by_id = [&](std::string_view hex, bool prefix) -> Result<std::optional<StoredImage>> {
    std::vector<const StoredImage*> hits;
    for (auto& img : all) {
      bool hit = false;
      for (auto& m : img.manifests)
        hit = hit || (prefix ? m.hex.starts_with(hex) : m.hex == hex);
      hit = hit || (prefix ? img.id().hex.starts_with(hex) : img.id().hex == hex);
      if (hit) hits.push_back(&img);
    }
    if (hits.size() > 1) return fail_code(EINVAL, "image id prefix \"" + want + "\" is ambiguous");
    if (hits.empty()) return std::optional<StoredImage>();
    return std::optional<StoredImage>(*hits[0]);
  };
  if (want.starts_with("sha256:")) {
    if (auto hit = HUSK_TRY(by_id(std::string_view(want).substr(7), true))) return *hit;
    return fail_code(ENOENT, "no such image: " + want);
  }
  if (want.size() == 64 && looks_like_id_prefix(want))
    if (auto hit = HUSK_TRY(by_id(want, false))) return *hit;
  if (auto ref = parse_reference(want)) {
    std::string full = ref->str();
    for (auto& img : all)
      for (auto& n : img.names)
        if (n == full) {
          // Through the manifest this name stands for (its RepoDigest).
          Refs refs = HUSK_TRY(load_refs(root_));
          auto named = refs.find(full);
          if (named == refs.end() || named->second == img.manifest_digest.str()) return img;
          auto d = HUSK_TRY(parse_digest(named->second));
          auto exact = HUSK_TRY(load_image(*this, d));
          exact.names = img.names;
          exact.manifests = img.manifests;
          return exact;
        }
  } else if (!looks_like_id_prefix(want)) {
    return fail(std::move(ref).error());
  }
  if (looks_like_id_prefix(want))
    if (auto hit = HUSK_TRY(by_id(want, true))) return *hit;
  return fail_code(ENOENT, "no such image: " + want);
}

Result<void> Store::tag(const StoredImage& image, const Reference& name) const {
  Lock l = HUSK_TRY(take_lock(root_ + "/refs.lock", LOCK_EX));
  Refs refs = HUSK_TRY(load_refs(root_));
  // A name makes an image loaded without one stop being dangling.
  std::erase_if(refs, [&](auto& kv) { return kv.first.starts_with("sha256:") && kv.second == kv.first; });
  refs[name.str()] = image.manifest_digest.str();
  return save_refs(root_, refs);
}

Result<std::vector<std::string>> Store::untag(const std::string& name_or_id, bool force) const {
  auto img = HUSK_TRY(find_image(name_or_id));
  Lock l = HUSK_TRY(take_lock(root_ + "/refs.lock", LOCK_EX));
  Refs refs = HUSK_TRY(load_refs(root_));
  std::vector<std::string> removed;
  bool by_name = false;
  if (auto ref = parse_reference(name_or_id); ref && !name_or_id.starts_with("sha256:")) {
    std::string full = ref->str();
    if (refs.count(full)) {
      refs.erase(full);
      removed.push_back(full);
      by_name = true;
    }
  }
  if (!by_name) {
    std::vector<std::string> names;
    for (auto& [n, d] : refs)
      for (auto& m : img.manifests)
        if (d == m.str()) names.push_back(n);
    if (names.size() > 1 && !force)
      return fail_code(EBUSY, "image " + img.id().hex.substr(0, 12) + " is referenced by several names (" +
                                  join(names, ", ") + "): remove them one by one, or force");
    for (auto& n : names) {
      refs.erase(n);
      removed.push_back(n);
    }
  }
  HUSK_TRY(save_refs(root_, refs));
  return removed;
}

Result<Store::GcReport> Store::gc() const {
  Lock content = HUSK_TRY(lock_content_exclusive());
  GcReport report;
  std::set<std::string> keep_blobs, keep_layers;
  auto keep_image = [&](const Digest& md) -> Result<void> {
    auto img = load_image(*this, md);
    if (!img) return {};
    keep_blobs.insert(md.hex);
    keep_blobs.insert(img->manifest.config.digest.hex);
    for (auto& l : img->manifest.layers) keep_blobs.insert(l.digest.hex);
    for (auto& c : chain_ids(img->config.diff_ids)) keep_layers.insert(c.hex);
    return {};
  };
  for (auto& [_, digest] : HUSK_TRY(load_refs(root_)))
    if (auto d = parse_digest(digest)) HUSK_TRY(keep_image(*d));
  // A container's image stays while the container does (containers/ID/image).
  if (DIR* d = ::opendir((root_ + "/containers").c_str())) {
    while (auto* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      auto text = read_file(root_ + "/containers/" + e->d_name + "/image");
      if (text)
        if (auto md = parse_digest(trim(*text))) (void)keep_image(*md);
    }
    ::closedir(d);
  }
  auto sweep = [&](const std::string& dir, const std::set<std::string>& keep, const std::string& kind,
                   bool layer) -> Result<void> {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return fail_errno("open " + dir);
    std::vector<std::string> doomed;
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.' && !keep.count(e->d_name)) doomed.push_back(e->d_name);
    ::closedir(d);
    for (auto& name : doomed) {
      std::string path = dir + "/" + name;
      if (layer) {
        if (auto text = read_file(path + "/layer.json"))
          if (auto info = parse_layer_json(*text)) ::unlink((root_ + "/" + info->link).c_str());
      } else {
        struct stat st;
        if (::stat(path.c_str(), &st) == 0) report.bytes += static_cast<uint64_t>(st.st_size);
      }
      HUSK_TRY(remove_all(path));
      report.removed.push_back(kind + " sha256:" + name);
    }
    return {};
  };
  HUSK_TRY(sweep(root_ + "/layers", keep_layers, "layer", true));
  HUSK_TRY(sweep(root_ + "/blobs/sha256", keep_blobs, "blob", false));
  // Short links whose layer is gone (a crash between link and rename), and
  // whatever an interrupted writer left in tmp/: nobody writes while we hold the lock.
  if (DIR* d = ::opendir((root_ + "/l").c_str())) {
    std::vector<std::string> dangling;
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.' && !path_exists(root_ + "/l/" + e->d_name + "/")) dangling.push_back(e->d_name);
    ::closedir(d);
    for (auto& n : dangling) ::unlink((root_ + "/l/" + n).c_str());
  }
  if (DIR* d = ::opendir((root_ + "/tmp").c_str())) {
    std::vector<std::string> stale;
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') stale.push_back(e->d_name);
    ::closedir(d);
    for (auto& n : stale) HUSK_TRY(remove_all(root_ + "/tmp/" + n));
  }
  return report;
}

uint64_t image_size(const Store& store, const StoredImage& img) {
  uint64_t total = 0;
  for (auto& c : chain_ids(img.config.diff_ids))
    if (auto l = store.layer(c)) total += l->tar_size;
  return total;
}

}  // namespace husk::image
