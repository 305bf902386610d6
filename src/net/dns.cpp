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

int Dnsmasq::running_pid() const {
  auto text = read_file(dir_ + "/dnsmasq.pid");
  if (!text) return 0;
  auto pid = parse_i64(trim(*text));
  if (!pid || *pid <= 0) return 0;
  // Ours: a dnsmasq whose command line names our pid file (not a pid reused).
  auto cmdline = read_file("/proc/" + std::to_string(*pid) + "/cmdline");
  if (!cmdline || cmdline->find(dir_ + "/dnsmasq.pid") == std::string::npos) return 0;
  return static_cast<int>(*pid);
}

Result<void> Dnsmasq::start(const DnsmasqConfig& c) const {
  if (running_pid()) return {};
  std::string prog = find_dnsmasq();
  if (prog.empty())
    return fail_code(ENOENT, "dnsmasq is missing (Debian's dnsmasq-base): container names need it");
  HUSK_TRY(mkdir_all(dir_, 0700));
  std::vector<std::string> args{prog, "--conf-file=/dev/null", "--pid-file=" + dir_ + "/dnsmasq.pid",
                                "--log-facility=" + dir_ + "/dnsmasq.log",
                                "--listen-address=" + c.listen.str(), "--bind-interfaces", "--no-hosts",
                                // The networks are IPv4 only: a container asking for a
                                // name's IPv6 address gets none (not an upstream's refusal).
                                "--filter-AAAA",
                                // It reads the hosts files as root (the run root is root's only).
                                "--user=root", "--group=root"};
  for (auto& d : c.hosts_dirs) args.push_back("--hostsdir=" + d);
  if (!c.forward || !c.upstream.empty()) args.push_back("--no-resolv");
  if (c.forward)
    for (auto& u : c.upstream) args.push_back("--server=" + u);
  // Its first process exits once the server is ready (it forks a daemon,
  // in a session of its own), with the error that stopped it if any.
  HUSK_TRY_CTX(run_program(args, "dnsmasq", ProgramOptions{.new_session = true, .netns_fd = c.netns_fd}),
               "start a name server on " + c.listen.str() + ":53");
  return {};
}

void Dnsmasq::stop() const {
  int pid = running_pid();
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    // Gone before its address may be given to another server (bounded: 2 s).
    for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) {
      timespec ts{0, 10 * 1000 * 1000};
      ::nanosleep(&ts, nullptr);
    }
    if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
  }
  ::unlink((dir_ + "/dnsmasq.pid").c_str());
}

Result<void> NameServer::add(const std::string& owner, Ipv4 address,
                             const std::vector<std::string>& names) const {
  HUSK_TRY(mkdir_all(dir_ + "/hosts", 0700));
  UniqueFd lock = HUSK_TRY(open_fd(dir_ + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + dir_));
  HUSK_TRY(write_file_atomic(dir_ + "/hosts/" + owner, hosts_line(address, names), 0644));
  auto started = Dnsmasq(dir_).start(DnsmasqConfig{listen_, {hosts_dir()}, !internal_, upstream_, -1});
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
  if (list_dir(dir_ + "/hosts").empty()) Dnsmasq(dir_).stop();
  return {};
}

bool NameServer::serves(const std::string& owner) const { return path_exists(dir_ + "/hosts/" + owner); }

Result<void> NameServer::rename(const std::string& owner, Ipv4 address,
                                const std::vector<std::string>& names) const {
  if (!serves(owner)) return {};
  UniqueFd lock = HUSK_TRY(open_fd(dir_ + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + dir_));
  // Gone meanwhile (the container ended): nothing to rename.
  if (!serves(owner)) return {};
  return write_file_atomic(dir_ + "/hosts/" + owner, hosts_line(address, names), 0644);
}

Result<void> NameServer::destroy() const {
  if (!path_exists(dir_)) return {};
  {
    UniqueFd lock = HUSK_TRY(open_fd(dir_ + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    HUSK_TRY(flock_fd(lock.get(), LOCK_EX, "lock " + dir_));
    Dnsmasq(dir_).stop();
  }
  return remove_all(dir_);
}

}  // namespace husk::net
