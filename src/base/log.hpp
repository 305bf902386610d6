// The runtime's log: runc's --log FILE / --log-format text|json / --debug.
// A value owned by main and passed down; no global logger.
#pragma once

#include <string>

#include "base/fd.hpp"

namespace husk {

enum class LogLevel { debug, info, warning, error };
enum class LogFormat { text, json };

class Logger {
 public:
  Logger() = default;
  // FILE empty: log to stderr only at warning level and above.
  static Result<Logger> open(const std::string& file, LogFormat format, bool debug);

  void log(LogLevel level, const std::string& msg) const;
  void debug(const std::string& msg) const {
    if (debug_) log(LogLevel::debug, msg);
  }
  void info(const std::string& msg) const { log(LogLevel::info, msg); }
  void warn(const std::string& msg) const { log(LogLevel::warning, msg); }
  void error(const std::string& msg) const { log(LogLevel::error, msg); }
  bool debug_enabled() const { return debug_; }
  // The log's descriptor, for a child that must log after fork (-1: stderr).
  int fd() const { return file_.get(); }
  LogFormat format() const { return format_; }

 private:
  UniqueFd file_;
  LogFormat format_ = LogFormat::text;
  bool debug_ = false;
};

// One formatted log line (no trailing newline), exposed for tests.
std::string format_log_line(LogFormat format, LogLevel level, const std::string& msg,
                            const std::string& time);

}  // namespace husk
