// The writing side of the json-file log (logs.hpp): what the container's
// monitor links, apart from the reading side `husk logs` needs.
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/fd.hpp"
#include "engine/logs.hpp"

namespace husk::engine {

namespace {

constexpr size_t kMaxEntry = 16 * 1024;  // docker's split size for long lines
constexpr const char* kStreams[] = {"stdout", "stderr"};

// The length of the valid UTF-8 sequence at S[I], or 0.
size_t utf8_len(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  return n;
}

// JSON string contents as Go's encoder writes them: HTML-safe, invalid
// UTF-8 as U+FFFD.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      size_t n = utf8_len(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || c == '<' || c == '>' || c == '&') {
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += c;
        }
    }
    ++i;
  }
}

std::string format_time(LogTime t, bool fixed) {
  time_t secs = static_cast<time_t>(t / 1000000000);
  long nanos = static_cast<long>(t % 1000000000);
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  struct tm tm;
  ::gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09ld", nanos);
  std::string f = frac;
  if (!fixed) {
    while (f.size() > 1 && f.back() == '0') f.pop_back();
    if (f.size() == 1) f.clear();
  }
  return out + f + "Z";
}

}  // namespace

std::string log_path(const std::string& container_dir) { return container_dir + "/container-json.log"; }

LogTime log_time_now() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<LogTime>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string format_rfc3339_nano(LogTime t) { return format_time(t, false); }
std::string format_rfc3339_nano_fixed(LogTime t) { return format_time(t, true); }

std::string encode_log_entry(std::string_view text, std::string_view stream, LogTime t) {
  std::string out;
  out.reserve(text.size() + 80);
  out += "{\"log\":\"";
  append_json_string(out, text);
  out += "\",\"stream\":\"";
  out += stream;
  out += "\",\"time\":\"";
  out += format_rfc3339_nano(t);
  out += "\"}\n";
  return out;
}

std::vector<std::string> cut_log_lines(std::string& pending, std::string_view data) {
  std::vector<std::string> out;
  while (!data.empty()) {
    size_t nl = data.find('\n');
    size_t room = kMaxEntry - pending.size();
    if (nl != std::string_view::npos && nl < room) {
      pending.append(data.substr(0, nl + 1));
      out.push_back(std::move(pending));
      pending.clear();
      data.remove_prefix(nl + 1);
    } else if (data.size() >= room) {
      pending.append(data.substr(0, room));
      out.push_back(std::move(pending));
      pending.clear();
      data.remove_prefix(room);
    } else {
      pending.append(data);
      break;
    }
  }
  return out;
}

void LogWriter::emit(int stream, std::string_view text) {
  (void)write_all(fd_, encode_log_entry(text, kStreams[stream], log_time_now()));
}

void LogWriter::write(int stream, std::string_view data) {
  if (fd_ < 0) return;
  for (auto& line : cut_log_lines(pending_[stream], data)) emit(stream, line);
}

void LogWriter::flush() {
  for (int s = 0; s < 2; ++s) {
    if (fd_ >= 0 && !pending_[s].empty()) emit(s, pending_[s]);
    pending_[s].clear();
  }
}

}  // namespace husk::engine
