// engine/etc_files: a container's /etc/hosts and /etc/resolv.conf as
// docker writes them, --add-host's and --dns*'s parsing and messages.
#include <gtest/gtest.h>

#include "engine/etc_files.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(EngineEtcFiles, AddHostsAsDocker) {
  auto gw = []() -> Result<net::Ipv4> { return *net::parse_ipv4("10.87.0.1"); };
  auto h = parse_add_hosts({"db:10.1.2.3", "cache=10.1.2.4", "v6:fd00::1", "gw:host-gateway"}, gw);
  ASSERT_TRUE(h.has_value()) << h.error().what();
  EXPECT_EQ(*h, (Pairs{{"10.1.2.3", "db"}, {"10.1.2.4", "cache"}, {"fd00::1", "v6"}, {"10.87.0.1", "gw"}}));
  EXPECT_TRUE(FailsWith(parse_add_hosts({"db"}, gw), EINVAL, "bad format for add-host: \"db\""));
  EXPECT_TRUE(FailsWith(parse_add_hosts({":1.2.3.4"}, gw), EINVAL, "bad format for add-host"));
  EXPECT_TRUE(FailsWith(parse_add_hosts({"db:"}, gw), EINVAL, "bad format for add-host"));
  EXPECT_TRUE(
      FailsWith(parse_add_hosts({"db:nothere"}, gw), EINVAL, "invalid IP address in add-host: \"nothere\""));
  EXPECT_EQ(parse_add_hosts({"db"}, gw).error().kind(), ErrorKind::invalid_argument);
}

TEST(EngineEtcFiles, HostsNamesLocalhostTheExtraHostsThenTheContainer) {
  EXPECT_EQ(hosts_text("web", *net::parse_ipv4("10.87.0.2"), {{"10.1.2.3", "db"}}),
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n"
            "10.1.2.3\tdb\n"
            "10.87.0.2\tweb\n");
  EXPECT_EQ(hosts_text("web", std::nullopt, {}).find("web"), std::string::npos) << "no address, no line";
}

TEST(EngineEtcFiles, ResolvConfIsTheHostsWithoutLoopbackServersUnderTheFlags) {
  std::string host =
      "# generated\n"
      "nameserver 127.0.0.53\n"
      "nameserver 192.0.2.53\n"
      "nameserver ::1\n"
      "search corp.example\n"
      "options edns0 trust-ad\n"
      "sortlist 130.155.160.0\n";
  RunFlags f;
  EXPECT_EQ(resolv_conf_text(host, f),
            "search corp.example\nnameserver 192.0.2.53\noptions edns0 trust-ad\nsortlist 130.155.160.0\n");
  // The host's own resolvers only: docker's public ones instead.
  EXPECT_EQ(resolv_conf_text("nameserver 127.0.0.53\n", f), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  f.dns = {"1.1.1.1", "9.9.9.9"};
  f.dns_search = {"a.example", "b.example"};
  f.dns_options = {"ndots:2"};
  EXPECT_EQ(resolv_conf_text(host, f),
            "search a.example b.example\nnameserver 1.1.1.1\nnameserver 9.9.9.9\noptions ndots:2\n"
            "sortlist 130.155.160.0\n");
  f.dns_search = {"."};  // docker's way to say "no search domains"
  EXPECT_EQ(resolv_conf_text(host, f).find("search"), std::string::npos);
}

}  // namespace
}  // namespace husk::engine
