#include "image/registry_transport.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "base/strings.hpp"

namespace husk::image::registry {

namespace {

using json = nlohmann::json;

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

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

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

std::string string_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string with_registry_message(std::string text, const Response& r) {
  std::string msg = registry_message(r.body, false);
  if (!msg.empty() && lower(text).find(lower(msg)) == std::string::npos) text += ": " + msg;
  return text;
}

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

Result<std::string> resolve_url(const std::string& base, const std::string& ref, const std::string& query) {
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

bool is_loopback(const std::string& host) {
  std::string name = host;
  if (name.starts_with('[')) {
    name = name.substr(1, name.find(']') - 1);
  } else if (auto colon = name.rfind(':'); colon != std::string::npos) {
    name = name.substr(0, colon);
  }
  return name == "localhost" || name.starts_with("127.") || name == "::1";
}

}  // namespace husk::image::registry
