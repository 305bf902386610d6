// A client of the OCI distribution API (registry v2) over libcurl:
// manifests and blobs, pulled and pushed, with docker's auth flow (bearer
// tokens from the realm a 401 names, or basic auth), TLS by default.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "image/digest.hpp"
#include "image/oci.hpp"

namespace husk::image {

struct Credentials {
  std::string username;
  std::string password;  // or an identity token
};

struct RegistryOptions {
  // false: plain http is allowed (tried when https fails to connect) and TLS
  // certificates are not verified. Registries on localhost / 127.0.0.0/8 /
  // ::1 are always allowed plain http, as docker does.
  bool tls_verify = true;
  // No byte for this long aborts a transfer (a registry that hangs): ETIMEDOUT.
  int stall_timeout_s = 30;
  std::optional<Credentials> credentials;
};

struct FetchedManifest {
  std::string media_type;  // from the document, else the Content-Type header
  std::string bytes;       // exactly as served: their sha256 is the manifest's digest
  Digest digest;           // sha256 of BYTES (checked against the digest asked for, if any)
};

// Receives a blob's bytes as they arrive; an error aborts the transfer.
using BlobSink = std::function<Result<void>(const char* data, size_t size)>;
// Supplies a blob's bytes for an upload: count, 0 at the end.
using BlobSource = std::function<Result<size_t>(char* buf, size_t size)>;

// One registry ("localhost:5000", "docker.io" -> registry-1.docker.io).
// Safe to use from several threads at once (each transfer has its own curl
// handle; the token cache is shared under a lock).
class RegistryClient {
 public:
  RegistryClient(std::string domain, RegistryOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // GET /v2/<repo>/manifests/<reference> accepting OCI and docker manifests
  // and indexes. REFERENCE is a tag or a digest; for a digest the bytes must
  // hash to it (EBADMSG otherwise).
  Result<FetchedManifest> get_manifest(const std::string& repo, const std::string& reference);
  // GET /v2/<repo>/blobs/<digest>, following redirects, streaming into SINK.
  // The bytes must be exactly DESC.size long and hash to DESC.digest, else
  // EBADMSG (after SINK saw them: the caller discards what it made).
  Result<void> get_blob(const std::string& repo, const Descriptor& desc, const BlobSink& sink);
  // HEAD /v2/<repo>/blobs/<digest>.
  Result<bool> has_blob(const std::string& repo, const Digest& digest);
  // POST /v2/<repo>/blobs/uploads/ then PUT <location>?digest=... with the bytes.
  Result<void> put_blob(const std::string& repo, const Descriptor& desc, const BlobSource& source);
  // PUT /v2/<repo>/manifests/<reference> with Content-Type MEDIA_TYPE.
  Result<void> put_manifest(const std::string& repo, const std::string& reference,
                            const std::string& media_type, const std::string& bytes);
  // GET /v2/: reachable, and the credentials (if any) are accepted.
  Result<void> ping();

  const std::string& domain() const { return domain_; }

 private:
  struct State;
  std::string domain_;
  std::unique_ptr<State> state_;
};

// Errors from the registry map to errnos the CLI turns into messages:
// 401/403 -> EACCES ("unauthorized: ..."), 404 -> ENOENT ("manifest unknown",
// "blob unknown"), 429/5xx -> EIO with the status and the registry's error
// message, stalls -> ETIMEDOUT, connection failures -> ECONNREFUSED /
// EHOSTUNREACH with curl's message.

}  // namespace husk::image
