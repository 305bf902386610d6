#include "linux/console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "base/fd.hpp"

namespace husk::linux {

Result<UniqueFd> connect_unix_socket(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_code(ENAMETOOLONG, "console socket path " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return fail_errno("connect to console socket " + path);
  return s;
}

Result<ConsoleChannel> open_console_channel(const std::string& console_socket) {
  ConsoleChannel c;
  if (!console_socket.empty()) {
    c.to_process = HUSK_TRY(connect_unix_socket(console_socket));
    return c;
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return fail_errno("socketpair for the pty");
  c.to_process = UniqueFd(sv[0]);
  c.to_runtime = UniqueFd(sv[1]);
  return c;
}

Result<Pty> open_pty(const std::optional<spec::ConsoleSize>& size) {
  Pty p;
  p.master = HUSK_TRY(open_fd("/dev/ptmx", O_RDWR | O_NOCTTY));
  if (::unlockpt(p.master.get()) < 0) return fail_errno("unlockpt");
  char name[128];
  if (::ptsname_r(p.master.get(), name, sizeof name) != 0) return fail_errno("ptsname");
  p.slave_path = name;
  p.slave = HUSK_TRY(open_fd(p.slave_path, O_RDWR | O_NOCTTY));
  if (size && size->height && size->width) {
    struct winsize ws = {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (::ioctl(p.slave.get(), TIOCSWINSZ, &ws) < 0) return fail_errno("set terminal size");
  }
  return p;
}

Result<void> clear_onlcr(int master) {
  struct termios t;
  if (::tcgetattr(master, &t) < 0) return fail_errno("read the pty's termios");
  t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
  if (::tcsetattr(master, TCSANOW, &t) < 0) return fail_errno("clear ONLCR on the pty");
  return {};
}

Result<void> become_terminal_user(int slave) {
  if (::ioctl(slave, TIOCSCTTY, 0) < 0) return fail_errno("make the pty the controlling terminal");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(slave, fd) < 0) return fail_errno("dup pty onto stdio");
  return {};
}

static_assert(sizeof(struct termios) <= 128, "termios fits the saved buffer");

RawTerminal::RawTerminal() {
  struct termios t;
  if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &t) != 0) return;
  std::memcpy(saved_, &t, sizeof t);
  ::cfmakeraw(&t);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
  active_ = true;
}

RawTerminal::~RawTerminal() {
  if (!active_) return;
  struct termios t;
  std::memcpy(&t, saved_, sizeof t);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

void copy_window_size(int from, int to) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

Result<size_t> pump(int from, int to) {
  char buf[16384];
  ssize_t n;
  do {
    n = ::read(from, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("read");
  HUSK_TRY(write_all(to, std::string_view(buf, static_cast<size_t>(n))));
  return static_cast<size_t>(n);
}

}  // namespace husk::linux
