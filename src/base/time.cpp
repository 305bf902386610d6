#include "base/time.hpp"

#include <cstdio>
#include <string_view>
#include <string>
#include <optional>
#include <cstdint>
#include <cctype>
#include <ctime>

namespace husk {

std::string rfc3339(const timespec& t) {
  struct tm tm;
  gmtime_r(&t.tv_sec, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(t.tv_nsec));
  return buf;
}

int64_t now_nanos() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

int64_t monotonic_ms() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

std::string now_rfc3339() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  return rfc3339(t);
}

std::optional<int64_t> parse_rfc3339_nanos(std::string_view s) {
  std::string str(s);
  struct tm tm = {};
  int consumed = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) != 3 ||
      consumed != 10)
    return {};
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  size_t i = 10;
  int64_t nanos = 0;
  if (i < str.size() && (str[i] == 'T' || str[i] == 't')) {
    int used = 0;
    if (std::sscanf(str.c_str() + i + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 3 ||
        used != 8)
      return {};
    i += 9;
    if (i < str.size() && str[i] == '.') {
      int64_t scale = 100000000;
      for (++i; i < str.size() && std::isdigit(static_cast<unsigned char>(str[i])); ++i, scale /= 10)
        nanos += (str[i] - '0') * scale;
    }
  }
  std::optional<int> offset;  // seconds east of UTC
  if (i < str.size()) {
    if (str[i] == 'Z' || str[i] == 'z') {
      offset = 0;
      ++i;
    } else if (str[i] == '+' || str[i] == '-') {
      int h = 0, m = 0, used = 0;
      if (std::sscanf(str.c_str() + i + 1, "%2d:%2d%n", &h, &m, &used) != 2 || used != 5) return {};
      offset = (str[i] == '-' ? -1 : 1) * (h * 3600 + m * 60);
      i += 6;
    }
  }
  if (i != str.size()) return {};
  time_t secs;
  if (offset) {
    secs = ::timegm(&tm) - *offset;
  } else {
    tm.tm_isdst = -1;
    secs = ::mktime(&tm);
  }
  return static_cast<int64_t>(secs) * 1000000000 + nanos;
}

std::optional<int64_t> parse_go_duration(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == "0") return 0;
  if (s.empty()) return {};
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double whole = 0, frac = 0, scale = 1;
    bool digits = false;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, digits = true)
      whole = whole * 10 + (s[i] - '0');
    if (i < s.size() && s[i] == '.')
      for (++i; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, digits = true)
        frac += (s[i] - '0') * (scale /= 10);
    if (!digits) return {};
    size_t u = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
    std::string_view unit = s.substr(u, i - u);
    long double per = unit == "ns"                                             ? 1
                      : unit == "us" || unit == "\u00b5s" || unit == "\u03bcs" ? 1e3
                      : unit == "ms"                                           ? 1e6
                      : unit == "s"                                            ? 1e9
                      : unit == "m"                                            ? 60e9
                      : unit == "h"                                            ? 3600e9
                                                                               : 0;
    if (per == 0) return {};  // a number without its unit, or an unknown one
    total += (whole + frac) * per;
    if (total > static_cast<long double>(INT64_MAX)) return {};
    s.remove_prefix(i);
  }
  auto n = static_cast<int64_t>(total);
  return negative ? -n : n;
}

std::string format_go_duration(int64_t nanos) {
  if (nanos == 0) return "0s";
  std::string sign = nanos < 0 ? "-" : "";
  uint64_t n = nanos < 0 ? -static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  // A whole part and up to PLACES digits of fraction, trailing zeros cut.
  auto number = [](uint64_t v, uint64_t unit, int places) {
    std::string s = std::to_string(v / unit);
    std::string frac = std::to_string(v % unit);
    frac.insert(0, places - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    return frac.empty() ? s : s + "." + frac;
  };
  if (n < 1000) return sign + std::to_string(n) + "ns";
  if (n < 1000000) return sign + number(n, 1000, 3) + "\u00b5s";
  if (n < 1000000000) return sign + number(n, 1000000, 6) + "ms";
  uint64_t h = n / 3600000000000ULL, rest = n % 3600000000000ULL;
  uint64_t m = rest / 60000000000ULL, sec = rest % 60000000000ULL;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  return out + number(sec, 1000000000, 9) + "s";
}

}  // namespace husk
