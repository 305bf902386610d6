// cgroups/device_filter: the eBPF program that enforces device rules on
// cgroup v2. The kernel cannot test-run BPF_PROG_TYPE_CGROUP_DEVICE
// programs, so their decisions are checked with a small interpreter of
// exactly the instructions the compiler emits; that the kernel's verifier
// accepts them, and that an installed filter really refuses an open(), is
// checked as root against this host's cgroup2 hierarchy.
#include "cgroups/device_filter.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "cgroups/resources.hpp"
#include "test_helpers.hpp"

namespace husk::cgroups {
namespace {

using spec::DeviceRule;
constexpr std::optional<int64_t> kAny = std::nullopt;

DeviceRule allow(char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                 std::string access = "rwm") {
  return {true, type, major, minor, std::move(access)};
}
DeviceRule deny(char type, std::optional<int64_t> major, std::optional<int64_t> minor,
                std::string access = "rwm") {
  return {false, type, major, minor, std::move(access)};
}
DeviceRule deny_all() { return deny('a', kAny, kAny); }

// --- an interpreter for what compile_device_filter emits

// Runs PROG on a request; returns its r0 (1 allow, 0 deny), or -1 after
// reporting a failure when the program does something the compiler should
// never emit (or the verifier would refuse).
int run(const std::vector<bpf_insn>& prog, uint32_t dev_type, uint32_t access, uint32_t major,
        uint32_t minor) {
  const uint32_t ctx[3] = {(access << 16) | dev_type, major, minor};  // struct bpf_cgroup_dev_ctx
  uint64_t reg[11] = {};
  bool init[11] = {};
  bool is_ctx[11] = {};
  init[1] = is_ctx[1] = true;
  init[10] = true;
  auto bad = [&](size_t pc, const std::string& why) {
    ADD_FAILURE() << "instruction " << pc << " (code 0x" << std::hex << int(prog[pc].code) << std::dec
                  << "): " << why;
    return -1;
  };
  size_t pc = 0;
  for (int steps = 0; steps < 100000; ++steps) {
    if (pc >= prog.size()) {
      ADD_FAILURE() << "ran off the end of the program at " << pc;
      return -1;
    }
    const bpf_insn& i = prog[pc];
    uint8_t dst = i.dst_reg, src = i.src_reg;
    if (dst > 10 || src > 10) return bad(pc, "no such register");
    uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm));  // sign-extended, as the kernel does
    switch (i.code) {
      case BPF_LDX | BPF_W | BPF_MEM:
        if (!is_ctx[src]) return bad(pc, "load from a register that is not the context");
        if (i.off != 0 && i.off != 4 && i.off != 8) return bad(pc, "load outside bpf_cgroup_dev_ctx");
        if (dst == 10) return bad(pc, "write to the frame pointer");
        reg[dst] = ctx[i.off / 4];
        init[dst] = true;
        is_ctx[dst] = false;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        reg[dst] = imm;
        init[dst] = true;
        is_ctx[dst] = false;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_X:
        if (!init[src]) return bad(pc, "read of an unset register");
        reg[dst] = reg[src];
        init[dst] = true;
        is_ctx[dst] = is_ctx[src];
        break;
      case BPF_ALU64 | BPF_AND | BPF_K:
        if (!init[dst] || is_ctx[dst]) return bad(pc, "and on an unset register or the context");
        reg[dst] &= imm;
        break;
      case BPF_ALU64 | BPF_RSH | BPF_K:
        if (!init[dst] || is_ctx[dst]) return bad(pc, "shift of an unset register or the context");
        if (i.imm < 0 || i.imm >= 64) return bad(pc, "shift out of range");
        reg[dst] >>= i.imm;
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
      case BPF_JMP | BPF_JEQ | BPF_K: {
        if (!init[dst] || is_ctx[dst]) return bad(pc, "compare of an unset register or the context");
        bool eq = reg[dst] == imm;
        bool jump = (i.code == (BPF_JMP | BPF_JEQ | BPF_K)) ? eq : !eq;
        if (i.off < 0) return bad(pc, "backward jump");
        if (jump) pc += i.off;
        break;
      }
      case BPF_JMP | BPF_EXIT:
        if (!init[0]) return bad(pc, "exit with r0 unset");
        if (reg[0] > 1) return bad(pc, "a device program returns 0 or 1");
        return static_cast<int>(reg[0]);
      default:
        return bad(pc, "an instruction the interpreter does not know");
    }
    ++pc;
  }
  ADD_FAILURE() << "no exit after 100000 steps";
  return -1;
}

