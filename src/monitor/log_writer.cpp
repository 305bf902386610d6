#include "monitor/log_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/fd.hpp"

namespace husk::monitor {

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

LogWriter::LogWriter(int fd, LogRotation rotation) : fd_(fd), rotation_(std::move(rotation)) {
  struct stat st {};
  if (fd_ >= 0 && rotation_.max_size > 0 && ::fstat(fd_, &st) == 0) size_ = st.st_size;
}

std::vector<std::string> rotated_logs(const std::string& path) {
  std::vector<std::string> out;
  for (int i = 1;; ++i) {
    std::string p = path + "." + std::to_string(i);
    if (::access(p.c_str(), F_OK) != 0) break;
    out.insert(out.begin(), p);
  }
  return out;
}

void LogWriter::rotate() {
  size_ = 0;
  if (rotation_.max_files <= 1) {
    (void)::ftruncate(fd_, 0);  // O_APPEND: the next entry is the first again
    return;
  }
  const std::string& path = rotation_.path;
  for (int i = rotation_.max_files - 1; i > 1; --i)
    (void)::rename((path + "." + std::to_string(i - 1)).c_str(), (path + "." + std::to_string(i)).c_str());
  if (::rename(path.c_str(), (path + ".1").c_str()) < 0) return;
  UniqueFd next(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!next) return;  // on in the renamed one
  rotated_in_ = std::move(next);
  fd_ = rotated_in_.get();
}

void LogWriter::emit(int stream, std::string_view text) {
  std::string entry = encode_log_entry(text, kStreams[stream], log_time_now());
  if (rotation_.max_size > 0 && size_ > 0 && size_ + static_cast<int64_t>(entry.size()) > rotation_.max_size &&
      !rotation_.path.empty())
    rotate();
  if (write_all(fd_, entry)) size_ += static_cast<int64_t>(entry.size());
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

}  // namespace husk::monitor
