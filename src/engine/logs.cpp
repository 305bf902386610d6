#include "engine/logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>

#include <nlohmann/json.hpp>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/time.hpp"

namespace husk::engine {

Result<LogEntry> parse_log_entry(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  // Every field is checked for its type before it is read: a record written
  // by something else (or cut and joined by a crash) is an error, not a throw.
  auto string_or_absent = [&](const char* key) { return !j.contains(key) || j[key].is_string(); };
  if (j.is_discarded() || !j.is_object() || !j.contains("log") || !j["log"].is_string() ||
      !string_or_absent("stream") || !string_or_absent("time"))
    return fail_code(EINVAL, "not a json-file log entry: " + std::string(line.substr(0, 80)));
  LogEntry e;
  e.log = j["log"].get<std::string>();
  e.stream = j.value("stream", "stdout");
  auto t = parse_rfc3339_nanos(j.value("time", ""));
  if (!t) return fail_code(EINVAL, "log entry with a bad time: " + std::string(line.substr(0, 80)));
  e.time = *t;
  return e;
}

Result<LogTime> parse_log_time_arg(std::string_view s, LogTime now) {
  if (auto t = parse_rfc3339_nanos(s)) return *t;
  if (!s.empty() && s.find_first_not_of("0123456789.") == std::string_view::npos &&
      s.find('.') == s.rfind('.')) {
    size_t dot = s.find('.');
    LogTime secs = std::stoll(std::string(s.substr(0, dot)));
    LogTime nanos = 0;
    if (dot != std::string_view::npos) {
      std::string frac(s.substr(dot + 1));
      frac.resize(9, '0');
      nanos = std::stoll(frac);
    }
    return secs * 1000000000 + nanos;
  }
  if (auto d = parse_go_duration(s); d && *d >= 0) return now - *d;
  return fail_code(EINVAL, "invalid time \"" + std::string(s) +
                               "\": want a Unix time, an RFC 3339 date or time, or a duration like 10m");
}

namespace {

// Prints the entries of the complete lines in TEXT; false once past --until.
bool print_entries(std::string_view text, const LogsOptions& o, int out, int err) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    auto e = parse_log_entry(line);
    if (!e) continue;  // a line cut short by a crash: docker skips it too
    if (o.since && e->time < *o.since) continue;
    if (o.until && e->time > *o.until) return false;
    std::string s = o.timestamps ? format_rfc3339_nano_fixed(e->time) + " " + e->log : e->log;
    if (!write_all(e->stream == "stderr" ? err : out, s)) return false;
  }
  return true;
}

// The last N lines of TEXT (which ends with a newline, or is empty).
std::string_view last_lines(std::string_view text, size_t n) {
  if (n == 0) return {};
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  while (pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string_view::npos) return text;
    if (--n == 0) return text.substr(nl + 1);
    pos = nl;
  }
  return text;
}

}  // namespace

Result<void> print_logs(const std::string& path, const LogsOptions& o, const std::function<bool()>& running,
                        int out, int err) {
  auto f = open_fd(path, O_RDONLY);
  if (!f && f.error().err() == ENOENT && o.follow) {
    // Not written yet: the container has only just been made.
  } else if (!f) {
    return fail(std::move(f).error());
  }
  std::string partial;  // a line whose end is not written yet
  // What --log-opt max-size rotated away comes first, oldest first.
  for (auto& older : monitor::rotated_logs(path))
    if (auto text = read_file(older)) partial += *text;
  bool first = true;
  while (true) {
    // Whether it runs is asked before reading, so what it wrote before
    // it ended is read after.
    bool more = o.follow && running();
    if (!f) {
      if (auto again = open_fd(path, O_RDONLY)) f = std::move(again);
    }
    if (f) {
      char buf[65536];
      ssize_t n;
      while ((n = ::read(f->get(), buf, sizeof buf)) > 0) partial.append(buf, static_cast<size_t>(n));
      // Rotated meanwhile (renamed away: a new log at PATH; or, with one
      // file, begun again empty): on with the new one from its start.
      struct stat now {}, ours {};
      if (o.follow && ::fstat(f->get(), &ours) == 0) {
        if (::stat(path.c_str(), &now) == 0 && now.st_ino != ours.st_ino) {
          if (auto again = open_fd(path, O_RDONLY)) {
            f = std::move(again);
            more = true;
          }
        } else if (::lseek(f->get(), 0, SEEK_CUR) > ours.st_size) {
          (void)::lseek(f->get(), 0, SEEK_SET);
        }
      }
      size_t end = partial.rfind('\n');
      std::string_view whole = end == std::string::npos ? std::string_view{} : std::string_view(partial).substr(0, end + 1);
      if (first && o.tail) whole = last_lines(whole, *o.tail);
      first = false;
      if (!print_entries(whole, o, out, err)) return {};
      partial.erase(0, end == std::string::npos ? 0 : end + 1);
    }
    if (!more) return {};
    ::usleep(50000);
  }
}

}  // namespace husk::engine
