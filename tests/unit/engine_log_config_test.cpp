// engine/log_config: docker's --log-driver and --log-opt, checked as its
// json-file driver checks them, and docker's human sizes (decimal units).
#include <gtest/gtest.h>

#include "engine/log_config.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;

TEST(EngineLogConfig, HumanSizesAreDockersDecimalOnes) {
  EXPECT_EQ(*parse_human_size("10"), 10);
  EXPECT_EQ(*parse_human_size("1k"), 1000);
  EXPECT_EQ(*parse_human_size("10m"), 10000000);
  EXPECT_EQ(*parse_human_size("1.5K"), 1500);
  EXPECT_EQ(*parse_human_size("2 MB"), 2000000);
  EXPECT_EQ(*parse_human_size("1g"), 1000000000);
  EXPECT_EQ(*parse_human_size("3kib"), 3000);
  EXPECT_TRUE(FailsWith(parse_human_size("ten"), EINVAL, "invalid size: 'ten'"));
  EXPECT_TRUE(FailsWith(parse_human_size("10x"), EINVAL, "invalid size: '10x'"));
  EXPECT_TRUE(FailsWith(parse_human_size(""), EINVAL, "invalid size"));
}

TEST(EngineLogConfig, JsonFileOptionsAsDockerChecksThem) {
  auto c = parse_log_config("", {"max-size=1k", "max-file=3"});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->driver, "json-file");
  EXPECT_TRUE(c->keeps_log());
  EXPECT_EQ(c->max_size, 1000);
  EXPECT_EQ(c->max_files, 3);
  auto plain = parse_log_config("json-file", {});
  EXPECT_EQ(plain->max_size, -1) << "unlimited by default";
  EXPECT_EQ(plain->max_files, 1);
  EXPECT_FALSE(parse_log_config("none", {})->keeps_log());
  EXPECT_TRUE(FailsWith(parse_log_config("", {"colour=red"}), EINVAL,
                        "unknown log opt 'colour' for json-file log driver"));
  EXPECT_TRUE(FailsWith(parse_log_config("", {"max-size=0"}), EINVAL, "max-size must be a positive number"));
  EXPECT_TRUE(FailsWith(parse_log_config("", {"max-file=0"}), EINVAL, "max-file cannot be less than 1"));
  EXPECT_TRUE(FailsWith(parse_log_config("", {"max-file=x"}), EINVAL, "strconv.Atoi: parsing \"x\""));
  EXPECT_TRUE(FailsWith(parse_log_config("", {"compress=true"}), EINVAL,
                        "compress cannot be true when max-file is less than 2"));
  EXPECT_TRUE(FailsWith(parse_log_config("", {"max-size=1m", "max-file=2", "compress=true"}), ENOTSUP,
                        "compress=true is not supported"));
  EXPECT_TRUE(parse_log_config("", {"max-size=1m", "max-file=2", "compress=false"}).has_value());
  EXPECT_TRUE(FailsWith(parse_log_config("none", {"max-size=1m"}), EINVAL,
                        "unknown log opt 'max-size' for none log driver"));
  EXPECT_TRUE(FailsWith(parse_log_config("bogus", {}), EINVAL, "no log driver named 'bogus' is registered"));
  EXPECT_TRUE(FailsWith(parse_log_config("syslog", {}), ENOTSUP, "not supported by husk"));
  EXPECT_TRUE(FailsWith(parse_log_config("", {"max-size"}), EINVAL, "invalid log opt format"));
}

}  // namespace
}  // namespace husk::engine
