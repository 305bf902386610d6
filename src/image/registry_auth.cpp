#include "image/registry_auth.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "image/credentials.hpp"

namespace husk::image::registry {

using json = nlohmann::json;

std::string basic_authorization(const Credentials& c) {
  return "Basic " + base64_encode(c.username + ":" + c.password);
}

// ---- WWW-Authenticate ----

Challenge parse_challenge(std::string_view text) {
  Challenge ch;
  size_t i = text.find(' ');
  ch.scheme = lower(trim(text.substr(0, i)));
  while (i != std::string_view::npos && i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',')) ++i;
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = lower(trim(text.substr(i, eq - i))), value;
    i = eq + 1;
    if (i < text.size() && text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        value.push_back(text[i]);
      }
      ++i;
    } else {
      size_t end = text.find(',', i);
      value = trim(text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
      i = end;
    }
    ch.params[key] = value;
  }
  return ch;
}

std::optional<Challenge> pick_challenge(const Response& r) {
  std::optional<Challenge> first;
  for (const auto& [name, value] : r.headers) {
    if (name != "www-authenticate") continue;
    Challenge ch = parse_challenge(value);
    if (ch.scheme == "bearer") return ch;
    if (!first) first = std::move(ch);
  }
  return first;
}

Session::Session(std::string domain, RegistryOptions options)
    : options_(std::move(options)),
      domain_(std::move(domain)),
      host_(host_of(domain_)),
      insecure_(!options_.tls_verify || is_loopback(host_)) {}

std::string Session::base_url() {
  std::lock_guard lock(mu_);
  return (scheme_.empty() ? "https" : scheme_) + "://" + host_;
}

Result<Response> Session::exchange(Request& req, Attempt* attempt) {
  Exchange ex{req, {}, std::nullopt, false};
  Attempt a = perform(req, ex, transport());
  if (attempt) *attempt = a;
  if (a.code != CURLE_OK || ex.callback_error || ex.body_too_big)
    return std::unexpected(transport_error(req, ex, a, domain_, transport().stall_timeout_s));
  ex.resp.method = req.method;
  ex.resp.url = req.url;
  return std::move(ex.resp);
}

// A transfer to PATH ("/v2/...") on the registry. The first one picks the
// scheme: https, or plain http when that is allowed and https could not
// even be set up (refused, not TLS, a handshake that never finishes).
Result<Response> Session::send_path(Request req, const std::string& path) {
  std::string known;
  {
    std::lock_guard lock(mu_);
    known = scheme_;
  }
  req.url = (known.empty() ? "https" : known) + "://" + host_ + path;
  if (!known.empty()) return exchange(req);
  Attempt a;
  auto r = exchange(req, &a);
  bool retry_plain = !r && insecure_ && !a.established && a.code != CURLE_COULDNT_RESOLVE_HOST;
  if (retry_plain) {
    req.url = "http://" + host_ + path;
    r = exchange(req);
  }
  if (r) {
    std::lock_guard lock(mu_);
    scheme_ = retry_plain ? "http" : "https";
  }
  return r;
}

std::optional<std::string> Session::cached_authorization(const std::string& scope) {
  std::lock_guard lock(mu_);
  if (auto it = tokens_.find(scope); it != tokens_.end() && it->second.expires > Clock::now())
    return "Bearer " + it->second.value;
  if (basic_ && options_.credentials) return basic_authorization(*options_.credentials);
  return std::nullopt;
}

Result<std::string> Session::authorize(const Response& r, const std::string& scope,
                                       const std::string& subject) {
  auto ch = pick_challenge(r);
  if (ch && ch->scheme == "bearer") return fetch_token(*ch, scope, subject);
  if (!ch || ch->scheme != "basic" || !options_.credentials)
    return std::unexpected(status_error(r, "", subject));
  std::lock_guard lock(mu_);
  basic_ = true;
  return basic_authorization(*options_.credentials);
}

// GET realm?service=..&scope=.. (with basic credentials, if any) -> a token,
// cached for its lifetime (docker's default: 60 s).
Result<std::string> Session::fetch_token(const Challenge& ch, const std::string& scope,
                                         const std::string& subject) {
  auto realm = ch.params.find("realm");
  if (realm == ch.params.end() || realm->second.empty())
    return fail_code(EPROTO, "registry " + domain_ + " asked for a bearer token without a realm");
  std::string query = ch.params.contains("service") ? "service=" + ch.params.at("service") : "";
  Request req;
  req.url = HUSK_TRY(resolve_url(realm->second, realm->second, query));
  if (!scope.empty()) req.url = HUSK_TRY(resolve_url(req.url, req.url, "scope=" + scope));
  if (options_.credentials)
    req.headers.push_back("Authorization: " + basic_authorization(*options_.credentials));
  Response r = HUSK_TRY(exchange(req));
  if (r.status == 401 || r.status == 403)
    return fail_code(
        EACCES, with_registry_message(
                    "unauthorized: the token server " + realm->second + " refused access to " + subject, r));
  if (!r.ok()) return std::unexpected(status_error(r, "token", subject));
  json j = json::parse(r.body, nullptr, false);
  std::string token = string_field(j, "token");
  if (token.empty()) token = string_field(j, "access_token");
  if (token.empty()) return fail_code(EPROTO, "the token server " + realm->second + " sent no token");
  int64_t lifetime = j.is_object() && j.contains("expires_in") && j["expires_in"].is_number_integer()
                         ? j["expires_in"].get<int64_t>()
                         : 60;
  std::lock_guard lock(mu_);
  // A little early, so a token never expires between the check and its use.
  tokens_[scope] = {token, Clock::now() + std::chrono::seconds(std::max<int64_t>(lifetime - 5, 1))};
  return "Bearer " + token;
}

Result<Response> Session::send(Request req, const std::string& target, const std::string& scope,
                               const std::string& subject) {
  bool absolute = target.starts_with("http://") || target.starts_with("https://");
  if (absolute && !target.starts_with(base_url() + "/")) {
    req.url = target;
    return exchange(req);
  }
  auto go = [&]() -> Result<Response> {
    if (!absolute) return send_path(req, target);
    req.url = target;
    return exchange(req);
  };
  size_t plain_headers = req.headers.size();
  if (auto auth = cached_authorization(scope)) req.headers.push_back("Authorization: " + *auth);
  Response r = HUSK_TRY(go());
  if (r.status != 401 || req.source) return r;
  std::string auth = HUSK_TRY(authorize(r, scope, subject));
  req.headers.resize(plain_headers);
  req.headers.push_back("Authorization: " + auth);
  r = HUSK_TRY(go());
  if (r.status == 401 && options_.credentials) r.refused_user = options_.credentials->username;
  return r;
}

}  // namespace husk::image::registry
