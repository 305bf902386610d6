// husk-net: the part of a container network that goes through nftables'
// own library (libnftables), a small dynamic program beside husk, which
// stays static: husk runs it when a network's bridge is made, not at each
// container's start.
//
//   husk-net up BRIDGE SUBNET [internal]   the network's rules (and IPv4
//                                          forwarding, when it is off)
//   husk-net down BRIDGE SUBNET [internal] the network's rules gone
//   husk-net ports add|delete LINE...      published ports ("tcp 0.0.0.0
//                                          8080 10.87.0.2 80"), in or out
#include <nftables/libnftables.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "net/cidr.hpp"
#include "net/firewall.hpp"

namespace husk::net {
namespace {

constexpr const char* kIpForward = "/proc/sys/net/ipv4/ip_forward";

struct FreeNft {
  void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};

class Nft {
 public:
  Nft() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
    if (ctx_) {
      nft_ctx_buffer_output(ctx_.get());
      nft_ctx_buffer_error(ctx_.get());
    }
  }
  Result<void> run(const std::string& script, const std::string& what) const {
    if (!ctx_) return fail_code(ENOMEM, "nftables context");
    if (nft_run_cmd_from_buffer(ctx_.get(), script.c_str()) != 0)
      return fail(Error(EINVAL, what + ": " + trim(nft_ctx_get_error_buffer(ctx_.get())), false));
    return {};
  }

 private:
  std::unique_ptr<nft_ctx, FreeNft> ctx_;
};

Result<void> up(const std::string& bridge, const std::string& subnet_text, bool internal) {
  auto subnet = HUSK_TRY(parse_subnet(subnet_text));
  Nft nft;
  // The table once, with its fixed rules.
  if (!nft.run(std::string("list table ip ") + kFirewallTable, "list")) {
    bool guard = false;
    if (!internal && trim(read_file(kIpForward).value_or("1")) == "0") {
      HUSK_TRY_CTX(write_file(kIpForward, "1"), "turn IPv4 forwarding on");
      guard = true;
    }
    HUSK_TRY(nft.run(firewall_table_script(guard), "make the nftables table ip husk"));
  }
  return nft.run(firewall_network_script(bridge, subnet, internal),
                 "add " + bridge + " to the table ip husk");
}

// The network's elements out of the table's sets (the table stays).
Result<void> down(const std::string& bridge, const std::string& subnet_text, bool internal) {
  auto subnet = HUSK_TRY(parse_subnet(subnet_text));
  Nft nft;
  if (!nft.run(std::string("list table ip ") + kFirewallTable, "list")) return {};
  for (auto& e : firewall_network_elements(bridge, subnet, internal)) (void)nft.run("delete" + e, "delete");
  return {};
}

Result<void> ports(bool add, int n, char** lines) {
  std::vector<Published> ps;
  for (int i = 0; i < n; ++i) {
    auto p = parse_published_line(lines[i]);
    if (!p) return fail_code(EINVAL, std::string("not a published port: \"") + lines[i] + "\"");
    ps.push_back(*p);
  }
  return Nft().run(firewall_ports_script(add, ps), add ? "publish ports" : "unpublish ports");
}

int main_(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  Result<void> r;
  if (cmd == "up" && (argc == 4 || (argc == 5 && std::strcmp(argv[4], "internal") == 0))) {
    r = up(argv[2], argv[3], argc == 5);
  } else if (cmd == "down" && (argc == 4 || (argc == 5 && std::strcmp(argv[4], "internal") == 0))) {
    r = down(argv[2], argv[3], argc == 5);
  } else if (cmd == "ports" && argc >= 3 &&
             (std::strcmp(argv[2], "add") == 0 || std::strcmp(argv[2], "delete") == 0)) {
    r = ports(std::strcmp(argv[2], "add") == 0, argc - 3, argv + 3);
  } else {
    std::fprintf(stderr, "usage: husk-net up|down BRIDGE SUBNET [internal] | ports add|delete LINE...\n");
    return 2;
  }
  if (!r) {
    std::fprintf(stderr, "husk-net: %s\n", r.error().what().c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace husk::net

int main(int argc, char** argv) { return husk::net::main_(argc, argv); }
