// base/strings: the splitting, parsing and path helpers everything else leans on.
#include "base/strings.hpp"

#include <gtest/gtest.h>

#include <climits>

namespace husk {
namespace {

using Strings = std::vector<std::string>;

TEST(Split, KeepsEmptyFields) {
  EXPECT_EQ(split("a,b,,c", ','), (Strings{"a", "b", "", "c"}));
  EXPECT_EQ(split(",a,", ','), (Strings{"", "a", ""}));
}

TEST(Split, EmptyInputIsOneEmptyField) { EXPECT_EQ(split("", ','), (Strings{""})); }

TEST(Split, NoSeparatorIsWholeString) { EXPECT_EQ(split("abc", ':'), (Strings{"abc"})); }

TEST(Join, InvertsSplit) {
  EXPECT_EQ(join({"a", "", "b"}, ","), "a,,b");
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(join({"only"}, ", "), "only");
  EXPECT_EQ(join(split("x:y:z", ':'), ":"), "x:y:z");
}

TEST(StartsWith, Prefixes) {
  EXPECT_TRUE(starts_with("/sys/fs/cgroup", "/sys"));
  EXPECT_TRUE(starts_with("abc", ""));
  EXPECT_FALSE(starts_with("ab", "abc"));
}

TEST(ToUpper, AsciiOnly) { EXPECT_EQ(to_upper("sigKill-9"), "SIGKILL-9"); }

TEST(Trim, StripsSpaceTabsAndNewlines) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim("\n0-1\n"), "0-1");
  EXPECT_EQ(trim("x"), "x");
}

TEST(Trim, AllWhitespaceBecomesEmpty) {
  EXPECT_EQ(trim(" \t\n "), "");
  EXPECT_EQ(trim(""), "");
}

TEST(ParseU64, WholeStringOnly) {
  EXPECT_EQ(parse_u64("0"), 0ULL);
  EXPECT_EQ(parse_u64("42"), 42ULL);
  EXPECT_EQ(parse_u64("007"), 7ULL);
  EXPECT_EQ(parse_u64(""), std::nullopt);
  EXPECT_EQ(parse_u64(" 1"), std::nullopt);
  EXPECT_EQ(parse_u64("1 "), std::nullopt);
  EXPECT_EQ(parse_u64("12a"), std::nullopt);
  EXPECT_EQ(parse_u64("0x10"), std::nullopt);
  EXPECT_EQ(parse_u64("1.5"), std::nullopt);
}

TEST(ParseU64, RejectsSigns) {
  EXPECT_EQ(parse_u64("-1"), std::nullopt);
  EXPECT_EQ(parse_u64("+1"), std::nullopt);
}

TEST(ParseU64, Limits) {
  EXPECT_EQ(parse_u64("18446744073709551615"), ULLONG_MAX);
  EXPECT_EQ(parse_u64("18446744073709551616"), std::nullopt);
}

TEST(ParseI64, NegativeAndLimits) {
  EXPECT_EQ(parse_i64("-5"), -5LL);
  EXPECT_EQ(parse_i64("-0"), 0LL);
  EXPECT_EQ(parse_i64("9223372036854775807"), LLONG_MAX);
  EXPECT_EQ(parse_i64("-9223372036854775808"), LLONG_MIN);
  EXPECT_EQ(parse_i64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_i64("-9223372036854775809"), std::nullopt);
}

TEST(ParseI64, Junk) {
  EXPECT_EQ(parse_i64(""), std::nullopt);
  EXPECT_EQ(parse_i64("-"), std::nullopt);
  EXPECT_EQ(parse_i64("+3"), std::nullopt);
  EXPECT_EQ(parse_i64("3\n"), std::nullopt);
}

TEST(CleanPath, CollapsesDotsAndSlashes) {
  EXPECT_EQ(clean_path("/a//b/../c/."), "/a/c");
  EXPECT_EQ(clean_path("/a/b/"), "/a/b");
  EXPECT_EQ(clean_path("/./a/./b/."), "/a/b");
}

TEST(CleanPath, NeverClimbsAboveRoot) {
  EXPECT_EQ(clean_path("../../x"), "/x");
  EXPECT_EQ(clean_path("/.."), "/");
  EXPECT_EQ(clean_path("/a/../../../b"), "/b");
}

TEST(CleanPath, RelativeAndEmptyBecomeAbsolute) {
  EXPECT_EQ(clean_path("a/b"), "/a/b");
  EXPECT_EQ(clean_path(""), "/");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("//"), "/");
}

TEST(PathJoin, StaysUnderRoot) {
  EXPECT_EQ(path_join("/r", "/a/../../b"), "/r/b");
  EXPECT_EQ(path_join("/r", "../../../etc/passwd"), "/r/etc/passwd");
  EXPECT_EQ(path_join("/r", "/a/b"), "/r/a/b");
}

TEST(PathJoin, TrailingSlashesAndEmptyParts) {
  EXPECT_EQ(path_join("/r/", "x"), "/r/x");
  EXPECT_EQ(path_join("/r//", "/x/"), "/r/x");
  EXPECT_EQ(path_join("/r", "/"), "/r");
  EXPECT_EQ(path_join("/r", ""), "/r");
  EXPECT_EQ(path_join("/r", ".."), "/r");
}

TEST(PathJoin, SlashRoot) {
  EXPECT_EQ(path_join("/", "/a/b"), "/a/b");
  EXPECT_EQ(path_join("/", "/"), "/");
}

}  // namespace
}  // namespace husk
