// The registry client's auth (image/registry.hpp): docker's flow. A 401
// names a challenge; a Bearer one is answered with a token from the realm it
// names (cached per scope for its lifetime), a Basic one with the
// credentials. A Session also remembers which scheme the registry answered on.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/registry.hpp"
#include "image/registry_transport.hpp"

namespace husk::image::registry {

struct Challenge {
  std::string scheme;  // lower-case: "bearer", "basic"
  std::map<std::string, std::string> params;
};
// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`.
Challenge parse_challenge(std::string_view text);
// A Bearer challenge if the registry offered one (docker prefers it), else the first.
std::optional<Challenge> pick_challenge(const Response& r);

std::string basic_authorization(const Credentials& c);

// One registry's transfers with docker's auth flow. Safe to use from
// several threads at once (the scheme and the token cache are under a lock).
class Session {
 public:
  Session(std::string domain, RegistryOptions options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // A transfer to TARGET, a path on the registry ("/v2/...") or an absolute
  // URL (an upload's Location): what is cached goes along; a 401 gets its
  // challenge answered and the request sent once more. A streamed upload
  // cannot be sent twice, so its 401 is the answer. Credentials and tokens
  // go only to the registry's own host.
  Result<Response> send(Request req, const std::string& target, const std::string& scope,
                        const std::string& subject);
  // "https://host" (or http, once the registry answered on it).
  std::string base_url();
  const std::string& domain() const { return domain_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Token {
    std::string value;
    Clock::time_point expires;
  };

  TransportOptions transport() const {
    return {.verify_tls = !insecure_, .stall_timeout_s = std::max(1, options_.stall_timeout_s)};
  }
  // One transfer to an absolute URL; transport failures become errors.
  Result<Response> exchange(Request& req, Attempt* attempt = nullptr);
  // A transfer to PATH on the registry; the first one picks the scheme.
  Result<Response> send_path(Request req, const std::string& path);
  std::optional<std::string> cached_authorization(const std::string& scope);
  // The Authorization header answering a 401's challenge.
  Result<std::string> authorize(const Response& r, const std::string& scope, const std::string& subject);
  Result<std::string> fetch_token(const Challenge& ch, const std::string& scope, const std::string& subject);

  RegistryOptions options_;
  std::string domain_;
  std::string host_;                     // registry-1.docker.io for docker.io
  bool insecure_;                        // plain http allowed, certificates unchecked
  std::mutex mu_;                        // guards what follows
  std::string scheme_;                   // "" until a request got an answer
  bool basic_ = false;                   // the registry asked for basic auth
  std::map<std::string, Token> tokens_;  // by scope
};

}  // namespace husk::image::registry
