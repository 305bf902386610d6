#include "base/strings.hpp"

#include <cstdio>

#include <charconv>

namespace husk {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.starts_with(prefix); }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<unsigned long long> parse_u64(std::string_view s) {
  unsigned long long v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<long long> parse_i64(std::string_view s) {
  long long v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<long long> parse_ram_bytes(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  std::string_view number = s.substr(0, i), unit = s.substr(i);
  if (number.empty() || number.front() == '.' || number.back() == '.') return std::nullopt;
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  std::string u = to_upper(unit);
  if (u.ends_with("IB"))
    u.erase(u.size() - 2);
  else if (u.size() == 2 && u.back() == 'B')
    u.pop_back();
  else if (u == "B")
    u.clear();
  static constexpr std::string_view kUnits = "KMGTP";
  long double mult = 1;
  if (!u.empty()) {
    if (u.size() != 1 || kUnits.find(u[0]) == std::string_view::npos) return std::nullopt;
    for (size_t k = 0; k <= kUnits.find(u[0]); ++k) mult *= 1024;
  }
  long double v = 0;
  try {
    size_t used = 0;
    v = std::stold(std::string(number), &used);
    if (used != number.size()) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  long double bytes = v * mult;
  if (bytes > 9223372036854775807.0L) return std::nullopt;
  return static_cast<long long>(bytes);
}

std::string clean_path(std::string_view path) {
  std::vector<std::string> parts;
  for (auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return "/" + join(parts, "/");
}

std::string path_join(std::string_view root, std::string_view path) {
  std::string r(root);
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  std::string p = clean_path(path);
  if (p == "/") return r;
  if (r == "/") return p;
  return r + p;
}

uint64_t fnv1a_64(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string fnv1a_64_hex(std::string_view s) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a_64(s)));
  return buf;
}

}  // namespace husk
