// The writing side of a container's json-file log, as docker's json-file
// log driver keeps it: one JSON object a line,
// {"log":"text\n","stream":"stdout","time":"...Z"}, so tools that read
// docker's logs read ours. husk-monitor (or a foreground husk) writes it;
// the reading side (`husk logs`) is engine/logs.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace husk::monitor {

// containers/ID/container-json.log.
std::string log_path(const std::string& container_dir);

// Nanoseconds since the epoch, UTC.
using LogTime = int64_t;
LogTime log_time_now();
// Go's RFC3339Nano (trailing zeros of the fraction dropped), as json-file writes it.
std::string format_rfc3339_nano(LogTime t);
// docker logs -t: always nine digits, so the columns line up.
std::string format_rfc3339_nano_fixed(LogTime t);

std::string encode_log_entry(std::string_view text, std::string_view stream, LogTime t);

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

}  // namespace husk::monitor
