#include "cgroups/device_filter.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "base/fd.hpp"

namespace husk::cgroups {
namespace {

// The instructions we need, spelled out (the kernel's filter.h macros are
// not a uapi header).
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_u32(uint8_t dst, uint8_t src, int16_t off) {
  return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0);
}
bpf_insn mov_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn and_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm); }
bpf_insn rsh_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm); }
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm);
}
bpf_insn jeq_imm(uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// Registers: r2 device type, r3 access bits, r4 major, r5 minor, r6 scratch.
constexpr uint8_t kType = 2, kAccess = 3, kMajor = 4, kMinor = 5, kScratch = 6;

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
  }
  return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

}  // namespace

std::vector<bpf_insn> compile_device_filter(const std::vector<spec::DeviceRule>& rules) {
  std::vector<bpf_insn> p;
  // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
  p.push_back(load_u32(kType, 1, 0));
  p.push_back(mov_reg(kAccess, kType));
  p.push_back(and_imm(kType, 0xffff));
  p.push_back(rsh_imm(kAccess, 16));
  p.push_back(load_u32(kMajor, 1, 4));
  p.push_back(load_u32(kMinor, 1, 8));
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    const auto& r = *it;
    // Each condition jumps to the end of this rule's block when it fails;
    // the offsets are patched once the block's length is known.
    std::vector<bpf_insn> block;
    std::vector<size_t> to_next;
    if (r.type != 'a') {
      to_next.push_back(block.size());
      block.push_back(jne_imm(kType, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0));
    }
    int32_t bits = access_bits(r.access);
    if (bits != kAllAccess) {
      block.push_back(mov_reg(kScratch, kAccess));
      if (r.allow) {
        // An allow rule covers a request only if every asked-for access is in it.
        block.push_back(and_imm(kScratch, ~bits & kAllAccess));
        to_next.push_back(block.size());
        block.push_back(jne_imm(kScratch, 0, 0));
      } else {
        // A deny rule refuses a request that asks for any access it names.
        block.push_back(and_imm(kScratch, bits));
        to_next.push_back(block.size());
        block.push_back(jeq_imm(kScratch, 0, 0));
      }
    }
    if (r.major) {
      to_next.push_back(block.size());
      block.push_back(jne_imm(kMajor, static_cast<int32_t>(*r.major), 0));
    }
    if (r.minor) {
      to_next.push_back(block.size());
      block.push_back(jne_imm(kMinor, static_cast<int32_t>(*r.minor), 0));
    }
    block.push_back(mov_imm(0, r.allow ? 1 : 0));
    block.push_back(exit_insn());
    for (size_t j : to_next) block[j].off = static_cast<int16_t>(block.size() - j - 1);
    p.insert(p.end(), block.begin(), block.end());
    // A rule without conditions decides everything: the verifier refuses
    // code after it as unreachable, and earlier rules could never matter.
    if (to_next.empty()) return p;
  }
  p.push_back(mov_imm(0, 1));
  p.push_back(exit_insn());
  return p;
}

namespace {

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

Result<UniqueFd> load_program(const std::vector<bpf_insn>& prog) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = reinterpret_cast<uint64_t>("Apache");
  int fd = static_cast<int>(bpf(BPF_PROG_LOAD, attr));
  if (fd >= 0) return UniqueFd(fd);
  // Refused: again with the verifier's log, for the message.
  int err = errno;
  std::vector<char> log(16384);
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  UniqueFd retry(static_cast<int>(bpf(BPF_PROG_LOAD, attr)));
  std::string why = log[0] ? std::string(": ") + log.data() : "";
  return fail(Error(err, "load the device cgroup eBPF program" + why));
}

// The ids of the device programs attached to CGROUP now.
Result<std::vector<uint32_t>> attached_programs(int cgroup) {
  std::vector<uint32_t> ids(64);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(cgroup);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uint64_t>(ids.data());
  attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
  if (bpf(BPF_PROG_QUERY, attr) < 0) return fail_errno("query the cgroup's device programs");
  ids.resize(attr.query.prog_cnt);
  return ids;
}

}  // namespace

Result<void> install_device_filter(const std::string& cgroup_dir,
                                   const std::vector<spec::DeviceRule>& rules) {
  UniqueFd cgroup = HUSK_TRY(open_fd(cgroup_dir, O_RDONLY | O_DIRECTORY));
  auto old = HUSK_TRY(attached_programs(cgroup.get()));
  UniqueFd prog = HUSK_TRY(load_program(compile_device_filter(rules)));
  bpf_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(cgroup.get());
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) < 0) return fail_errno("attach the device eBPF program to " + cgroup_dir);
  // The new program is in force before the old ones go: no moment without rules.
  for (uint32_t id : old) {
    bpf_attr get;
    std::memset(&get, 0, sizeof get);
    get.prog_id = id;
    long fd = bpf(BPF_PROG_GET_FD_BY_ID, get);
    if (fd < 0) continue;  // gone meanwhile
    UniqueFd old_prog(static_cast<int>(fd));
    bpf_attr detach;
    std::memset(&detach, 0, sizeof detach);
    detach.target_fd = static_cast<uint32_t>(cgroup.get());
    detach.attach_bpf_fd = static_cast<uint32_t>(old_prog.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (bpf(BPF_PROG_DETACH, detach) < 0 && errno != ENOENT)
      return fail_errno("detach the previous device eBPF program from " + cgroup_dir);
  }
  return {};
}

}  // namespace husk::cgroups
