// The registry client: the distribution API's requests and what their
// answers must be (digests, sizes), over a Session (image/registry_auth:
// docker's auth flow) and its transport (image/registry_transport: libcurl).
#include "image/registry.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "base/strings.hpp"
#include "image/registry_auth.hpp"
#include "image/registry_transport.hpp"

namespace husk::image {

using registry::Request;
using registry::Response;
using registry::status_error;

namespace {

using json = nlohmann::json;

// A registry's manifests are small (containerd caps them at 4 MiB); anything
// larger is a misbehaving server, not an image.
constexpr size_t kMaxManifestBytes = 8 << 20;

constexpr std::string_view kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

std::string manifest_subject(const std::string& domain, const std::string& repo, const std::string& ref) {
  return domain + "/" + repo + (ref.starts_with("sha256:") ? "@" : ":") + ref;
}

std::string blob_subject(const std::string& domain, const std::string& repo, const Digest& d) {
  return domain + "/" + repo + "@" + d.str();
}

std::string pull_scope(const std::string& repo) { return "repository:" + repo + ":pull"; }
std::string push_scope(const std::string& repo) { return "repository:" + repo + ":pull,push"; }

// The media type: the document's "mediaType", else Content-Type without parameters.
std::string manifest_media_type(const std::string& bytes, const Response& r) {
  json j = json::parse(bytes, nullptr, false);
  if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string())
    return j["mediaType"].get<std::string>();
  const std::string* ct = r.header("content-type");
  return ct ? trim(ct->substr(0, ct->find(';'))) : "";
}

Result<void> check_sha256(const Digest& want, std::string_view what) {
  if (want.algorithm != "sha256")
    return fail_code(ENOTSUP, std::string(what) + ": only sha256 digests can be verified, not " + want.str());
  return {};
}

// POST .../blobs/uploads/ -> 202 and the upload's Location.
Result<std::string> start_upload(registry::Session& session, const std::string& repo,
                                 const Descriptor& desc) {
  std::string subject = blob_subject(session.domain(), repo, desc.digest);
  Request req;
  req.method = "POST";
  req.body = "";
  Response r = HUSK_TRY(session.send(req, "/v2/" + repo + "/blobs/uploads/", push_scope(repo), subject));
  const std::string* location = r.header("location");
  if (r.ok() && (r.status != 202 || !location || location->empty()))
    return fail_code(EPROTO, "upload of " + subject + ": the registry sent no upload location");
  if (!r.ok()) return std::unexpected(status_error(r, "upload of blob", subject));
  return registry::resolve_url(session.base_url() + "/", *location, "digest=" + desc.digest.str());
}

}  // namespace

struct RegistryClient::State {
  State(std::string domain, RegistryOptions options) : session(std::move(domain), std::move(options)) {}
  registry::Session session;
};

RegistryClient::RegistryClient(std::string domain, RegistryOptions options)
    : domain_(domain), state_(std::make_unique<State>(std::move(domain), std::move(options))) {}

RegistryClient::~RegistryClient() = default;

Result<FetchedManifest> RegistryClient::get_manifest(const std::string& repo, const std::string& reference) {
  std::string subject = manifest_subject(domain_, repo, reference);
  std::optional<Digest> want;
  if (reference.find(':') != std::string::npos) {
    want = HUSK_TRY_CTX(parse_digest(reference), "manifest " + subject);
    HUSK_TRY(check_sha256(*want, "manifest " + subject));
  }
  Request req;
  req.headers.emplace_back(kManifestAccept);
  req.max_body = kMaxManifestBytes;
  Response r = HUSK_TRY(
      state_->session.send(req, "/v2/" + repo + "/manifests/" + reference, pull_scope(repo), subject));
  if (r.status != 200) return std::unexpected(status_error(r, "manifest", subject));

  FetchedManifest m;
  m.digest = sha256_of(r.body);
  if (want && m.digest != *want)
    return fail_code(EBADMSG,
                     "manifest " + subject + ": digest mismatch (the bytes hash to " + m.digest.str() + ")");
  if (const std::string* served = r.header("docker-content-digest")) {
    auto d = parse_digest(*served);
    if (d && d->algorithm == "sha256" && *d != m.digest)
      return fail_code(EBADMSG, "manifest " + subject + ": digest mismatch (Docker-Content-Digest " +
                                    *served + ", the bytes hash to " + m.digest.str() + ")");
  }
  m.media_type = manifest_media_type(r.body, r);
  m.bytes = std::move(r.body);
  return m;
}

