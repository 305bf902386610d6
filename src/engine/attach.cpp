#include "engine/attach.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "base/fd.hpp"
#include "base/strings.hpp"
#include "engine/logs.hpp"
#include "linux/console.hpp"
#include "monitor/relay.hpp"

namespace husk::engine {

// The client's side of the monitor's attach protocol.
namespace attach_msg = monitor::attach_msg;
using monitor::kAttachChunk;
using monitor::kAttachSocket;
using monitor::send_packet;

Result<std::string> parse_detach_keys(std::string_view spec) {
  if (spec.empty()) spec = "ctrl-p,ctrl-q";
  std::string out;
  for (auto& key : split(std::string(spec), ',')) {
    std::string k = key;
    if (k.size() == 1) {
      out += k[0];
      continue;
    }
    if (k.size() == 6 && k.starts_with("ctrl-")) {
      char c = k[5];
      if (c >= 'a' && c <= 'z') {
        out += static_cast<char>(c - 'a' + 1);
        continue;
      }
      if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_') {
        out += static_cast<char>(c - '@');
        continue;
      }
    }
    return fail_code(EINVAL, "invalid detach keys \"" + std::string(spec) + "\": unknown key '" + k +
                                 "' (one character or ctrl-<a-z @ [ \\ ] ^ _>)");
  }
  return out;
}

std::string DetachMatcher::feed(std::string_view data, bool& detached) {
  detached = false;
  std::string out;
  for (char c : data) {
    // Not the keys after all: what was held back goes on, and C may start them anew.
    if (matched_ > 0 && c != keys_[matched_]) {
      out.append(keys_, 0, matched_);
      matched_ = 0;
    }
    if (c != keys_[matched_]) {
      out += c;
    } else if (++matched_ == keys_.size()) {
      detached = true;
      matched_ = 0;
      return out;
    }
  }
  return out;
}

namespace {

std::string window_size_bytes() {
  struct winsize ws = {};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0) ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
  uint16_t v[2] = {ws.ws_row, ws.ws_col};
  return std::string(reinterpret_cast<const char*>(v), sizeof v);
}

// SIGWINCH as a descriptor for as long as we are attached.
// SIGNALS, blocked and read from a descriptor while it lives.
class SignalFd {
 public:
  explicit SignalFd(std::initializer_list<int> signals) {
    sigemptyset(&set_);
    for (int sig : signals) sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
    fd_ = UniqueFd(::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~SignalFd() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  int fd() const { return fd_.get(); }

 private:
  sigset_t set_, old_;
  UniqueFd fd_;
};
}  // namespace

Result<UniqueFd> connect_attach(const std::string& container_dir, const AttachOptions& o) {
  // Through the directory's descriptor: the store's path may be longer than
  // a socket address may be.
  auto dir = HUSK_TRY(open_fd(container_dir, O_PATH | O_DIRECTORY));
  std::string path = fd_path(dir.get()) + "/" + std::string(kAttachSocket);
  UniqueFd s(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("attach socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    if (errno == ENOENT || errno == ECONNREFUSED)
      return fail_code(errno, "the container has no monitor to attach to (it runs in the foreground of a husk run)");
    return fail_errno("connect to the container's monitor");
  }
  char flags = static_cast<char>((o.attach_stdin ? 1 : 0) | (o.stdin_once ? 2 : 0));
  if (auto sent = send_packet(s.get(), attach_msg::hello, std::string(1, flags) + window_size_bytes()); !sent)
    return fail(Error(sent.error().err(), "attach: hello"));
  return s;
}

Result<AttachEnd> attach_session(int sock, const AttachOptions& o) {
  std::optional<linux::RawTerminal> raw;
  // With a terminal, SIGWINCH resizes it; without one, the signals we get
  // go to the container (docker's --sig-proxy): ^C stops it, not just us.
  std::optional<SignalFd> signals;
  // Raw only when we type into it: without stdin, ^C must still stop us.
  if (o.tty && o.attach_stdin) raw.emplace();
  if (o.tty) signals.emplace(std::initializer_list<int>{SIGWINCH});
  if (!o.tty && o.forward_signal)
    signals.emplace(std::initializer_list<int>{SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2});
  DetachMatcher matcher(o.detach_keys);
  bool stdin_open = o.attach_stdin;
  std::string buf(kAttachChunk + 16, '\0');
  while (true) {
    struct pollfd fds[3] = {{sock, POLLIN, 0},
                            {stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                            {signals ? signals->fd() : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno("attach: poll");
    }
    if (fds[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      bool resized = false;
      while (::read(signals->fd(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH)
          resized = true;
        else
          o.forward_signal(static_cast<int>(si.ssi_signo));
      }
      if (resized) (void)send_packet(sock, attach_msg::resize, window_size_bytes());
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(STDIN_FILENO, buf.data(), kAttachChunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        stdin_open = false;
        (void)send_packet(sock, attach_msg::stdin_close, {});
      } else {
        std::string_view data(buf.data(), static_cast<size_t>(n));
        bool detached = false;
        std::string pass = o.tty ? matcher.feed(data, detached) : std::string(data);
        if (!pass.empty()) (void)send_packet(sock, attach_msg::stdin_data, pass);
        if (detached) return AttachEnd{.detached = true};
      }
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::recv(sock, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail_code(EPIPE, "the container's monitor went away");
    std::string_view payload(buf.data() + 1, static_cast<size_t>(n - 1));
    switch (buf[0]) {
      case attach_msg::stdout_data:
        if (o.show_stdout) (void)write_all(STDOUT_FILENO, payload);
        break;
      case attach_msg::stderr_data:
        if (o.show_stderr) (void)write_all(STDERR_FILENO, payload);
        break;
      case attach_msg::exit: {
        int32_t code = 0;
        if (payload.size() >= sizeof code) std::memcpy(&code, payload.data(), sizeof code);
        return AttachEnd{.detached = false, .exit_code = code};
      }
      default: break;
    }
  }
}

Result<int> attach_result(const Engine& eng, const std::string& id, Result<AttachEnd> end) {
  if (!end && end.error().err() == EPIPE) {
    // The monitor closed without saying how the container ended (it had
    // finished with us, or died): the record, which it writes first, says.
    auto code = eng.wait(id, 5000);
    if (code) return *code;
    return fail(std::move(end).error());
  }
  if (!end) return fail(std::move(end).error());
  return end->detached ? 0 : end->exit_code;
}

Result<int> attach_to(const Engine& eng, const std::string& name_or_id, bool stdin_, const std::string& detach_keys) {
  auto rec = HUSK_TRY(eng.containers().find(name_or_id));
  AttachOptions o;
  o.detach_keys = HUSK_TRY(parse_detach_keys(detach_keys.empty() ? rec.flags.detach_keys : detach_keys));
  auto st = eng.live_status(rec);
  if (st == LiveStatus::paused) return fail_code(EINVAL, "cannot attach to a paused container: unpause it first");
  if (st != LiveStatus::running) return fail_code(EINVAL, "cannot attach to a stopped container: start it first");
  o.tty = rec.flags.tty;
  o.attach_stdin = stdin_ && rec.flags.interactive;
  o.forward_signal = [&](int sig) { (void)eng.kill(rec.id, sig); };
  auto sock = HUSK_TRY(connect_attach(eng.containers().dir(rec.id), o));
  return attach_result(eng, rec.id, attach_session(sock.get(), o));
}

}  // namespace husk::engine
