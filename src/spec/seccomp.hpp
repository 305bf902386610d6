// linux.seccomp of config.json as a typed model, validated once at parse
// time: an unknown action, operator, architecture or flag, an argument index
// past the sixth, a rule without names, an errnoRet on an action that has no
// errno, a notify rule without a listener: each is one error naming the
// field. Syscall names are not checked here: as with runc and crun, a name
// this host's libseccomp does not know is skipped when the filter is built
// (a profile written for a newer kernel still loads on an older one).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/error.hpp"
#include "spec/extra.hpp"

namespace husk::spec {

// SCMP_ACT_KILL is KILL_THREAD under its old name; kept apart only so a
// document reads back as written.
enum class SeccompAction { kill, kill_thread, kill_process, trap, errno_, trace, allow, log, notify };
enum class SeccompOp { ne, lt, le, eq, ge, gt, masked_eq };
enum class SeccompArch {
  x86,
  x86_64,
  x32,
  arm,
  aarch64,
  mips,
  mips64,
  mips64n32,
  mipsel,
  mipsel64,
  mipsel64n32,
  ppc,
  ppc64,
  ppc64le,
  s390,
  s390x,
  parisc,
  parisc64,
  riscv64,
};
enum class SeccompFlag { tsync, log, spec_allow, wait_killable_recv };

struct SeccompArg {
  unsigned index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  SeccompOp op = SeccompOp::eq;

  bool operator==(const SeccompArg&) const = default;
};

struct SeccompRule {
  std::vector<std::string> names;  // at least one, none empty
  SeccompAction action = SeccompAction::allow;
  std::optional<uint32_t> errno_ret;  // ERRNO and TRACE only
  std::vector<SeccompArg> args;       // all must match (AND)
  Extra extra;  // members the model does not know

  bool operator==(const SeccompRule&) const = default;
};

struct Seccomp {
  SeccompAction default_action = SeccompAction::allow;
  std::optional<uint32_t> default_errno_ret;
  std::vector<SeccompArch> architectures;
  // Absent is not empty: runc loads an absent list as SPEC_ALLOW.
  std::optional<std::vector<SeccompFlag>> flags;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompRule> syscalls;

  // A rule notifies a listener: the filter is loaded with one, and its fd
  // goes to listener_path.
  bool uses_notify() const;
  Extra extra;  // members the model does not know

  bool operator==(const Seccomp&) const = default;
};

// The "seccomp" object. An object with neither defaultAction nor syscalls
// means no filter (runc's reading), hence the optional.
Result<std::optional<Seccomp>> seccomp_from_json(const nlohmann::json& j, const std::string& where);

// Back to a "seccomp" object (seccomp_from_json reads the same Seccomp).
nlohmann::ordered_json seccomp_to_json(const Seccomp& s);

std::string_view seccomp_action_name(SeccompAction a);
std::string_view seccomp_op_name(SeccompOp op);
std::string_view seccomp_arch_name(SeccompArch a);
std::string_view seccomp_flag_name(SeccompFlag f);
std::optional<SeccompAction> seccomp_action_from_name(std::string_view name);
std::optional<SeccompOp> seccomp_op_from_name(std::string_view name);
std::optional<SeccompArch> seccomp_arch_from_name(std::string_view name);
std::optional<SeccompFlag> seccomp_flag_from_name(std::string_view name);

// Every value known, in the spec's spelling, for `features`.
std::vector<std::string> seccomp_action_names();
std::vector<std::string> seccomp_op_names();
std::vector<std::string> seccomp_arch_names();
std::vector<std::string> seccomp_flag_names();

}  // namespace husk::spec
