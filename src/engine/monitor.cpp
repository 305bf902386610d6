#include "base/fault.hpp"
#include "engine/monitor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <malloc.h>

#include "base/file.hpp"
#include "base/strings.hpp"
#include "engine/attach.hpp"
#include "engine/logs.hpp"
#include "linux/sync.hpp"
#include "runtime/container.hpp"

namespace husk::engine {

std::string monitor_pid_path(const std::string& container_dir) { return container_dir + "/monitor.pid"; }

Result<int> MonitorLaunch::wait_for(std::string_view what) {
  while (true) {
    size_t nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (line == what) return 0;
      if (line.starts_with("error ")) {
        // "error CODE MESSAGE"
        size_t sp = line.find(' ', 6);
        int code = std::atoi(line.substr(6, sp - 6).c_str());
        std::string msg = sp == std::string::npos ? "" : line.substr(sp + 1);
        std::fprintf(stderr, "husk: %s\n", msg.c_str());
        return code;
      }
      continue;  // an earlier step's report
    }
    char buf[4096];
    ssize_t n = ::read(reports_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("read the monitor's reports");
    if (n == 0) return fail_code(EPIPE, "the container's monitor ended before the container started");
    buffered_.append(buf, static_cast<size_t>(n));
  }
}

namespace {

// The husk code this process ran to set the container up (CLI, JSON, the
// runtime's create) stays mapped, and counted in its RSS, for the
// container's whole life, though the relay needs a few pages of it. Text is
// never written, so dropping this process's mappings of it loses nothing:
// a page the relay runs again comes back from the page cache.
void drop_code_pages() {
  auto exe = read_link("/proc/self/exe");
  if (!exe) return;
  const std::string& self = *exe;
  auto maps = read_file("/proc/self/maps");
  if (!maps) return;
  for (auto& line : split(*maps, '\n')) {
    // "start-end perms offset dev inode path"
    auto f = split(line, ' ');
    if (f.size() < 6 || f[1] != "r-xp" || !line.ends_with(" " + self)) continue;
    auto dash = f[0].find('-');
    uintptr_t start = std::strtoull(f[0].substr(0, dash).c_str(), nullptr, 16);
    uintptr_t end = std::strtoull(f[0].substr(dash + 1).c_str(), nullptr, 16);
    (void)::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
}


void report(int fd, const std::string& line) {
  std::string l = line + "\n";
  for (auto& c : l.substr(0, l.size() - 1))
    if (c == '\n') c = ' ';
  (void)!::write(fd, l.data(), l.size());
}

// A listening unix socket at DIR/NAME, reached through the directory's
// descriptor: the store's path may be too long for a socket address.
Result<UniqueFd> listen_in(int dirfd, std::string_view name, int type) {
  (void)::unlinkat(dirfd, std::string(name).c_str(), 0);
  std::string path = fd_path(dirfd) + "/" + std::string(name);
  UniqueFd s(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!s) return fail_errno("socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) return fail_errno("bind " + path);
  if (::listen(s.get(), 16) < 0) return fail_errno("listen " + path);
  return s;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// What the monitor holds of the container's stdio.
struct Stdio {
  bool tty = false;
  UniqueFd master;         // tty: both directions
  UniqueFd out, err, in;   // otherwise: pipes (in only with -i)
  int output(int stream) const { return tty ? (stream == 0 ? master.get() : -1) : (stream == 0 ? out : err).get(); }
  int input() const { return tty ? master.get() : in.get(); }
};

// The container's ends of the pipes become our 0, 1 and 2 while the runtime
// creates it (its init inherits them); ours keep the other ends.
Result<void> make_pipes(Stdio& io, bool interactive) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) return fail_errno("pipe for the container's output");
  io.out = UniqueFd(out[0]);
  io.err = UniqueFd(err[0]);
  ::dup2(out[1], 1);
  ::dup2(err[1], 2);
  ::close(out[1]);
  ::close(err[1]);
  if (interactive) {
    int in[2];
    if (::pipe2(in, O_CLOEXEC) < 0) return fail_errno("pipe for the container's input");
    io.in = UniqueFd(in[1]);
    ::dup2(in[0], 0);
    ::close(in[0]);
  }
  return {};
}

void stdio_to_null() {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  ::close(null);
}

struct Client {
  UniqueFd fd;
  bool stdin_ = false;
  bool stdin_once = false;
};

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

// A new client's hello (sent right after it connects): what it attaches and
// its window size.
std::optional<Client> accept_client(int listener, const Stdio& io) {
  Client c;
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

// The running container: its output to the log and the clients, the
// clients' input to it, until its init exits; its exit code.
class Relay {
 public:
  Relay(Stdio& io, LogWriter& log, int listener, std::vector<Client> clients)
      : io_(io), log_(log), listener_(listener), clients_(std::move(clients)) {}
  int run(pid_t pid, int pidfd);
  std::vector<Client>& clients() { return clients_; }

 private:
  bool pump_output(int stream);
  void client_input(Client& c);
  void flush_input();
  Stdio& io_;
  LogWriter& log_;
  int listener_;
  std::vector<Client> clients_;
  std::string pending_in_;
  bool close_in_ = false;
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

void Relay::client_input(Client& c) {
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

int Relay::run(pid_t pid, int pidfd) {
  bool open[2] = {io_.output(0) >= 0, io_.output(1) >= 0};
  while (true) {
    std::erase_if(clients_, [](const Client& c) { return !c.fd; });
    std::vector<pollfd> fds = {{pidfd, POLLIN, 0},
                               {open[0] ? io_.output(0) : -1, POLLIN, 0},
                               {open[1] ? io_.output(1) : -1, POLLIN, 0},
                               {listener_, POLLIN, 0},
                               {pending_in_.empty() ? -1 : io_.input(), POLLOUT, 0}};
    for (auto& c : clients_) fds.push_back({pending_in_.empty() ? c.fd.get() : -1, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    for (int s = 0; s < 2; ++s)
      if (fds[1 + s].revents && !pump_output(s)) open[s] = false;
    if (fds[4].revents) flush_input();
    if (fds[3].revents & POLLIN)
      if (auto c = accept_client(listener_, io_)) clients_.push_back(std::move(*c));
    for (size_t i = 5; i < fds.size(); ++i)
      if (fds[i].revents && clients_[i - 5].fd) client_input(clients_[i - 5]);
    if (fds[0].revents) break;
  }
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
        if (c.fd) send_packet(c.fd.get(), s == 0 ? attach_msg::stdout_data : attach_msg::stderr_data, data);
    }
  }
  log_.flush();
  return runtime::exit_code_from_wait_status(status);
}

// Until a client attaches (it says hello at once), or the husk waiting for
// it has gone (then the container runs unattached).
std::vector<Client> first_client(int listener, int reports, const Stdio& io) {
  std::vector<Client> out;
  for (int waited = 0; waited < 60000; waited += 100) {
    struct pollfd fds[2] = {{listener, POLLIN, 0}, {reports, 0, 0}};
    if (::poll(fds, 2, 100) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      if (auto c = accept_client(listener, io)) out.push_back(std::move(*c));
      return out;
    }
    if (fds[1].revents & (POLLERR | POLLHUP)) break;
  }
  return out;
}

class Monitor {
 public:
  Monitor(const Engine& eng, ContainerRecord rec, int reports)
      : eng_(eng), rec_(std::move(rec)), reports_(reports), dir_(eng.containers().dir(rec_.id)) {}
  int run(const MonitorOptions& o);

 private:
  // The runtime's create: the container's init, waiting to be started.
  Result<void> create(Stdio& io, int dirfd);
  int fail_start(const Error& e, bool created);
  const Engine& eng_;
  ContainerRecord rec_;
  int reports_;
  std::string dir_;
};

Result<void> Monitor::create(Stdio& io, int dirfd) {
  ContainerStore cs = eng_.containers();
  runtime::CreateOptions opts;
  opts.id = rec_.id;
  opts.bundle = cs.bundle_dir(rec_.id);
  opts.close_in_init = {reports_};
  UniqueFd console;
  if (io.tty) {
    console = HUSK_TRY(listen_in(dirfd, "console.sock", SOCK_STREAM));
    opts.console_socket = fd_path(dirfd) + "/console.sock";
  } else {
    HUSK_TRY(make_pipes(io, rec_.flags.interactive));
  }
  auto made = runtime::create_container(eng_.runtime_context(), opts);
  stdio_to_null();
  if (io.tty) (void)::unlinkat(dirfd, "console.sock", 0);
  HUSK_TRY(std::move(made));
  if (io.tty) {
    UniqueFd conn(::accept4(console.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return fail_errno("accept the container's pty");
    io.master = HUSK_TRY_CTX(linux::receive_fd(conn.get()), "receive the container's pty");
  }
  return {};
}

int Monitor::fail_start(const Error& e, bool created) {
  if (created) (void)runtime::delete_container(eng_.runtime_context(), rec_.id, true);
  int code = exit_code_for(e);
  (void)::unlink(monitor_pid_path(dir_).c_str());
  (void)::unlink((dir_ + "/" + std::string(kAttachSocket)).c_str());
  (void)eng_.end_run(rec_, code, e.what());
  report(reports_, "error " + std::to_string(code) + " " + e.what());
  return code;
}

int Monitor::run(const MonitorOptions& o) {
  auto recorder = eng_.containers().hold_recorder(rec_.id);
  if (!recorder) {  // another run has it: its record and files are not ours
    report(reports_, "error 125 " + recorder.error().what());
    return 125;
  }
  auto begun = eng_.begin_run(rec_);
  if (!begun) return fail_start(begun.error(), false);
  rec_ = std::move(*begun);
  auto dirfd = open_fd(dir_, O_PATH | O_DIRECTORY);
  if (!dirfd) return fail_start(dirfd.error(), false);
  (void)write_file_atomic(monitor_pid_path(dir_), std::to_string(::getpid()), 0644);
  Stdio io;
  io.tty = rec_.flags.tty;
  if (auto made = create(io, dirfd->get()); !made) return fail_start(made.error(), false);
  auto listener = listen_in(dirfd->get(), kAttachSocket, SOCK_SEQPACKET);
  if (!listener) return fail_start(listener.error(), true);
  std::vector<Client> clients;
  if (o.wait_attach) {
    report(reports_, "ready");
    clients = first_client(listener->get(), reports_, io);
  }
  auto state = runtime::container_state(eng_.runtime_context(), rec_.id);
  if (!state) return fail_start(state.error(), true);
  pid_t pid = static_cast<pid_t>(state->pid);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return fail_start(Error::from_errno("pidfd_open of the container's init"), true);
  if (auto started = runtime::start_container(eng_.runtime_context(), rec_.id); !started)
    return fail_start(started.error(), true);
  report(reports_, "started");
  ::close(reports_);
  fault_point(Fault::engine_monitor_running);
  if (io.input() >= 0) set_nonblocking(io.input());
  auto log_fd = open_fd(log_path(dir_), O_WRONLY | O_CREAT | O_APPEND, 0640);
  LogWriter log(log_fd ? log_fd->get() : -1);
  // The runtime's allocations are done: what stays for the container's life
  // is the relay's.
  ::malloc_trim(0);
  drop_code_pages();
  Relay relay(io, log, listener->get(), std::move(clients));
  int code = relay.run(pid, pidfd.get());
  (void)runtime::delete_container(eng_.runtime_context(), rec_.id, true);
  (void)::unlinkat(dirfd->get(), std::string(kAttachSocket).c_str(), 0);
  (void)::unlinkat(dirfd->get(), "monitor.pid", 0);
  (void)eng_.end_run(rec_, code, "");
  int32_t c32 = code;
  for (auto& c : relay.clients())
    if (c.fd) send_packet(c.fd.get(), attach_msg::exit, std::string_view(reinterpret_cast<char*>(&c32), sizeof c32));
  return 0;
}


}  // namespace

Result<MonitorLaunch> spawn_monitor(const Engine& eng, const ContainerRecord& rec, const MonitorOptions& o) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return fail_errno("pipe to the container's monitor");
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork the container's monitor");
  if (pid == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    // Nothing of the caller's stays open in the monitor (its pipes would
    // never see EOF while the container runs), but the report pipe, as 3.
    stdio_to_null();
    if (p[1] != 3) {
      ::dup3(p[1], 3, O_CLOEXEC);
    }
    ::syscall(SYS_close_range, 4, ~0U, 0);
    ::prctl(PR_SET_NAME, "husk-monitor", 0, 0, 0);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    ::_exit(Monitor(eng, rec, 3).run(o));
  }
  ::close(p[1]);
  UniqueFd reports(p[0]);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return MonitorLaunch(std::move(reports));
}

}  // namespace husk::engine