// ACCESS of "rwm" letters on device TYPE ('c' or 'b') MAJOR:MINOR: allowed?
int decide(const std::vector<DeviceRule>& rules, char type, uint32_t major, uint32_t minor,
           const std::string& access) {
  uint32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  uint32_t t = type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
  return run(compile_device_filter(rules), t, bits, major, minor);
}

constexpr int kAllow = 1, kDeny = 0;

TEST(DeviceFilterDecisions, NoRulesAllowEverything) {
  EXPECT_EQ(decide({}, 'c', 1, 3, "r"), kAllow);
  EXPECT_EQ(decide({}, 'b', 8, 0, "rwm"), kAllow);
  EXPECT_EQ(decide({}, 'c', 10, 200, "w"), kAllow);
}

TEST(DeviceFilterDecisions, DenyAllThenAllowNull) {
  std::vector<DeviceRule> rules = {deny_all(), allow('c', 1, 3)};
  EXPECT_EQ(decide(rules, 'c', 1, 3, "r"), kAllow) << "/dev/null read";
  EXPECT_EQ(decide(rules, 'c', 1, 3, "w"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "rw"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "m"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 1, 5, "r"), kDeny) << "/dev/zero";
  EXPECT_EQ(decide(rules, 'c', 3, 1, "r"), kDeny) << "major and minor are not interchangeable";
  EXPECT_EQ(decide(rules, 'b', 8, 0, "r"), kDeny) << "sda";
  EXPECT_EQ(decide(rules, 'b', 1, 3, "r"), kDeny) << "a block device with null's numbers";
}

TEST(DeviceFilterDecisions, DenyAllDeniesEverything) {
  std::vector<DeviceRule> rules = {deny_all()};
  for (const char* access : {"r", "w", "m", "rwm"}) {
    EXPECT_EQ(decide(rules, 'c', 1, 3, access), kDeny) << access;
    EXPECT_EQ(decide(rules, 'b', 8, 0, access), kDeny) << access;
  }
}

TEST(DeviceFilterDecisions, LaterRulesOverrideEarlierOnes) {
  EXPECT_EQ(decide({allow('c', 1, 3), deny('c', 1, 3)}, 'c', 1, 3, "r"), kDeny);
  EXPECT_EQ(decide({deny('c', 1, 3), allow('c', 1, 3)}, 'c', 1, 3, "r"), kAllow);
  std::vector<DeviceRule> rules = {deny_all(), allow('c', kAny, kAny), deny('c', 1, 5)};
  EXPECT_EQ(decide(rules, 'c', 1, 5, "r"), kDeny);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "r"), kAllow);
  EXPECT_EQ(decide(rules, 'b', 8, 0, "r"), kDeny);
  // Allow everything again at the end.
  rules.push_back(allow('a', kAny, kAny));
  EXPECT_EQ(decide(rules, 'c', 1, 5, "r"), kAllow);
  EXPECT_EQ(decide(rules, 'b', 8, 0, "rwm"), kAllow);
}

TEST(DeviceFilterDecisions, AnAllowRuleCoversOnlyTheAccessItNames) {
  std::vector<DeviceRule> rules = {deny_all(), allow('c', 1, 3, "r")};
  EXPECT_EQ(decide(rules, 'c', 1, 3, "r"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "w"), kDeny);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "rw"), kDeny) << "every access asked for must be allowed";
  EXPECT_EQ(decide(rules, 'c', 1, 3, "m"), kDeny);
  rules = {deny_all(), allow('c', 1, 3, "rw")};
  EXPECT_EQ(decide(rules, 'c', 1, 3, "rw"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "w"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "m"), kDeny);
}

TEST(DeviceFilterDecisions, ADenyRuleRefusesAnyAccessItNames) {
  std::vector<DeviceRule> rules = {allow('a', kAny, kAny), deny('c', 1, 3, "w")};
  EXPECT_EQ(decide(rules, 'c', 1, 3, "rw"), kDeny);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "w"), kDeny);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "r"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 1, 3, "m"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 1, 5, "w"), kAllow) << "another device";
}

