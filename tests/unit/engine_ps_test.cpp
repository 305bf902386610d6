// engine/ps: docker's texts (Status, RunningFor, Command), its filters and
// their rules (keys AND, values OR, before/since/-n by creation order),
// the rows, generated names, and template methods ({{.Label "k"}}).
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "engine/listing.hpp"
#include "engine/names.hpp"
#include "engine/ps.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;

// 2024-01-02T03:04:05Z
constexpr time_t kT0 = 1704164645;

TEST(EnginePs, HumanDurationAsDockers) {
  EXPECT_EQ(human_duration(0.5), "Less than a second");
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(3), "3 seconds");
  EXPECT_EQ(human_duration(59), "59 seconds");
  EXPECT_EQ(human_duration(90), "About a minute");
  EXPECT_EQ(human_duration(150), "2 minutes");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(3 * 3600), "3 hours");
  EXPECT_EQ(human_duration(3 * 86400), "3 days");
  EXPECT_EQ(human_duration(21 * 86400), "3 weeks");
  EXPECT_EQ(human_duration(90 * 86400), "3 months");
  EXPECT_EQ(human_duration(3 * 365 * 86400), "3 years");
  EXPECT_EQ(time_ago("2024-01-02T03:04:05.123Z", kT0 + 3), "3 seconds ago");
  EXPECT_EQ(time_ago("2024-01-02T05:04:05+02:00", kT0 + 120), "2 minutes ago");
  EXPECT_EQ(time_ago("", kT0), "N/A");
  EXPECT_EQ(docker_time("2024-01-02T03:04:05.5Z"), "2024-01-02 03:04:05 +0000 UTC");
}

ContainerRecord record(const std::string& name, const std::string& status) {
  ContainerRecord r;
  r.id = std::string(64, 'a');
  r.name = name;
  r.status = status;
  r.created = "2024-01-02T03:04:05Z";
  r.started = "2024-01-02T03:04:05Z";
  r.finished = "2024-01-02T03:05:05Z";
  return r;
}

TEST(EnginePs, StatusAndStateAsDockers) {
  ContainerRecord r = record("a", "running");
  EXPECT_EQ(ps_status(r, LiveStatus::running, kT0 + 3), "Up 3 seconds");
  EXPECT_EQ(ps_status(r, LiveStatus::paused, kT0 + 150), "Up 2 minutes (Paused)");
  r.exit_code = 3;
  EXPECT_EQ(ps_status(r, LiveStatus::exited, kT0 + 60 + 150), "Exited (3) 2 minutes ago");
  EXPECT_EQ(ps_status(r, LiveStatus::created, kT0), "Created");
  EXPECT_EQ(ps_status(r, LiveStatus::lost, kT0), "Exited (unknown)");
  r.status = "dead";
  EXPECT_EQ(ps_status(r, LiveStatus::lost, kT0), "Dead");
  EXPECT_EQ(ps_state(r, LiveStatus::lost), "dead");
  r.status = "running";
  EXPECT_EQ(ps_state(r, LiveStatus::lost), "exited");
  EXPECT_EQ(ps_state(r, LiveStatus::paused), "paused");
}

TEST(EnginePs, HealthAndRestartingAsDockers) {
  ContainerRecord r = record("a", "running");
  EXPECT_EQ(ps_status(r, LiveStatus::running, kT0 + 3, "healthy"), "Up 3 seconds (healthy)");
  EXPECT_EQ(ps_status(r, LiveStatus::running, kT0 + 3, "unhealthy"), "Up 3 seconds (unhealthy)");
  EXPECT_EQ(ps_status(r, LiveStatus::running, kT0 + 3, "starting"), "Up 3 seconds (health: starting)");
  EXPECT_EQ(ps_status(r, LiveStatus::paused, kT0 + 3, "healthy"), "Up 3 seconds (Paused)");
  r.exit_code = 2;
  EXPECT_EQ(ps_status(r, LiveStatus::exited, kT0 + 60 + 5, "", true), "Restarting (2) 5 seconds ago");
  EXPECT_EQ(ps_state(r, LiveStatus::exited, true), "restarting");
  EXPECT_EQ(ps_status(r, LiveStatus::exited, kT0 + 60 + 5, "unhealthy"), "Exited (2) 5 seconds ago");
}

TEST(EnginePs, CommandQuotedAndCutAsDockers) {
  EXPECT_EQ(ps_command({"sleep", "100"}, false), "\"sleep 100\"");
  EXPECT_EQ(ps_command({"sh", "-c", "echo hello; sleep 1000"}, false), "\"sh -c echo hello; s…\"");
  EXPECT_EQ(ps_command({"sh", "-c", "echo \"hi\""}, true), "\"sh -c echo \\\"hi\\\"\"");
  EXPECT_EQ(ps_command({"sh", "-c", "echo hello; sleep 1000"}, true), "\"sh -c echo hello; sleep 1000\"");
}

