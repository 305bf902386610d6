#include "linux/proc.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::linux {
namespace {
// The fields after "(comm)", which may itself hold spaces and parentheses.
Result<std::vector<std::string>> stat_fields(int pid) {
  auto text = HUSK_TRY(read_file("/proc/" + std::to_string(pid) + "/stat"));
  auto close = text.rfind(')');
  if (close == std::string::npos) return fail_code(EINVAL, "malformed /proc stat");
  return split(trim(text.substr(close + 2)), ' ');
}
}  // namespace

Result<unsigned long long> process_start_time(int pid) {
  auto f = HUSK_TRY(stat_fields(pid));
  // fields[0] is field 3 (state); start time is field 22.
  if (f.size() < 20) return fail_code(EINVAL, "short /proc stat");
  auto v = parse_u64(f[19]);
  if (!v) return fail_code(EINVAL, "bad start time in /proc stat");
  return *v;
}

bool process_alive(int pid, unsigned long long start_time) {
  if (pid <= 0) return false;
  auto f = stat_fields(pid);
  if (!f || f->size() < 20) return false;
  if ((*f)[0] == "Z" || (*f)[0] == "X") return false;
  if (start_time == 0) return true;
  auto v = parse_u64((*f)[19]);
  return v && *v == start_time;
}

}  // namespace husk::linux
