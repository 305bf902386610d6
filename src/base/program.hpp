// A helper program run to its end (husk-net, dnsmasq's start): its stderr
// kept, to become the error's message when it fails.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk {

struct ProgramOptions {
  bool new_session = false;  // setsid: a daemon it starts is not in our session
  int netns_fd = -1;         // run in this network namespace (-1: ours)
};

// ARGV[0] (a path) with ARGV, stdin and stdout on /dev/null, waited for.
// Exit 0 is success; otherwise EIO with what it wrote to stderr (trimmed;
// WHAT failed when it wrote nothing).
Result<void> run_program(const std::vector<std::string>& argv, const std::string& what,
                         const ProgramOptions& opts = {});

}  // namespace husk