TEST(EnginePs, FilterKeysAndValuesChecked) {
  EXPECT_TRUE(FailsWith(PsFilter::parse({"foo=bar"}), EINVAL, "invalid filter 'foo'"));
  EXPECT_TRUE(FailsWith(PsFilter::parse({"status"}), EINVAL, "invalid filter 'status'"));
  EXPECT_TRUE(FailsWith(PsFilter::parse({"status=sleeping"}), EINVAL, "invalid filter 'status=sleeping'"));
  EXPECT_TRUE(FailsWith(PsFilter::parse({"exited=x"}), EINVAL, "invalid filter 'exited=x'"));
  auto f = PsFilter::parse({"status=running", "status=exited", "label=a=b", "name=web"});
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->values("status").size(), 2u);
  EXPECT_FALSE(f->has("id"));
}

// Four containers, newest first as ps_entries gives them.
std::vector<PsEntry> sample() {
  auto entry = [](std::string name, char id, LiveStatus live, std::string image_id) {
    PsEntry e;
    e.rec = record(name, live == LiveStatus::created   ? "created"
                         : live == LiveStatus::running ? "running"
                                                       : "exited");
    e.rec.id = std::string(1, id) + std::string(63, '0');
    e.rec.image = "busybox";
    e.rec.image_id = image_id;
    e.live = live;
    e.networks = {{"none", ""}};
    return e;
  };
  std::vector<PsEntry> v;
  v.push_back(entry("web", 'd', LiveStatus::running, "sha256:b"));
  v.back().labels = {{"tier", "front"}, {"team", "a"}};
  v.back().mounts = {{"data", "/var/lib/husk/volumes/data/_data", "/data"}};
  v.back().networks = {{"backend", "0123456789ab"}};
  v.push_back(entry("job", 'c', LiveStatus::exited, "sha256:b"));
  v.back().rec.exit_code = 3;
  v.back().labels = {{"tier", "back"}};
  v.push_back(entry("fresh", 'b', LiveStatus::created, "sha256:a"));
  v.push_back(entry("webtoo", 'a', LiveStatus::paused, "sha256:a"));
  v.back().mounts = {{"", "/srv", "/mnt"}};
  return v;
}

std::string names_of(const std::vector<std::string>& filters, bool all = false, int last = -1) {
  auto f = PsFilter::parse(filters);
  EXPECT_TRUE(f.has_value());
  auto image_id_of = [](const std::string& n) -> std::optional<std::string> {
    if (n == "alpine") return "sha256:a";
    return std::nullopt;
  };
  auto got = select_containers(sample(), {.all = all, .last = last, .filter = *f}, image_id_of);
  EXPECT_TRUE(got.has_value());
  std::string out;
  for (auto& e : *got) out += (out.empty() ? "" : " ") + e.rec.name;
  return out;
}

TEST(EnginePs, SelectsAsDocker) {
  EXPECT_EQ(names_of({}), "web webtoo");  // running and paused
  EXPECT_EQ(names_of({}, true), "web job fresh webtoo");
  EXPECT_EQ(names_of({}, false, 2), "web job");   // -n: any state
  EXPECT_EQ(names_of({"status=exited"}), "job");  // status: stopped ones too
  EXPECT_EQ(names_of({"status=exited", "status=created"}), "job fresh");
  EXPECT_EQ(names_of({"name=web"}, true), "web webtoo");  // a regular expression
  EXPECT_EQ(names_of({"name=^web$"}, true), "web");
  EXPECT_EQ(names_of({"name=^/job"}, true), "job");
  EXPECT_EQ(names_of({"name=["}, true), "");
  EXPECT_EQ(names_of({"id=c0"}, true), "job");
  EXPECT_EQ(names_of({"label=tier"}, true), "web job");
  EXPECT_EQ(names_of({"label=tier=back"}, true), "job");
  EXPECT_EQ(names_of({"label=tier", "label=team=a"}, true), "web");  // labels AND
  EXPECT_EQ(names_of({"exited=3"}, true), "job");
  EXPECT_EQ(names_of({"exited=0"}, true), "");
  EXPECT_EQ(names_of({"ancestor=alpine"}, true), "fresh webtoo");
  EXPECT_EQ(names_of({"ancestor=busybox"}, true), "web job fresh webtoo");
  EXPECT_EQ(names_of({"volume=data"}, true), "web");
  EXPECT_EQ(names_of({"volume=/mnt"}, true), "webtoo");
  EXPECT_EQ(names_of({"volume=/srv"}, true), "webtoo");
  EXPECT_EQ(names_of({"network=backend"}, true), "web");
  EXPECT_EQ(names_of({"network=0123"}, true), "web");
  EXPECT_EQ(names_of({"network=none"}, true), "job fresh webtoo");
  EXPECT_EQ(names_of({"before=job"}, true), "fresh webtoo");
  EXPECT_EQ(names_of({"since=fresh"}, true), "web job");
  EXPECT_EQ(names_of({"since=webtoo", "before=web"}, true), "job fresh");
  // Keys AND, values OR.
  EXPECT_EQ(names_of({"name=web", "status=running", "status=exited"}), "web");
  EXPECT_EQ(names_of({"status=running", "status=paused", "status=created"}, false, 2), "web fresh");
  auto none = select_containers(sample(), {.filter = *PsFilter::parse({"before=nothere"})},
                                [](const std::string&) { return std::nullopt; });
  EXPECT_TRUE(FailsWith(none, ENOENT, "no such container: nothere"));
}

