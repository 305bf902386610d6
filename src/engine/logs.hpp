// A container's output as docker's json-file log driver keeps it: one JSON
// object a line, {"log":"text\n","stream":"stdout","time":"...Z"}, so tools
// that read docker's logs read ours. The monitor (or a foreground husk)
// writes it; `husk logs` reads, filters and follows it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace husk::engine {

// containers/ID/container-json.log.
std::string log_path(const std::string& container_dir);

// Nanoseconds since the epoch, UTC.
using LogTime = int64_t;
LogTime log_time_now();
// Go's RFC3339Nano (trailing zeros of the fraction dropped), as json-file writes it.
std::string format_rfc3339_nano(LogTime t);
// docker logs -t: always nine digits, so the columns line up.
std::string format_rfc3339_nano_fixed(LogTime t);

struct LogEntry {
  std::string log;     // the text, with its newline when the line was whole
  std::string stream;  // "stdout" or "stderr"
  LogTime time = 0;
};

std::string encode_log_entry(std::string_view text, std::string_view stream, LogTime t);
Result<LogEntry> parse_log_entry(std::string_view line);

// --since/--until: a Unix time (seconds, maybe with a fraction), an RFC 3339
// date or date-time (local time when it has no zone), or a Go duration
// before NOW ("10m", "1h30m", "2.5s").
Result<LogTime> parse_log_time_arg(std::string_view s, LogTime now);

// Cuts what a stream writes into docker's entries: a line each, a line
// longer than 16 KiB in 16 KiB pieces, and what is left at the end as one
// entry without a newline.
class LogWriter {
 public:
  explicit LogWriter(int fd) : fd_(fd) {}
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  ~LogWriter() { flush(); }
  // STREAM: 0 stdout, 1 stderr.
  void write(int stream, std::string_view data);
  void flush();

 private:
  void emit(int stream, std::string_view text);
  int fd_;
  std::string pending_[2];
};

// The cutting alone: each entry of DATA after what was PENDING, the rest
// kept in PENDING.
std::vector<std::string> cut_log_lines(std::string& pending, std::string_view data);

struct LogsOptions {
  bool follow = false;
  std::optional<size_t> tail;  // the last N entries only
  bool timestamps = false;
  std::optional<LogTime> since, until;
};

// `husk logs`: the entries of the log at PATH, stdout's to OUT and stderr's to
// ERR. With follow, new ones as they come while RUNNING() says the
// container runs, then the rest.
Result<void> print_logs(const std::string& path, const LogsOptions& o, const std::function<bool()>& running,
                        int out, int err);

}  // namespace husk::engine