TEST(DeviceFilterDecisions, Wildcards) {
  std::vector<DeviceRule> pts = {deny_all(), allow('c', 136, kAny)};
  EXPECT_EQ(decide(pts, 'c', 136, 0, "rw"), kAllow);
  EXPECT_EQ(decide(pts, 'c', 136, 4711, "rw"), kAllow);
  EXPECT_EQ(decide(pts, 'c', 137, 0, "rw"), kDeny);
  EXPECT_EQ(decide(pts, 'b', 136, 0, "rw"), kDeny);

  std::vector<DeviceRule> any_major = {deny_all(), allow('c', kAny, 3)};
  EXPECT_EQ(decide(any_major, 'c', 7, 3, "r"), kAllow);
  EXPECT_EQ(decide(any_major, 'c', 7, 4, "r"), kDeny);

  std::vector<DeviceRule> mknod_only = {deny_all(), allow('b', kAny, kAny, "m")};
  EXPECT_EQ(decide(mknod_only, 'b', 8, 0, "m"), kAllow);
  EXPECT_EQ(decide(mknod_only, 'b', 259, 1, "m"), kAllow);
  EXPECT_EQ(decide(mknod_only, 'b', 8, 0, "r"), kDeny);
  EXPECT_EQ(decide(mknod_only, 'c', 1, 3, "m"), kDeny);

  std::vector<DeviceRule> all_of_type_a = {deny_all(), allow('a', kAny, kAny, "r")};
  EXPECT_EQ(decide(all_of_type_a, 'b', 8, 0, "r"), kAllow);
  EXPECT_EQ(decide(all_of_type_a, 'c', 1, 3, "r"), kAllow);
  EXPECT_EQ(decide(all_of_type_a, 'c', 1, 3, "w"), kDeny);
}

TEST(DeviceFilterDecisions, LargeDeviceNumbers) {
  // Majors and minors are u32 in the context; dynamic majors are high.
  std::vector<DeviceRule> rules = {deny_all(), allow('c', 511, 1048575)};
  EXPECT_EQ(decide(rules, 'c', 511, 1048575, "r"), kAllow);
  EXPECT_EQ(decide(rules, 'c', 511, 1048574, "r"), kDeny);
}

TEST(DeviceFilterDecisions, RuncsDefaultsBehindDenyAll) {
  auto rules = effective_device_rules({deny_all()}, {allow('c', 10, 229)});
  EXPECT_EQ(decide(rules, 'c', 1, 3, "rw"), kAllow) << "null";
  EXPECT_EQ(decide(rules, 'c', 1, 5, "r"), kAllow) << "zero";
  EXPECT_EQ(decide(rules, 'c', 1, 9, "r"), kAllow) << "urandom";
  EXPECT_EQ(decide(rules, 'c', 5, 2, "rw"), kAllow) << "ptmx";
  EXPECT_EQ(decide(rules, 'c', 136, 3, "rw"), kAllow) << "pts/3";
  EXPECT_EQ(decide(rules, 'c', 10, 229, "rw"), kAllow) << "a created device (fuse)";
  EXPECT_EQ(decide(rules, 'c', 4, 0, "r"), kDeny) << "tty0";
  EXPECT_EQ(decide(rules, 'c', 4, 0, "m"), kAllow) << "mknod of any char device";
  EXPECT_EQ(decide(rules, 'b', 8, 0, "r"), kDeny) << "sda";
  EXPECT_EQ(decide(rules, 'b', 8, 0, "m"), kAllow) << "mknod of any block device";
  EXPECT_EQ(decide(rules, 'c', 1, 1, "r"), kDeny) << "/dev/mem";
}

