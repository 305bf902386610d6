// base/log: the two line formats runc's callers parse (containerd reads the
// json one back), and the Logger writing them to a file.
#include "base/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.hpp"
#include "test_helpers.hpp"

namespace husk {
namespace {

using nlohmann::json;
using testing::TempDir;

constexpr const char* kTime = "2024-05-06T07:08:09.123456789Z";

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> out;
  for (auto& [k, v] : j.items()) out.insert(k);
  return out;
}

TEST(LogJson, OneObjectWithExactlyLevelMsgTime) {
  std::string line = format_log_line(LogFormat::json, LogLevel::error, "boom", kTime);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line, no trailing newline";
  json j = json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"level", "msg", "time"}));
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "boom");
  EXPECT_EQ(j["time"], kTime);
}

TEST(LogJson, LevelNames) {
  auto level = [](LogLevel l) {
    return json::parse(format_log_line(LogFormat::json, l, "m", kTime))["level"].get<std::string>();
  };
  EXPECT_EQ(level(LogLevel::debug), "debug");
  EXPECT_EQ(level(LogLevel::info), "info");
  EXPECT_EQ(level(LogLevel::warning), "warning");
  EXPECT_EQ(level(LogLevel::error), "error");
}

TEST(LogJson, EscapesQuotesNewlinesAndControlCharacters) {
  const std::string msg = "say \"hi\"\nback\\slash\ttab\x01";
  std::string line = format_log_line(LogFormat::json, LogLevel::info, msg, kTime);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  json j = json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  EXPECT_EQ(j["msg"], msg);
}

TEST(LogJson, InvalidUtf8StillGivesValidJson) {
  std::string line = format_log_line(LogFormat::json, LogLevel::warning, "bad \xff\xfe byte", kTime);
  json j = json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  EXPECT_EQ(j["msg"], "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");  // U+FFFD for each bad byte
}

TEST(LogText, LogrusLayout) {
  EXPECT_EQ(format_log_line(LogFormat::text, LogLevel::error, "container not running", kTime),
            std::string("time=\"") + kTime + "\" level=error msg=\"container not running\"");
  EXPECT_EQ(format_log_line(LogFormat::text, LogLevel::warning, "w", kTime),
            std::string("time=\"") + kTime + "\" level=warning msg=\"w\"");
}

TEST(LogText, EscapesQuotesBackslashesAndNewlines) {
  std::string line = format_log_line(LogFormat::text, LogLevel::info, "a \"q\" b\\c\nnext", kTime);
  EXPECT_EQ(line, std::string("time=\"") + kTime + "\" level=info msg=\"a \\\"q\\\" b\\\\c\\nnext\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(Logger, FileGetsOneLinePerMessageAndDebugOnlyWhenAsked) {
  TempDir tmp;
  const std::string path = tmp / "log.json";
  {
    auto quiet = Logger::open(path, LogFormat::json, /*debug=*/false);
    ASSERT_TRUE(quiet.has_value()) << quiet.error().what();
    quiet->debug("hidden");
    quiet->info("first");
    quiet->error("second");
  }
  {
    auto verbose = Logger::open(path, LogFormat::json, /*debug=*/true);
    ASSERT_TRUE(verbose.has_value()) << verbose.error().what();
    EXPECT_TRUE(verbose->debug_enabled());
    EXPECT_GE(verbose->fd(), 0);
    verbose->debug("third");
  }
  auto lines = split(testing::get_file(path), '\n');
  ASSERT_EQ(lines.size(), 4u) << "three lines and the final newline";
  EXPECT_EQ(lines.back(), "");
  std::vector<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < 3; ++i) {
    json j = json::parse(lines[i], nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << lines[i];
    seen.emplace_back(j["level"], j["msg"]);
  }
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, std::string>>{
                      {"info", "first"}, {"error", "second"}, {"debug", "third"}}));
}

TEST(Logger, OpenFailureNamesTheLogFile) {
  auto r = Logger::open("/nonexistent-dir/husk.log", LogFormat::text, false);
  EXPECT_TRUE(testing::FailsWith(r, ENOENT, "open log file"));
}

}  // namespace
}  // namespace husk
