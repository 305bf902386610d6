#include "engine/log_config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace husk::engine {

namespace {

Error invalid(const std::string& message) { return Error(EINVAL, message, false, ErrorKind::invalid_argument); }

// strconv.Atoi's and strconv.ParseBool's errors, as docker shows them.
Result<int> go_atoi(const std::string& s) {
  char* end = nullptr;
  errno = 0;
  long v = s.empty() ? 0 : std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno == ERANGE || v > INT32_MAX || v < INT32_MIN)
    return fail(invalid("strconv.Atoi: parsing \"" + s + "\": invalid syntax"));
  return static_cast<int>(v);
}

Result<bool> go_parse_bool(const std::string& s) {
  for (const char* t : {"1", "t", "T", "true", "TRUE", "True"})
    if (s == t) return true;
  for (const char* f : {"0", "f", "F", "false", "FALSE", "False"})
    if (s == f) return false;
  return fail(invalid("strconv.ParseBool: parsing \"" + s + "\": invalid syntax"));
}

}  // namespace

Result<int64_t> parse_human_size(const std::string& text) {
  // ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    return i > from;
  };
  auto bad = [&] { return fail(invalid("invalid size: '" + text + "'")); };
  if (!digits()) return bad();
  while (i < text.size() && text[i] == '.') {
    ++i;
    if (!digits()) return bad();
  }
  std::string number = text.substr(0, i);
  if (i < text.size() && text[i] == ' ') ++i;
  double unit = 1;
  if (i < text.size()) {
    static const std::string kUnits = "kmgtp";
    auto at = kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
    if (at != std::string::npos) {
      unit = std::pow(1000.0, static_cast<double>(at + 1));
      ++i;
    }
  }
  if (i < text.size() && (text[i] == 'i' || text[i] == 'I')) ++i;
  if (i < text.size() && (text[i] == 'b' || text[i] == 'B')) ++i;
  if (i != text.size()) return bad();
  return static_cast<int64_t>(std::strtod(number.c_str(), nullptr) * unit);
}

Result<LogConfig> parse_log_config(const std::string& driver, const std::vector<std::string>& options) {
  LogConfig c;
  if (!driver.empty()) c.driver = driver;
  for (auto& o : options) {
    auto eq = o.find('=');
    if (eq == std::string::npos) return fail(invalid("invalid log opt format \"" + o + "\" (KEY=VALUE)"));
    c.options[o.substr(0, eq)] = o.substr(eq + 1);
  }
  if (c.driver == "none") {
    if (!c.options.empty())
      return fail(invalid("unknown log opt '" + c.options.begin()->first + "' for none log driver"));
    return c;
  }
  static const std::vector<std::string> kDockersOthers{"local",  "syslog",  "journald", "gelf",
                                                       "fluentd", "awslogs", "splunk",   "etwlogs",
                                                       "gcplogs", "logentries"};
  if (std::find(kDockersOthers.begin(), kDockersOthers.end(), c.driver) != kDockersOthers.end())
    return fail(Error(ENOTSUP, "log driver \"" + c.driver + "\" is not supported by husk (json-file and none are)",
                      false, ErrorKind::invalid_argument));
  if (c.driver != "json-file")
    return fail(invalid("logger: no log driver named '" + c.driver + "' is registered"));
  static const std::vector<std::string> kKeys{"max-file", "max-size", "compress", "labels",
                                              "labels-regex", "env", "env-regex", "tag"};
  for (auto& [k, v] : c.options)
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end())
      return fail(invalid("unknown log opt '" + k + "' for json-file log driver"));
  if (auto it = c.options.find("max-size"); it != c.options.end()) {
    c.max_size = HUSK_TRY(parse_human_size(it->second));
    if (c.max_size <= 0) return fail(invalid("max-size must be a positive number"));
  }
  if (auto it = c.options.find("max-file"); it != c.options.end()) {
    c.max_files = HUSK_TRY(go_atoi(it->second));
    if (c.max_files < 1) return fail(invalid("max-file cannot be less than 1"));
  }
  if (auto it = c.options.find("compress"); it != c.options.end()) {
    bool compress = HUSK_TRY(go_parse_bool(it->second));
    if (compress && (c.max_files == 1 || c.max_size == -1))
      return fail(invalid("compress cannot be true when max-file is less than 2 or max-size is not set"));
    if (compress)
      return fail(Error(ENOTSUP, "compress=true is not supported by husk: its rotated logs stay plain", false,
                        ErrorKind::invalid_argument));
  }
  return c;
}

}  // namespace husk::engine
