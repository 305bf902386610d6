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

#include "base/fd.hpp"

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

// json-file's rotation (--log-opt max-size, max-file): once the log at
// PATH holds MAX_SIZE bytes it becomes PATH.1 (PATH.1 becomes PATH.2, ...,
// the oldest past MAX_FILES - 1 goes) and a new PATH is begun; with one
// file, the log begins again empty.
struct LogRotation {
  std::string path;       // empty: never rotated
  int64_t max_size = -1;  // -1: unlimited
  int max_files = 1;
};

// The rotated files of the log at PATH that exist, oldest first (PATH itself not among them).
std::vector<std::string> rotated_logs(const std::string& path);

// Cuts what a stream writes into docker's entries: a line each, a line
// longer than 16 KiB in 16 KiB pieces, and what is left at the end as one
// entry without a newline.
class LogWriter {
 public:
  explicit LogWriter(int fd, LogRotation rotation = {});
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;
  ~LogWriter() { flush(); }
  // STREAM: 0 stdout, 1 stderr.
  void write(int stream, std::string_view data);
  void flush();

 private:
  void emit(int stream, std::string_view text);
  void rotate();
  int fd_;
  UniqueFd rotated_in_;  // the log begun by the last rotation (fd_ is then its number)
  LogRotation rotation_;
  int64_t size_ = 0;
  std::string pending_[2];
};

// The cutting alone: each entry of DATA after what was PENDING, the rest
// kept in PENDING.
std::vector<std::string> cut_log_lines(std::string& pending, std::string_view data);

}  // namespace husk::monitor
