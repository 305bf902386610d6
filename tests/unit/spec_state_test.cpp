// spec/state: the state document `state ID` prints and hooks read, and the
// stored form that adds husk's own fields.
#include "spec/state.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "test_helpers.hpp"

namespace husk::spec {
namespace {

using nlohmann::json;

State sample_state() {
  State s;
  s.oci_version = "1.2.0";
  s.id = "c1";
  s.status = Status::running;
  s.pid = 4242;
  s.bundle = "/run/bundles/c1";
  s.rootfs = "/run/bundles/c1/rootfs";
  s.created = "2024-05-06T07:08:09.123456789Z";
  s.owner = "root";
  s.annotations = {{"org.example.key", "value"}, {"io.kubernetes.cri.sandbox-id", "abc"}};
  s.pid_start_time = 123456789012ULL;
  s.cgroup_path = "/husk/c1";
  s.systemd_cgroup = true;
  s.pid_namespace_owned = false;
  s.start_fd = 5;
  return s;
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> out;
  for (auto& [k, v] : j.items()) out.insert(k);
  return out;
}

TEST(StatusName, EveryStatus) {
  EXPECT_EQ(status_name(Status::creating), "creating");
  EXPECT_EQ(status_name(Status::created), "created");
  EXPECT_EQ(status_name(Status::running), "running");
  EXPECT_EQ(status_name(Status::paused), "paused");
  EXPECT_EQ(status_name(Status::stopped), "stopped");
}

TEST(StateSpecJson, HasExactlyTheSpecKeys) {
  json j = json::parse(state_to_spec_json(sample_state()), nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(keys_of(j), (std::set<std::string>{"ociVersion", "id", "status", "pid", "bundle", "rootfs",
                                               "created", "owner", "annotations"}));
}

TEST(StateSpecJson, Values) {
  json j = json::parse(state_to_spec_json(sample_state()));
  EXPECT_EQ(j["ociVersion"], "1.2.0");
  EXPECT_EQ(j["id"], "c1");
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["bundle"], "/run/bundles/c1");
  EXPECT_EQ(j["rootfs"], "/run/bundles/c1/rootfs");
  EXPECT_EQ(j["created"], "2024-05-06T07:08:09.123456789Z");
  EXPECT_EQ(j["owner"], "root");
  EXPECT_EQ(j["annotations"], (json{{"org.example.key", "value"}, {"io.kubernetes.cri.sandbox-id", "abc"}}));
}

TEST(StateSpecJson, StoppedContainerReportsPidZero) {
  State s = sample_state();
  s.status = Status::stopped;
  json j = json::parse(state_to_spec_json(s));
  EXPECT_EQ(j["status"], "stopped");
  EXPECT_EQ(j["pid"], 0);
}

TEST(StateSpecJson, AnnotationsAlwaysAnObject) {
  State s = sample_state();
  s.annotations.clear();
  json j = json::parse(state_to_spec_json(s));
  ASSERT_TRUE(j.contains("annotations"));
  EXPECT_TRUE(j["annotations"].is_object()) << j["annotations"].dump();
}

TEST(StateStoreJson, KeepsTheRealPidEvenWhenStopped) {
  // The store needs the pid to tell a reused pid from the container's init.
  State s = sample_state();
  s.status = Status::stopped;
  json j = json::parse(state_to_store_json(s));
  EXPECT_EQ(j["pid"], 4242);
  ASSERT_TRUE(j.contains("husk"));
  EXPECT_EQ(j["husk"]["pidStartTime"], 123456789012ULL);
}

TEST(StateStoreJson, RoundTripsEveryField) {
  const State in = sample_state();
  auto out = state_from_store_json(state_to_store_json(in));
  ASSERT_TRUE(out.has_value()) << out.error().what();
  EXPECT_EQ(out->oci_version, in.oci_version);
  EXPECT_EQ(out->id, in.id);
  EXPECT_EQ(out->status, in.status);
  EXPECT_EQ(out->pid, in.pid);
  EXPECT_EQ(out->bundle, in.bundle);
  EXPECT_EQ(out->rootfs, in.rootfs);
  EXPECT_EQ(out->created, in.created);
  EXPECT_EQ(out->owner, in.owner);
  EXPECT_EQ(out->annotations, in.annotations);
  EXPECT_EQ(out->pid_start_time, in.pid_start_time);
  EXPECT_EQ(out->cgroup_path, in.cgroup_path);
  EXPECT_EQ(out->systemd_cgroup, in.systemd_cgroup);
  EXPECT_EQ(out->pid_namespace_owned, in.pid_namespace_owned);
  EXPECT_EQ(out->start_fd, in.start_fd);
}

TEST(StateStoreJson, RoundTripsEveryStatus) {
  for (Status st : {Status::creating, Status::created, Status::running, Status::paused, Status::stopped}) {
    State s = sample_state();
    s.status = st;
    auto out = state_from_store_json(state_to_store_json(s));
    ASSERT_TRUE(out.has_value()) << out.error().what();
    EXPECT_EQ(out->status, st) << status_name(st);
    EXPECT_EQ(out->pid, 4242) << status_name(st);
  }
}

TEST(StateStoreJson, MissingHuskFieldsTakeDefaults) {
  auto out = state_from_store_json(R"({"ociVersion":"1.0.2","id":"x","status":"created","pid":7})");
  ASSERT_TRUE(out.has_value()) << out.error().what();
  EXPECT_EQ(out->id, "x");
  EXPECT_EQ(out->status, Status::created);
  EXPECT_EQ(out->pid, 7);
  EXPECT_EQ(out->pid_start_time, 0u);
  EXPECT_EQ(out->cgroup_path, "");
  EXPECT_FALSE(out->systemd_cgroup);
  EXPECT_TRUE(out->pid_namespace_owned);
  EXPECT_EQ(out->start_fd, -1);
  EXPECT_TRUE(out->annotations.empty());
}

TEST(StateStoreJson, UnknownStatusReadsAsCreating) {
  auto out = state_from_store_json(R"({"id":"x","status":"exploded"})");
  ASSERT_TRUE(out.has_value()) << out.error().what();
  EXPECT_EQ(out->status, Status::creating);
}

TEST(StateStoreJson, BadDocuments) {
  EXPECT_TRUE(testing::FailsWith(state_from_store_json("{not json"), EINVAL, "state.json is not valid JSON"));
  EXPECT_TRUE(testing::FailsWith(state_from_store_json("[1,2]"), EINVAL, "state.json is not valid JSON"));
  EXPECT_TRUE(testing::FailsWith(state_from_store_json(R"({"pid":1})"), EINVAL, "state.json: "));
  EXPECT_TRUE(testing::FailsWith(state_from_store_json(R"({"id":7})"), EINVAL, "state.json: "));
  EXPECT_TRUE(testing::FailsWith(state_from_store_json(R"({"id":"x","pid":"7"})"), EINVAL, "state.json: "));
  EXPECT_TRUE(testing::FailsWith(state_from_store_json(R"({"id":"x","annotations":{"k":1}})"), EINVAL,
                                 "state.json: "));
}

}  // namespace
}  // namespace husk::spec