TEST(DeviceFilterProgram, EndsAllowingWhatNoRuleMatched) {
  auto prog = compile_device_filter({deny('c', 1, 3)});
  ASSERT_GE(prog.size(), 2u);
  EXPECT_EQ(prog[prog.size() - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
  EXPECT_EQ(prog[prog.size() - 2].dst_reg, 0);
  EXPECT_EQ(prog[prog.size() - 2].imm, 1);
  EXPECT_EQ(prog.back().code, BPF_JMP | BPF_EXIT);
  // More rules, a longer program; every rule ends in its own exit.
  auto longer = compile_device_filter({deny('c', 1, 3), allow('b', 8, 0, "r")});
  EXPECT_GT(longer.size(), prog.size());
  int exits = 0;
  for (auto& i : longer) exits += i.code == (BPF_JMP | BPF_EXIT);
  EXPECT_EQ(exits, 3);
}

// The instructions no path from the first one reaches; the kernel's verifier
// refuses a program with any ("unreachable insn N", EINVAL).
std::vector<size_t> unreachable(const std::vector<bpf_insn>& prog) {
  std::vector<bool> seen(prog.size(), false);
  std::vector<size_t> todo = {0};
  while (!todo.empty()) {
    size_t pc = todo.back();
    todo.pop_back();
    if (pc >= prog.size() || seen[pc]) continue;
    seen[pc] = true;
    uint8_t code = prog[pc].code;
    if (code == (BPF_JMP | BPF_EXIT)) continue;
    if (BPF_CLASS(code) == BPF_JMP) todo.push_back(pc + 1 + prog[pc].off);
    todo.push_back(pc + 1);
  }
  std::vector<size_t> out;
  for (size_t i = 0; i < prog.size(); ++i)
    if (!seen[i]) out.push_back(i);
  return out;
}

TEST(DeviceFilterProgram, RulesWithConditionsLeaveNoDeadCode) {
  EXPECT_TRUE(unreachable(compile_device_filter({})).empty());
  EXPECT_TRUE(unreachable(compile_device_filter({deny('c', kAny, kAny), allow('c', 1, 3, "r")})).empty());
  EXPECT_TRUE(unreachable(compile_device_filter({deny('a', kAny, kAny, "w"), allow('b', 8, kAny)})).empty());
}

// Regression: a rule that matches every request (the "deny everything" a
// config starts with) compiled to an unconditional exit followed by code the
// verifier refused as unreachable. Nothing may follow such a rule.
TEST(DeviceFilterProgram, ACatchAllRuleLeavesNoDeadCode) {
  using Indexes = std::vector<size_t>;
  EXPECT_EQ(unreachable(compile_device_filter({deny_all()})), Indexes{});
  EXPECT_EQ(unreachable(compile_device_filter({deny_all(), allow('c', 1, 3)})), Indexes{});
  EXPECT_EQ(unreachable(compile_device_filter({allow('c', 1, 3), allow('a', kAny, kAny)})), Indexes{});
  EXPECT_EQ(unreachable(compile_device_filter(effective_device_rules({deny_all()}, {}))), Indexes{});
}

// --- the kernel's verifier

long sys_bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

// Loads PROG as a device cgroup program: its fd, or -1 with ERROR set to
// errno and the verifier's log.
int load_in_kernel(const std::vector<bpf_insn>& prog, std::string& error) {
  std::vector<char> log(65536);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = reinterpret_cast<uint64_t>("Apache");
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  int fd = static_cast<int>(sys_bpf(BPF_PROG_LOAD, attr));
  if (fd < 0) error = std::string(std::strerror(errno)) + "\n" + log.data();
  return fd;
}

// "" when the verifier accepts PROG, else why not.
std::string kernel_load(const std::vector<bpf_insn>& prog) {
  std::string error;
  int fd = load_in_kernel(prog, error);
  if (fd >= 0) ::close(fd);
  return error;
}

class DeviceFilterKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "loading BPF programs needs root";
  }
};

// Regression: was refused with "unreachable insn 64".
TEST_F(DeviceFilterKernel, VerifierAcceptsRuncsDefaultRules) {
  auto rules = effective_device_rules({deny_all()}, {});
  EXPECT_EQ(kernel_load(compile_device_filter(rules)), "");
}

TEST_F(DeviceFilterKernel, VerifierAcceptsRulesWithConditions) {
  const std::vector<std::vector<DeviceRule>> sets = {
      {},
      {deny('c', kAny, kAny), deny('b', kAny, kAny), allow('c', 1, 3, "r"), allow('b', 8, kAny, "rw"),
       deny('c', kAny, 5, "w"), allow('b', kAny, kAny, "m")},
      {allow('c', 511, 1048575, "wm"), deny('b', 259, 0, "m"), deny('a', kAny, kAny, "r")},
  };
  for (size_t i = 0; i < sets.size(); ++i)
    EXPECT_EQ(kernel_load(compile_device_filter(sets[i])), "") << "set " << i;
}

// Regression: were refused with "unreachable insn 8" / "unreachable insn 36".
TEST_F(DeviceFilterKernel, VerifierAcceptsCatchAllRules) {
  const std::vector<std::vector<DeviceRule>> sets = {
      {deny_all()},
      {allow('a', kAny, kAny)},
      {deny_all(), allow('c', 1, 3, "r"), allow('b', 8, kAny, "rw"), deny('c', kAny, 5, "w"),
       allow('b', kAny, kAny, "m")},
  };
  for (size_t i = 0; i < sets.size(); ++i)
    EXPECT_EQ(kernel_load(compile_device_filter(sets[i])), "") << "set " << i;
}

