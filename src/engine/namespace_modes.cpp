// Parsing docker's namespace mode flags (engine/namespaces.hpp).
#include <cstdint>

#include "base/strings.hpp"
#include "engine/namespaces.hpp"

namespace husk::engine {

namespace {

struct Allowed {
  bool shareable = false, none = false, private_ns = false, host = true, container = true;
};

std::string quoted(std::string_view flag, std::string_view v) {
  return std::string("invalid ") + std::string(flag) + " \"" + std::string(v) + "\"";
}

Result<NamespaceChoice> parse_mode(std::string_view flag, std::string_view v, Allowed ok,
                                   std::string_view expect) {
  NamespaceChoice c;
  if (v.empty()) return c;
  if (v == "host" && ok.host) return NamespaceChoice{NsMode::host, ""};
  if (v == "private" && ok.private_ns) return c;
  if (v == "shareable" && ok.shareable) return NamespaceChoice{NsMode::shareable, ""};
  if (v == "none" && ok.none) return NamespaceChoice{NsMode::none, ""};
  if (ok.container && starts_with(v, "container:")) {
    std::string name(v.substr(10));
    if (name.empty())
      return fail_code(EINVAL, quoted(flag, v) + ": container:NAME needs a container's name or id");
    return NamespaceChoice{NsMode::container, name};
  }
  return fail_code(EINVAL, quoted(flag, v) + ": expected " + std::string(expect));
}

// "-1.25" -> {-2, 750000000}: the kernel's offsets are whole seconds plus
// nanoseconds in [0, 1e9).
Result<spec::TimeOffset> parse_seconds(std::string_view clock, std::string_view v) {
  auto bad = [&] {
    return fail_code(EINVAL, "invalid --time-offset " + std::string(clock) + "=" + std::string(v) +
                                 ": expected seconds, e.g. 3600 or -1.5");
  };
  bool negative = !v.empty() && v[0] == '-';
  std::string_view digits = negative || (!v.empty() && v[0] == '+') ? v.substr(1) : v;
  auto dot = digits.find('.');
  std::string_view whole = digits.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : digits.substr(dot + 1);
  if (whole.empty() || frac.size() > 9 || (dot != std::string_view::npos && frac.empty())) return bad();
  auto secs = parse_u64(whole);
  uint64_t nanos = 0;
  if (!frac.empty()) {
    auto f = parse_u64(frac);
    if (!f) return bad();
    nanos = *f;
    for (size_t i = frac.size(); i < 9; ++i) nanos *= 10;
  }
  // The kernel keeps offsets within +-KTIME_MAX/2 ns; far less is useful.
  if (!secs || *secs > (1ULL << 32)) return bad();
  spec::TimeOffset t{static_cast<int64_t>(*secs), static_cast<uint32_t>(nanos)};
  if (negative) {
    t.secs = -t.secs;
    if (t.nanosecs) {
      t.secs -= 1;
      t.nanosecs = 1000000000u - t.nanosecs;
    }
  }
  return t;
}

}  // namespace

Result<NamespaceChoice> parse_ipc_mode(std::string_view v) {
  return parse_mode("--ipc", v, {.shareable = true, .none = true, .private_ns = true},
                    "private, shareable, none, host or container:NAME");
}

Result<NamespaceChoice> parse_pid_mode(std::string_view v) {
  return parse_mode("--pid", v, {}, "host or container:NAME");
}

Result<NamespaceChoice> parse_uts_mode(std::string_view v) {
  return parse_mode("--uts", v, {.container = false}, "host");
}

Result<NamespaceChoice> parse_cgroupns_mode(std::string_view v) {
  return parse_mode("--cgroupns", v, {.private_ns = true, .container = false}, "private or host");
}

Result<long long> parse_shm_size(std::string_view v) {
  if (v.empty()) return kDefaultShmBytes;
  auto bytes = parse_ram_bytes(v);
  if (!bytes || *bytes < 0)
    return fail_code(EINVAL,
                     "invalid argument \"" + std::string(v) + "\" for \"--shm-size\" flag: invalid size: '" +
                         std::string(v) + "'",
                     ErrorKind::invalid_argument);
  return *bytes == 0 ? kDefaultShmBytes : *bytes;
}

Result<NamespaceChoice> parse_network_mode(std::string_view v) {
  if (v == "none") return NamespaceChoice{};  // a namespace of its own: lo only
  if (v == "host" || starts_with(v, "container:"))
    return parse_mode("--network", v, {}, "none, bridge, host or container:NAME");
  // The default: docker's default bridge network.
  if (v.empty() || v == "bridge" || v == "default") return NamespaceChoice{.network = "bridge"};
  // A network `network create` made (whether it exists is the engine's to say).
  return NamespaceChoice{.network = std::string(v)};
}

Result<UsernsMode> parse_userns_mode(std::string_view v) {
  if (v.empty() || v == "host") return UsernsMode::host;
  if (v == "remap") return UsernsMode::remap;
  if (v == "auto") return UsernsMode::automatic;
  return fail_code(EINVAL, quoted("--userns", v) + ": expected host, remap or auto");
}

Result<TimeOffsets> parse_time_offsets(std::string_view v) {
  TimeOffsets out;
  if (v.empty()) return out;
  for (auto& item : split(v, ',')) {
    auto eq = item.find('=');
    std::string clock = item.substr(0, eq);
    if (eq == std::string::npos)
      return fail_code(EINVAL, "invalid --time-offset \"" + item + "\": expected CLOCK=SECONDS");
    std::optional<spec::TimeOffset>* slot = clock == "boottime"    ? &out.boottime
                                            : clock == "monotonic" ? &out.monotonic
                                                                   : nullptr;
    if (!slot)
      return fail_code(EINVAL, "invalid --time-offset clock \"" + clock + "\": boottime or monotonic");
    if (*slot) return fail_code(EINVAL, "--time-offset: " + clock + " given twice");
    *slot = HUSK_TRY(parse_seconds(clock, std::string_view(item).substr(eq + 1)));
  }
  return out;
}

}  // namespace husk::engine
