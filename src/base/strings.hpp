// Small string helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace husk {

std::vector<std::string> split(std::string_view s, char sep);
bool starts_with(std::string_view s, std::string_view prefix);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string to_upper(std::string_view s);
std::string trim(std::string_view s);
// Whole-string unsigned/signed parse; nullopt on junk or overflow.
std::optional<unsigned long long> parse_u64(std::string_view s);
std::optional<long long> parse_i64(std::string_view s);
// Docker's memory sizes: "512", "100m", "1.5g", "64MiB", "2 GB": binary
// multiples (k = 1024), case-insensitive; nullopt on junk or overflow.
std::optional<long long> parse_ram_bytes(std::string_view s);
// Joins a container path onto a root: ("/r", "/a/../b") stays lexically under "/r".
std::string path_join(std::string_view root, std::string_view path);
// Lexically cleaned absolute path: "/a//b/../c/." -> "/a/c".
std::string clean_path(std::string_view path);

// FNV-1a, 64 bits: a cheap name for cached things whose full key is kept
// and compared (never a digest to trust on its own).
uint64_t fnv1a_64(std::string_view s);
// Its 16 hex digits.
std::string fnv1a_64_hex(std::string_view s);

}  // namespace husk
