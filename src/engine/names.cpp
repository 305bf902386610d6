#include "engine/names.hpp"

#include <array>
#include <string_view>

namespace husk::engine {

namespace {

constexpr std::array<std::string_view, 48> kAdjectives = {
    "amber",    "ancient", "bright",  "brisk",  "calm",   "candid",   "careful", "cheerful",
    "civil",    "crisp",   "curious", "daring", "deft",   "diligent", "earnest", "fair",
    "fearless", "gentle",  "glad",    "golden", "humble", "jaunty",   "lively",  "lucky",
    "mellow",   "merry",   "mighty",  "nimble", "noble",  "patient",  "placid",  "plucky",
    "polite",   "proud",   "quiet",   "rapid",  "ready",  "robust",   "rustic",  "sincere",
    "spry",     "steady",  "sturdy",  "swift",  "tidy",   "upright",  "valiant", "witty"};

// People whose work computing, engineering and the sciences stand on.
constexpr std::array<std::string_view, 64> kSurnames = {
    "lovelace", "babbage",   "hopper",     "turing",        "noether",  "curie",    "meitner", "franklin",
    "faraday",  "maxwell",   "tesla",      "fermi",         "bohr",     "dirac",    "planck",  "kepler",
    "galileo",  "newton",    "euler",      "gauss",         "riemann",  "hilbert",  "cantor",  "shannon",
    "nyquist",  "hamming",   "dijkstra",   "knuth",         "hoare",    "lamport",  "liskov",  "ritchie",
    "thompson", "kernighan", "wirth",      "backus",        "mccarthy", "hamilton", "johnson", "vaughan",
    "goodall",  "carson",    "mcclintock", "hodgkin",       "lamarr",   "wu",       "yalow",   "ramanujan",
    "raman",    "bose",      "saha",       "chandrasekhar", "hubble",   "leavitt",  "rubin",   "burnell",
    "pasteur",  "darwin",    "mendel",     "watt",          "brunel",   "diesel",   "cerf",    "kahn"};

}  // namespace

std::string generated_name(uint32_t a, uint32_t b) {
  return std::string(kAdjectives[a % kAdjectives.size()]) + "_" +
         std::string(kSurnames[b % kSurnames.size()]);
}

}  // namespace husk::engine
