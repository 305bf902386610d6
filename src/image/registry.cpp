// The registry client: one curl easy handle per transfer (so threads never
// share one), a scheme chosen on the first answer, and docker's auth flow.
#include "image/registry.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "image/credentials.hpp"

namespace husk::image {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A registry's manifests are small (containerd caps them at 4 MiB); anything
// larger is a misbehaving server, not an image.
constexpr size_t kMaxManifestBytes = 8 << 20;
// Error bodies are kept only to quote the registry's message.
constexpr size_t kMaxErrorBody = 64 << 10;

constexpr std::string_view kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(list_); }
  void add(const std::string& line) { list_ = curl_slist_append(list_, line.c_str()); }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string basic_authorization(const Credentials& c) {
  return "Basic " + base64_encode(c.username + ":" + c.password);
}

// ---- one HTTP exchange ----

struct Request {
  std::string method = "GET";  // GET, HEAD, POST, PUT
  std::string url;             // absolute
  std::vector<std::string> headers;
  std::optional<std::string_view> body;  // sent from memory: can be sent again after a 401
  const BlobSource* source = nullptr;    // streamed once: SOURCE_SIZE bytes
  int64_t source_size = 0;
  const BlobSink* sink = nullptr;  // receives a 2xx body; otherwise it is kept in Response::body
  size_t max_body = kMaxErrorBody;
  bool follow_redirects = false;
};

struct Response {
  std::string method, url;   // what was asked, for error messages
  std::string refused_user;  // whose credentials a 401 turned down, if any
  long status = 0;
  std::string reason;                                        // "Not Found"; empty over HTTP/2
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, in order
  std::string body;

  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
  bool ok() const { return status >= 200 && status < 300; }
};

// What the callbacks of one transfer share.
struct Exchange {
  const Request& req;
  Response resp;
  std::optional<Error> callback_error;  // the sink's or the source's: returned as is
  bool body_too_big = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& ex = *static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // Each response (a redirect, a 100 Continue, the final one) starts afresh.
    ex.resp = Response{};
    auto sp = line.find(' ');
    if (sp != std::string_view::npos) {
      ex.resp.status = std::atol(std::string(line.substr(sp + 1, 3)).c_str());
      if (line.size() > sp + 5) ex.resp.reason = trim(line.substr(sp + 5));
    }
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    ex.resp.headers.emplace_back(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& ex = *static_cast<Exchange*>(user);
  size_t n = size * count;
  if (ex.resp.ok() && ex.req.sink) {
    auto r = (*ex.req.sink)(data, n);
    if (!r) {
      ex.callback_error = std::move(r).error();
      return CURL_WRITEFUNC_ERROR;
    }
    return n;
  }
  if (ex.resp.body.size() + n > ex.req.max_body) {
    ex.body_too_big = true;
    return CURL_WRITEFUNC_ERROR;
  }
  ex.resp.body.append(data, n);
  return n;
}

size_t on_upload(char* buf, size_t size, size_t count, void* user) {
  auto& ex = *static_cast<Exchange*>(user);
  auto r = (*ex.req.source)(buf, size * count);
  if (!r) {
    ex.callback_error = std::move(r).error();
    return CURL_READFUNC_ABORT;
  }
  return *r;
}

struct TransportOptions {
  bool verify_tls = true;
  int stall_timeout_s = 30;
};

void set_method(CURL* c, const Request& req, Exchange& ex) {
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.source) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);  // a PUT
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &ex);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.source_size));
  } else if (req.method != "GET") {
    std::string_view body = req.body.value_or(std::string_view{});
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  }
}

// The outcome of one attempt: curl's code, and whether TLS was ever set up
// (a failure before that may mean the server speaks plain http).
struct Attempt {
  CURLcode code = CURLE_OK;
  std::string curl_message;
  long os_errno = 0;
  bool established = false;
};