// --- a real cgroup on this host's cgroup2 hierarchy

// Where cgroup2 is mounted: a hybrid host's /sys/fs/cgroup/unified, or a
// pure v2 host's /sys/fs/cgroup; "" when neither.
std::string cgroup2_mount() {
  for (const char* p : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    struct statfs fs;
    if (::statfs(p, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) return p;
  }
  return "";
}

// What a child saw: 0 or the errno of each step.
struct ChildReport {
  int join = -1;
  int open_null = -1;
  int open_zero = -1;
};

class DeviceFilterCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: creates a cgroup and attaches a BPF program";
    std::string mount = cgroup2_mount();
    if (mount.empty())
      GTEST_SKIP() << "no cgroup2 hierarchy mounted at /sys/fs/cgroup/unified or /sys/fs/cgroup";
    std::random_device rd;
    dir_ = mount + "/husk-unit-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0) << dir_ << ": " << std::strerror(errno);
    made_ = true;
  }

  void TearDown() override {
    for (pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    children_.clear();
    if (!made_) return;
    // Whatever is still in the cgroup (only our children can be) goes first.
    (void)write_file(dir_ + "/cgroup.kill", "1");
    for (int attempt = 0; attempt < 500; ++attempt) {
      if (::rmdir(dir_.c_str()) == 0 || errno == ENOENT) return;
      ::usleep(2000);
    }
    ADD_FAILURE() << "could not remove " << dir_ << ": " << std::strerror(errno);
  }

  // Forks a child that joins the cgroup and opens /dev/null and /dev/zero
  // for reading; the child exits whatever happens (and is killed after 5 s).
  ChildReport run_child() {
    ChildReport report;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << std::strerror(errno);
      return report;
    }
    std::string procs = dir_ + "/cgroup.procs";
    pid_t pid = ::fork();
    if (pid < 0) {
      ADD_FAILURE() << "fork: " << std::strerror(errno);
      ::close(fds[0]);
      ::close(fds[1]);
      return report;
    }
    if (pid == 0) {
      ::alarm(5);
      ::close(fds[0]);
      ChildReport r;
      char buf[32];
      int n = std::snprintf(buf, sizeof buf, "%d", static_cast<int>(::getpid()));
      int procs_fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
      r.join = procs_fd < 0 ? errno : (::write(procs_fd, buf, n) == n ? 0 : errno);
      if (procs_fd >= 0) ::close(procs_fd);
      if (r.join == 0) {
        int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        r.open_null = null_fd < 0 ? errno : 0;
        if (null_fd >= 0) ::close(null_fd);
        int zero_fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
        r.open_zero = zero_fd < 0 ? errno : 0;
        if (zero_fd >= 0) ::close(zero_fd);
      }
      (void)!::write(fds[1], &r, sizeof r);
      ::_exit(0);
    }
    children_.push_back(pid);
    ::close(fds[1]);
    struct pollfd p = {fds[0], POLLIN, 0};
    if (::poll(&p, 1, 5000) == 1) {
      if (::read(fds[0], &report, sizeof report) != static_cast<ssize_t>(sizeof report))
        ADD_FAILURE() << "short report from the child";
    } else {
      ADD_FAILURE() << "the child did not report within 5 s";
      ::kill(pid, SIGKILL);
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    children_.pop_back();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    return report;
  }

  // The ids of the device programs attached to the cgroup.
  std::vector<uint32_t> attached() {
    std::vector<uint32_t> ids(16);
    int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      ADD_FAILURE() << "open " << dir_ << ": " << std::strerror(errno);
      return {};
    }
    bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.query.target_fd = static_cast<uint32_t>(fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    long r = sys_bpf(BPF_PROG_QUERY, attr);
    int err = errno;
    ::close(fd);
    if (r < 0) {
      ADD_FAILURE() << "BPF_PROG_QUERY: " << std::strerror(err);
      return {};
    }
    ids.resize(attr.query.prog_cnt);
    return ids;
  }

  void check_open_and_update(const std::vector<DeviceRule>& first, const std::vector<DeviceRule>& second);

  std::string dir_;
  bool made_ = false;
  std::vector<pid_t> children_;
};

