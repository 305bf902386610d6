// Image references, parsed the way docker's distribution/reference does it
// (ParseNormalizedNamed, then TagNameOnly), so that a name means the same
// image here as it does to docker, podman and the registries.
#include "image/reference.hpp"

#include <algorithm>

namespace husk::image {
namespace {

// Docker Hub's name from the days of the v1 "index"; docker still accepts it.
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr size_t kNameMaxLength = 255;
constexpr size_t kTagMaxLength = 128;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_lower_alnum(c) || is_upper(c); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }

bool has_upper(std::string_view s) { return std::ranges::any_of(s, is_upper); }

// [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
bool valid_path_component(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (n == 0 || !is_lower_alnum(s[0])) return false;
  for (;;) {
    while (i < n && is_lower_alnum(s[i])) ++i;
    if (i == n) return true;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < n && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-') ++i;
    } else {
      return false;
    }
    // A separator sits between alphanumerics, never at the end.
    if (i == n || !is_lower_alnum(s[i])) return false;
  }
}

bool valid_path(std::string_view path) {
  for (;;) {
    auto slash = path.find('/');
    if (!valid_path_component(path.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

// [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::ranges::all_of(s, [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_port(std::string_view s) { return !s.empty() && std::ranges::all_of(s, is_digit); }

// A host name or IPv4 address, or an IPv6 address in brackets (no zone, no
// embedded IPv4), then an optional :port.
bool valid_domain(std::string_view d) {
  std::string_view port;
  bool has_port = false;
  if (d.starts_with('[')) {
    auto close = d.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view addr = d.substr(1, close - 1);
    if (addr.empty() || !std::ranges::all_of(addr, [](char c) { return is_hex(c) || c == ':'; }))
      return false;
    std::string_view rest = d.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    if (auto colon = d.find(':'); colon != std::string_view::npos) {
      has_port = true;
      port = d.substr(colon + 1);
      d = d.substr(0, colon);
    }
    for (;;) {
      auto dot = d.find('.');
      if (!valid_domain_component(d.substr(0, dot))) return false;
      if (dot == std::string_view::npos) break;
      d.remove_prefix(dot + 1);
    }
  }
  return !has_port || valid_port(port);
}

// [\w][\w.-]{0,127}
bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > kTagMaxLength || !is_word(t[0])) return false;
  return std::ranges::all_of(t, [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

bool is_full_id(std::string_view s) { return s.size() == 64 && std::ranges::all_of(s, is_lower_hex); }

void append_tag_and_digest(std::string& out, const Reference& r) {
  if (!r.tag.empty()) out += ":" + r.tag;
  if (r.digest) out += "@" + r.digest->str();
}

}  // namespace

std::string Reference::str() const {
  std::string out = name();
  append_tag_and_digest(out, *this);
  return out;
}

std::string Reference::familiar() const {
  std::string out;
  if (domain == kDefaultDomain) {
    std::string_view p = path;
    // Only official images lose "library/": "library/a/b" is not one.
    if (p.starts_with(kOfficialRepoPrefix) &&
        p.substr(kOfficialRepoPrefix.size()).find('/') == std::string_view::npos)
      p.remove_prefix(kOfficialRepoPrefix.size());
    out = p;
  } else {
    out = name();
  }
  append_tag_and_digest(out, *this);
  return out;
}

Result<Reference> parse_reference(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return fail_code(EINVAL, "invalid reference format: \"" + std::string(text) + "\": " + std::string(why));
  };
  if (text.empty()) return bad("the name is empty");
  // Docker refuses these so that an image id is never taken for a name.
  if (is_full_id(text)) return bad("a 64-digit hex string is an image id, not a repository name");

  // Which part is the registry. A single component is always a Docker Hub
  // name, even "localhost" or "host:5000" (then "5000" is a tag), as in docker.
  Reference ref;
  std::string_view remainder = text;
  ref.domain = kDefaultDomain;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    std::string_view first = text.substr(0, slash);
    // Upper case is never valid in a repository path, so docker takes an
    // upper-case first component for a host name.
    if (first == "localhost" || first.find_first_of(".:") != std::string_view::npos || has_upper(first)) {
      ref.domain = first == kLegacyDefaultDomain ? kDefaultDomain : first;
      remainder = text.substr(slash + 1);
    }
  }

  std::string_view name_part = remainder, digest_text;
  const auto at = remainder.find('@');
  if (at != std::string_view::npos) {
    name_part = remainder.substr(0, at);
    digest_text = remainder.substr(at + 1);
  }
  std::string_view path = name_part;
  const auto colon = name_part.find(':');
  if (colon != std::string_view::npos) path = name_part.substr(0, colon);

  if (has_upper(path)) return bad("repository name must be lowercase");
  if (!valid_path(path))
    return bad("each part of the repository name is [a-z0-9] separated by '.', '_', '__' or '-'");
  if (!valid_domain(ref.domain)) return bad("\"" + ref.domain + "\" is not a valid registry host");
  if (colon != std::string_view::npos) {
    ref.tag = name_part.substr(colon + 1);
    if (!valid_tag(ref.tag)) return bad("a tag is 1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'");
  }
  ref.path = path;
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos)
    ref.path.insert(0, kOfficialRepoPrefix);
  if (ref.name().size() > kNameMaxLength)
    return bad("repository name must not be more than " + std::to_string(kNameMaxLength) + " characters");

  if (at != std::string_view::npos) {
    auto digest = parse_digest(digest_text);
    if (!digest) return bad(digest.error().message());
    ref.digest = std::move(*digest);
  }
  if (ref.tag.empty() && !ref.digest) ref.tag = kDefaultTag;
  return ref;
}

bool looks_like_id_prefix(std::string_view text) {
  return text.size() >= 3 && text.size() <= 64 && std::ranges::all_of(text, is_lower_hex);
}

}  // namespace husk::image
