// linux.resources JSON -> spec::Resources, with the spec's value checks.
#include "spec/resources.hpp"

#include <tuple>

#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "spec/json_fields.hpp"

namespace husk::spec {
namespace {

using json = nlohmann::json;
using namespace json_fields;

// "0-3,5": what cpuset.cpus / cpuset.mems accept.
bool valid_cpu_list(const std::string& s) {
  if (s.empty()) return true;
  for (auto& item : split(s, ',')) {
    auto dash = item.find('-');
    auto first = parse_u64(item.substr(0, dash));
    if (!first) return false;
    if (dash == std::string::npos) continue;
    auto last = parse_u64(item.substr(dash + 1));  // "0-2-4" fails here
    if (!last || *last < *first) return false;
  }
  return true;
}

// The optional scalar fields of memory and cpu, listed once for parsing,
// merging and writing back.
template <typename S, typename T>
struct Field {
  const char* name;
  std::optional<T> S::*member;
};
template <typename S, typename T>
constexpr Field<S, T> field(const char* name, std::optional<T> S::*member) {
  return {name, member};
}
constexpr auto kMemoryFields = std::tuple{
    field("limit", &MemoryResources::limit),
    field("reservation", &MemoryResources::reservation),
    field("swap", &MemoryResources::swap),
    field("kernel", &MemoryResources::kernel),
    field("kernelTCP", &MemoryResources::kernel_tcp),
    field("swappiness", &MemoryResources::swappiness),
    field("disableOOMKiller", &MemoryResources::disable_oom_killer),
    field("useHierarchy", &MemoryResources::use_hierarchy),
    field("checkBeforeUpdate", &MemoryResources::check_before_update),
};
constexpr auto kCpuFields = std::tuple{
    field("shares", &CpuResources::shares),
    field("quota", &CpuResources::quota),
    field("burst", &CpuResources::burst),
    field("period", &CpuResources::period),
    field("realtimeRuntime", &CpuResources::realtime_runtime),
    field("realtimePeriod", &CpuResources::realtime_period),
    field("idle", &CpuResources::idle),
};

template <typename Fields, typename F>
void for_each_field(const Fields& fields, F&& f) {
  std::apply([&](const auto&... each) { (f(each), ...); }, fields);
}

template <typename S, typename Fields>
Result<void> read_fields(const json& j, const std::string& where, S& out, const Fields& fields) {
  std::optional<Error> err;
  for_each_field(fields, [&](const auto& f) {
    if (err) return;
    using T = typename std::remove_reference_t<decltype(out.*(f.member))>::value_type;
    Result<std::optional<T>> v;
    if constexpr (std::is_same_v<T, bool>)
      v = get_opt_bool(j, f.name, where);
    else
      v = get_int<T>(j, f.name, where);
    if (v)
      out.*(f.member) = *v;
    else
      err = std::move(v).error();
  });
  if (err) return fail(std::move(*err));
  return {};
}

Result<const json*> object_field(const json& j, const char* key, const std::string& where) {
  auto* o = get_object(j, key);
  if (o && !o->is_object()) return fail(field_error(where + key, "must be an object"));
  return o;
}

template <typename F>
Result<void> each_in_array(const json& j, const char* key, const std::string& where, F&& f) {
  auto* a = get_object(j, key);
  if (!a) return {};
  if (!a->is_array()) return fail(field_error(where + key, "must be an array"));
  for (size_t i = 0; i < a->size(); ++i) {
    std::string w = where + key + "[" + std::to_string(i) + "]";
    if (!(*a)[i].is_object()) return fail(field_error(w, "must be an object"));
    HUSK_TRY(f((*a)[i], w + "."));
  }
  return {};
}

Result<DeviceRule> device_rule(const json& d, const std::string& w) {
  DeviceRule r;
  auto allow = HUSK_TRY(get_opt_bool(d, "allow", w));
  if (!allow) return fail(field_error(w + "allow", "is required"));
  r.allow = *allow;
  std::string type = HUSK_TRY(get_string(d, "type", w));
  if (type.empty()) type = "a";
  if (type != "a" && type != "b" && type != "c")
    return fail(field_error(w + "type", "must be \"a\", \"b\" or \"c\", not \"" + type + "\""));
  r.type = type[0];
  r.major = HUSK_TRY(get_int<int64_t>(d, "major", w));
  r.minor = HUSK_TRY(get_int<int64_t>(d, "minor", w));
  if (r.major && *r.major < 0) r.major.reset();  // -1 is the wildcard, as with runc
  if (r.minor && *r.minor < 0) r.minor.reset();
  r.access = HUSK_TRY(get_string(d, "access", w));
  if (r.access.empty()) r.access = "rwm";
  for (char c : r.access)
    if (c != 'r' && c != 'w' && c != 'm')
      return fail(field_error(w + "access", "must be letters of \"rwm\", not \"" + r.access + "\""));
  return r;
}

Result<MemoryResources> memory(const json& m, const std::string& w) {
  MemoryResources r;
  HUSK_TRY(read_fields(m, w, r, kMemoryFields));
  for (auto [name, v] : {std::pair{"limit", r.limit}, {"reservation", r.reservation}, {"swap", r.swap}})
    if (v && *v < -1) return fail(field_error(w + name, "must be -1 (unlimited) or a number of bytes"));
  if (r.swappiness && *r.swappiness > 100)
    return fail(field_error(w + "swappiness", "must be between 0 and 100"));
  if (r.limit && r.swap && *r.limit > 0 && *r.swap > 0 && *r.swap < *r.limit)
    return fail(field_error(w + "swap", "(memory+swap) must not be below memory.limit"));
  return r;
}

Result<CpuResources> cpu(const json& c, const std::string& w) {
  CpuResources r;
  HUSK_TRY(read_fields(c, w, r, kCpuFields));
  r.cpus = HUSK_TRY(get_string(c, "cpus", w));
  r.mems = HUSK_TRY(get_string(c, "mems", w));
  if (!valid_cpu_list(r.cpus))
    return fail(field_error(w + "cpus", "\"" + r.cpus + "\" is not a cpu list like \"0-2,4\""));
  if (!valid_cpu_list(r.mems))
    return fail(field_error(w + "mems", "\"" + r.mems + "\" is not a node list like \"0-1\""));
  if (r.shares && *r.shares != 0 && (*r.shares < 2 || *r.shares > 262144))
    return fail(field_error(w + "shares", "must be between 2 and 262144"));
  if (r.quota && *r.quota < -1) return fail(field_error(w + "quota", "must be -1 (unlimited) or positive"));
  if (r.quota && *r.quota > 0 && *r.quota < 1000)
    return fail(field_error(w + "quota", "must be at least 1000 (microseconds)"));
  if (r.period && *r.period != 0 && (*r.period < 1000 || *r.period > 1000000))
    return fail(field_error(w + "period", "must be between 1000 and 1000000 (microseconds)"));
  if (r.idle && *r.idle != 0 && *r.idle != 1) return fail(field_error(w + "idle", "must be 0 or 1"));
  return r;
}

Result<BlockIoResources> block_io(const json& b, const std::string& w) {
  BlockIoResources r;
  r.weight = HUSK_TRY(get_int<uint16_t>(b, "weight", w));
  r.leaf_weight = HUSK_TRY(get_int<uint16_t>(b, "leafWeight", w));
  auto check_weight = [](std::optional<uint16_t> v, const std::string& field) -> Result<void> {
    if (v && *v != 0 && (*v < 10 || *v > 1000))
      return fail(field_error(field, "must be between 10 and 1000"));
    return {};
  };
  HUSK_TRY(check_weight(r.weight, w + "weight"));
  HUSK_TRY(check_weight(r.leaf_weight, w + "leafWeight"));
  HUSK_TRY(each_in_array(b, "weightDevice", w, [&](const json& d, const std::string& dw) -> Result<void> {
    WeightDevice wd;
    wd.major = HUSK_TRY(get_int<int64_t>(d, "major", dw)).value_or(-1);
    wd.minor = HUSK_TRY(get_int<int64_t>(d, "minor", dw)).value_or(-1);
    if (wd.major < 0 || wd.minor < 0) return fail(field_error(dw + "major", "major and minor are required"));
    wd.weight = HUSK_TRY(get_int<uint16_t>(d, "weight", dw));
    wd.leaf_weight = HUSK_TRY(get_int<uint16_t>(d, "leafWeight", dw));
    HUSK_TRY(check_weight(wd.weight, dw + "weight"));
    HUSK_TRY(check_weight(wd.leaf_weight, dw + "leafWeight"));
    r.weight_devices.push_back(wd);
    return {};
  }));
  auto throttle = [&](const char* key, std::vector<ThrottleDevice>& out) -> Result<void> {
    return each_in_array(b, key, w, [&](const json& d, const std::string& dw) -> Result<void> {
      ThrottleDevice t;
      t.major = HUSK_TRY(get_int<int64_t>(d, "major", dw)).value_or(-1);
      t.minor = HUSK_TRY(get_int<int64_t>(d, "minor", dw)).value_or(-1);
      if (t.major < 0 || t.minor < 0) return fail(field_error(dw + "major", "major and minor are required"));
      t.rate = HUSK_TRY(get_int<uint64_t>(d, "rate", dw)).value_or(0);
      out.push_back(t);
      return {};
    });
  };
  HUSK_TRY(throttle("throttleReadBpsDevice", r.throttle_read_bps));
  HUSK_TRY(throttle("throttleWriteBpsDevice", r.throttle_write_bps));
  HUSK_TRY(throttle("throttleReadIOPSDevice", r.throttle_read_iops));
  HUSK_TRY(throttle("throttleWriteIOPSDevice", r.throttle_write_iops));
  return r;
}

}  // namespace

Result<Resources> resources_from_json(const json& j, const std::string& where) {
  if (!j.is_object())
    return fail(
        field_error(where.empty() ? "resources" : where.substr(0, where.size() - 1), "must be an object"));
  Resources r;
  HUSK_TRY(each_in_array(j, "devices", where, [&](const json& d, const std::string& w) -> Result<void> {
    r.devices.push_back(HUSK_TRY(device_rule(d, w)));
    return {};
  }));
  if (auto* m = HUSK_TRY(object_field(j, "memory", where)))
    r.memory = HUSK_TRY(memory(*m, where + "memory."));
  if (auto* c = HUSK_TRY(object_field(j, "cpu", where))) r.cpu = HUSK_TRY(cpu(*c, where + "cpu."));
  if (auto* p = HUSK_TRY(object_field(j, "pids", where))) {
    PidsResources pids;
    pids.limit = HUSK_TRY(get_int<int64_t>(*p, "limit", where + "pids.")).value_or(0);
    r.pids = pids;
  }
  if (auto* b = HUSK_TRY(object_field(j, "blockIO", where)))
    r.block_io = HUSK_TRY(block_io(*b, where + "blockIO."));
  HUSK_TRY(
      each_in_array(j, "hugepageLimits", where, [&](const json& h, const std::string& w) -> Result<void> {
        HugepageLimit l;
        l.page_size = HUSK_TRY(get_string(h, "pageSize", w, true));
        l.limit = HUSK_TRY(get_int<uint64_t>(h, "limit", w)).value_or(0);
        if (l.page_size.find('/') != std::string::npos || l.page_size.empty())
          return fail(field_error(w + "pageSize", "\"" + l.page_size + "\" is not a page size like \"2MB\""));
        r.hugepage_limits.push_back(l);
        return {};
      }));
  if (auto* n = HUSK_TRY(object_field(j, "network", where))) {
    NetworkResources net;
    std::string w = where + "network.";
    net.class_id = HUSK_TRY(get_int<uint32_t>(*n, "classID", w));
    HUSK_TRY(each_in_array(*n, "priorities", w, [&](const json& p, const std::string& pw) -> Result<void> {
      auto name = HUSK_TRY(get_string(p, "name", pw, true));
      auto prio = HUSK_TRY(get_int<uint32_t>(p, "priority", pw)).value_or(0);
      net.priorities.emplace_back(name, prio);
      return {};
    }));
    r.network = net;
  }
  if (auto* rd = HUSK_TRY(object_field(j, "rdma", where))) {
    for (auto& [dev, v] : rd->items()) {
      std::string w = where + "rdma." + dev + ".";
      if (!v.is_object()) return fail(field_error(w.substr(0, w.size() - 1), "must be an object"));
      RdmaLimit l;
      l.hca_handles = HUSK_TRY(get_int<uint32_t>(v, "hcaHandles", w));
      l.hca_objects = HUSK_TRY(get_int<uint32_t>(v, "hcaObjects", w));
      r.rdma[dev] = l;
    }
  }
  r.unified = HUSK_TRY(get_string_map(j, "unified", where));
  for (auto& [key, value] : r.unified)
    if (key.find('/') != std::string::npos || key.find('.') == std::string::npos || key.starts_with("."))
      return fail(field_error(where + "unified",
                              "\"" + key + "\" is not a cgroup v2 file name like \"memory.high\""));
  r.extra = Extra::unknown_members(
      j, {"devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits", "network", "rdma", "unified"});
  return r;
}

Result<Resources> parse_resources(std::string_view text) {
  // Unknown members are kept as text (dump() recurses): bound the depth first.
  if (nested_too_deep(text))
    return fail_code(EINVAL, "resources: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail_code(EINVAL, "resources: not valid JSON");
  return resources_from_json(j, "");
}

Resources merge_resources(Resources base, const Resources& u) {
  if (!u.devices.empty()) base.devices = u.devices;
  auto take_fields = [](auto& into, const auto& from, const auto& fields) {
    for_each_field(fields, [&](const auto& f) {
      if (from.*(f.member)) into.*(f.member) = from.*(f.member);
    });
  };
  if (u.memory) take_fields(base.memory ? *base.memory : base.memory.emplace(), *u.memory, kMemoryFields);
  if (u.cpu) {
    auto& c = base.cpu ? *base.cpu : base.cpu.emplace();
    take_fields(c, *u.cpu, kCpuFields);
    if (!u.cpu->cpus.empty()) c.cpus = u.cpu->cpus;
    if (!u.cpu->mems.empty()) c.mems = u.cpu->mems;
  }
  if (u.pids && u.pids->limit != 0) base.pids = u.pids;
  if (u.block_io) {
    auto& b = base.block_io ? *base.block_io : base.block_io.emplace();
    if (u.block_io->weight) b.weight = u.block_io->weight;
    if (u.block_io->leaf_weight) b.leaf_weight = u.block_io->leaf_weight;
    if (!u.block_io->weight_devices.empty()) b.weight_devices = u.block_io->weight_devices;
    if (!u.block_io->throttle_read_bps.empty()) b.throttle_read_bps = u.block_io->throttle_read_bps;
    if (!u.block_io->throttle_write_bps.empty()) b.throttle_write_bps = u.block_io->throttle_write_bps;
    if (!u.block_io->throttle_read_iops.empty()) b.throttle_read_iops = u.block_io->throttle_read_iops;
    if (!u.block_io->throttle_write_iops.empty()) b.throttle_write_iops = u.block_io->throttle_write_iops;
  }
  if (!u.hugepage_limits.empty()) base.hugepage_limits = u.hugepage_limits;
  if (u.network) base.network = u.network;
  for (auto& [k, v] : u.rdma) base.rdma[k] = v;
  for (auto& [k, v] : u.unified) base.unified[k] = v;
  return base;
}

namespace {
template <typename T>
void put(nlohmann::ordered_json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
nlohmann::ordered_json throttle_list(const std::vector<ThrottleDevice>& v) {
  auto a = nlohmann::ordered_json::array();
  for (auto& t : v) a.push_back({{"major", t.major}, {"minor", t.minor}, {"rate", t.rate}});
  return a;
}
}  // namespace

nlohmann::ordered_json resources_json(const Resources& r) {
  using ojson = nlohmann::ordered_json;
  ojson j = ojson::object();
  if (!r.devices.empty()) {
    auto a = ojson::array();
    for (auto& d : r.devices) {
      ojson o{{"allow", d.allow}, {"type", std::string(1, d.type)}};
      put(o, "major", d.major);
      put(o, "minor", d.minor);
      o["access"] = d.access;
      a.push_back(o);
    }
    j["devices"] = a;
  }
  auto put_fields = [](const auto& from, const auto& fields) {
    ojson o = ojson::object();
    for_each_field(fields, [&](const auto& f) { put(o, f.name, from.*(f.member)); });
    return o;
  };
  if (r.memory) j["memory"] = put_fields(*r.memory, kMemoryFields);
  if (r.cpu) {
    ojson o = put_fields(*r.cpu, kCpuFields);
    if (!r.cpu->cpus.empty()) o["cpus"] = r.cpu->cpus;
    if (!r.cpu->mems.empty()) o["mems"] = r.cpu->mems;
    j["cpu"] = o;
  }
  if (r.pids) j["pids"] = {{"limit", r.pids->limit}};
  if (r.block_io) {
    auto& b = *r.block_io;
    ojson o = ojson::object();
    put(o, "weight", b.weight);
    put(o, "leafWeight", b.leaf_weight);
    if (!b.weight_devices.empty()) {
      auto a = ojson::array();
      for (auto& w : b.weight_devices) {
        ojson d{{"major", w.major}, {"minor", w.minor}};
        put(d, "weight", w.weight);
        put(d, "leafWeight", w.leaf_weight);
        a.push_back(d);
      }
      o["weightDevice"] = a;
    }
    if (!b.throttle_read_bps.empty()) o["throttleReadBpsDevice"] = throttle_list(b.throttle_read_bps);
    if (!b.throttle_write_bps.empty()) o["throttleWriteBpsDevice"] = throttle_list(b.throttle_write_bps);
    if (!b.throttle_read_iops.empty()) o["throttleReadIOPSDevice"] = throttle_list(b.throttle_read_iops);
    if (!b.throttle_write_iops.empty()) o["throttleWriteIOPSDevice"] = throttle_list(b.throttle_write_iops);
    j["blockIO"] = o;
  }
  if (!r.hugepage_limits.empty()) {
    auto a = ojson::array();
    for (auto& h : r.hugepage_limits) a.push_back({{"pageSize", h.page_size}, {"limit", h.limit}});
    j["hugepageLimits"] = a;
  }
  if (r.network) {
    ojson o = ojson::object();
    put(o, "classID", r.network->class_id);
    if (!r.network->priorities.empty()) {
      auto a = ojson::array();
      for (auto& [name, prio] : r.network->priorities) a.push_back({{"name", name}, {"priority", prio}});
      o["priorities"] = a;
    }
    j["network"] = o;
  }
  if (!r.rdma.empty()) {
    ojson o = ojson::object();
    for (auto& [dev, l] : r.rdma) {
      ojson d = ojson::object();
      put(d, "hcaHandles", l.hca_handles);
      put(d, "hcaObjects", l.hca_objects);
      o[dev] = d;
    }
    j["rdma"] = o;
  }
  if (!r.unified.empty()) j["unified"] = r.unified;
  r.extra.put_into(j);
  return j;
}

std::string resources_to_json(const Resources& r) { return resources_json(r).dump(); }

}  // namespace husk::spec
