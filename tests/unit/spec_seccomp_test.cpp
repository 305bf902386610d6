// spec/seccomp: linux.seccomp into the typed model; what is refused (with
// the field named) and what is accepted as runc accepts it.
#include "spec/seccomp.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spec/config.hpp"
#include "test_helpers.hpp"

namespace husk::spec {
namespace {

using nlohmann::json;
using testing::FailsWith;
using Strings = std::vector<std::string>;

Result<std::optional<Seccomp>> parse(const json& j) { return seccomp_from_json(j, "linux.seccomp"); }

Seccomp parse_ok(const json& j) {
  auto s = parse(j);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().what());
  EXPECT_TRUE(s && s->has_value());
  return s && *s ? **s : Seccomp{};
}

json rule(Strings names, const char* action) { return json{{"names", names}, {"action", action}}; }

TEST(SpecSeccomp, EveryField) {
  auto s = parse_ok(json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "listenerPath": "/run/agent.sock",
    "listenerMetadata": "hello",
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": 4294967295, "valueTwo": 18446744073709551615, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}
    ]})"));
  EXPECT_EQ(s.default_action, SeccompAction::errno_);
  EXPECT_EQ(s.default_errno_ret, 38u);
  EXPECT_EQ(s.architectures,
            (std::vector<SeccompArch>{SeccompArch::x86_64, SeccompArch::x86, SeccompArch::x32}));
  ASSERT_TRUE(s.flags);
  EXPECT_EQ(*s.flags, (std::vector<SeccompFlag>{SeccompFlag::log, SeccompFlag::spec_allow}));
  EXPECT_EQ(s.listener_path, "/run/agent.sock");
  EXPECT_EQ(s.listener_metadata, "hello");
  ASSERT_EQ(s.syscalls.size(), 4u);
  EXPECT_EQ(s.syscalls[0].names, (Strings{"read", "write"}));
  EXPECT_FALSE(s.syscalls[0].errno_ret);
  EXPECT_EQ(s.syscalls[1].errno_ret, 13u);
  ASSERT_EQ(s.syscalls[2].args.size(), 2u);
  EXPECT_EQ(s.syscalls[2].args[0].index, 0u);
  EXPECT_EQ(s.syscalls[2].args[0].value, 8u);
  EXPECT_EQ(s.syscalls[2].args[0].value_two, 0u);
  EXPECT_EQ(s.syscalls[2].args[1].op, SeccompOp::masked_eq);
  EXPECT_EQ(s.syscalls[2].args[1].value, 4294967295u);
  EXPECT_EQ(s.syscalls[2].args[1].value_two, UINT64_MAX);
  EXPECT_TRUE(s.uses_notify());
}

TEST(SpecSeccomp, EveryNameOfTheSpec) {
  for (auto& a : seccomp_action_names()) {
    auto s = parse_ok({{"defaultAction", a == "SCMP_ACT_NOTIFY" ? "SCMP_ACT_ALLOW" : a},
                       {"listenerPath", "/l"},
                       {"syscalls", {rule({"mount"}, a.c_str())}}});
    EXPECT_EQ(seccomp_action_name(s.syscalls[0].action), a);
  }
  EXPECT_EQ(seccomp_action_names().size(), 9u);
  for (auto& op : seccomp_op_names()) {
    json r = rule({"socket"}, "SCMP_ACT_ERRNO");
    r["args"] = {{{"index", 0}, {"value", 2}, {"op", op}}};
    EXPECT_EQ(seccomp_op_name(parse_ok({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {r}}}).syscalls[0].args[0].op),
              op);
  }
  EXPECT_EQ(seccomp_op_names().size(), 7u);
  auto archs = seccomp_arch_names();
  EXPECT_EQ(parse_ok({{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", archs}}).architectures.size(), 19u);
  auto flags = seccomp_flag_names();
  EXPECT_EQ(parse_ok({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", flags}}).flags->size(), 4u);
}

TEST(SpecSeccomp, AbsentFlagsAreNotEmptyFlags) {
  // runc loads an absent list as SPEC_ALLOW and an empty one as none.
  EXPECT_FALSE(parse_ok({{"defaultAction", "SCMP_ACT_ALLOW"}}).flags.has_value());
  auto empty = parse_ok({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", json::array()}});
  ASSERT_TRUE(empty.flags.has_value());
  EXPECT_TRUE(empty.flags->empty());
}

TEST(SpecSeccomp, NoDefaultActionAndNoSyscallsIsNoFilter) {
  auto s = parse(json::object());
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->has_value());
  s = parse({{"architectures", {"SCMP_ARCH_X86_64"}}, {"syscalls", json::array()}});
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->has_value());
}

TEST(SpecSeccomp, UnknownSyscallNamesAreKeptForTheBuilderToSkip) {
  auto s = parse_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                     {"syscalls", {rule({"no_such_syscall_at_all"}, "SCMP_ACT_ERRNO")}}});
  EXPECT_EQ(s.syscalls[0].names, (Strings{"no_such_syscall_at_all"}));
}

TEST(SpecSeccomp, RefusalsNameTheField) {
  auto with_rule = [](json r) { return json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {r}}}; };
  EXPECT_TRUE(FailsWith(parse(json::array()), EINVAL, "linux.seccomp: must be an object"));
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_FOO"}}), EINVAL,
                        "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\" (known: SCMP_ACT_KILL,"));
  EXPECT_TRUE(FailsWith(parse({{"syscalls", {rule({"read"}, "SCMP_ACT_ALLOW")}}}), EINVAL,
                        "linux.seccomp.defaultAction: is required"));
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_Z80"}}}),
                        EINVAL, "linux.seccomp.architectures: unknown architecture \"SCMP_ARCH_Z80\""));
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_FOO"}}}),
                        EINVAL, "linux.seccomp.flags: unknown flag \"SECCOMP_FILTER_FLAG_FOO\""));
  EXPECT_TRUE(FailsWith(parse(with_rule(rule({}, "SCMP_ACT_ERRNO"))), EINVAL,
                        "linux.seccomp.syscalls[0].names: must name at least one system call"));
  EXPECT_TRUE(FailsWith(parse(with_rule(rule({"read", ""}, "SCMP_ACT_ERRNO"))), EINVAL,
                        "linux.seccomp.syscalls[0].names: an empty string is not a system call"));
  EXPECT_TRUE(FailsWith(parse(with_rule(json{{"names", {"read"}}})), EINVAL,
                        "linux.seccomp.syscalls[0].action: is required"));
  EXPECT_TRUE(FailsWith(parse(with_rule(rule({"read"}, "SCMP_ACT_NOPE"))), EINVAL,
                        "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_NOPE\""));
  EXPECT_TRUE(FailsWith(parse(with_rule(json::array())), EINVAL, "linux.seccomp.syscalls[0]: must be an object"));
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", "read"}}), EINVAL,
                        "linux.seccomp.syscalls: must be an array"));
}

