#include "base/time.hpp"

#include <cstdio>
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

}  // namespace husk
