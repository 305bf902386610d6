#include "engine/seccomp_profile.hpp"

#include <sys/utsname.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::engine {

namespace {

using ojson = nlohmann::ordered_json;

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// docker's profiles name architectures two ways: archMap by libseccomp's
// SCMP_ARCH_*, includes/excludes by Go's GOARCH ("amd64").
struct ArchNames {
  const char* machine;
  const char* go;
  const char* scmp;
};
constexpr ArchNames kArches[] = {
    {"x86_64", "amd64", "SCMP_ARCH_X86_64"},
    {"aarch64", "arm64", "SCMP_ARCH_AARCH64"},
    {"i686", "386", "SCMP_ARCH_X86"},
    {"armv7l", "arm", "SCMP_ARCH_ARM"},
    {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"},
    {"s390x", "s390x", "SCMP_ARCH_S390X"},
    {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"},
    {"loongarch64", "loong64", "SCMP_ARCH_LOONGARCH64"},
};

std::string go_arch(const std::string& scmp) {
  for (auto& a : kArches)
    if (scmp == a.scmp) return a.go;
  return "";
}

// "5.8" or "6.1.0-18-amd64" -> {major, minor}.
std::pair<unsigned long long, unsigned long long> kernel_version(const std::string& release) {
  auto parts = split(release.substr(0, release.find_first_not_of("0123456789.")), '.');
  auto at = [&](size_t i) { return i < parts.size() ? parse_u64(parts[i]).value_or(0) : 0ULL; };
  return {at(0), at(1)};
}

Result<std::vector<std::string>> strings_of(const ojson& j, const char* key, const std::string& where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return fail_code(EINVAL, "seccomp profile: " + where + key + " must be an array");
  for (auto& s : *it) {
    if (!s.is_string()) return fail_code(EINVAL, "seccomp profile: " + where + key + " must hold strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

// includes (WANT true): every condition holds; excludes (WANT false): none
// does. Whether the rule is kept, as docker decides it.
Result<bool> condition_holds(const ojson& cond, bool want, const SeccompTarget& t, const std::string& where) {
  auto arches = HUSK_TRY(strings_of(cond, "arches", where));
  auto caps = HUSK_TRY(strings_of(cond, "caps", where));
  std::string arch = go_arch(t.arch);
  if (!arches.empty() && contains(arches, arch) != want) return false;
  for (auto& c : caps)
    if (contains(t.caps, c) != want) return false;
  if (auto k = cond.find("minKernel"); k != cond.end() && !k->is_null()) {
    if (!k->is_string()) return fail_code(EINVAL, "seccomp profile: " + where + "minKernel must be a string");
    bool newer = kernel_version(t.kernel) >= kernel_version(k->get<std::string>());
    if (newer != want) return false;
  }
  return true;
}

Result<std::optional<ojson>> syscall_rule(const ojson& call, const SeccompTarget& t,
                                          const std::string& where) {
  if (!call.is_object()) return fail_code(EINVAL, "seccomp profile: " + where + " must be an object");
  auto names = HUSK_TRY(strings_of(call, "names", where + "."));
  if (auto n = call.find("name"); n != call.end() && n->is_string()) {
    if (!names.empty())
      return fail_code(
          EINVAL,
          "both 'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
    names.push_back(n->get<std::string>());
  }
  // Left out when any one of its excludes matches, or any of its includes does not.
  if (auto ex = call.find("excludes"); ex != call.end() && ex->is_object())
    if (!HUSK_TRY(condition_holds(*ex, false, t, where + ".excludes."))) return std::nullopt;
  if (auto in = call.find("includes"); in != call.end() && in->is_object())
    if (!HUSK_TRY(condition_holds(*in, true, t, where + ".includes."))) return std::nullopt;
  ojson out = {{"names", names}};
  for (const char* key : {"action", "errnoRet", "args"})
    if (auto v = call.find(key); v != call.end() && !v->is_null()) out[key] = *v;
  if (!out.contains("action")) return fail_code(EINVAL, "seccomp profile: " + where + ".action is required");
  return out;
}

}  // namespace

SeccompTarget native_seccomp_target(std::vector<std::string> caps) {
  SeccompTarget t;
  t.caps = std::move(caps);
  utsname u{};
  if (::uname(&u) == 0) {
    t.kernel = u.release;
    for (auto& a : kArches)
      if (std::string_view(u.machine) == a.machine) t.arch = a.scmp;
  }
  return t;
}

namespace {

// The profile as the runtime-spec's linux.seccomp object.
Result<ojson> runtime_seccomp(std::string_view text, const SeccompTarget& t) {
  auto p = ojson::parse(text, nullptr, false);
  if (p.is_discarded() || !p.is_object())
    return fail_code(EINVAL, "decoding seccomp profile failed: not a JSON object");
  if (!p.contains("defaultAction") || !p["defaultAction"].is_string())
    return fail_code(EINVAL, "seccomp profile: defaultAction is required");
  ojson out = {{"defaultAction", p["defaultAction"]}};
  if (p.contains("defaultErrnoRet")) out["defaultErrnoRet"] = p["defaultErrnoRet"];
  auto arches = HUSK_TRY(strings_of(p, "architectures", ""));
  auto map = p.find("archMap");
  bool has_map = map != p.end() && map->is_array() && !map->empty();
  if (!arches.empty() && has_map)
    return fail_code(EINVAL,
                     "both 'architectures' and 'archMap' are specified in the seccomp profile, use either "
                     "'architectures' or 'archMap'");
  // Of the map, only the native architecture and its companions (x32, x86).
  if (has_map)
    for (auto& entry : *map)
      if (entry.is_object() && entry.value("architecture", "") == t.arch) {
        arches.push_back(t.arch);
        for (auto& sub : HUSK_TRY(strings_of(entry, "subArchitectures", "archMap."))) arches.push_back(sub);
      }
  if (!arches.empty()) out["architectures"] = arches;
  for (const char* key : {"flags", "listenerPath", "listenerMetadata"})
    if (auto v = p.find(key); v != p.end() && !v->is_null()) out[key] = *v;
  ojson calls = ojson::array();
  if (auto s = p.find("syscalls"); s != p.end() && !s->is_null()) {
    if (!s->is_array()) return fail_code(EINVAL, "seccomp profile: syscalls must be an array");
    for (size_t i = 0; i < s->size(); ++i)
      if (auto rule = HUSK_TRY(syscall_rule((*s)[i], t, "syscalls[" + std::to_string(i) + "]")))
        calls.push_back(std::move(*rule));
  }
  out["syscalls"] = calls;
  return out;
}

// A converted profile, checked as config.json's linux.seccomp is.
Result<spec::Seccomp> typed(const nlohmann::json& converted) {
  auto s = HUSK_TRY(spec::seccomp_from_json(converted, "linux.seccomp"));
  if (!s) return fail_code(EINVAL, "seccomp profile: no defaultAction and no syscalls");
  return std::move(*s);
}

}  // namespace

Result<spec::Seccomp> seccomp_from_docker_profile(std::string_view text, const SeccompTarget& t) {
  return typed(nlohmann::json(HUSK_TRY(runtime_seccomp(text, t))));
}

Result<spec::Seccomp> cached_seccomp_from_docker_profile(const std::string& store_root,
                                                         std::string_view profile, const SeccompTarget& t) {
  // The file's first line is the key: the profile (its hash and length:
  // only husk's built-in profiles come here) and the target in full.
  std::string key = "profile " + fnv1a_64_hex(profile) + " " + std::to_string(profile.size()) + " arch " +
                    t.arch + " kernel " + t.kernel + " caps " + join(t.caps, ",");
  std::string path = store_root + "/cache/seccomp-" + fnv1a_64_hex(key) + ".json";
  if (auto text = read_file(path); text && text->starts_with(key + "\n")) {
    auto cached = nlohmann::json::parse(text->substr(key.size() + 1), nullptr, false);
    if (!cached.is_discarded())
      if (auto s = typed(cached)) return s;
  }
  auto converted = HUSK_TRY(runtime_seccomp(profile, t));
  auto checked = HUSK_TRY(typed(nlohmann::json(converted)));
  // A cache that cannot be written costs the next run a conversion, no more.
  if (mkdir_all(store_root + "/cache", 0700))
    (void)write_file_atomic(path, key + "\n" + converted.dump(), 0600);
  return checked;
}

}  // namespace husk::engine
