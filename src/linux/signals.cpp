#include "linux/signals.hpp"

#include <csignal>

#include "base/strings.hpp"

namespace husk::linux {
namespace {
struct Named {
  std::string_view name;
  int sig;
};
constexpr Named kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},   {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},
    {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
};
}  // namespace

std::optional<int> signal_from_string(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (auto n = parse_u64(s)) {
    if (*n >= 1 && *n <= static_cast<unsigned long long>(SIGRTMAX)) return static_cast<int>(*n);
    return std::nullopt;
  }
  std::string name = to_upper(s);
  if (name.starts_with("SIG")) name = name.substr(3);
  for (auto& n : kSignals)
    if (n.name == name) return n.sig;
  // RTMIN, RTMIN+N, RTMAX, RTMAX-N
  auto rt = [&](std::string_view base, int origin, int dir) -> std::optional<int> {
    if (!std::string_view(name).starts_with(base)) return std::nullopt;
    std::string_view rest = std::string_view(name).substr(base.size());
    int off = 0;
    if (!rest.empty()) {
      if (rest[0] != (dir > 0 ? '+' : '-')) return std::nullopt;
      auto v = parse_u64(rest.substr(1));
      if (!v) return std::nullopt;
      off = static_cast<int>(*v);
    }
    int sig = origin + dir * off;
    if (sig < SIGRTMIN || sig > SIGRTMAX) return std::nullopt;
    return sig;
  };
  if (auto s1 = rt("RTMIN", SIGRTMIN, 1)) return s1;
  if (auto s2 = rt("RTMAX", SIGRTMAX, -1)) return s2;
  return std::nullopt;
}

std::string signal_name(int sig) {
  for (auto& n : kSignals)
    if (n.sig == sig) return "SIG" + std::string(n.name);
  return "signal " + std::to_string(sig);
}

}  // namespace husk::linux
