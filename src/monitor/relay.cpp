#include "monitor/relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "linux/signals.hpp"
#include "monitor/log_writer.hpp"

namespace husk::monitor {

Result<void> send_packet(int sock, char kind, std::string_view payload) {
  std::string p;
  p.reserve(payload.size() + 1);
  p += kind;
  p.append(payload);
  while (true) {
    ssize_t n = ::send(sock, p.data(), p.size(), MSG_NOSIGNAL);
    if (n >= 0) return {};
    if (errno != EINTR) return fail_errno("send to an attach client");
  }
}


void send_exit_code(const std::vector<AttachClient>& clients, int code) {
  int32_t c32 = code;
  for (auto& c : clients)
    if (c.fd)
      (void)send_packet(c.fd.get(), attach_msg::exit, std::string_view(reinterpret_cast<char*>(&c32), sizeof c32));
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

namespace {

void apply_size(int master, std::string_view rows_cols) {
  uint16_t v[2];
  if (master < 0 || rows_cols.size() < sizeof v) return;
  std::memcpy(v, rows_cols.data(), sizeof v);
  if (v[0] == 0 || v[1] == 0) return;
  struct winsize ws = {};
  ws.ws_row = v[0];
  ws.ws_col = v[1];
  ::ioctl(master, TIOCSWINSZ, &ws);
}

// The healthcheck's runs: when the next is due, the one running (its pidfd
// polled with the rest), its end reaped.
class ProbeTimer {
 public:
  explicit ProbeTimer(const HealthProbe& p) : p_(p), next_(monotonic_ms() + p.interval_ms) {}
  // What poll waits for: the running probe's pidfd (-1: none running).
  int pidfd() const { return pidfd_.get(); }
  // poll's timeout: until the next is due (-1: none to start).
  int timeout_ms() const {
    if (p_.interval_ms <= 0 || child_ > 0) return -1;
    return static_cast<int>(std::clamp<int64_t>(next_ - monotonic_ms(), 0, 1 << 30));
  }
  // After poll: the running one reaped when it ended (EXITED), the next
  // started when due.
  void tick(bool exited) {
    if (exited && child_ > 0) reap();
    if (p_.interval_ms > 0 && child_ <= 0 && monotonic_ms() >= next_) start();
  }
  // The relay ends: a probe still running is waited for (WAIT), or killed.
  void stop(bool wait) {
    if (child_ <= 0) return;
    if (!wait) ::kill(child_, SIGKILL);
    reap();
  }

 private:
  void start() {
    pid_t pid = ::fork();
    if (pid < 0) {
      next_ = monotonic_ms() + p_.interval_ms;
      return;
    }
    if (pid == 0) {
      int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
      ::syscall(SYS_close_range, 3, ~0U, 0);
      std::vector<char*> argv;
      for (auto& a : p_.argv) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    child_ = pid;
    pidfd_ = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd_) reap();  // cannot poll for it: wait for it now
  }
  void reap() {
    while (::waitpid(child_, nullptr, 0) < 0 && errno == EINTR) {
    }
    child_ = -1;
    pidfd_.reset();
    next_ = monotonic_ms() + p_.interval_ms;
  }
  const HealthProbe& p_;
  int64_t next_;
  pid_t child_ = -1;
  UniqueFd pidfd_;
};

// The running container: its output to the log and the clients, the
// clients' input to it, until its init exits; its exit code.
class Relay {
 public:
  Relay(Stdio& io, LogWriter& log, int listener, std::vector<AttachClient> clients, const HealthProbe& probe)
      : io_(io), log_(log), listener_(listener), clients_(std::move(clients)), probes_(probe) {}
  // Its exit code; none when WHILE_ATTACHED and the last client left
  // while it runs on (no input of theirs still to write).
  std::optional<int> run(pid_t pid, int pidfd, bool while_attached);
  std::vector<AttachClient>& clients() { return clients_; }

 private:
  bool pump_output(int stream);
  void client_input(AttachClient& c);
  void flush_input();
  Stdio& io_;
  LogWriter& log_;
  int listener_;
  std::vector<AttachClient> clients_;
  std::string pending_in_;
  bool close_in_ = false;
  ProbeTimer probes_;
};

bool Relay::pump_output(int stream) {
  char buf[kAttachChunk];
  ssize_t n = ::read(io_.output(stream), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;  // EOF, or EIO: the pty's last holder closed it
  std::string_view data(buf, static_cast<size_t>(n));
  log_.write(stream, data);
  for (auto& c : clients_)
    if (c.fd && !send_packet(c.fd.get(), stream == 0 ? attach_msg::stdout_data : attach_msg::stderr_data, data))
      c.fd.reset();
  return true;
}

void Relay::flush_input() {
  while (!pending_in_.empty() && io_.input() >= 0) {
    ssize_t w = ::write(io_.input(), pending_in_.data(), pending_in_.size());
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) return;
    if (w <= 0) {
      pending_in_.clear();
      break;
    }
    pending_in_.erase(0, static_cast<size_t>(w));
  }
  if (pending_in_.empty() && close_in_ && !io_.tty) io_.in.reset();
}

void Relay::client_input(AttachClient& c) {
  char buf[kAttachChunk + 16];
  ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) {
    c.fd.reset();
    return;
  }
  std::string_view payload(buf + 1, static_cast<size_t>(n - 1));
  switch (buf[0]) {
    case attach_msg::stdin_data:
      if (c.stdin_) pending_in_.append(payload);
      break;
    case attach_msg::stdin_close:
      if (c.stdin_ && c.stdin_once) close_in_ = true;
      break;
    case attach_msg::resize: apply_size(io_.tty ? io_.master.get() : -1, payload); break;
    default: break;
  }
  flush_input();
}

std::optional<int> Relay::run(pid_t pid, int pidfd, bool while_attached) {
  bool open[2] = {io_.output(0) >= 0, io_.output(1) >= 0};
  constexpr size_t kFirstClient = 6;
  while (true) {
    std::erase_if(clients_, [](const AttachClient& c) { return !c.fd; });
    if (while_attached && clients_.empty() && pending_in_.empty()) {
      probes_.stop(true);
      return std::nullopt;
    }
    std::vector<pollfd> fds = {{pidfd, POLLIN, 0},
                               {open[0] ? io_.output(0) : -1, POLLIN, 0},
                               {open[1] ? io_.output(1) : -1, POLLIN, 0},
                               {listener_, POLLIN, 0},
                               {pending_in_.empty() ? -1 : io_.input(), POLLOUT, 0},
                               {probes_.pidfd(), POLLIN, 0}};
    for (auto& c : clients_) fds.push_back({pending_in_.empty() ? c.fd.get() : -1, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), probes_.timeout_ms()) < 0 && errno != EINTR) break;
    for (int s = 0; s < 2; ++s)
      if (fds[1 + s].revents && !pump_output(s)) open[s] = false;
    if (fds[4].revents) flush_input();
    if (fds[3].revents & POLLIN)
      if (auto c = accept_client(listener_, io_)) clients_.push_back(std::move(*c));
    for (size_t i = kFirstClient; i < fds.size(); ++i)
      if (fds[i].revents && clients_[i - kFirstClient].fd) client_input(clients_[i - kFirstClient]);
    if (fds[0].revents) break;
    probes_.tick(fds[5].revents != 0);
  }
  // The container has ended: a probe of it still running is of no use.
  probes_.stop(false);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // What it wrote last is still in the pipes or the pty.
  for (int s = 0; s < 2; ++s) {
    if (!open[s]) continue;
    set_nonblocking(io_.output(s));
    while (true) {
      struct pollfd p = {io_.output(s), POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) break;
      char buf[kAttachChunk];
      ssize_t n = ::read(io_.output(s), buf, sizeof buf);
      if (n <= 0) break;
      std::string_view data(buf, static_cast<size_t>(n));
      log_.write(s, data);
      for (auto& c : clients_)
        if (c.fd) (void)send_packet(c.fd.get(), s == 0 ? attach_msg::stdout_data : attach_msg::stderr_data, data);
    }
  }
  log_.flush();
  return linux::exit_code_from_wait_status(status);
}

}  // namespace

