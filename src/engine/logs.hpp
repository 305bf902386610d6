// The reading side of a container's json-file log (monitor/log_writer.hpp
// writes it): `husk logs` reads, filters and follows it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "monitor/log_writer.hpp"

namespace husk::engine {

// The writing side's names the reading side shares: the log's path and
// its times.
using monitor::LogTime;
using monitor::format_rfc3339_nano;
using monitor::format_rfc3339_nano_fixed;
using monitor::log_path;
using monitor::log_time_now;

struct LogEntry {
  std::string log;     // the text, with its newline when the line was whole
  std::string stream;  // "stdout" or "stderr"
  LogTime time = 0;
};

Result<LogEntry> parse_log_entry(std::string_view line);

// --since/--until: a Unix time (seconds, maybe with a fraction), an RFC 3339
// date or date-time (local time when it has no zone), or a Go duration
// before NOW ("10m", "1h30m", "2.5s").
Result<LogTime> parse_log_time_arg(std::string_view s, LogTime now);

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
