#include "engine/launcher.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <malloc.h>
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/fault.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "engine/attach.hpp"
#include "engine/health.hpp"
#include "engine/inspect.hpp"
#include "engine/log_config.hpp"
#include "engine/logs.hpp"
#include "engine/restart.hpp"
#include "linux/sync.hpp"
#include "monitor/relay.hpp"
#include "runtime/container.hpp"
#include "runtime/limits.hpp"

namespace husk::engine {

// The launcher hands the container over in the monitor's terms (its stdio,
// attach clients, the hand-off), and relays itself when husk-monitor is missing.
using namespace monitor;

std::string monitor_pid_path(const std::string& container_dir) { return container_dir + "/monitor.pid"; }

Result<void> Launch::wait_for(std::string_view what) {
  while (true) {
    size_t nl = buffered_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffered_.substr(0, nl);
      buffered_.erase(0, nl + 1);
      if (line == what) return {};
      if (line.starts_with("error ")) {
        // "error CODE MESSAGE": CODE as exit_code_for gave it.
        size_t sp = line.find(' ', 6);
        int code = std::atoi(line.substr(6, sp - 6).c_str());
        std::string msg = sp == std::string::npos ? "" : line.substr(sp + 1);
        auto kind = code == 127   ? ErrorKind::command_not_found
                    : code == 126 ? ErrorKind::command_not_executable
                                  : ErrorKind::failed;
        return fail(Error(0, msg, false, kind));
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

void report(int fd, const std::string& line) {
  // One line a report: the reader splits on newlines.
  std::string l = line;
  std::replace(l.begin(), l.end(), '\n', ' ');
  l += '\n';
  (void)write_all(fd, l);
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

// The container's ends of the pipes become our 0, 1 and 2 while the runtime
// creates it (its init inherits them); ours keep the other ends.
Result<void> make_pipes(Stdio& io, bool interactive) {
  auto out = HUSK_TRY(make_pipe("pipe for the container's output"));
  auto err = HUSK_TRY(make_pipe("pipe for the container's output"));
  io.out = std::move(out.read);
  io.err = std::move(err.read);
  ::dup2(out.write.get(), 1);
  ::dup2(err.write.get(), 2);
  if (interactive) {
    auto in = HUSK_TRY(make_pipe("pipe for the container's input"));
    io.in = std::move(in.write);
    ::dup2(in.read.get(), 0);
  }
  return {};
}

void stdio_to_null() {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  ::close(null);
}

// Until a client attaches (it says hello at once), or the husk waiting for
// it has gone (then the container runs unattached).
std::vector<AttachClient> first_client(int listener, int reports, const Stdio& io) {
  std::vector<AttachClient> out;
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

void record_end(const Engine& eng, const std::string& id, int code,
                const std::vector<AttachClient>& clients) {
  // Whether the OOM killer struck: its cgroup says so until the delete.
  bool oom = runtime::container_oom_kills(eng.runtime_context(), id).value_or(0) > 0;
  (void)runtime::delete_container(eng.runtime_context(), id, true);
  std::string dir = eng.containers().dir(id);
  (void)::unlink((dir + "/" + std::string(kAttachSocket)).c_str());
  (void)::unlink(monitor_pid_path(dir).c_str());
  ContainerRecord ran;
  ran.id = id;
  auto trash = eng.end_run(ran, code, "", oom);
  send_exit_code(clients, code);
  if (trash) trash->empty();  // --rm: its files, once nobody waits
}

void restart_by_policy(const Engine& eng, const std::string& id, UniqueFd recorder);

// docker's volume "mount" events at each start, one for each named volume
// of the container, after its attach and before its start (config.json is
// read only when the flags name volumes: a plain run pays nothing).
void record_volume_mounts(const Engine& eng, const ContainerRecord& rec) {
  const RunFlags& f = rec.flags;
  if (f.volumes.empty() && f.mounts.empty() && f.volumes_from.empty()) return;
  for (auto& m : container_mounts(eng, rec))
    if (m.value("Type", "") == "volume")
      eng.events().record(Event{"volume",
                                "mount",
                                m.value("Name", ""),
                                {{"container", rec.id},
                                 {"destination", m.value("Destination", "")},
                                 {"driver", "local"},
                                 {"propagation", m.value("Propagation", "")},
                                 {"read/write", m.value("RW", true) ? "true" : "false"}},
                                0});
}

// A run's end, by its recorder: written, its CLIENTS told (then let go: a
// restart runs unattached), and its restart policy applied.
void end_of_run(const Engine& eng, const std::string& id, int code, std::vector<AttachClient> clients,
                UniqueFd recorder) {
  record_end(eng, id, code, clients);
  clients.clear();
  restart_by_policy(eng, id, std::move(recorder));
}

class Launcher {
 public:
  Launcher(const Engine& eng, ContainerRecord rec, UniqueFd reports)
      : eng_(eng), rec_(std::move(rec)), reports_(std::move(reports)), dir_(eng.containers().dir(rec_.id)) {}
  int run(const LaunchOptions& o);

 private:
  // The runtime's create: the container's init, waiting to be started.
  Result<void> create(Stdio& io, int dirfd);
  int fail_start(const Error& e, bool created);
  const Engine& eng_;
  ContainerRecord rec_;
  UniqueFd reports_;  // to the husk that spawned us, until the container starts
  std::string dir_;
};

Result<void> Launcher::create(Stdio& io, int dirfd) {
  ContainerStore cs = eng_.containers();
  runtime::CreateOptions opts;
  opts.id = rec_.id;
  opts.bundle = cs.bundle_dir(rec_.id);
  opts.close_in_init = {reports_.get()};
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

int Launcher::fail_start(const Error& e, bool created) {
  if (created) (void)runtime::delete_container(eng_.runtime_context(), rec_.id, true);
  int code = exit_code_for(e);
  (void)::unlink(monitor_pid_path(dir_).c_str());
  (void)::unlink((dir_ + "/" + std::string(kAttachSocket)).c_str());
  auto trash = eng_.end_run(rec_, code, e.what());
  report(reports_.get(), "error " + std::to_string(code) + " " + e.what());
  if (trash) trash->empty();
  return code;
}

int Launcher::run(const LaunchOptions& o) {
  auto recorder = eng_.containers().hold_recorder(rec_.id);
  if (!recorder) {  // another run has it: its record and files are not ours
    report(reports_.get(), "error 125 " + recorder.error().what());
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
  std::vector<AttachClient> clients;
  if (o.wait_attach) {
    report(reports_.get(), "ready");
    clients = first_client(listener->get(), reports_.get(), io);
  }
  auto state = runtime::container_state(eng_.runtime_context(), rec_.id);
  if (!state) return fail_start(state.error(), true);
  pid_t pid = static_cast<pid_t>(state->pid);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return fail_start(Error::from_errno("pidfd_open of the container's init"), true);
  record_volume_mounts(eng_, rec_);
  if (auto started = runtime::start_container(eng_.runtime_context(), rec_.id); !started)
    return fail_start(started.error(), true);
  eng_.record_event(rec_, "start");
  report(reports_.get(), "started");
  reports_.reset();
  fault_point(Fault::engine_monitor_running);
  // --log-driver none: no log; json-file's rotation goes to whoever relays.
  auto log_config = parse_log_config(rec_.flags.log_driver, rec_.flags.log_opts).value_or(LogConfig{});
  auto log_fd = log_config.keeps_log()
                    ? open_fd(log_path(dir_), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)
                    : Result<UniqueFd>(fail_code(ENOENT, "no log"));
  monitor::LogRotation rotation{log_path(dir_), log_config.max_size, log_config.max_files};
  int64_t health_ms = health_active(rec_.healthcheck) ? health_interval_ms(*rec_.healthcheck) : 0;
  HealthProbe probe = health_probe(eng_.images().root(), eng_.run_root(), rec_.id, health_ms);
  if (!clients.empty()) {
    // A client attached from the start (a foreground run, start -a) waits
    // for the exit code: while it stays, the relay runs here and the end is
    // recorded here, two programs' starts fewer between the container's end
    // and that code. When the last client leaves first (detached, or its
    // husk killed), the container goes on in husk-monitor as below.
    // What sees host processes (--pid=host) must not reach us through
    // /proc/PID, as husk-monitor says.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    auto code = relay_while_attached(io, log_fd ? log_fd->get() : -1, listener->get(), clients, pid,
                                     pidfd.get(), rotation, probe);
    if (code) {
      end_of_run(eng_, rec_.id, *code, std::move(clients), std::move(*recorder));
      return 0;
    }
  }
  // The relay goes on in husk-monitor, exec'd with the descriptors it
  // needs: what stays on the host for the container's life is then a small
  // program's few pages, not the heap and mappings of the husk that parsed
  // a command line, built a config and created the container.
  RelayHandoff h{.root = eng_.images().root(),
                 .run_root = eng_.run_root(),
                 .id = rec_.id,
                 .tty = io.tty,
                 .pid = pid,
                 .pidfd = pidfd.get(),
                 .listener = listener->get(),
                 .log = log_fd ? log_fd->get() : -1,
                 .recorder = recorder->get(),
                 .master = io.master.get(),
                 .out = io.out.get(),
                 .err = io.err.get(),
                 .in = io.in.get(),
                 .log_rotation = rotation,
                 .health_interval_ms = health_ms};
  add_handoff_clients(h, clients);
  exec_handoff(program_beside_us("husk-monitor"), kRelayArg, h);
  // No husk-monitor beside us: the relay runs here.
  int code = relay_container(io, h.log, h.listener, clients, pid, pidfd.get(), rotation, probe);
  end_of_run(eng_, rec_.id, code, std::move(clients), std::move(*recorder));
  return 0;
}

// After an end was recorded: the container again when its restart policy
// says so, after its back-off wait (engine/restart.hpp), as long as nobody
// stopped, removed or started it meanwhile. A start that works makes this
// process its monitor (exec, no return); one that fails is an end too.
// RECORDER (held since the end) is let go for the wait.
void restart_by_policy(const Engine& eng, const std::string& id, UniqueFd recorder) {
  ContainerStore cs = eng.containers();
  // Still exited, and nobody stopped it meanwhile.
  auto waiting = [](const Result<ContainerRecord>& r) { return r && r->status == "exited" && !r->manually_stopped; };
  for (;;) {
    auto rec = cs.find(id);
    if (!rec || rec->status != "exited") return;
    auto policy = parse_restart_policy(rec->flags.restart);
    if (!policy || !should_restart(*policy, rec->exit_code, rec->restart_count, rec->manually_stopped)) return;
    auto started = parse_rfc3339_nanos(rec->started), finished = parse_rfc3339_nanos(rec->finished);
    int64_t ran_ms = started && finished ? (*finished - *started) / 1000000 : 0;
    rec->restart_delay_ms = restart_delay_ms(rec->restart_delay_ms, ran_ms);
    if (!cs.save(*rec)) return;
    recorder.reset();
    // "restarting" to ps and inspect until the wait is over.
    auto restarting = hold_restart_wait(cs.dir(id));
    for (int64_t waited = 0; waited < rec->restart_delay_ms; waited += 50) {
      timespec ts{0, 50 * 1000 * 1000};
      ::nanosleep(&ts, nullptr);
      if (!waiting(cs.find(id))) return;
    }
    rec = cs.find(id);
    if (!waiting(rec)) return;
    ++rec->restart_count;
    if (!cs.save(*rec)) return;
    if (restarting) restarting->reset();
    UniqueFd quiet(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    // Back only when the start failed: it recorded that end, decide again.
    (void)Launcher(eng, *rec, std::move(quiet)).run(LaunchOptions{});
  }
}

}  // namespace

bool is_record_end(int argc, char** argv) { return argc > 1 && std::string_view(argv[1]) == kRecordEndArg; }

int record_end_main(int argc, char** argv) {
  auto h = receive_handoff(argc - 2, argv + 2);  // its recorder lock is held until the end is written
  if (!h) return 125;
  ::prctl(PR_SET_NAME, "husk-monitor", 0, 0, 0);
  auto eng = Engine::open(h->root, h->run_root);
  if (!eng) {
    send_exit_code(h->clients, h->code);
    return 1;  // the record stays "running": ps shows it exited (lost)
  }
  end_of_run(*eng, h->id, h->code, std::move(h->clients), std::move(h->recorder));
  return 0;
}

Result<Launch> spawn_launcher(const Engine& eng, const ContainerRecord& rec, const LaunchOptions& o) {
  auto p = HUSK_TRY(make_pipe("pipe to the container's monitor"));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork the container's monitor");
  if (pid == 0) {
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    // Nothing of the caller's stays open in the monitor (its pipes would
    // never see EOF while the container runs), but the report pipe, as 3.
    stdio_to_null();
    if (p.write.get() != 3) {
      ::dup3(p.write.get(), 3, O_CLOEXEC);
    }
    ::syscall(SYS_close_range, 4, ~0U, 0);
    ::prctl(PR_SET_NAME, "husk-monitor", 0, 0, 0);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    ::_exit(Launcher(eng, rec, UniqueFd(3)).run(o));
  }
  p.write.reset();
  UniqueFd reports = std::move(p.read);
  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return Launch(std::move(reports));
}

}  // namespace husk::engine