std::optional<AttachClient> accept_client(int listener, const Stdio& io) {
  AttachClient c;
  c.fd = UniqueFd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!c.fd) return {};
  struct timeval tv = {2, 0};
  ::setsockopt(c.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(c.fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  char buf[16];
  ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
  if (n < 2 || buf[0] != attach_msg::hello) return {};
  c.stdin_ = buf[1] & 1;
  c.stdin_once = buf[1] & 2;
  if (io.tty) apply_size(io.master.get(), std::string_view(buf + 2, static_cast<size_t>(n - 2)));
  tv = {0, 0};
  ::setsockopt(c.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return c;
}

namespace {

std::optional<int> relay(Stdio& io, int log_fd, int listener, std::vector<AttachClient>& clients, pid_t pid,
                         int pidfd, bool while_attached, const LogRotation& rotation,
                         const HealthProbe& probe) {
  if (io.input() >= 0) set_nonblocking(io.input());
  LogWriter log(log_fd, rotation);
  Relay relay(io, log, listener, std::move(clients), probe);
  auto code = relay.run(pid, pidfd, while_attached);
  clients = std::move(relay.clients());
  return code;
}

}  // namespace

int relay_container(Stdio& io, int log_fd, int listener, std::vector<AttachClient>& clients, pid_t pid,
                    int pidfd, const LogRotation& rotation, const HealthProbe& probe) {
  return *relay(io, log_fd, listener, clients, pid, pidfd, false, rotation, probe);
}

std::optional<int> relay_while_attached(Stdio& io, int log_fd, int listener,
                                        std::vector<AttachClient>& clients, pid_t pid, int pidfd,
                                        const LogRotation& rotation, const HealthProbe& probe) {
  return relay(io, log_fd, listener, clients, pid, pidfd, true, rotation, probe);
}

HealthProbe health_probe(const std::string& root, const std::string& run_root, const std::string& id,
                         int64_t interval_ms) {
  if (interval_ms <= 0) return {};
  return {interval_ms,
          {program_beside_us("husk"), "--root", root, "--runroot", run_root, "healthcheck", "run", id}};
}

std::vector<std::string> encode_handoff(const RelayHandoff& h) {
  std::string clients;
  for (auto& [fd, flags] : h.clients) clients += std::to_string(fd) + ":" + std::to_string(flags) + ",";
  return {h.root,
          h.run_root,
          h.id,
          h.tty ? "1" : "0",
          std::to_string(h.pid),
          std::to_string(h.pidfd),
          std::to_string(h.listener),
          std::to_string(h.log),
          std::to_string(h.recorder),
          std::to_string(h.master),
          std::to_string(h.out),
          std::to_string(h.err),
          std::to_string(h.in),
          clients.empty() ? "-" : clients,
          std::to_string(h.code),
          h.log_rotation.path.empty() ? "-" : h.log_rotation.path,
          std::to_string(h.log_rotation.max_size),
          std::to_string(h.log_rotation.max_files),
          std::to_string(h.health_interval_ms)};
}

namespace {

int number(const char* s) { return static_cast<int>(std::strtol(s, nullptr, 10)); }

std::optional<RelayHandoff> decode_handoff(int argc, char** argv) {
  if (argc != 19) return {};
  RelayHandoff h;
  h.root = argv[0];
  h.run_root = argv[1];
  h.id = argv[2];
  h.tty = argv[3][0] == '1';
  h.pid = number(argv[4]);
  int* fds[] = {&h.pidfd, &h.listener, &h.log, &h.recorder, &h.master, &h.out, &h.err, &h.in};
  for (size_t i = 0; i < std::size(fds); ++i) *fds[i] = number(argv[5 + i]);
  if (std::string_view(argv[13]) != "-")
    for (auto& item : split(argv[13], ','))
      if (auto colon = item.find(':'); colon != std::string::npos)
        h.clients.emplace_back(number(item.c_str()), number(item.c_str() + colon + 1));
  h.code = number(argv[14]);
  if (std::string_view(argv[15]) != "-") h.log_rotation.path = argv[15];
  h.log_rotation.max_size = std::strtoll(argv[16], nullptr, 10);
  h.log_rotation.max_files = number(argv[17]);
  h.health_interval_ms = std::strtoll(argv[18], nullptr, 10);
  return h;
}

// The descriptors HANDOFF names; INHERIT: kept across exec, else not.
void inherit_handoff_fds(const RelayHandoff& h, bool inherit) {
  for (int fd : {h.pidfd, h.listener, h.log, h.recorder, h.master, h.out, h.err, h.in})
    if (fd >= 0) ::fcntl(fd, F_SETFD, inherit ? 0 : FD_CLOEXEC);
  for (auto& c : h.clients) ::fcntl(c.first, F_SETFD, inherit ? 0 : FD_CLOEXEC);
}

}  // namespace

std::optional<ReceivedHandoff> receive_handoff(int argc, char** argv) {
  auto h = decode_handoff(argc, argv);
  if (!h) return {};
  inherit_handoff_fds(*h, false);
  ReceivedHandoff r{.root = std::move(h->root),
                    .run_root = std::move(h->run_root),
                    .id = std::move(h->id),
                    .pid = h->pid,
                    .code = h->code,
                    .pidfd = UniqueFd(h->pidfd),
                    .listener = UniqueFd(h->listener),
                    .log = UniqueFd(h->log),
                    .recorder = UniqueFd(h->recorder),
                    .log_rotation = h->log_rotation,
                    .health_interval_ms = h->health_interval_ms};
  r.io.tty = h->tty;
  r.io.master = UniqueFd(h->master);
  r.io.out = UniqueFd(h->out);
  r.io.err = UniqueFd(h->err);
  r.io.in = UniqueFd(h->in);
  for (auto& [fd, flags] : h->clients) r.clients.push_back({UniqueFd(fd), (flags & 1) != 0, (flags & 2) != 0});
  return r;
}

void add_handoff_clients(RelayHandoff& h, const std::vector<AttachClient>& clients) {
  for (auto& c : clients)
    if (c.fd) h.clients.emplace_back(c.fd.get(), (c.stdin_ ? 1 : 0) | (c.stdin_once ? 2 : 0));
}

// Execs PROGRAM as "husk-monitor MARK HANDOFF..." with HANDOFF's
// descriptors inherited; returns only when it could not.
void exec_handoff(const std::string& program, std::string_view mark, const RelayHandoff& h) {
  if (program.empty()) return;
  std::vector<std::string> args = {"husk-monitor", std::string(mark)};
  for (auto& a : encode_handoff(h)) args.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  inherit_handoff_fds(h, true);
  ::execv(program.c_str(), argv.data());
  inherit_handoff_fds(h, false);
}

}  // namespace husk::monitor
