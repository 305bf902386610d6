#include "net/ipam.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>

#include "base/fd.hpp"
#include "base/file.hpp"
#include "base/strings.hpp"

namespace husk::net {

namespace {

// The file: "last ADDRESS" (the last one given), then "ADDRESS OWNER" a line.
struct Book {
  std::optional<Ipv4> last;
  std::vector<Lease> leases;
};

Book parse_book(const std::string& text) {
  Book b;
  for (auto& line : split(text, '\n')) {
    auto sp = line.find(' ');
    if (sp == std::string::npos) continue;
    auto addr = parse_ipv4(line.substr(sp + 1));
    if (line.starts_with("last ")) {
      b.last = addr;
    } else if (auto a = parse_ipv4(line.substr(0, sp))) {
      b.leases.push_back({*a, line.substr(sp + 1)});
    }
  }
  return b;
}

std::string format_book(const Book& b) {
  std::string out = b.last ? "last " + b.last->str() + "\n" : "";
  for (auto& l : b.leases) out += l.address.str() + " " + l.owner + "\n";
  return out;
}

// Held while the book is read and written.
Result<UniqueFd> lock(const std::string& dir) {
  HUSK_TRY(mkdir_all(dir, 0700));
  UniqueFd fd = HUSK_TRY(open_fd(dir + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  HUSK_TRY(flock_fd(fd.get(), LOCK_EX, "lock " + dir + "/lock"));
  return fd;
}

Result<Book> read_book(const std::string& dir) {
  std::string path = dir + "/leases";
  if (!path_exists(path)) return Book{};
  return parse_book(HUSK_TRY(read_file(path)));
}

bool reserved(const Pool& pool, Ipv4 a) {
  return a == pool.gateway || a == pool.subnet.base ||
         (pool.subnet.prefix < 31 && a == pool.subnet.broadcast());
}

}  // namespace

Result<Ipv4> Leases::acquire(const Pool& pool, const std::string& owner, std::optional<Ipv4> wanted,
                             const std::function<bool(const std::string&)>& alive) const {
  UniqueFd held = HUSK_TRY(lock(dir_));
  Book b = HUSK_TRY(read_book(dir_));
  std::erase_if(b.leases, [&](const Lease& l) { return l.owner != owner && !alive(l.owner); });
  auto taken = [&](Ipv4 a) {
    return std::any_of(b.leases.begin(), b.leases.end(), [&](const Lease& l) { return l.address == a; });
  };
  for (auto& l : b.leases)
    if (l.owner == owner && (!wanted || *wanted == l.address)) return l.address;
  std::erase_if(b.leases, [&](const Lease& l) { return l.owner == owner; });
  Ipv4 got;
  if (wanted) {
    if (!pool.subnet.contains(*wanted))
      return fail(Error(EINVAL, "no configured subnet contains IP address " + wanted->str(), false,
                        ErrorKind::invalid_argument));
    if (taken(*wanted) || *wanted == pool.gateway)
      return fail_code(EADDRINUSE, "Address already in use: " + wanted->str());
    got = *wanted;
  } else {
    // After the last one given, around the range once.
    uint64_t n = pool.range.size(), start = 0;
    if (b.last && pool.range.contains(*b.last)) start = (b.last->value - pool.range.base.value + 1) % n;
    bool found = false;
    for (uint64_t i = 0; i < n && !found; ++i) {
      Ipv4 a = pool.range.at((start + i) % n);
      if (!reserved(pool, a) && !taken(a)) {
        got = a;
        found = true;
      }
    }
    if (!found)
      return fail_code(ENOSPC,
                       "no available IPv4 addresses on this network's address pools: " + pool.range.str());
    b.last = got;
  }
  b.leases.push_back({got, owner});
  HUSK_TRY(write_file_atomic(dir_ + "/leases", format_book(b), 0600));
  return got;
}

Result<void> Leases::release(const std::string& owner) const {
  if (!path_exists(dir_ + "/leases")) return {};
  UniqueFd held = HUSK_TRY(lock(dir_));
  Book b = HUSK_TRY(read_book(dir_));
  auto before = b.leases.size();
  std::erase_if(b.leases, [&](const Lease& l) { return l.owner == owner; });
  if (b.leases.size() == before) return {};
  return write_file_atomic(dir_ + "/leases", format_book(b), 0600);
}

Result<std::vector<Lease>> Leases::list() const {
  if (!path_exists(dir_ + "/leases")) return std::vector<Lease>{};
  UniqueFd held = HUSK_TRY(lock(dir_));
  return HUSK_TRY(read_book(dir_)).leases;
}

}  // namespace husk::net
