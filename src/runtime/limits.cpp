#include "runtime/limits.hpp"

#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "cgroups/resources.hpp"
#include "runtime/live.hpp"
#include "runtime/state_store.hpp"

namespace husk::runtime {

spec::Resources container_resources(const spec::Config& config) {
  spec::Resources r = config.linux.resources.value_or(spec::Resources{});
  if (r.devices.empty()) return r;
  std::vector<spec::DeviceRule> created;
  // A device the config's rules name itself keeps the access they give it
  // (docker's --device HOST:CTR:r); the others may be used in full.
  auto ruled = [&](const spec::Device& d) {
    for (auto& rule : r.devices)
      if (rule.type == d.type && rule.major == d.major && rule.minor == d.minor) return true;
    return false;
  };
  for (auto& d : config.linux.devices) {
    if (d.type == 'p' || ruled(d)) continue;  // fifos are not device-cgroup business
    created.push_back({true, d.type == 'b' ? 'b' : 'c', d.major, d.minor, "rwm"});
  }
  r.devices = cgroups::effective_device_rules(r.devices, created);
  return r;
}

namespace {

// The container's state, refused when it has stopped (nothing to limit or measure).
struct Live {
  ContainerDir dir;
  spec::State state;
  cgroups::Manager cgroup;
};

Result<Live> open_live(const Context& ctx, const std::string& id) {
  StateStore store(ctx.root);
  auto dir = HUSK_TRY(store.open(id));
  auto s = HUSK_TRY(dir.load_state());
  if (live_status(s) == spec::Status::stopped) return fail_code(ESRCH, "container " + id + " is not running");
  auto cg = HUSK_TRY(cgroup_manager_for(s));
  return Live{std::move(dir), std::move(s), std::move(cg)};
}

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

}  // namespace

std::string config_with_resources(spec::Config config, spec::Resources resources) {
  config.linux.resources = std::move(resources);
  return spec::serialize_config(config);
}

Result<void> update_container(const Context& ctx, const std::string& id, const spec::Resources& update) {
  auto live = HUSK_TRY(open_live(ctx, id));
  auto config = HUSK_TRY(spec::parse_config(HUSK_TRY(live.dir.load_config_text())));
  auto merged = spec::merge_resources(config.linux.resources.value_or(spec::Resources{}), update);
  // runc's rule: lifting the memory limit (-1) without a word on swap lifts
  // the memory+swap limit too, which could not stay below an unlimited one.
  if (update.memory && update.memory->limit == -1 && !update.memory->swap && merged.memory &&
      merged.memory->swap)
    merged.memory->swap = -1;

  if (merged.memory) {
    auto& m = *merged.memory;
    if (m.limit && m.swap && *m.limit > 0 && *m.swap > 0 && *m.swap < *m.limit)
      return fail_code(EINVAL, "cannot update container " + id + ": the memory limit (" +
                                   std::to_string(*m.limit) + ") must not be above the memory+swap limit (" +
                                   std::to_string(*m.swap) +
                                   "); update the memory+swap limit at the same time");
    if (update.memory && update.memory->limit && *update.memory->limit > 0 &&
        m.check_before_update.value_or(false)) {
      uint64_t usage = HUSK_TRY(live.cgroup.memory_usage());
      if (usage > static_cast<uint64_t>(*update.memory->limit))
        return fail_code(EINVAL, "cannot update container " + id + ": the memory limit (" +
                                     std::to_string(*update.memory->limit) +
                                     ") is below its current usage (" + std::to_string(usage) + ")");
    }
  }
  // Device rules are settled at create, as with runc's update.
  spec::Resources to_apply = merged;
  to_apply.devices.clear();
  auto host = HUSK_TRY(live.cgroup.controllers());
  auto plan = HUSK_TRY_CTX(cgroups::plan_resources(to_apply, host), "update " + id);
  if (ctx.log)
    for (auto& w : plan.warnings) ctx.log->warn(id + ": " + w);
  HUSK_TRY_CTX(live.cgroup.apply(plan), "update " + id);

  // The stored config carries the limits now in force.
  return live.dir.save_config_text(config_with_resources(std::move(config), std::move(merged)));
}

namespace {
Result<std::string> stats_event(const std::string& id, const cgroups::Manager& cg) {
  auto stats = HUSK_TRY(cg.stats());
  return "{\"type\":\"stats\",\"id\":" + quoted(id) + ",\"data\":" + cgroups::stats_to_json(stats) + "}";
}

}  // namespace

Result<std::string> container_stats_event(const Context& ctx, const std::string& id) {
  auto live = HUSK_TRY(open_live(ctx, id));
  return stats_event(id, live.cgroup);
}

Result<uint64_t> container_oom_kills(const Context& ctx, const std::string& id) {
  StateStore store(ctx.root);
  auto dir = HUSK_TRY(store.open(id));
  auto s = HUSK_TRY(dir.load_state());
  return HUSK_TRY(cgroup_manager_for(s)).oom_kills();
}

Result<void> watch_events(const Context& ctx, const std::string& id, std::chrono::milliseconds interval,
                          const std::function<void(const std::string&)>& emit) {
  // The container's lock is not held while we watch: other commands
  // (state, kill, delete) go on meanwhile.
  spec::State state;
  std::optional<cgroups::Manager> cgroup;
  {
    auto live = HUSK_TRY(open_live(ctx, id));
    state = std::move(live.state);
    cgroup.emplace(std::move(live.cgroup));
  }
  StateStore store(ctx.root);
  // The OOM killer's count is polled: one small read, and it works alike on
  // v1 (memory.oom_control) and v2 (memory.events).
  constexpr int64_t kTickMs = 100;
  auto ooms = cgroup->oom_kills();
  uint64_t seen = ooms ? *ooms : 0;
  auto report_ooms = [&] {
    auto n = cgroup->oom_kills();
    if (!n || *n <= seen) return;
    for (; seen < *n; ++seen) emit("{\"type\":\"oom\",\"id\":" + quoted(id) + "}");
  };
  int64_t next_stats = monotonic_ms();
  while (true) {
    report_ooms();
    // Stopped, or deleted (and perhaps made again under the same id).
    if (live_status(state) == spec::Status::stopped || !store.has_state(id)) {
      report_ooms();  // a kill that stopped the container between the two looks
      return {};
    }
    if (monotonic_ms() >= next_stats) {
      auto ev = stats_event(id, *cgroup);
      if (ev) emit(*ev);
      next_stats += interval.count();
    }
    int64_t wait = std::min<int64_t>(kTickMs, std::max<int64_t>(1, next_stats - monotonic_ms()));
    ::usleep(static_cast<useconds_t>(wait * 1000));
  }
}

}  // namespace husk::runtime
