// linux/idmap: the uid_map/gid_map text, id lookups through a map, and the
// checks that refuse what the kernel would refuse with a bare EINVAL.
#include "linux/idmap.hpp"

#include <gtest/gtest.h>

#include "test_helpers.hpp"

namespace husk::linux {
namespace {

using spec::IdMapping;
using Maps = std::vector<IdMapping>;

TEST(FormatIdMap, OneLinePerRange) {
  EXPECT_EQ(format_id_map({{0, 100000, 65536}}), "0 100000 65536\n");
  EXPECT_EQ(format_id_map({{0, 1000, 1}, {1, 100000, 65535}}), "0 1000 1\n1 100000 65535\n");
}

TEST(FormatIdMap, EmptyMapIsEmptyText) { EXPECT_EQ(format_id_map({}), ""); }

TEST(FormatIdMap, FullWidthNumbers) {
  EXPECT_EQ(format_id_map({{4294967295u, 4294967295u, 1}}), "4294967295 4294967295 1\n");
}

TEST(HostId, InsideARange) {
  const Maps maps = {{0, 100000, 1000}, {1000, 5000, 10}};
  EXPECT_EQ(host_id(maps, 0), 100000u);
  EXPECT_EQ(host_id(maps, 999), 100999u);
  EXPECT_EQ(host_id(maps, 1000), 5000u);
  EXPECT_EQ(host_id(maps, 1009), 5009u);
}

TEST(HostId, OutsideEveryRange) {
  const Maps maps = {{10, 100000, 5}};
  EXPECT_EQ(host_id(maps, 9), std::nullopt);
  EXPECT_EQ(host_id(maps, 15), std::nullopt) << "the range is [10, 15)";
  EXPECT_EQ(host_id({}, 0), std::nullopt);
}

TEST(HostId, RangeAtTheTopOfTheIdSpace) {
  const Maps maps = {{4294967290u, 0, 6}};
  EXPECT_EQ(host_id(maps, 4294967295u), 5u);
  EXPECT_EQ(host_id(maps, 4294967289u), std::nullopt);
}

TEST(CheckIdMap, DisjointRangesPass) {
  EXPECT_TRUE(check_id_map({}, "uidMappings").has_value());
  EXPECT_TRUE(check_id_map({{0, 1000, 1}, {1, 100000, 65536}}, "uidMappings").has_value());
  // Touching but not overlapping, on both sides.
  EXPECT_TRUE(check_id_map({{0, 1000, 10}, {10, 1010, 10}}, "uidMappings").has_value());
}

TEST(CheckIdMap, ContainerSideOverlap) {
  auto r = check_id_map({{0, 1000, 10}, {5, 5000, 10}}, "uidMappings");
  EXPECT_TRUE(testing::FailsWith(r, EINVAL, "uidMappings: ranges 0 and 1 overlap"));
}

TEST(CheckIdMap, HostSideOverlap) {
  auto r = check_id_map({{0, 1000, 10}, {100, 1009, 10}}, "gidMappings");
  EXPECT_TRUE(testing::FailsWith(r, EINVAL, "gidMappings: ranges 0 and 1 overlap"));
}

TEST(CheckIdMap, OverlapNamesTheRightPair) {
  auto r = check_id_map({{0, 1000, 10}, {10, 2000, 10}, {20, 2005, 1}}, "uidMappings");
  EXPECT_TRUE(testing::FailsWith(r, EINVAL, "ranges 1 and 2 overlap"));
}

TEST(CheckIdMap, IdenticalRangesOverlap) {
  EXPECT_TRUE(
      testing::FailsWith(check_id_map({{0, 1000, 1}, {0, 1000, 1}}, "uidMappings"), EINVAL, "overlap"));
}

TEST(CheckIdMap, RangeOverflowingThirtyTwoBits) {
  EXPECT_TRUE(testing::FailsWith(check_id_map({{4294967295u, 0, 2}}, "uidMappings"), EINVAL,
                                 "uidMappings: range 0 overflows 32 bits"));
  EXPECT_TRUE(testing::FailsWith(check_id_map({{0, 4294967000u, 1000}}, "gidMappings"), EINVAL,
                                 "gidMappings: range 0 overflows 32 bits"));
  // Exactly reaching 2^32 is fine.
  EXPECT_TRUE(check_id_map({{4294967295u, 4294967295u, 1}}, "uidMappings").has_value());
}

TEST(CheckIdMap, KernelLimitOf340Ranges) {
  Maps maps;
  for (uint32_t i = 0; i < 340; ++i) maps.push_back({i, 100000 + i, 1});
  EXPECT_TRUE(check_id_map(maps, "uidMappings").has_value());
  maps.push_back({340, 100340, 1});
  EXPECT_TRUE(testing::FailsWith(check_id_map(maps, "uidMappings"), EINVAL, "more than 340 ranges"));
}

}  // namespace
}  // namespace husk::linux
