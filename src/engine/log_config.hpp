// docker's --log-driver and --log-opt: where a container's output goes.
// husk has docker's default driver, json-file (the log its monitor writes:
// monitor/log_writer.hpp), with its rotation options, and none (no log,
// and so nothing for `husk logs`). Options are checked at create, in
// docker's words.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk::engine {

struct LogConfig {
  std::string driver = "json-file";
  std::map<std::string, std::string> options;  // --log-opt, as given
  int64_t max_size = -1;                       // json-file's max-size in bytes; -1: unlimited
  int max_files = 1;                           // max-file: the log and its rotated files

  bool keeps_log() const { return driver == "json-file"; }
};

// DRIVER (empty: json-file) and the --log-opt KEY=VALUE list.
Result<LogConfig> parse_log_config(const std::string& driver, const std::vector<std::string>& options);

// docker's units.FromHumanSize: "10m", "1.5k", "20MB", decimal (k = 1000).
Result<int64_t> parse_human_size(const std::string& text);

}  // namespace husk::engine