TEST(SpecSeccomp, ArgumentRefusals) {
  auto with_arg = [](json a) {
    json r = rule({"socket"}, "SCMP_ACT_ERRNO");
    r["args"] = {a};
    return json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {r}}};
  };
  EXPECT_TRUE(FailsWith(parse(with_arg({{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}})), EINVAL,
                        "linux.seccomp.syscalls[0].args[0].index: must be 0 to 5"));
  EXPECT_TRUE(FailsWith(parse(with_arg({{"value", 1}, {"op", "SCMP_CMP_EQ"}})), EINVAL,
                        "linux.seccomp.syscalls[0].args[0].index: is required"));
  EXPECT_TRUE(FailsWith(parse(with_arg({{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ABOUT"}})), EINVAL,
                        "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\""));
  EXPECT_TRUE(FailsWith(parse(with_arg({{"index", 0}, {"value", 1}})), EINVAL,
                        "linux.seccomp.syscalls[0].args[0].op: is required"));
  EXPECT_TRUE(FailsWith(parse(with_arg({{"index", 0}, {"value", -1}, {"op", "SCMP_CMP_EQ"}})), EINVAL,
                        "linux.seccomp.syscalls[0].args[0].value: must not be negative"));
  // runc reads a missing value as 0.
  EXPECT_EQ(parse_ok(with_arg({{"index", 2}, {"op", "SCMP_CMP_EQ"}})).syscalls[0].args[0].value, 0u);
}

TEST(SpecSeccomp, ErrnoRetOnlyWhereAnErrnoIsReturned) {
  json r = rule({"mkdir"}, "SCMP_ACT_KILL");
  r["errnoRet"] = 1;
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {r}}}), EINVAL,
                        "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL returns no errno"));
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"defaultErrnoRet", 1}}), EINVAL,
                        "linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW returns no errno"));
  r["action"] = "SCMP_ACT_TRACE";
  EXPECT_EQ(parse_ok({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {r}}}).syscalls[0].errno_ret, 1u);
  r["errnoRet"] = 70000;
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {r}}}), EINVAL,
                        "linux.seccomp.syscalls[0].errnoRet: is out of range"));
}

TEST(SpecSeccomp, NotifyNeedsAListenerAndCannotHoldTheRuntimesSendmsg) {
  json notify = rule({"mkdir"}, "SCMP_ACT_NOTIFY");
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", {notify}}}), EINVAL,
                        "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"));
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_NOTIFY"}, {"listenerPath", "/l"}}), EINVAL,
                        "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"));
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"},
                               {"listenerPath", "/l"},
                               {"syscalls", {rule({"sendmsg"}, "SCMP_ACT_NOTIFY")}}}),
                        EINVAL, "linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for sendmsg"));
  EXPECT_TRUE(FailsWith(
      parse({{"defaultAction", "SCMP_ACT_ALLOW"},
             {"listenerPath", "/l"},
             {"syscalls", {rule({"mkdir", "write"}, "SCMP_ACT_NOTIFY")}}}),
      EINVAL, "linux.seccomp.syscalls[0].names: SCMP_ACT_NOTIFY cannot be used for the write syscall"));
  EXPECT_TRUE(FailsWith(parse({{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerMetadata", "m"}}), EINVAL,
                        "linux.seccomp.listenerMetadata: is set without listenerPath"));
  // A listener nobody notifies is harmless, as the spec says it is ignored.
  EXPECT_FALSE(parse_ok({{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerPath", "/l"}}).uses_notify());
}

TEST(SpecSeccomp, ConfigCarriesTheModel) {
  auto c = parse_config(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
    "linux": {"namespaces": [{"type": "mount"}], "seccomp": {"defaultAction": "SCMP_ACT_KILL_PROCESS",
                          "syscalls": [{"names": ["exit_group"], "action": "SCMP_ACT_ALLOW"}]}}})");
  ASSERT_TRUE(c) << c.error().what();
  ASSERT_TRUE(c->linux.seccomp);
  EXPECT_EQ(c->linux.seccomp->default_action, SeccompAction::kill_process);
  EXPECT_TRUE(FailsWith(parse_config(R"({"ociVersion": "1.2.0", "root": {"path": "rootfs"},
    "linux": {"namespaces": [{"type": "mount"}],
              "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["amd64"]}}})"),
                        EINVAL, "linux.seccomp.architectures: unknown architecture \"amd64\""));
}

}  // namespace
}  // namespace husk::spec