Result<void> RegistryClient::get_blob(const std::string& repo, const Descriptor& desc, const BlobSink& sink) {
  std::string subject = blob_subject(domain_, repo, desc.digest);
  HUSK_TRY(check_sha256(desc.digest, "blob " + subject));
  Sha256 hash;
  std::string what = "blob " + desc.digest.str();
  // Counts and hashes on the way to SINK; more bytes than promised stop the
  // transfer (a registry that never stops sending).
  BlobSink counting = [&](const char* data, size_t size) -> Result<void> {
    if (hash.bytes() + size > static_cast<uint64_t>(desc.size))
      return fail_code(EBADMSG, what + ": size mismatch (got at least " +
                                    std::to_string(hash.bytes() + size) + ", want " +
                                    std::to_string(desc.size) + ") from " + subject);
    hash.update(data, size);
    return sink(data, size);
  };
  Request req;
  req.sink = &counting;
  req.follow_redirects = true;
  Response r = HUSK_TRY(
      state_->session.send(req, "/v2/" + repo + "/blobs/" + desc.digest.str(), pull_scope(repo), subject));
  if (r.status != 200) return std::unexpected(status_error(r, "blob", subject));
  if (hash.bytes() != static_cast<uint64_t>(desc.size))
    return fail_code(EBADMSG, what + ": size mismatch (got " + std::to_string(hash.bytes()) + ", want " +
                                  std::to_string(desc.size) + ") from " + subject);
  Digest got = hash.finish();
  if (got != desc.digest)
    return fail_code(EBADMSG,
                     what + ": digest mismatch (the bytes hash to " + got.str() + ") from " + subject);
  return {};
}

Result<bool> RegistryClient::has_blob(const std::string& repo, const Digest& digest) {
  std::string subject = blob_subject(domain_, repo, digest);
  Request req;
  req.method = "HEAD";
  Response r = HUSK_TRY(
      state_->session.send(req, "/v2/" + repo + "/blobs/" + digest.str(), pull_scope(repo), subject));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return std::unexpected(status_error(r, "blob", subject));
}

Result<void> RegistryClient::put_blob(const std::string& repo, const Descriptor& desc,
                                      const BlobSource& source) {
  if (HUSK_TRY(has_blob(repo, desc.digest))) return {};
  std::string url = HUSK_TRY(start_upload(state_->session, repo, desc));
  std::string subject = blob_subject(domain_, repo, desc.digest);
  std::string what = "blob " + desc.digest.str();
  Sha256 hash;
  // Hashes what goes out, so a rejected upload can say whether the source
  // was at fault. A source that gives more or fewer bytes than promised is
  // stopped at once: curl would otherwise send the extra bytes, or wait with
  // the registry for the missing ones until the stall timeout.
  BlobSource hashing = [&](char* buf, size_t size) -> Result<size_t> {
    size_t n = HUSK_TRY(source(buf, size));
    uint64_t total = hash.bytes() + n, want = static_cast<uint64_t>(desc.size);
    if (total > want || (n == 0 && total < want))
      return fail_code(EBADMSG, what + ": size mismatch (got " + std::string(n ? "at least " : "") +
                                    std::to_string(total) + ", want " + std::to_string(want) + ") for " +
                                    subject);
    hash.update(buf, n);
    return n;
  };
  Request put;
  put.method = "PUT";
  put.headers = {"Content-Type: application/octet-stream"};
  put.source = &hashing;
  put.source_size = desc.size;
  Response r = HUSK_TRY(state_->session.send(put, url, push_scope(repo), subject));
  if (r.status == 201) return {};
  if (Digest got = hash.finish(); got != desc.digest)
    return fail_code(EBADMSG,
                     what + ": digest mismatch (the bytes hash to " + got.str() + ") for " + subject);
  return std::unexpected(status_error(r, "upload of blob", subject));
}

Result<void> RegistryClient::put_manifest(const std::string& repo, const std::string& reference,
                                          const std::string& media_type, const std::string& bytes) {
  std::string subject = manifest_subject(domain_, repo, reference);
  Request req;
  req.method = "PUT";
  req.headers = {"Content-Type: " + media_type};
  req.body = bytes;
  Response r = HUSK_TRY(
      state_->session.send(req, "/v2/" + repo + "/manifests/" + reference, push_scope(repo), subject));
  if (r.status != 201 && r.status != 200) return std::unexpected(status_error(r, "repository", subject));
  return {};
}

Result<void> RegistryClient::ping() {
  Request req;
  Response r = HUSK_TRY(state_->session.send(req, "/v2/", "", "registry " + domain_));
  if (r.status != 200) return std::unexpected(status_error(r, "API", "registry " + domain_));
  return {};
}

}  // namespace husk::image
