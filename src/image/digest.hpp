// Content digests (OCI image-spec "digest"): "sha256:<64 hex>", computed
// while data streams past, verified before anything is trusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace husk::image {

struct Digest {
  std::string algorithm;  // "sha256" (the only one husk computes); "sha512" parses
  std::string hex;        // lower-case, 64 hex digits for sha256, 128 for sha512

  std::string str() const { return algorithm + ":" + hex; }
  bool empty() const { return hex.empty(); }
  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;
};

// "sha256:abc..." -> Digest. EINVAL with the offending text for anything else:
// an unknown algorithm, wrong length, upper-case or non-hex digits.
Result<Digest> parse_digest(std::string_view text);

// Streaming SHA-256 (OpenSSL's libcrypto).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  uint64_t bytes() const { return bytes_; }
  // The digest of everything so far. The hasher is spent afterwards.
  Digest finish();

 private:
  void* ctx_;  // EVP_MD_CTX*
  uint64_t bytes_ = 0;
};

Digest sha256_of(std::string_view data);
// Reads the whole file at PATH.
Result<Digest> sha256_file(const std::string& path);

}  // namespace husk::image
