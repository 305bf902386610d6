// linux.seccomp -> spec::Seccomp. Names are libseccomp's (seccomp.h), as
// the runtime-spec says; every error names the field it is about.
#include "spec/seccomp.hpp"

#include <nlohmann/json.hpp>

#include "spec/json_fields.hpp"

namespace husk::spec {
namespace {

using json = nlohmann::json;
using namespace json_fields;

template <typename E>
struct Named {
  E value;
  std::string_view name;
};

constexpr Named<SeccompAction> kActions[] = {
    {SeccompAction::kill, "SCMP_ACT_KILL"},
    {SeccompAction::kill_process, "SCMP_ACT_KILL_PROCESS"},
    {SeccompAction::kill_thread, "SCMP_ACT_KILL_THREAD"},
    {SeccompAction::trap, "SCMP_ACT_TRAP"},
    {SeccompAction::errno_, "SCMP_ACT_ERRNO"},
    {SeccompAction::trace, "SCMP_ACT_TRACE"},
    {SeccompAction::allow, "SCMP_ACT_ALLOW"},
    {SeccompAction::log, "SCMP_ACT_LOG"},
    {SeccompAction::notify, "SCMP_ACT_NOTIFY"},
};

constexpr Named<SeccompOp> kOps[] = {
    {SeccompOp::ne, "SCMP_CMP_NE"}, {SeccompOp::lt, "SCMP_CMP_LT"},
    {SeccompOp::le, "SCMP_CMP_LE"}, {SeccompOp::eq, "SCMP_CMP_EQ"},
    {SeccompOp::ge, "SCMP_CMP_GE"}, {SeccompOp::gt, "SCMP_CMP_GT"},
    {SeccompOp::masked_eq, "SCMP_CMP_MASKED_EQ"},
};

constexpr Named<SeccompArch> kArchs[] = {
    {SeccompArch::x86, "SCMP_ARCH_X86"},
    {SeccompArch::x86_64, "SCMP_ARCH_X86_64"},
    {SeccompArch::x32, "SCMP_ARCH_X32"},
    {SeccompArch::arm, "SCMP_ARCH_ARM"},
    {SeccompArch::aarch64, "SCMP_ARCH_AARCH64"},
    {SeccompArch::mips, "SCMP_ARCH_MIPS"},
    {SeccompArch::mips64, "SCMP_ARCH_MIPS64"},
    {SeccompArch::mips64n32, "SCMP_ARCH_MIPS64N32"},
    {SeccompArch::mipsel, "SCMP_ARCH_MIPSEL"},
    {SeccompArch::mipsel64, "SCMP_ARCH_MIPSEL64"},
    {SeccompArch::mipsel64n32, "SCMP_ARCH_MIPSEL64N32"},
    {SeccompArch::ppc, "SCMP_ARCH_PPC"},
    {SeccompArch::ppc64, "SCMP_ARCH_PPC64"},
    {SeccompArch::ppc64le, "SCMP_ARCH_PPC64LE"},
    {SeccompArch::s390, "SCMP_ARCH_S390"},
    {SeccompArch::s390x, "SCMP_ARCH_S390X"},
    {SeccompArch::parisc, "SCMP_ARCH_PARISC"},
    {SeccompArch::parisc64, "SCMP_ARCH_PARISC64"},
    {SeccompArch::riscv64, "SCMP_ARCH_RISCV64"},
};

constexpr Named<SeccompFlag> kFlags[] = {
    {SeccompFlag::tsync, "SECCOMP_FILTER_FLAG_TSYNC"},
    {SeccompFlag::log, "SECCOMP_FILTER_FLAG_LOG"},
    {SeccompFlag::spec_allow, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"},
    {SeccompFlag::wait_killable_recv, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"},
};

template <typename E, size_t N>
std::string_view name_of(const Named<E> (&table)[N], E v) {
  for (auto& n : table)
    if (n.value == v) return n.name;
  return "?";
}

template <typename E, size_t N>
std::optional<E> value_of(const Named<E> (&table)[N], std::string_view name) {
  for (auto& n : table)
    if (n.name == name) return n.value;
  return std::nullopt;
}

template <typename E, size_t N>
std::vector<std::string> names_of(const Named<E> (&table)[N]) {
  std::vector<std::string> out;
  for (auto& n : table) out.emplace_back(n.name);
  return out;
}

// A name from TABLE, or an error that lists the known ones.
template <typename E, size_t N>
Result<E> parse_name(const Named<E> (&table)[N], const std::string& name, const std::string& field,
                     const char* what) {
  if (auto v = value_of(table, name)) return *v;
  std::string known;
  for (auto& n : table) known += (known.empty() ? "" : ", ") + std::string(n.name);
  return fail(field_error(field, "unknown " + std::string(what) + " \"" + name + "\" (known: " + known + ")"));
}

Result<SeccompAction> required_action(const json& j, const char* key, const std::string& where) {
  auto name = HUSK_TRY(get_string(j, key, where, true));
  return parse_name(kActions, name, where + key, "action");
}

// errnoRet belongs to the actions that return an errno; on any other the
// spec has the runtime fail rather than drop it.
Result<std::optional<uint32_t>> errno_ret(const json& j, const char* key, const std::string& where,
                                          SeccompAction action) {
  auto v = HUSK_TRY(get_int<uint16_t>(j, key, where));
  if (v && action != SeccompAction::errno_ && action != SeccompAction::trace)
    return fail(field_error(where + key, std::string(seccomp_action_name(action)) +
                                             " returns no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)"));
  return std::optional<uint32_t>(v);
}

Result<SeccompArg> arg_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return fail(field_error(where, "must be an object"));
  std::string w = where + ".";
  SeccompArg a;
  auto index = HUSK_TRY(get_int<unsigned>(j, "index", w));
  if (!index) return fail(field_error(w + "index", "is required"));
  if (*index > 5) return fail(field_error(w + "index", "must be 0 to 5 (a system call has six arguments)"));
  a.index = *index;
  a.value = HUSK_TRY(get_int<uint64_t>(j, "value", w)).value_or(0);
  a.value_two = HUSK_TRY(get_int<uint64_t>(j, "valueTwo", w)).value_or(0);
  auto op = HUSK_TRY(get_string(j, "op", w, true));
  a.op = HUSK_TRY(parse_name(kOps, op, w + "op", "operator"));
  return a;
}

Result<SeccompRule> rule_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return fail(field_error(where, "must be an object"));
  std::string w = where + ".";
  SeccompRule r;
  r.names = HUSK_TRY(get_strings(j, "names", w));
  if (r.names.empty()) return fail(field_error(w + "names", "must name at least one system call"));
  for (auto& n : r.names)
    if (n.empty()) return fail(field_error(w + "names", "an empty string is not a system call"));
  r.action = HUSK_TRY(required_action(j, "action", w));
  r.errno_ret = HUSK_TRY(errno_ret(j, "errnoRet", w, r.action));
  if (auto* args = get_object(j, "args")) {
    if (!args->is_array()) return fail(field_error(w + "args", "must be an array"));
    for (size_t i = 0; i < args->size(); ++i)
      r.args.push_back(HUSK_TRY(arg_from_json((*args)[i], w + "args[" + std::to_string(i) + "]")));
  }
  r.extra = Extra::unknown_members(j, {"names", "action", "errnoRet", "args"});
  return r;
}

template <typename E, size_t N>
Result<std::vector<E>> name_list(const Named<E> (&table)[N], const json& j, const char* key,
                                 const std::string& where, const char* what) {
  std::vector<E> out;
  for (auto& n : HUSK_TRY(get_strings(j, key, where)))
    out.push_back(HUSK_TRY(parse_name(table, n, where + key, what)));
  return out;
}

// What the runtime's own steps between loading the filter and execve need.
// The listener's fd travels to the runtime with sendmsg: a rule that would
// hold sendmsg for the listener waits for a listener that never gets the fd;
// and write is refused as runc refuses it.
Result<void> check_notify(const Seccomp& s, const std::string& where) {
  if (s.default_action == SeccompAction::notify)
    return fail(field_error(where + "defaultAction", "SCMP_ACT_NOTIFY cannot be the default action"));
  if (!s.listener_metadata.empty() && s.listener_path.empty())
    return fail(field_error(where + "listenerMetadata", "is set without listenerPath"));
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    auto& r = s.syscalls[i];
    if (r.action != SeccompAction::notify) continue;
    std::string w = where + "syscalls[" + std::to_string(i) + "]";
    if (s.listener_path.empty())
      return fail(field_error(w + ".action", "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"));
    for (auto& n : r.names) {
      if (n == "sendmsg")
        return fail(field_error(w + ".names", "SCMP_ACT_NOTIFY cannot be used for sendmsg: the runtime "
                                              "passes the listener's descriptor with it"));
      // runc's rule (its init reports with write after the filter is on).
      if (n == "write")
        return fail(field_error(w + ".names", "SCMP_ACT_NOTIFY cannot be used for the write syscall"));
    }
  }
  return {};
}

}  // namespace

