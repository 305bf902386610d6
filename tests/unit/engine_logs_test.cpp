// monitor/log_writer, engine/logs and engine/attach: docker's json-file entries (encoding, line
// cutting, times), --since/--until, the log reader's --tail/-t/stream split,
// and the --detach-keys parser and matcher.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "engine/attach.hpp"
#include "base/strings.hpp"
#include "engine/logs.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using monitor::cut_log_lines;
using monitor::encode_log_entry;
using monitor::LogWriter;
using husk::testing::FailsWith;
using husk::testing::TempDir;

constexpr LogTime kT = 1700000000LL * 1000000000 + 123400000;  // 2023-11-14T22:13:20.1234Z

TEST(EngineLogs, EntriesAreDockersJsonFileLines) {
  std::string line = encode_log_entry("a \"q\" <b>&\\\t\x01\n", "stderr", kT);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line,
            "{\"log\":\"a \\\"q\\\" \\u003cb\\u003e\\u0026\\\\\\t\\u0001\\n\",\"stream\":\"stderr\","
            "\"time\":\"2023-11-14T22:13:20.1234Z\"}\n");
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["log"], "a \"q\" <b>&\\\t\x01\n");
  auto e = parse_log_entry(line.substr(0, line.size() - 1));
  ASSERT_TRUE(e.has_value()) << e.error().what();
  EXPECT_EQ(e->log, "a \"q\" <b>&\\\t\x01\n");
  EXPECT_EQ(e->stream, "stderr");
  EXPECT_EQ(e->time, kT);
  // Invalid UTF-8 becomes U+FFFD (as Go's encoder); valid multibyte text stays.
  EXPECT_NE(encode_log_entry("\xff" "é\n", "stdout", kT).find("\\ufffdé\\n"), std::string::npos);
  EXPECT_TRUE(FailsWith(parse_log_entry("not json"), EINVAL, "not a json-file log entry"));
}

