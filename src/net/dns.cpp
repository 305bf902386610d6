#include "net/dns.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <ctime>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/program.hpp"
#include "base/strings.hpp"

namespace husk::net {

namespace {

std::string find_dnsmasq() {
  for (const char* p : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

}  // namespace

std::string NameServer::hosts_line(Ipv4 address, const std::vector<std::string>& names) {
  std::string line = address.str();
  for (auto& n : names) line += " " + n;
  return line + "\n";
}

int NameServer::running_pid() const {
  auto text = read_file(dir_ + "/dnsmasq.pid");
  if (!text) return 0;
  auto pid = parse_i64(trim(*text));
  if (!pid || *pid <= 0) return 0;
  // Ours: a dnsmasq whose command line names our pid file (not a pid reused).
  auto cmdline = read_file("/proc/" + std::to_string(*pid) + "/cmdline");
  if (!cmdline || cmdline->find(dir_ + "/dnsmasq.pid") == std::string::npos) return 0;
  return static_cast<int>(*pid);
}

Result<void> NameServer::start_locked() const {
  if (running_pid()) return {};
  std::string prog = find_dnsmasq();
  if (prog.empty())
    return fail_code(ENOENT, "dnsmasq is missing (Debian's dnsmasq-base): container names need it");
  std::vector<std::string> args{prog, "--conf-file=/dev/null", "--pid-file=" + dir_ + "/dnsmasq.pid",
                                "--log-facility=" + dir_ + "/dnsmasq.log",
                                "--listen-address=" + listen_.str(), "--bind-interfaces", "--no-hosts",
                                "--hostsdir=" + dir_ + "/hosts",
                                // The networks are IPv4 only: a container asking for a
                                // name's IPv6 address gets none (not an upstream's refusal).
                                "--filter-AAAA",
                                // It reads the hosts files as root (the run root is root's only).
                                "--user=root", "--group=root"};
  if (internal_ || !upstream_.empty()) args.push_back("--no-resolv");
  if (!internal_)
    for (auto& u : upstream_) args.push_back("--server=" + u);
  // Its first process exits once the server is ready (it forks a daemon,
  // in a session of its own), with the error that stopped it if any.
  HUSK_TRY_CTX(run_program(args, "dnsmasq", ProgramOptions{.new_session = true}),
               "start the network's name server on " + listen_.str() + ":53");
  return {};
}

void NameServer::stop_locked() const {
  int pid = running_pid();
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  // Gone before its address may be given to another server (bounded: 2 s).
  for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) {
    timespec ts{0, 10 * 1000 * 1000};
    ::nanosleep(&ts, nullptr);
  }
  if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
  ::unlink((dir_ + "/dnsmasq.pid").c_str());
}

Result<void> NameServer::add(const std::string& owner, Ipv4 address,
                             const std::vector<std::string>& names) const {
  HUSK_TRY(mkdir_all(dir_ + "/hosts", 0700));
  UniqueFd lock = HUSK_TRY(open_fd(dir_ + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + dir_));
  HUSK_TRY(write_file_atomic(dir_ + "/hosts/" + owner, hosts_line(address, names), 0644));
  auto started = start_locked();
  if (!started) {
    ::unlink((dir_ + "/hosts/" + owner).c_str());
    return started;
  }
  return {};
}

Result<void> NameServer::remove(const std::string& owner) const {
  if (!path_exists(dir_)) return {};
  UniqueFd lock = HUSK_TRY(open_fd(dir_ + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + dir_));
  std::string path = dir_ + "/hosts/" + owner;
  if (::unlink(path.c_str()) < 0 && errno != ENOENT) return fail_errno("remove " + path);
  if (list_dir(dir_ + "/hosts").empty()) stop_locked();
  return {};
}

Result<void> NameServer::destroy() const {
  if (!path_exists(dir_)) return {};
  {
    UniqueFd lock = HUSK_TRY(open_fd(dir_ + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + dir_));
    stop_locked();
  }
  return remove_all(dir_);
}

}  // namespace husk::net
