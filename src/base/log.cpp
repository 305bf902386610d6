#include "base/log.hpp"

#include "base/time.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace husk {
namespace {

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

std::string quote_text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string format_log_line(LogFormat format, LogLevel level, const std::string& msg,
                            const std::string& time) {
  if (format == LogFormat::json) {
    nlohmann::ordered_json j;
    j["level"] = level_name(level);
    j["msg"] = msg;
    j["time"] = time;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return "time=\"" + time + "\" level=" + level_name(level) + " msg=" + quote_text(msg);
}

Result<Logger> Logger::open(const std::string& file, LogFormat format, bool debug) {
  Logger l;
  l.format_ = format;
  l.debug_ = debug;
  if (!file.empty() && file != "/dev/stderr") {
    l.file_ = HUSK_TRY_CTX(open_fd(file, O_WRONLY | O_CREAT | O_APPEND, 0644), "open log file");
  }
  return l;
}

void Logger::log(LogLevel level, const std::string& msg) const {
  if (level == LogLevel::debug && !debug_) return;
  if (file_.valid()) {
    std::string line = format_log_line(format_, level, msg, now_rfc3339()) + "\n";
    // One write per line: concurrent writers (shim, runtime) never interleave.
    (void)!::write(file_.get(), line.data(), line.size());
    return;
  }
  if (level == LogLevel::debug || level == LogLevel::info) {
    if (!debug_) return;
  }
  std::string line = format_log_line(format_, level, msg, now_rfc3339()) + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace husk