TEST(EngineLogs, TimesAreRfc3339NanoTrimmedInTheFileAndFixedForTimestamps) {
  EXPECT_EQ(format_rfc3339_nano(kT), "2023-11-14T22:13:20.1234Z");
  EXPECT_EQ(format_rfc3339_nano_fixed(kT), "2023-11-14T22:13:20.123400000Z");
  EXPECT_EQ(format_rfc3339_nano(1700000000LL * 1000000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(*parse_log_time_arg("2023-11-14T22:13:20.1234Z", 0), kT);
  EXPECT_EQ(*parse_log_time_arg("2023-11-14T23:13:20.1234+01:00", 0), kT);
  EXPECT_EQ(*parse_log_time_arg("1700000000.1234", 0), kT);
  EXPECT_EQ(*parse_log_time_arg("1700000000", 0), 1700000000LL * 1000000000);
  EXPECT_EQ(*parse_log_time_arg("10m", kT), kT - 600LL * 1000000000);
  EXPECT_EQ(*parse_log_time_arg("1h30s", kT), kT - 3630LL * 1000000000);
  EXPECT_TRUE(FailsWith(parse_log_time_arg("yesterday", kT), EINVAL, "invalid time"));
  EXPECT_TRUE(FailsWith(parse_log_time_arg("10x", kT), EINVAL, "invalid time"));
}

TEST(EngineLogs, OutputIsCutIntoLinesAndLongLinesInto16KiBPieces) {
  std::string pending;
  auto lines = cut_log_lines(pending, "one\ntw");
  EXPECT_EQ(lines, std::vector<std::string>{"one\n"});
  EXPECT_EQ(pending, "tw");
  lines = cut_log_lines(pending, "o\nthree\n");
  EXPECT_EQ(lines, (std::vector<std::string>{"two\n", "three\n"}));
  EXPECT_EQ(pending, "");
  lines = cut_log_lines(pending, std::string(40000, 'x') + "\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].size(), 16384u);
  EXPECT_EQ(lines[1].size(), 16384u);
  EXPECT_EQ(lines[2], std::string(40000 - 2 * 16384, 'x') + "\n");
}

// print_logs into two files: what went to "stdout" and to "stderr".
std::pair<std::string, std::string> printed(const std::string& log, const LogsOptions& o) {
  TempDir tmp;
  auto out = open_fd(tmp / "out", O_RDWR | O_CREAT, 0600);
  auto err = open_fd(tmp / "err", O_RDWR | O_CREAT, 0600);
  auto r = print_logs(log, o, [] { return false; }, out->get(), err->get());
  EXPECT_TRUE(r.has_value()) << r.error().what();
  return {*read_file(tmp / "out"), *read_file(tmp / "err")};
}

TEST(EngineLogs, TheReaderSplitsStreamsAndHonoursTailTimestampsSinceAndUntil) {
  TempDir tmp;
  std::string path = tmp / "log";
  {
    auto fd = open_fd(path, O_WRONLY | O_CREAT, 0600);
    LogWriter w(fd->get());
    w.write(0, "o1\no2\n");
    w.write(1, "e1\n");
    w.write(0, "o3 no newline");
  }  // the writer's end flushes the partial line
  auto [out, err] = printed(path, {});
  EXPECT_EQ(out, "o1\no2\no3 no newline");
  EXPECT_EQ(err, "e1\n");
  LogsOptions tail;
  tail.tail = 2;
  std::tie(out, err) = printed(path, tail);
  EXPECT_EQ(out, "o3 no newline");
  EXPECT_EQ(err, "e1\n");
  tail.tail = 0;
  std::tie(out, err) = printed(path, tail);
  EXPECT_EQ(out + err, "");
  // Times: rewrite the file with known ones.
  std::string text = encode_log_entry("old\n", "stdout", kT) + encode_log_entry("new\n", "stdout", kT + 2000000000);
  ASSERT_TRUE(write_file_atomic(path, text).has_value());
  LogsOptions ts;
  ts.timestamps = true;
  std::tie(out, err) = printed(path, ts);
  EXPECT_EQ(out, "2023-11-14T22:13:20.123400000Z old\n2023-11-14T22:13:22.123400000Z new\n");
  LogsOptions since;
  since.since = kT + 1000000000;
  EXPECT_EQ(printed(path, since).first, "new\n");
  LogsOptions until;
  until.until = kT + 1000000000;
  EXPECT_EQ(printed(path, until).first, "old\n");
}

// json-file's rotation: full, the log becomes .1 (.1 becomes .2, the
// oldest past max-file goes); no file passes max-size; the reader reads
// the rotated files first, so what is kept comes out whole and in order.
TEST(EngineLogs, RotationKeepsMaxFilesUnderMaxSizeAndTheReaderReadsThemInOrder) {
  TempDir tmp;
  std::string path = tmp / "log";
  {
    auto fd = open_fd(path, O_WRONLY | O_CREAT | O_APPEND, 0640);
    LogWriter w(fd->get(), monitor::LogRotation{path, 400, 3});
    for (int i = 0; i < 100; ++i) w.write(0, "line-" + std::to_string(i) + "\n");
  }
  EXPECT_TRUE(path_exists(path + ".1"));
  EXPECT_TRUE(path_exists(path + ".2"));
  EXPECT_FALSE(path_exists(path + ".3"));
  for (auto p : {path, path + ".1", path + ".2"}) EXPECT_LE(read_file(p)->size(), 400u) << p;
  EXPECT_EQ(monitor::rotated_logs(path), (std::vector<std::string>{path + ".2", path + ".1"}));
  auto out = printed(path, {}).first;
  auto lines = split(out, '\n');
  ASSERT_GT(lines.size(), 3u);
  EXPECT_EQ(out.substr(out.size() - 8), "line-99\n");
  int first = std::stoi(lines[0].substr(5));
  EXPECT_GT(first, 0) << "the oldest were dropped";
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i], "line-" + std::to_string(first + static_cast<int>(i)));
  // One file: it begins again.
  std::string one = tmp / "one";
  {
    auto fd = open_fd(one, O_WRONLY | O_CREAT | O_APPEND, 0640);
    LogWriter w(fd->get(), monitor::LogRotation{one, 400, 1});
    for (int i = 0; i < 100; ++i) w.write(0, "line-" + std::to_string(i) + "\n");
  }
  EXPECT_FALSE(path_exists(one + ".1"));
  EXPECT_LE(read_file(one)->size(), 400u);
  EXPECT_NE(read_file(one)->find("line-99"), std::string::npos);
}

// A record of the wrong shape (another writer's, or two cut lines joined by
// a crash) is skipped as docker skips it, never thrown out of the reader.
TEST(EngineLogs, AMalformedRecordIsAnErrorNotAThrow) {
  EXPECT_TRUE(FailsWith(parse_log_entry(R"({"log":"x\n","stream":7,"time":"2023-11-14T22:13:20Z"})"), EINVAL,
                        "not a json-file log entry"));
  EXPECT_TRUE(FailsWith(parse_log_entry(R"({"log":"x\n","stream":"stdout","time":[1]})"), EINVAL,
                        "not a json-file log entry"));
  EXPECT_TRUE(FailsWith(parse_log_entry(R"({"log":1})"), EINVAL, "not a json-file log entry"));
  EXPECT_TRUE(FailsWith(parse_log_entry(R"(["log"])"), EINVAL, "not a json-file log entry"));
  TempDir tmp;
  std::string path = tmp / "log";
  std::string text = encode_log_entry("before\n", "stdout", kT) +
                     R"({"log":"bad\n","stream":{"a":1},"time":false})" "\n" +
                     encode_log_entry("after\n", "stdout", kT);
  ASSERT_TRUE(write_file_atomic(path, text).has_value());
  EXPECT_EQ(printed(path, {}).first, "before\nafter\n");
}

TEST(EngineDetachKeys, DockersFormat) {
  EXPECT_EQ(*parse_detach_keys(""), std::string("\x10\x11"));
  EXPECT_EQ(*parse_detach_keys("ctrl-p,ctrl-q"), std::string("\x10\x11"));
  EXPECT_EQ(*parse_detach_keys("ctrl-x,y"), std::string("\x18y"));
  EXPECT_EQ(*parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"), std::string("\x00\x1b\x1c\x1d\x1e\x1f", 6));
  EXPECT_EQ(*parse_detach_keys("a"), "a");
  EXPECT_TRUE(FailsWith(parse_detach_keys("ctrl-1"), EINVAL, "invalid detach keys"));
  EXPECT_TRUE(FailsWith(parse_detach_keys("ctrl-"), EINVAL, "invalid detach keys"));
  EXPECT_TRUE(FailsWith(parse_detach_keys("ab"), EINVAL, "invalid detach keys"));
  EXPECT_TRUE(FailsWith(parse_detach_keys("ctrl-p,,ctrl-q"), EINVAL, "invalid detach keys"));
}

TEST(EngineDetachKeys, TheMatcherHoldsBackAPartialMatchAndPassesItOnWhenItIsNone) {
  DetachMatcher m("\x10\x11");
  bool detached = false;
  EXPECT_EQ(m.feed("ab\x10", detached), "ab");
  EXPECT_FALSE(detached);
  EXPECT_EQ(m.feed("c", detached), "\x10" "c");  // ctrl-p then c: both go on
  EXPECT_FALSE(detached);
  EXPECT_EQ(m.feed("\x10\x10", detached), "\x10");  // the second may still start the keys
  EXPECT_EQ(m.feed("\x11tail", detached), "");
  EXPECT_TRUE(detached);
  DetachMatcher one("q");
  EXPECT_EQ(one.feed("abqz", detached), "ab");
  EXPECT_TRUE(detached);
}

}  // namespace
}  // namespace husk::engine