// Installs FIRST (which must allow reading /dev/null and refuse /dev/zero),
// checks a child in the cgroup sees that, then installs SECOND (which also
// allows reading /dev/zero) and checks it replaced the first.
void DeviceFilterCgroup::check_open_and_update(const std::vector<DeviceRule>& first,
                                               const std::vector<DeviceRule>& second) {
  auto r = install_device_filter(dir_, first);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  auto before = attached();
  ASSERT_EQ(before.size(), 1u);

  ChildReport seen = run_child();
  ASSERT_EQ(seen.join, 0) << "joining " << dir_ << ": " << std::strerror(seen.join);
  EXPECT_EQ(seen.open_null, 0) << "/dev/null (c 1:3) is allowed: " << std::strerror(seen.open_null);
  EXPECT_EQ(seen.open_zero, EPERM) << "/dev/zero (c 1:5) is not: " << std::strerror(seen.open_zero);

  // An update: the old program must be gone, not stacked.
  r = install_device_filter(dir_, second);
  ASSERT_TRUE(r.has_value()) << r.error().what();
  auto after = attached();
  ASSERT_EQ(after.size(), 1u) << "one program after the update";
  EXPECT_NE(after[0], before[0]) << "the new program replaced the old one";

  seen = run_child();
  ASSERT_EQ(seen.join, 0) << std::strerror(seen.join);
  EXPECT_EQ(seen.open_null, 0) << std::strerror(seen.open_null);
  EXPECT_EQ(seen.open_zero, 0) << "allowed after the update: " << std::strerror(seen.open_zero);
}

// Regression: a config's "deny everything" could not be installed at all.
TEST_F(DeviceFilterCgroup, DenyAllThenAllowNullRefusesZeroAndAnUpdateReplacesIt) {
  check_open_and_update({deny_all(), allow('c', 1, 3)},
                        {deny_all(), allow('c', 1, 3), allow('c', 1, 5, "r")});
}

// The same check with rules that deny every char and block device without a
// catch-all rule: a program the verifier accepts (VerifierAcceptsRulesWith
// Conditions), so this tests the install path itself (load, attach, replace).
// Regression: load_program passed a log buffer with log_level 0, which the
// kernel refuses for every program.
TEST_F(DeviceFilterCgroup, DenyByTypeThenAllowNullRefusesZeroAndAnUpdateReplacesIt) {
  std::vector<DeviceRule> base = {deny('c', kAny, kAny), deny('b', kAny, kAny), allow('c', 1, 3)};
  std::vector<DeviceRule> updated = base;
  updated.push_back(allow('c', 1, 5, "r"));
  check_open_and_update(base, updated);
}

size_t open_fds() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

// Regression: the retry that fetches the verifier's log leaked its fd.
TEST_F(DeviceFilterCgroup, InstallLeavesNoFdBehind) {
  std::vector<DeviceRule> rules = {deny('c', kAny, kAny), allow('c', 1, 3)};
  size_t before = open_fds();
  (void)install_device_filter(dir_, rules);
  (void)install_device_filter(dir_, rules);
  EXPECT_EQ(open_fds(), before);
}

// The compiled program, loaded and attached by hand (not through
// install_device_filter), enforced by the real kernel: the context layout
// and access bits the interpreter above assumes are the kernel's.
TEST_F(DeviceFilterCgroup, TheKernelEnforcesTheCompiledProgram) {
  auto prog = compile_device_filter({deny('c', kAny, kAny), deny('b', kAny, kAny), allow('c', 1, 3, "r")});
  std::string error;
  int prog_fd = load_in_kernel(prog, error);
  ASSERT_GE(prog_fd, 0) << error;
  int cg = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(cg, 0) << std::strerror(errno);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cg);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  long attached_ok = sys_bpf(BPF_PROG_ATTACH, attr);
  int err = errno;
  ::close(cg);
  ::close(prog_fd);  // the attachment keeps the program; rmdir of the cgroup drops it
  ASSERT_EQ(attached_ok, 0) << "BPF_PROG_ATTACH: " << std::strerror(err);
  EXPECT_EQ(attached().size(), 1u);

  ChildReport seen = run_child();
  ASSERT_EQ(seen.join, 0) << "joining " << dir_ << ": " << std::strerror(seen.join);
  EXPECT_EQ(seen.open_null, 0) << "read of c 1:3 is allowed: " << std::strerror(seen.open_null);
  EXPECT_EQ(seen.open_zero, EPERM) << "c 1:5 is not: " << std::strerror(seen.open_zero);
}

TEST(InstallDeviceFilter, MissingCgroupIsAnError) {
  auto r = install_device_filter("/sys/fs/cgroup/husk-unit-no-such-cgroup", {deny_all()});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().err(), ENOENT) << r.error().what();
}

}  // namespace
}  // namespace husk::cgroups
