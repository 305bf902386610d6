// spec/capabilities and linux/signals: the name <-> number tables that
// config.json capabilities and `kill SIGNAL` go through; linux/capabilities'
// list of what this kernel knows.
#include <gtest/gtest.h>

#include <csignal>

#include "linux/capabilities.hpp"
#include "linux/signals.hpp"
#include "spec/capabilities.hpp"

namespace husk::linux {
namespace {

using spec::capability_from_name;
using spec::capability_name;

// Written out from linux/capability.h (6.x), independent of the table under test.
const std::vector<std::pair<std::string, int>> kKernelCapabilities = {
    {"CAP_CHOWN", 0},
    {"CAP_DAC_OVERRIDE", 1},
    {"CAP_DAC_READ_SEARCH", 2},
    {"CAP_FOWNER", 3},
    {"CAP_FSETID", 4},
    {"CAP_KILL", 5},
    {"CAP_SETGID", 6},
    {"CAP_SETUID", 7},
    {"CAP_SETPCAP", 8},
    {"CAP_LINUX_IMMUTABLE", 9},
    {"CAP_NET_BIND_SERVICE", 10},
    {"CAP_NET_BROADCAST", 11},
    {"CAP_NET_ADMIN", 12},
    {"CAP_NET_RAW", 13},
    {"CAP_IPC_LOCK", 14},
    {"CAP_IPC_OWNER", 15},
    {"CAP_SYS_MODULE", 16},
    {"CAP_SYS_RAWIO", 17},
    {"CAP_SYS_CHROOT", 18},
    {"CAP_SYS_PTRACE", 19},
    {"CAP_SYS_PACCT", 20},
    {"CAP_SYS_ADMIN", 21},
    {"CAP_SYS_BOOT", 22},
    {"CAP_SYS_NICE", 23},
    {"CAP_SYS_RESOURCE", 24},
    {"CAP_SYS_TIME", 25},
    {"CAP_SYS_TTY_CONFIG", 26},
    {"CAP_MKNOD", 27},
    {"CAP_LEASE", 28},
    {"CAP_AUDIT_WRITE", 29},
    {"CAP_AUDIT_CONTROL", 30},
    {"CAP_SETFCAP", 31},
    {"CAP_MAC_OVERRIDE", 32},
    {"CAP_MAC_ADMIN", 33},
    {"CAP_SYSLOG", 34},
    {"CAP_WAKE_ALARM", 35},
    {"CAP_BLOCK_SUSPEND", 36},
    {"CAP_AUDIT_READ", 37},
    {"CAP_PERFMON", 38},
    {"CAP_BPF", 39},
    {"CAP_CHECKPOINT_RESTORE", 40},
};

TEST(Capabilities, AllFortyOneNamesMapBothWays) {
  ASSERT_EQ(kKernelCapabilities.size(), 41u);
  for (auto& [name, number] : kKernelCapabilities) {
    EXPECT_EQ(capability_from_name(name), number) << name;
    EXPECT_EQ(capability_name(number), name) << number;
  }
}

TEST(Capabilities, Endpoints) {
  EXPECT_EQ(capability_from_name("CAP_CHOWN"), 0);
  EXPECT_EQ(capability_from_name("CAP_CHECKPOINT_RESTORE"), 40);
}

TEST(Capabilities, NamesAreExactSpecSpelling) {
  EXPECT_EQ(capability_from_name("cap_chown"), std::nullopt);
  EXPECT_EQ(capability_from_name("CHOWN"), std::nullopt);
  EXPECT_EQ(capability_from_name("CAP_CHOWN "), std::nullopt);
  EXPECT_EQ(capability_from_name("CAP_FOO"), std::nullopt);
  EXPECT_EQ(capability_from_name(""), std::nullopt);
  EXPECT_EQ(capability_from_name("0"), std::nullopt);
}

TEST(Capabilities, UnknownNumbersGetANumericName) {
  EXPECT_EQ(capability_name(41), "CAP_41");
  EXPECT_EQ(capability_name(63), "CAP_63");
}

TEST(Capabilities, AllNamesIsAPrefixOfTheKernelList) {
  // Bounded by this kernel's cap_last_cap, so only the prefix is certain.
  auto names = all_capability_names();
  ASSERT_FALSE(names.empty());
  ASSERT_LE(names.size(), kKernelCapabilities.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], kKernelCapabilities[i].first);
}

TEST(SignalFromString, PlainPrefixedAndLowerCaseNames) {
  EXPECT_EQ(signal_from_string("KILL"), SIGKILL);
  EXPECT_EQ(signal_from_string("SIGKILL"), SIGKILL);
  EXPECT_EQ(signal_from_string("kill"), SIGKILL);
  EXPECT_EQ(signal_from_string("sigterm"), SIGTERM);
  EXPECT_EQ(signal_from_string("HUP"), SIGHUP);
  EXPECT_EQ(signal_from_string("SIGWINCH"), SIGWINCH);
  EXPECT_EQ(signal_from_string("CLD"), SIGCHLD);
  EXPECT_EQ(signal_from_string("IOT"), SIGABRT);
}

TEST(SignalFromString, Numbers) {
  EXPECT_EQ(signal_from_string("9"), 9);
  EXPECT_EQ(signal_from_string("1"), 1);
  EXPECT_EQ(signal_from_string(std::to_string(SIGRTMAX)), SIGRTMAX);
}

TEST(SignalFromString, NumbersOutOfRange) {
  EXPECT_EQ(signal_from_string("0"), std::nullopt);
  EXPECT_EQ(signal_from_string("65"), std::nullopt);
  EXPECT_EQ(signal_from_string("-9"), std::nullopt);
  EXPECT_EQ(signal_from_string("99999999999999999999"), std::nullopt);
}

TEST(SignalFromString, RealTime) {
  EXPECT_EQ(signal_from_string("SIGRTMIN"), SIGRTMIN);
  EXPECT_EQ(signal_from_string("RTMIN"), SIGRTMIN);
  EXPECT_EQ(signal_from_string("RTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(signal_from_string("sigrtmin+3"), SIGRTMIN + 3);
  EXPECT_EQ(signal_from_string("RTMAX"), SIGRTMAX);
  EXPECT_EQ(signal_from_string("RTMAX-1"), SIGRTMAX - 1);
  EXPECT_EQ(signal_from_string("RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMIN);
}

TEST(SignalFromString, RealTimeOutOfRangeOrWrongDirection) {
  EXPECT_EQ(signal_from_string("RTMIN-1"), std::nullopt);
  EXPECT_EQ(signal_from_string("RTMAX+1"), std::nullopt);
  EXPECT_EQ(signal_from_string("RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN + 1)), std::nullopt);
  EXPECT_EQ(signal_from_string("RTMIN+"), std::nullopt);
  EXPECT_EQ(signal_from_string("RTMIN+x"), std::nullopt);
}

TEST(SignalFromString, Junk) {
  EXPECT_EQ(signal_from_string(""), std::nullopt);
  EXPECT_EQ(signal_from_string("FOO"), std::nullopt);
  EXPECT_EQ(signal_from_string("SIG"), std::nullopt);
  EXPECT_EQ(signal_from_string("SIGSIGKILL"), std::nullopt);
  EXPECT_EQ(signal_from_string(" KILL"), std::nullopt);
}

TEST(SignalName, NamedSignals) {
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGCHLD), "SIGCHLD");  // not the CLD alias
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT");  // not the IOT alias
}

TEST(SignalName, UnnamedSignalsAreNumbered) {
  EXPECT_EQ(signal_name(SIGRTMIN + 2), "signal " + std::to_string(SIGRTMIN + 2));
}

TEST(SignalName, RoundTripsThroughSignalFromString) {
  for (int sig = 1; sig <= 31; ++sig) {
    std::string name = signal_name(sig);
    EXPECT_TRUE(name.starts_with("SIG")) << sig << " has no name: " << name;
    EXPECT_EQ(signal_from_string(name), sig) << name;
  }
}

}  // namespace
}  // namespace husk::linux