Attempt perform(const Request& req, Exchange& ex, const TransportOptions& opt) {
  init_curl_once();
  CurlEasy easy(curl_easy_init());
  if (!easy) return {CURLE_FAILED_INIT, "curl_easy_init failed"};
  CURL* c = easy.get();
  char errbuf[CURL_ERROR_SIZE] = "";
  HeaderList headers;
  for (const auto& h : req.headers) headers.add(h);
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "husk/0.1");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(opt.stall_timeout_s));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(opt.stall_timeout_s));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, opt.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, opt.verify_tls ? 2L : 0L);
  if (req.follow_redirects) {
    // Blobs are often served from a CDN: curl drops the Authorization
    // header when the redirect leaves the host (no CURLOPT_UNRESTRICTED_AUTH).
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  }
  set_method(c, req, ex);

  Attempt a;
  a.code = curl_easy_perform(c);
  a.curl_message = errbuf[0] ? errbuf : curl_easy_strerror(a.code);
  curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &a.os_errno);
  curl_off_t app = 0, pre = 0;
  curl_easy_getinfo(c, CURLINFO_APPCONNECT_TIME_T, &app);
  curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME_T, &pre);
  // APPCONNECT is 0 for plain http; PRETRANSFER is set once the request could go out.
  a.established = app > 0 || pre > 0 || ex.resp.status != 0;
  return a;
}

// ---- errors ----

// J[KEY] when it is a string, else "": what servers send is never trusted
// to have the right types (json::value would throw).
std::string string_field(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// "MANIFEST_UNKNOWN: manifest unknown" (or without the codes) from the
// registry's {"errors": [{"code", "message"}]}, a token server's {"details"}, or "".
std::string registry_message(const std::string& body, bool with_codes) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return "";
  std::vector<std::string> parts;
  if (auto it = j.find("errors"); it != j.end() && it->is_array()) {
    for (const auto& e : *it) {
      std::string code = string_field(e, "code"), message = string_field(e, "message");
      if (!with_codes || code.empty()) code.clear();
      parts.push_back(code.empty() ? message : message.empty() ? code : code + ": " + message);
    }
  }
  for (const char* key : {"details", "message", "error"})
    if (parts.empty() && !string_field(j, key).empty()) parts.push_back(string_field(j, key));
  return join(parts, "; ");
}

// TEXT plus ": <registry's message>" unless it adds nothing.
std::string with_registry_message(std::string text, const Response& r) {
  std::string msg = registry_message(r.body, false);
  if (!msg.empty() && lower(text).find(lower(msg)) == std::string::npos) text += ": " + msg;
  return text;
}

std::string status_text(const Response& r) {
  if (!r.reason.empty()) return std::to_string(r.status) + " " + r.reason;
  switch (r.status) {
    case 429:
      return "429 Too Many Requests";
    case 500:
      return "500 Internal Server Error";
    case 502:
      return "502 Bad Gateway";
    case 503:
      return "503 Service Unavailable";
    case 504:
      return "504 Gateway Timeout";
    default:
      return std::to_string(r.status);
  }
}

// An unexpected status as the errno the CLI understands. KIND ("manifest",
// "blob") and SUBJECT ("host/repo:tag") name what a 404 did not find.
Error status_error(const Response& r, std::string_view kind, const std::string& subject) {
  if (r.status == 401) {
    std::string text = with_registry_message("unauthorized: authentication required for " + subject, r);
    if (!r.refused_user.empty()) text += " (the registry refused the credentials of " + r.refused_user + ")";
    return Error(EACCES, text, false);
  }
  if (r.status == 403)
    return Error(EACCES, with_registry_message("unauthorized: access to " + subject + " denied", r), false);
  if (r.status == 404)
    return Error(ENOENT, with_registry_message(std::string(kind) + " unknown: " + subject, r), false);
  std::string text = "registry returned " + status_text(r);
  std::string msg = registry_message(r.body, true);
  if (!msg.empty()) text += ": " + msg;
  return Error(EIO, text + " (" + r.method + " " + r.url + ")", false);
}

