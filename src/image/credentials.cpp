// The credentials file of `husk login`: docker's config.json shape, mode 0600.
#include "image/credentials.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string_view>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::image {

using json = nlohmann::json;

// OpenSSL's block coder: no newlines, '=' padding.

std::string base64_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string text = trim(in);
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// ---- the credentials file ----

namespace {

// "https://index.docker.io/v1/" and "docker.io" name the same registry.
std::string normalize_auth_key(std::string_view key) {
  for (std::string_view prefix : {"https://", "http://"})
    if (key.starts_with(prefix)) key.remove_prefix(prefix.size());
  key = key.substr(0, key.find('/'));
  if (key == "index.docker.io" || key == "registry-1.docker.io") return "docker.io";
  return std::string(key);
}

// The file as JSON; {} when it does not exist. CHECK_MODE refuses a file
// others may read (a store rewrites it 0600, so it need not refuse).
Result<json> read_auth_file(const std::string& path, bool check_mode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return json::object();
  if (fd < 0) return fail_errno("open " + path);
  UniqueFd owned(fd);
  struct stat st;
  if (::fstat(fd, &st) < 0) return fail_errno("stat " + path);
  if (check_mode && (st.st_mode & 077))
    return fail_code(EACCES, path + " holds registry passwords but others may read it: chmod 600 " + path);
  std::string text = HUSK_TRY(read_file(fd_path(fd)));
  if (trim(text).empty()) return json::object();
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return fail_code(EINVAL, path + ": not a JSON object");
  if (j.contains("auths") && !j["auths"].is_object())
    return fail_code(EINVAL, path + ": \"auths\" is not an object");
  return j;
}

// A fresh file with mode 0600 from the start (mkstemp), renamed over PATH:
// the passwords are never readable by others, not even for a moment, and
// two writers never share a temp file.
Result<void> write_private_file(const std::string& path, const std::string& data) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) HUSK_TRY(mkdir_all(path.substr(0, slash), 0700));
  std::string tmp = path + ".XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return fail_errno("create a temporary file beside " + path);
  UniqueFd owned(fd);
  auto cleanup_fail = [&](Error e) {
    ::unlink(tmp.c_str());
    return fail(std::move(e));
  };
  if (::fchmod(fd, 0600) < 0) return cleanup_fail(Error::from_errno("chmod " + tmp));
  if (auto written = write_all(fd, data); !written)
    return cleanup_fail(Error(written.error().err(), "write " + tmp));
  if (::rename(tmp.c_str(), path.c_str()) < 0)
    return cleanup_fail(Error::from_errno("rename " + tmp + " to " + path));
  return {};
}

Result<void> write_auth_file(const std::string& path, const json& j) {
  return write_private_file(path, j.dump(1, '\t') + "\n");
}

// Removes every key of AUTHS naming DOMAIN; true when there was one.
bool erase_domain(json& auths, const std::string& domain) {
  bool found = false;
  for (auto it = auths.begin(); it != auths.end();) {
    if (normalize_auth_key(it.key()) == normalize_auth_key(domain)) {
      it = auths.erase(it);
      found = true;
    } else {
      ++it;
    }
  }
  return found;
}

}  // namespace

Result<std::optional<Credentials>> load_credentials(const std::string& auth_file, const std::string& domain) {
  json j = HUSK_TRY(read_auth_file(auth_file, true));
  if (!j.contains("auths")) return std::nullopt;
  for (const auto& [key, entry] : j["auths"].items()) {
    if (normalize_auth_key(key) != normalize_auth_key(domain)) continue;
    if (!entry.is_object() || !entry.contains("auth") || !entry["auth"].is_string()) continue;
    auto decoded = base64_decode(entry["auth"].get<std::string>());
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return fail_code(EINVAL, auth_file + ": the \"auth\" of " + key + " is not base64(user:password)");
    return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
  }
  return std::nullopt;
}

Result<void> store_credentials(const std::string& auth_file, const std::string& domain,
                               const Credentials& c) {
  json j = HUSK_TRY(read_auth_file(auth_file, false));
  json& auths = j["auths"];
  if (auths.is_null()) auths = json::object();
  erase_domain(auths, domain);
  auths[domain] = {{"auth", base64_encode(c.username + ":" + c.password)}};
  return write_auth_file(auth_file, j);
}

Result<bool> remove_credentials(const std::string& auth_file, const std::string& domain) {
  json j = HUSK_TRY(read_auth_file(auth_file, false));
  if (!j.contains("auths") || !erase_domain(j["auths"], domain)) return false;
  HUSK_TRY(write_auth_file(auth_file, j));
  return true;
}

}  // namespace husk::image