bool Seccomp::uses_notify() const {
  for (auto& r : syscalls)
    if (r.action == SeccompAction::notify) return true;
  return false;
}

Result<std::optional<Seccomp>> seccomp_from_json(const json& j, const std::string& field) {
  if (!j.is_object()) return fail(field_error(field, "must be an object"));
  std::string w = field + ".";
  auto calls = j.find("syscalls");
  bool no_calls = calls == j.end() || calls->is_null() || (calls->is_array() && calls->empty());
  if (HUSK_TRY(get_string(j, "defaultAction", w)).empty() && no_calls) return std::optional<Seccomp>();

  Seccomp s;
  s.default_action = HUSK_TRY(required_action(j, "defaultAction", w));
  s.default_errno_ret = HUSK_TRY(errno_ret(j, "defaultErrnoRet", w, s.default_action));
  s.architectures = HUSK_TRY(name_list(kArchs, j, "architectures", w, "architecture"));
  if (get_object(j, "flags")) s.flags = HUSK_TRY(name_list(kFlags, j, "flags", w, "flag"));
  s.listener_path = HUSK_TRY(get_string(j, "listenerPath", w));
  s.listener_metadata = HUSK_TRY(get_string(j, "listenerMetadata", w));
  if (!no_calls) {
    if (!calls->is_array()) return fail(field_error(w + "syscalls", "must be an array"));
    for (size_t i = 0; i < calls->size(); ++i)
      s.syscalls.push_back(HUSK_TRY(rule_from_json((*calls)[i], w + "syscalls[" + std::to_string(i) + "]")));
  }
  HUSK_TRY(check_notify(s, w));
  s.extra = Extra::unknown_members(j, {"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath",
                                       "listenerMetadata", "syscalls"});
  return std::optional<Seccomp>(std::move(s));
}

