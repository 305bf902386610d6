#include "engine/update.hpp"

#include "base/file.hpp"
#include "engine/resources.hpp"
#include "runtime/limits.hpp"

namespace husk::engine {

namespace {

bool set_nonzero(const std::string& v) { return !v.empty() && v != "0"; }

// --cpus is a quota over docker's own period: once one way is chosen, the
// other may not change it behind its back (docker's rule).
Result<void> check_cpu_conflicts(const RunFlags& now, const RunFlags& change) {
  auto conflict = [](const std::string& what) { return fail_code(EINVAL, "Conflicting options: " + what); };
  if (set_nonzero(change.cpus) && set_nonzero(now.cpu_period))
    return conflict("Nano CPUs cannot be updated as CPU Period has already been set");
  if (set_nonzero(change.cpus) && set_nonzero(now.cpu_quota))
    return conflict("Nano CPUs cannot be updated as CPU Quota has already been set");
  if (set_nonzero(change.cpu_period) && set_nonzero(now.cpus))
    return conflict("CPU Period cannot be updated as NanoCPUs has already been set");
  if (set_nonzero(change.cpu_quota) && set_nonzero(now.cpus))
    return conflict("CPU Quota cannot be updated as NanoCPUs has already been set");
  return {};
}

// The bundle's linux.resources with UPDATE over them.
Result<spec::Resources> merged_bundle_resources(const spec::Config& config, const spec::Resources& update) {
  auto merged = spec::merge_resources(config.linux.resources.value_or(spec::Resources{}), update);
  if (merged.memory) {
    auto& m = *merged.memory;
    if (m.limit && m.swap && *m.limit > 0 && *m.swap > 0 && *m.swap < *m.limit)
      return fail_code(
          EINVAL,
          "Memory limit should be smaller than already set memoryswap limit, update the memoryswap "
          "at the same time");
  }
  return merged;
}

}  // namespace

RunFlags with_resource_changes(RunFlags base, const RunFlags& c) {
  for (auto field :
       {&RunFlags::cpus, &RunFlags::cpu_period, &RunFlags::cpu_quota, &RunFlags::cpu_shares,
        &RunFlags::cpuset_cpus, &RunFlags::cpuset_mems, &RunFlags::memory, &RunFlags::memory_swap,
        &RunFlags::memory_reservation, &RunFlags::pids_limit, &RunFlags::blkio_weight})
    if (!(c.*field).empty()) base.*field = c.*field;
  return base;
}

Result<std::vector<std::string>> update_resources(const Engine& eng, const std::string& name_or_id,
                                                  const RunFlags& changes) {
  auto cs = eng.containers();
  auto rec = HUSK_TRY(cs.find(name_or_id));
  HUSK_TRY(check_cpu_conflicts(rec.flags, changes));
  auto limits = HUSK_TRY(resources_from_flags(changes, probe_resource_host(), ResourceMode::update));
  std::string config_path = cs.bundle_dir(rec.id) + "/config.json";
  auto config = HUSK_TRY(spec::load_config(config_path));
  auto merged = HUSK_TRY(merged_bundle_resources(config, limits.resources));
  auto live = eng.live_status(rec);
  if (live == LiveStatus::running || live == LiveStatus::paused)
    HUSK_TRY(runtime::update_container(eng.runtime_context(), rec.id, limits.resources));
  // The next start runs with them.
  HUSK_TRY(write_file_atomic(config_path, runtime::config_with_resources(std::move(config), merged), 0644));
  // The record as it is now (its monitor may have written it meanwhile).
  auto now = HUSK_TRY(cs.find(rec.id));
  now.flags = with_resource_changes(std::move(now.flags), changes);
  // A new -m alone keeps the memory+swap in force, which need not be
  // twice the new value any more: say what it is.
  if (!changes.memory.empty() && changes.memory_swap.empty() && merged.memory && merged.memory->swap)
    now.flags.memory_swap = std::to_string(*merged.memory->swap);
  HUSK_TRY(cs.save(now));
  return limits.warnings;
}

}  // namespace husk::engine
