#include "image/digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <utility>

#include "base/fd.hpp"

namespace husk::image {

namespace {
bool all_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
}  // namespace

Result<Digest> parse_digest(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return fail_code(EINVAL, "invalid digest \"" + std::string(text) + "\": no algorithm");
  std::string_view algo = text.substr(0, colon), hex = text.substr(colon + 1);
  size_t want = 0;
  if (algo == "sha256") want = 64;
  if (algo == "sha512") want = 128;
  if (!want)
    return fail_code(EINVAL, "invalid digest \"" + std::string(text) + "\": unsupported algorithm \"" +
                                 std::string(algo) + "\"");
  if (hex.size() != want || !all_lower_hex(hex))
    return fail_code(EINVAL, "invalid digest \"" + std::string(text) + "\": want " + std::to_string(want) +
                                 " lower-case hex digits");
  return Digest{std::string(algo), std::string(hex)};
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
  if (ctx_) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

Sha256::Sha256(Sha256&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)), bytes_(o.bytes_) {}

Sha256& Sha256::operator=(Sha256&& o) noexcept {
  if (this != &o) {
    if (ctx_) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = std::exchange(o.ctx_, nullptr);
    bytes_ = o.bytes_;
  }
  return *this;
}

void Sha256::update(const void* data, size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size);
  bytes_ += size;
}

Digest Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    hex.push_back(kHex[md[i] >> 4]);
    hex.push_back(kHex[md[i] & 15]);
  }
  return Digest{"sha256", std::move(hex)};
}

Digest sha256_of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Result<Digest> sha256_file(const std::string& path) {
  UniqueFd fd = HUSK_TRY(open_fd(path, O_RDONLY));
  Sha256 h;
  static constexpr size_t kChunk = 1 << 20;
  std::string buf(kChunk, '\0');
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read " + path);
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  return h.finish();
}

}  // namespace husk::image
