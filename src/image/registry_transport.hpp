// The registry client's transport (image/registry.hpp): one HTTP exchange
// over libcurl (a curl easy handle per transfer, so threads never share
// one), and what an answer means as an error the CLI understands.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "image/registry.hpp"

namespace husk::image::registry {

// Error bodies are kept only to quote the registry's message.
inline constexpr size_t kMaxErrorBody = 64 << 10;

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

struct TransportOptions {
  bool verify_tls = true;
  int stall_timeout_s = 30;
};

// The outcome of one attempt: curl's code, and whether TLS was ever set up
// (a failure before that may mean the server speaks plain http).
struct Attempt {
  CURLcode code = CURLE_OK;
  std::string curl_message;
  long os_errno = 0;
  bool established = false;
};

// One transfer as REQ says, its answer in EX.resp.
Attempt perform(const Request& req, Exchange& ex, const TransportOptions& opt);

// A transfer that failed below HTTP (or whose sink or source failed) as an error.
Error transport_error(const Request& req, const Exchange& ex, const Attempt& a, const std::string& registry,
                      int stall_timeout_s);
// An unexpected status as the errno the CLI understands. KIND ("manifest",
// "blob") and SUBJECT ("host/repo:tag") name what a 404 did not find.
Error status_error(const Response& r, std::string_view kind, const std::string& subject);
// TEXT plus ": <registry's message>" unless it adds nothing.
std::string with_registry_message(std::string text, const Response& r);
// J[KEY] when it is a string, else "": what servers send is never trusted
// to have the right types (json::value would throw).
std::string string_field(const nlohmann::json& j, const char* key);

// REF resolved against BASE (an absolute URL): a Location header may be
// absolute, absolute-path or relative. QUERY ("digest=...") is appended
// (url-encoded) after any query REF already has.
Result<std::string> resolve_url(const std::string& base, const std::string& ref,
                                const std::string& query = "");
// The host serving DOMAIN: registry-1.docker.io for docker.io.
std::string host_of(const std::string& domain);
// Docker's rule: localhost, 127.0.0.0/8 and ::1 may speak plain http.
bool is_loopback(const std::string& host);
std::string lower(std::string_view s);

}  // namespace husk::image::registry