Error transport_error(const Request& req, const Exchange& ex, const Attempt& a, const std::string& registry,
                      int stall_timeout_s) {
  if (ex.callback_error) return *ex.callback_error;
  std::string where = " (" + req.method + " " + req.url + ")";
  if (ex.body_too_big)
    return Error(
        EFBIG, "registry " + registry + " sent more than " + std::to_string(req.max_body) + " bytes" + where,
        false);
  switch (a.code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error(
          ETIMEDOUT,
          "registry " + registry + " did not answer for " + std::to_string(stall_timeout_s) + " s" + where,
          false);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Error(EHOSTUNREACH, "cannot reach registry " + registry + where + ": " + a.curl_message, false);
    case CURLE_COULDNT_CONNECT: {
      int err = a.os_errno == EHOSTUNREACH || a.os_errno == ENETUNREACH ? EHOSTUNREACH : ECONNREFUSED;
      return Error(err, "cannot reach registry " + registry + where + ": " + a.curl_message, false);
    }
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return Error(EPROTO, "TLS with registry " + registry + " failed" + where + ": " + a.curl_message,
                   false);
    default:
      return Error(EIO, "registry " + registry + where + ": " + a.curl_message, false);
  }
}

// ---- URLs ----

// REF resolved against BASE (an absolute URL): a Location header may be
// absolute, absolute-path or relative. QUERY ("digest=...") is appended
// (url-encoded) after any query REF already has.
Result<std::string> resolve_url(const std::string& base, const std::string& ref,
                                const std::string& query = "") {
  CurlUrl u(curl_url());
  if (!u) return fail_code(ENOMEM, "curl_url failed");
  char* out = nullptr;
  if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, ref.c_str(), 0) != CURLUE_OK ||
      (!query.empty() && curl_url_set(u.get(), CURLUPART_QUERY, query.c_str(),
                                      CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK) ||
      curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK)
    return fail_code(EPROTO, "invalid URL \"" + ref + "\" (from " + base + ")");
  std::string url = out;
  curl_free(out);
  return url;
}

std::string host_of(const std::string& domain) {
  return domain == "docker.io" ? "registry-1.docker.io" : domain;
}

// Docker's rule: localhost, 127.0.0.0/8 and ::1 may speak plain http.
bool is_loopback(const std::string& host) {
  std::string name = host;
  if (name.starts_with('[')) {
    name = name.substr(1, name.find(']') - 1);
  } else if (auto colon = name.rfind(':'); colon != std::string::npos) {
    name = name.substr(0, colon);
  }
  return name == "localhost" || name.starts_with("127.") || name == "::1";
}

std::string manifest_subject(const std::string& domain, const std::string& repo, const std::string& ref) {
  return domain + "/" + repo + (ref.starts_with("sha256:") ? "@" : ":") + ref;
}

std::string blob_subject(const std::string& domain, const std::string& repo, const Digest& d) {
  return domain + "/" + repo + "@" + d.str();
}

std::string pull_scope(const std::string& repo) { return "repository:" + repo + ":pull"; }
std::string push_scope(const std::string& repo) { return "repository:" + repo + ":pull,push"; }

// ---- WWW-Authenticate ----

struct Challenge {
  std::string scheme;  // lower-case: "bearer", "basic"
  std::map<std::string, std::string> params;
};

// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`.
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

// A Bearer challenge if the registry offered one (docker prefers it), else the first.
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

}  // namespace

// ---- the client ----

struct RegistryClient::State {
  RegistryOptions options;
  std::string domain;
  std::string host;  // registry-1.docker.io for docker.io
  bool insecure;     // plain http allowed, certificates unchecked

