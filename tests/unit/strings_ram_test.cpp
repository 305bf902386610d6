// base/strings parse_ram_bytes: Docker's memory sizes ("512", "100m",
// "1.5g", "64MiB", "2 GB") as `update --memory` and the engine's -m take them.
#include <gtest/gtest.h>

#include <climits>

#include "base/strings.hpp"

namespace husk {
namespace {

constexpr long long KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024, PiB = TiB * 1024;

TEST(ParseRamBytes, PlainNumbersAreBytes) {
  EXPECT_EQ(parse_ram_bytes("512"), 512);
  EXPECT_EQ(parse_ram_bytes("0"), 0);
  EXPECT_EQ(parse_ram_bytes("10b"), 10);
  EXPECT_EQ(parse_ram_bytes("10B"), 10);
}

TEST(ParseRamBytes, SuffixesAreBinaryMultiples) {
  EXPECT_EQ(parse_ram_bytes("1k"), 1024);
  EXPECT_EQ(parse_ram_bytes("100m"), 104857600);
  EXPECT_EQ(parse_ram_bytes("3g"), 3 * GiB);
  EXPECT_EQ(parse_ram_bytes("2t"), 2 * TiB);
  EXPECT_EQ(parse_ram_bytes("1p"), PiB);
}

TEST(ParseRamBytes, SuffixesAreCaseInsensitive) {
  EXPECT_EQ(parse_ram_bytes("1K"), KiB);
  EXPECT_EQ(parse_ram_bytes("100M"), 100 * MiB);
  EXPECT_EQ(parse_ram_bytes("64MiB"), 64 * MiB);
  EXPECT_EQ(parse_ram_bytes("64mib"), 64 * MiB);
  EXPECT_EQ(parse_ram_bytes("64mb"), 64 * MiB);
  EXPECT_EQ(parse_ram_bytes("1KiB"), KiB);
  EXPECT_EQ(parse_ram_bytes("1kB"), KiB);
}

TEST(ParseRamBytes, OneSpaceBeforeTheUnit) {
  EXPECT_EQ(parse_ram_bytes("2 GB"), 2 * GiB);
  EXPECT_EQ(parse_ram_bytes("2 g"), 2 * GiB);
  EXPECT_EQ(parse_ram_bytes("2  GB"), std::nullopt) << "one space, not two";
}

TEST(ParseRamBytes, Fractions) {
  EXPECT_EQ(parse_ram_bytes("1.5g"), 1610612736);
  EXPECT_EQ(parse_ram_bytes("0.5k"), 512);
  EXPECT_EQ(parse_ram_bytes("2.25m"), 2359296);
}

TEST(ParseRamBytes, JunkIsRefused) {
  for (const char* junk :
       {"",   " ",  "abc",  "k",     "m512", "1x",   "1kk", "1bb", "1mbb", "-1",     "+1",
        ".5", "5.", "1..5", "1.2.3", "1 2",  " 512", "1e3", "1E",  "0x10", "12 k b", "1gib2"})
    EXPECT_EQ(parse_ram_bytes(junk), std::nullopt) << '"' << junk << '"';
}

TEST(ParseRamBytes, OverflowIsRefused) {
  EXPECT_EQ(parse_ram_bytes("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_ram_bytes("9223372036854775808"), std::nullopt) << "LLONG_MAX + 1";
  EXPECT_EQ(parse_ram_bytes("8192p"), std::nullopt) << "2^63";
  EXPECT_EQ(parse_ram_bytes("100000000t"), std::nullopt);
  EXPECT_EQ(parse_ram_bytes("1" + std::string(5000, '0')), std::nullopt) << "beyond long double's range";
}

TEST(ParseRamBytes, LargeValuesThatFit) {
  EXPECT_EQ(parse_ram_bytes("8000p"), 8000 * PiB);
  EXPECT_EQ(parse_ram_bytes("9000000000000000000"), 9000000000000000000LL);
}

// The values between 9.2e18 and LLONG_MAX fit (an early version refused
// everything above 9.2e18 as overflow; fixed in 38f964e).
TEST(ParseRamBytes, EverythingUpToLlongMaxFits) {
  EXPECT_EQ(parse_ram_bytes("8191p"), 8191 * PiB);
  EXPECT_EQ(parse_ram_bytes("9223372036854775807"), LLONG_MAX);
}

}  // namespace
}  // namespace husk