nlohmann::ordered_json seccomp_to_json(const Seccomp& s) {
  using ojson = nlohmann::ordered_json;
  ojson j = ojson::object();
  j["defaultAction"] = seccomp_action_name(s.default_action);
  if (s.default_errno_ret) j["defaultErrnoRet"] = *s.default_errno_ret;
  if (!s.architectures.empty()) {
    auto& a = j["architectures"] = ojson::array();
    for (auto arch : s.architectures) a.push_back(seccomp_arch_name(arch));
  }
  if (s.flags) {
    auto& f = j["flags"] = ojson::array();
    for (auto flag : *s.flags) f.push_back(seccomp_flag_name(flag));
  }
  if (!s.listener_path.empty()) j["listenerPath"] = s.listener_path;
  if (!s.listener_metadata.empty()) j["listenerMetadata"] = s.listener_metadata;
  if (!s.syscalls.empty()) {
    auto& calls = j["syscalls"] = ojson::array();
    for (auto& r : s.syscalls) {
      ojson rule = {{"names", r.names}, {"action", seccomp_action_name(r.action)}};
      if (r.errno_ret) rule["errnoRet"] = *r.errno_ret;
      if (!r.args.empty()) {
        auto& args = rule["args"] = ojson::array();
        for (auto& a : r.args)
          args.push_back(
              {{"index", a.index}, {"value", a.value}, {"valueTwo", a.value_two}, {"op", seccomp_op_name(a.op)}});
      }
      r.extra.put_into(rule);
      calls.push_back(std::move(rule));
    }
  }
  s.extra.put_into(j);
  return j;
}

std::string_view seccomp_action_name(SeccompAction a) { return name_of(kActions, a); }
std::string_view seccomp_op_name(SeccompOp op) { return name_of(kOps, op); }
std::string_view seccomp_arch_name(SeccompArch a) { return name_of(kArchs, a); }
std::string_view seccomp_flag_name(SeccompFlag f) { return name_of(kFlags, f); }
std::optional<SeccompAction> seccomp_action_from_name(std::string_view n) { return value_of(kActions, n); }
std::optional<SeccompOp> seccomp_op_from_name(std::string_view n) { return value_of(kOps, n); }
std::optional<SeccompArch> seccomp_arch_from_name(std::string_view n) { return value_of(kArchs, n); }
std::optional<SeccompFlag> seccomp_flag_from_name(std::string_view n) { return value_of(kFlags, n); }
std::vector<std::string> seccomp_action_names() { return names_of(kActions); }
std::vector<std::string> seccomp_op_names() { return names_of(kOps); }
std::vector<std::string> seccomp_arch_names() { return names_of(kArchs); }
std::vector<std::string> seccomp_flag_names() { return names_of(kFlags); }

}  // namespace husk::spec