  struct Token {
    std::string value;
    Clock::time_point expires;
  };
  std::mutex mu;                        // guards what follows
  std::string scheme;                   // "" until a request got an answer
  bool basic = false;                   // the registry asked for basic auth
  std::map<std::string, Token> tokens;  // by scope

  State(std::string d, RegistryOptions o)
      : options(std::move(o)),
        domain(std::move(d)),
        host(host_of(domain)),
        insecure(!options.tls_verify || is_loopback(host)) {}

  TransportOptions transport() const {
    return {.verify_tls = !insecure, .stall_timeout_s = std::max(1, options.stall_timeout_s)};
  }

  // "https://host" (or http, once the registry answered on it).
  std::string base_url() {
    std::lock_guard lock(mu);
    return (scheme.empty() ? "https" : scheme) + "://" + host;
  }
  Result<Response> exchange(Request& req, Attempt* attempt = nullptr);
  Result<Response> send_path(Request req, const std::string& path);
  std::optional<std::string> cached_authorization(const std::string& scope);
  Result<std::string> authorize(const Response& r, const std::string& scope, const std::string& subject);
  Result<std::string> fetch_token(const Challenge& ch, const std::string& scope, const std::string& subject);
  Result<Response> send(Request req, const std::string& target, const std::string& scope,
                        const std::string& subject);
  Result<std::string> start_upload(const std::string& repo, const Descriptor& desc);
};

// One transfer to an absolute URL; transport failures become errors.
Result<Response> RegistryClient::State::exchange(Request& req, Attempt* attempt) {
  Exchange ex{req, {}, std::nullopt, false};
  Attempt a = perform(req, ex, transport());
  if (attempt) *attempt = a;
  if (a.code != CURLE_OK || ex.callback_error || ex.body_too_big)
    return std::unexpected(transport_error(req, ex, a, domain, transport().stall_timeout_s));
  ex.resp.method = req.method;
  ex.resp.url = req.url;
  return std::move(ex.resp);
}

// A transfer to PATH ("/v2/...") on the registry. The first one picks the
// scheme: https, or plain http when that is allowed and https could not
// even be set up (refused, not TLS, a handshake that never finishes).
Result<Response> RegistryClient::State::send_path(Request req, const std::string& path) {
  std::string known;
  {
    std::lock_guard lock(mu);
    known = scheme;
  }
  req.url = (known.empty() ? "https" : known) + "://" + host + path;
  if (!known.empty()) return exchange(req);
  Attempt a;
  auto r = exchange(req, &a);
  bool retry_plain = !r && insecure && !a.established && a.code != CURLE_COULDNT_RESOLVE_HOST;
  if (retry_plain) {
    req.url = "http://" + host + path;
    r = exchange(req);
  }
  if (r) {
    std::lock_guard lock(mu);
    scheme = retry_plain ? "http" : "https";
  }
  return r;
}

std::optional<std::string> RegistryClient::State::cached_authorization(const std::string& scope) {
  std::lock_guard lock(mu);
  if (auto it = tokens.find(scope); it != tokens.end() && it->second.expires > Clock::now())
    return "Bearer " + it->second.value;
  if (basic && options.credentials) return basic_authorization(*options.credentials);
  return std::nullopt;
}

// The Authorization header answering a 401's challenge.
Result<std::string> RegistryClient::State::authorize(const Response& r, const std::string& scope,
                                                     const std::string& subject) {
  auto ch = pick_challenge(r);
  if (ch && ch->scheme == "bearer") return fetch_token(*ch, scope, subject);
  if (!ch || ch->scheme != "basic" || !options.credentials)
    return std::unexpected(status_error(r, "", subject));
  std::lock_guard lock(mu);
  basic = true;
  return basic_authorization(*options.credentials);
}