TEST(EnginePs, RowHasDockersFields) {
  auto entries = sample();
  entries[0].rec.command = {"sleep", "100"};
  entries[0].ports = "0.0.0.0:8080->80/tcp";
  auto row = ps_row(entries[0], true, kT0 + 3);
  EXPECT_EQ(
      row.dump(),
      R"({"Command":"\"sleep 100\"","CreatedAt":"2024-01-02 03:04:05 +0000 UTC","ID":"d00000000000",)"
      R"("Image":"busybox","Labels":"team=a,tier=front","LocalVolumes":"1","Mounts":"data",)"
      R"("Names":"web","Networks":"backend","Ports":"0.0.0.0:8080->80/tcp","RunningFor":"3 seconds ago",)"
      R"("Size":"0B","State":"running","Status":"Up 3 seconds"})");
  EXPECT_EQ(ps_row(entries[0], false, kT0)["ID"], entries[0].rec.id);
  entries[3].size_rw = 0;
  entries[3].size_root_fs = 1234567;
  EXPECT_EQ(ps_row(entries[3], true, kT0)["Size"], "0B (virtual 1.23MB)");
  EXPECT_EQ(ps_row(entries[3], true, kT0)["Mounts"], "/srv");
  entries[3].mounts[0].source = "/a/rather/long/path/to/somewhere";
  EXPECT_EQ(ps_row(entries[3], true, kT0)["Mounts"], "/a/rather/long…");
  EXPECT_EQ(ps_row(entries[3], false, kT0)["Mounts"], "/a/rather/long/path/to/somewhere");
}

TEST(EnginePs, LabelMethodInTemplates) {
  auto listing =
      Listing::parse("table {{.Names}}\t{{.Label \"com.example.build-id\"}}", "", {{"Names", "NAMES"}});
  ASSERT_TRUE(listing.has_value());
  listing->add_method("Label",
                      {[](const nlohmann::ordered_json& row,
                          const std::vector<nlohmann::ordered_json>& args) -> Result<nlohmann::ordered_json> {
                        if (args.size() != 1) return fail_code(EINVAL, "wrong number of args for Label");
                        return row["Names"].get<std::string>() + ":" + args[0].get<std::string>();
                      }},
                      {[](const nlohmann::ordered_json&,
                          const std::vector<nlohmann::ordered_json>& args) -> Result<nlohmann::ordered_json> {
                        return label_header(args[0].get<std::string>());
                      }});
  auto out = listing->render({{{"Names", "web"}}});
  ASSERT_TRUE(out.has_value()) << out.error().what();
  EXPECT_EQ(*out, "NAMES     BUILD ID\nweb       web:com.example.build-id\n");
  // Without the method, Go's error; with the wrong arguments, the method's.
  auto plain = render_template("{{.Label \"x\"}}", {{"Label", "v"}});
  EXPECT_TRUE(FailsWith(plain, EINVAL, "Label is not a method but has arguments"));
  auto bad = Listing::parse("{{.Label \"a\" \"b\"}}", "", {});
  ASSERT_TRUE(bad.has_value());
  bad->add_method("Label",
                  {[](const nlohmann::ordered_json&,
                      const std::vector<nlohmann::ordered_json>& args) -> Result<nlohmann::ordered_json> {
                    return fail_code(
                        EINVAL, "wrong number of args for Label: want 1 got " + std::to_string(args.size()));
                  }},
                  {});
  EXPECT_TRUE(
      FailsWith(bad->render({{{"Names", "web"}}}), EINVAL, "wrong number of args for Label: want 1 got 2"));
}

TEST(EngineNames, GeneratedAsDockers) {
  std::set<std::string> seen;
  for (uint32_t a = 0; a < 60; ++a)
    for (uint32_t b = 0; b < 70; ++b) {
      std::string n = generated_name(a, b);
      EXPECT_TRUE(std::regex_match(n, std::regex("[a-z]+_[a-z]+"))) << n;
      seen.insert(n);
    }
  EXPECT_GT(seen.size(), 2500u);  // every pair of the lists
  EXPECT_EQ(generated_name(0, 0), generated_name(48, 64));
}

}  // namespace
}  // namespace husk::engine
