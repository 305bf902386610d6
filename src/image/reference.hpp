// Image references with docker's normalisation rules (distribution/reference):
//   busybox                      -> docker.io/library/busybox:latest
//   localhost:5000/debian:bookworm
//   name@sha256:<hex>            (a digest pins the content; a tag alongside is kept for display)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "image/digest.hpp"

namespace husk::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000", "quay.io"
  std::string path;    // "library/busybox", "debian", "org/team/app"
  std::string tag;     // empty when only a digest was given
  std::optional<Digest> digest;

  // "docker.io/library/busybox"
  std::string name() const { return domain + "/" + path; }
  // The full normalised form: "docker.io/library/busybox:latest",
  // "localhost:5000/x@sha256:...", "docker.io/library/x:1@sha256:...".
  std::string str() const;
  // docker's short form for display: "busybox:latest", "localhost:5000/debian:bookworm".
  std::string familiar() const;
  friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses and normalises TEXT. Rules (as docker's ParseNormalizedNamed):
// - the first component is a domain when it contains '.' or ':' or is
//   "localhost" (or has upper-case letters); otherwise the domain is docker.io;
// - docker.io names with one component get "library/"; "index.docker.io" is docker.io;
// - path components: lower-case [a-z0-9] separated by '.', '_', '__' or '-'s;
// - tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; no tag and no digest means "latest";
// - total name length at most 255.
// A bad reference is EINVAL: "invalid reference format: ..." naming TEXT.
Result<Reference> parse_reference(std::string_view text);

// True when TEXT could be the hex of an image id or a prefix of one (used by
// `husk image rm/inspect` to accept ids as docker does): 3..64 lower-case hex digits.
bool looks_like_id_prefix(std::string_view text);

}  // namespace husk::image
