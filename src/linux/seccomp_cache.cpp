// The compiled-program cache of linux/seccomp.hpp.
#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"
#include "linux/seccomp.hpp"

namespace husk::linux {

namespace {

constexpr std::string_view kMagic = "husk-seccomp-1\n";

std::string optional_number(const std::optional<uint32_t>& v) { return v ? std::to_string(*v) : "-"; }

void append_u32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }

bool read_u32(std::string_view& in, uint32_t& v) {
  if (in.size() < sizeof v) return false;
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  return true;
}

// The file: magic, key length and key, flags, instruction count and code.
std::string encode(const std::string& key, const SeccompProgram& p) {
  std::string out(kMagic);
  append_u32(out, static_cast<uint32_t>(key.size()));
  out += key;
  append_u32(out, p.flags);
  append_u32(out, static_cast<uint32_t>(p.code.size()));
  out.append(reinterpret_cast<const char*>(p.code.data()), p.code.size() * sizeof(sock_filter));
  return out;
}

std::optional<SeccompProgram> decode(std::string_view in, const std::string& key) {
  if (!in.starts_with(kMagic)) return {};
  in.remove_prefix(kMagic.size());
  uint32_t key_len = 0, flags = 0, count = 0;
  if (!read_u32(in, key_len) || in.size() < key_len || in.substr(0, key_len) != key) return {};
  in.remove_prefix(key_len);
  if (!read_u32(in, flags) || !read_u32(in, count) || in.size() != count * sizeof(sock_filter) || count == 0)
    return {};
  SeccompProgram p;
  p.flags = flags;
  p.code.resize(count);
  std::memcpy(p.code.data(), in.data(), in.size());
  return p;
}

}  // namespace

std::string seccomp_cache_key(const spec::Seccomp& s) {
  std::string k;
  const scmp_version* v = seccomp_version();
  utsname u{};
  (void)::uname(&u);
  k += "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  k += "\nkernel " + std::string(u.release) + " " + u.machine;
  k += "\ndefault " + std::string(spec::seccomp_action_name(s.default_action)) + " " +
       optional_number(s.default_errno_ret);
  k += "\narches";
  for (auto a : s.architectures) k += " " + std::string(spec::seccomp_arch_name(a));
  k += "\nflags";
  if (!s.flags) k += " absent";
  for (auto f : s.flags.value_or(std::vector<spec::SeccompFlag>{})) k += " " + std::string(spec::seccomp_flag_name(f));
  k += "\nlistener " + std::to_string(!s.listener_path.empty());
  for (auto& r : s.syscalls) {
    k += "\nrule " + std::string(spec::seccomp_action_name(r.action)) + " " + optional_number(r.errno_ret);
    for (auto& a : r.args)
      k += " arg" + std::to_string(a.index) + "," + std::string(spec::seccomp_op_name(a.op)) + "," +
           std::to_string(a.value) + "," + std::to_string(a.value_two);
    k += " :";
    for (auto& n : r.names) k += " " + n;
  }
  return k;
}

Result<SeccompProgram> compile_seccomp_cached(const spec::Seccomp& s, const std::string& dir) {
  std::string key = seccomp_cache_key(s);
  std::string path = dir + "/" + fnv1a_64_hex(key);  // the key inside decides
  if (auto text = read_file(path))
    if (auto p = decode(*text, key)) return std::move(*p);
  auto p = HUSK_TRY(compile_seccomp(s));
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) (void)write_file_atomic(path, encode(key, p), 0600);
  return p;
}

}  // namespace husk::linux
