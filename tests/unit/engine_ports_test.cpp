// engine/ports: docker's -p syntax, ranges, and its messages.
#include <gtest/gtest.h>

#include "engine/ports.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using B = std::vector<PortBinding>;

TEST(EnginePorts, DockersForms) {
  EXPECT_EQ(*parse_publish({"8080:80"}), (B{{"", 8080, 80, "tcp"}}));
  EXPECT_EQ(*parse_publish({"127.0.0.1:8080:80/udp"}), (B{{"127.0.0.1", 8080, 80, "udp"}}));
  EXPECT_EQ(*parse_publish({"127.0.0.1::80"}), (B{{"127.0.0.1", 0, 80, "tcp"}})) << "a free host port";
  EXPECT_EQ(*parse_publish({"80"}), (B{{"", 0, 80, "tcp"}}));
  EXPECT_EQ(*parse_publish({"0.0.0.0:53:53/UDP"}), (B{{"", 53, 53, "udp"}}));
  EXPECT_EQ(*parse_publish({"8000-8001:80-81"}), (B{{"", 8000, 80, "tcp"}, {"", 8001, 81, "tcp"}}));
  EXPECT_EQ(*parse_publish({"80-81"}), (B{{"", 0, 80, "tcp"}, {"", 0, 81, "tcp"}}));
}

TEST(EnginePorts, BadOnesAsDocker) {
  EXPECT_TRUE(FailsWith(parse_publish({"70000:80"}), EINVAL, "Invalid hostPort: 70000"));
  EXPECT_TRUE(FailsWith(parse_publish({"80:x"}), EINVAL, "Invalid containerPort: x"));
  EXPECT_TRUE(FailsWith(parse_publish({"80:0"}), EINVAL, "Invalid containerPort: 0"));
  EXPECT_TRUE(FailsWith(parse_publish({"localhost:80:80"}), EINVAL, "invalid IP address: localhost"));
  EXPECT_TRUE(FailsWith(parse_publish({"8080-8081:80-82"}), EINVAL, "Invalid ranges specified"));
  EXPECT_TRUE(FailsWith(parse_publish({"80/icmp"}), EINVAL, "Invalid proto: icmp"));
  EXPECT_TRUE(FailsWith(parse_publish({"8080:"}), EINVAL, "No port specified"));
  EXPECT_TRUE(FailsWith(parse_publish({"1:2:3:4"}), EINVAL, "invalid port format"));
  EXPECT_EQ(parse_publish({"x:80"}).error().kind(), ErrorKind::invalid_argument);
}

TEST(EnginePorts, ExposedAreTheImagesTheFlagsAndThePublishedOnes) {
  auto e = exposed_ports({"8080/tcp", "53/udp", "bogus"}, {"80", "90-91/udp"}, {"9000:443"});
  ASSERT_TRUE(e.has_value()) << e.error().what();
  EXPECT_EQ(*e, (std::vector<std::string>{"53/udp", "80/tcp", "90/udp", "91/udp", "443/tcp", "8080/tcp"}));
  EXPECT_TRUE(FailsWith(exposed_ports({}, {"x"}, {}), EINVAL, "invalid range format for --expose: x"));
  EXPECT_TRUE(FailsWith(exposed_ports({}, {"80/icmp"}, {}), EINVAL, "--expose"));
  // -P: each exposed port that -p does not bind, to a free host port.
  auto all = with_published_all({{"", 8000, 80, "tcp"}}, {"53/udp", "80/tcp", "443/tcp"});
  EXPECT_EQ(all, (B{{"", 8000, 80, "tcp"}, {"", 0, 53, "udp"}, {"", 0, 443, "tcp"}}));
}

}  // namespace
}  // namespace husk::engine
