// Names for containers made without --name, docker-style:
// "ADJECTIVE_SURNAME" ("steady_noether"), from word lists of husk's own.
#pragma once

#include <cstdint>
#include <string>

namespace husk::engine {

// The name A and B pick (any values: each is taken modulo its list's size).
std::string generated_name(uint32_t a, uint32_t b);

}  // namespace husk::engine
