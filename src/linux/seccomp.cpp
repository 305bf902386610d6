#include "linux/seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <memory>

#include "linux/sync.hpp"

namespace husk::linux {
namespace {

using spec::SeccompAction;

uint32_t action_value(SeccompAction a, std::optional<uint32_t> errno_ret) {
  switch (a) {
    case SeccompAction::kill:
    case SeccompAction::kill_thread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kill_process:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::trap:
      return SCMP_ACT_TRAP;
    case SeccompAction::errno_:
      return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
    case SeccompAction::trace:
      return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
    case SeccompAction::allow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::log:
      return SCMP_ACT_LOG;
    case SeccompAction::notify:
      return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare op_value(spec::SeccompOp op) {
  switch (op) {
    case spec::SeccompOp::ne:
      return SCMP_CMP_NE;
    case spec::SeccompOp::lt:
      return SCMP_CMP_LT;
    case spec::SeccompOp::le:
      return SCMP_CMP_LE;
    case spec::SeccompOp::eq:
      return SCMP_CMP_EQ;
    case spec::SeccompOp::ge:
      return SCMP_CMP_GE;
    case spec::SeccompOp::gt:
      return SCMP_CMP_GT;
    case spec::SeccompOp::masked_eq:
      return SCMP_CMP_MASKED_EQ;
  }
  return _SCMP_CMP_MIN;
}

uint32_t arch_token(spec::SeccompArch a) {
  using A = spec::SeccompArch;
  switch (a) {
    case A::x86: return SCMP_ARCH_X86;
    case A::x86_64: return SCMP_ARCH_X86_64;
    case A::x32: return SCMP_ARCH_X32;
    case A::arm: return SCMP_ARCH_ARM;
    case A::aarch64: return SCMP_ARCH_AARCH64;
    case A::mips: return SCMP_ARCH_MIPS;
    case A::mips64: return SCMP_ARCH_MIPS64;
    case A::mips64n32: return SCMP_ARCH_MIPS64N32;
    case A::mipsel: return SCMP_ARCH_MIPSEL;
    case A::mipsel64: return SCMP_ARCH_MIPSEL64;
    case A::mipsel64n32: return SCMP_ARCH_MIPSEL64N32;
    case A::ppc: return SCMP_ARCH_PPC;
    case A::ppc64: return SCMP_ARCH_PPC64;
    case A::ppc64le: return SCMP_ARCH_PPC64LE;
    case A::s390: return SCMP_ARCH_S390;
    case A::s390x: return SCMP_ARCH_S390X;
    case A::parisc: return SCMP_ARCH_PARISC;
    case A::parisc64: return SCMP_ARCH_PARISC64;
    case A::riscv64: return SCMP_ARCH_RISCV64;
  }
  return SCMP_ARCH_NATIVE;
}

unsigned flag_bit(spec::SeccompFlag f) {
  switch (f) {
    case spec::SeccompFlag::tsync: return SECCOMP_FILTER_FLAG_TSYNC;
    case spec::SeccompFlag::log: return SECCOMP_FILTER_FLAG_LOG;
    case spec::SeccompFlag::spec_allow: return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    case spec::SeccompFlag::wait_killable_recv: return SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }
  return 0;
}

unsigned filter_flags(const spec::Seccomp& s) {
  unsigned flags = s.flags ? 0 : SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  if (s.flags)
    for (auto f : *s.flags) flags |= flag_bit(f);
  if (s.uses_notify()) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel takes TSYNC with a listener only if a failed sync may say ESRCH.
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else {
    // Meaningful only with a listener, and refused by the kernel without one.
    flags &= ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  }
  return flags;
}

using FilterCtx = std::unique_ptr<void, decltype(&seccomp_release)>;

Result<void> add_rule(scmp_filter_ctx ctx, const spec::SeccompRule& r, uint32_t action, int nr,
                      const std::string& name) {
  std::vector<scmp_arg_cmp> conds;
  std::array<int, 6> per_index{};
  bool same_index = false;
  for (auto& a : r.args) {
    conds.push_back({a.index, op_value(a.op), a.value, a.value_two});
    same_index |= ++per_index[a.index] > 1;
  }
  auto fail_rc = [&](int rc) { return fail(Error(-rc, "seccomp rule for " + name)); };
  if (!same_index) {
    int rc = seccomp_rule_add_array(ctx, action, nr, conds.size(), conds.data());
    if (rc < 0) return fail_rc(rc);
    return {};
  }
  // libseccomp takes one test per argument in a rule: runc's reading of
  // several on the same argument is one rule each, any of which matches.
  for (auto& c : conds) {
    int rc = seccomp_rule_add_array(ctx, action, nr, 1, &c);
    if (rc < 0) return fail_rc(rc);
  }
  return {};
}

Result<void> add_rules(scmp_filter_ctx ctx, const spec::Seccomp& s, uint32_t default_action) {
  for (auto& r : s.syscalls) {
    uint32_t action = action_value(r.action, r.errno_ret);
    if (action == default_action) continue;  // libseccomp refuses it, and it changes nothing
    for (auto& name : r.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp: runc skips it too
      HUSK_TRY(add_rule(ctx, r, action, nr, name));
    }
  }
  return {};
}

Result<std::vector<sock_filter>> export_bpf(scmp_filter_ctx ctx) {
  // libseccomp 2.5 exports only to a file descriptor.
  UniqueFd mem(::memfd_create("husk-seccomp", MFD_CLOEXEC));
  if (!mem) return fail_errno("memfd for the seccomp filter");
  if (int rc = seccomp_export_bpf(ctx, mem.get()); rc < 0)
    return fail(Error(-rc, "generate the seccomp filter"));
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size < 0) return fail_errno("size of the seccomp filter");
  if (size % sizeof(sock_filter) != 0 || size / sizeof(sock_filter) > BPF_MAXINSNS)
    return fail_code(E2BIG, "the seccomp filter has " + std::to_string(size / sizeof(sock_filter)) +
                                " instructions; the kernel takes at most " + std::to_string(BPF_MAXINSNS));
  std::vector<sock_filter> code(size / sizeof(sock_filter));
  if (::pread(mem.get(), code.data(), size, 0) != size) return fail_errno("read the seccomp filter");
  return code;
}

}  // namespace

bool SeccompProgram::listener() const { return flags & SECCOMP_FILTER_FLAG_NEW_LISTENER; }

Result<SeccompProgram> compile_seccomp(const spec::Seccomp& s) {
  uint32_t default_action = action_value(s.default_action, s.default_errno_ret);
  FilterCtx ctx(seccomp_init(default_action), &seccomp_release);
  if (!ctx) return fail_code(EINVAL, "seccomp: cannot make a filter with default action " +
                                         std::string(spec::seccomp_action_name(s.default_action)));
  for (auto arch : s.architectures) {
    int rc = seccomp_arch_add(ctx.get(), arch_token(arch));
    if (rc < 0 && rc != -EEXIST)  // the native one is always there
      return fail(Error(-rc, "seccomp: add architecture " + std::string(spec::seccomp_arch_name(arch))));
  }
  // A binary search over the syscall numbers instead of a linear scan, for
  // long lists (libseccomp 2.5 misbuilds it for an empty one: runc's limit).
  if (s.syscalls.size() > 32) (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  HUSK_TRY_CTX(add_rules(ctx.get(), s, default_action), "seccomp");
  SeccompProgram p;
  p.code = HUSK_TRY(export_bpf(ctx.get()));
  p.flags = filter_flags(s);
  return p;
}

Result<UniqueFd> load_seccomp(const SeccompProgram& p) {
  sock_fprog prog{static_cast<unsigned short>(p.code.size()), const_cast<sock_filter*>(p.code.data())};
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p.flags, &prog);
  if (rc < 0) return fail_errno("load the seccomp filter");
  return p.listener() ? UniqueFd(static_cast<int>(rc)) : UniqueFd();
}

Result<void> apply_seccomp(const SeccompProgram& p, const SyncChannel& channel) {
  UniqueFd listener = HUSK_TRY(load_seccomp(p));
  if (!listener) return {};
  HUSK_TRY(channel.send(SyncMsg::seccomp_listener));
  return send_fd(channel.fd(), listener.get(), "seccompFd");
}

Result<void> forward_seccomp_listener(const SyncChannel& channel, const std::string& path,
                                      const std::string& state_json) {
  HUSK_TRY(channel.expect(SyncMsg::seccomp_listener));
  UniqueFd listener = HUSK_TRY_CTX(receive_fd(channel.fd()), "receive the seccomp listener");
  return send_to_seccomp_listener(path, listener.get(), state_json);
}

std::vector<std::string> supported_seccomp_flags() {
  std::vector<std::string> out;
  for (auto& name : spec::seccomp_flag_names()) {
    unsigned bit = flag_bit(*spec::seccomp_flag_from_name(name));
    if (bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) bit |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // A flag the kernel knows fails on the missing program (EFAULT), not on the flag (EINVAL).
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, bit, nullptr) < 0 && errno == EFAULT)
      out.push_back(name);
  }
  return out;
}

Result<void> send_to_seccomp_listener(const std::string& path, int fd, const std::string& state_json) {
  auto where = "seccomp listener " + path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return fail_code(ENAMETOOLONG, where + ": path too long");
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno(where + ": socket");
  int rc;
  do {
    rc = ::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return fail_errno("connect to " + where);
  return with_context(send_fd(sock.get(), fd, state_json), where);
}

}  // namespace husk::linux