// GET realm?service=..&scope=.. (with basic credentials, if any) -> a token,
// cached for its lifetime (docker's default: 60 s).
Result<std::string> RegistryClient::State::fetch_token(const Challenge& ch, const std::string& scope,
                                                       const std::string& subject) {
  auto realm = ch.params.find("realm");
  if (realm == ch.params.end() || realm->second.empty())
    return fail_code(EPROTO, "registry " + domain + " asked for a bearer token without a realm");
  std::string query = ch.params.contains("service") ? "service=" + ch.params.at("service") : "";
  Request req;
  req.url = HUSK_TRY(resolve_url(realm->second, realm->second, query));
  if (!scope.empty()) req.url = HUSK_TRY(resolve_url(req.url, req.url, "scope=" + scope));
  if (options.credentials)
    req.headers.push_back("Authorization: " + basic_authorization(*options.credentials));
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
  std::lock_guard lock(mu);
  // A little early, so a token never expires between the check and its use.
  tokens[scope] = {token, Clock::now() + std::chrono::seconds(std::max<int64_t>(lifetime - 5, 1))};
  return "Bearer " + token;
}

// A transfer with docker's auth flow to TARGET, a path on the registry or
// an absolute URL (an upload's Location): what is cached goes along; a 401
// gets its challenge answered and the request sent once more. A streamed
// upload cannot be sent twice, so its 401 is the answer. Credentials and
// tokens go only to the registry's own host.
Result<Response> RegistryClient::State::send(Request req, const std::string& target, const std::string& scope,
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
  if (r.status == 401 && options.credentials) r.refused_user = options.credentials->username;
  return r;
}

RegistryClient::RegistryClient(std::string domain, RegistryOptions options)
    : domain_(domain), state_(std::make_unique<State>(std::move(domain), std::move(options))) {}

RegistryClient::~RegistryClient() = default;

namespace {

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

}  // namespace

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
  Response r =
      HUSK_TRY(state_->send(req, "/v2/" + repo + "/manifests/" + reference, pull_scope(repo), subject));
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
  Response r =
      HUSK_TRY(state_->send(req, "/v2/" + repo + "/blobs/" + desc.digest.str(), pull_scope(repo), subject));
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
  Response r =
      HUSK_TRY(state_->send(req, "/v2/" + repo + "/blobs/" + digest.str(), pull_scope(repo), subject));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return std::unexpected(status_error(r, "blob", subject));
}

// POST .../blobs/uploads/ -> 202 and the upload's Location.
Result<std::string> RegistryClient::State::start_upload(const std::string& repo, const Descriptor& desc) {
  std::string subject = blob_subject(domain, repo, desc.digest);
  Request req;
  req.method = "POST";
  req.body = "";
  Response r = HUSK_TRY(send(req, "/v2/" + repo + "/blobs/uploads/", push_scope(repo), subject));
  const std::string* location = r.header("location");
  if (r.ok() && (r.status != 202 || !location || location->empty()))
    return fail_code(EPROTO, "upload of " + subject + ": the registry sent no upload location");
  if (!r.ok()) return std::unexpected(status_error(r, "upload of blob", subject));
  return resolve_url(base_url() + "/", *location, "digest=" + desc.digest.str());
}

Result<void> RegistryClient::put_blob(const std::string& repo, const Descriptor& desc,
                                      const BlobSource& source) {
  if (HUSK_TRY(has_blob(repo, desc.digest))) return {};
  std::string url = HUSK_TRY(state_->start_upload(repo, desc));
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
  Response r = HUSK_TRY(state_->send(put, url, push_scope(repo), subject));
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
  Response r =
      HUSK_TRY(state_->send(req, "/v2/" + repo + "/manifests/" + reference, push_scope(repo), subject));
  if (r.status != 201 && r.status != 200) return std::unexpected(status_error(r, "repository", subject));
  return {};
}

Result<void> RegistryClient::ping() {
  Request req;
  Response r = HUSK_TRY(state_->send(req, "/v2/", "", "registry " + domain_));
  if (r.status != 200) return std::unexpected(status_error(r, "API", "registry " + domain_));
  return {};
}

}  // namespace husk::image
