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

}  // namespace husk
