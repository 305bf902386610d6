// Signal names as runc accepts them: "KILL", "SIGKILL", "9", "RTMIN+3".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace husk::linux {

std::optional<int> signal_from_string(std::string_view s);
std::string signal_name(int sig);

}  // namespace husk::linux
