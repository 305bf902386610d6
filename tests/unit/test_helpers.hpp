// Shared by the unit tests: a temporary directory that removes itself, and an
// assertion on a failed Result's errno and message.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/file.hpp"

namespace husk::testing {

// mkdtemp under $TMPDIR (or /tmp); removed with everything in it on scope exit.
class TempDir {
 public:
  TempDir() {
    const char* base = ::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/husk-unit-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << tmpl << " failed";
    path_ = tmpl;
  }
  ~TempDir() { (void)remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(std::string_view rel) const { return path_ + "/" + std::string(rel); }

 private:
  std::string path_;
};

// Creates (or truncates) PATH with DATA; write_file itself only writes to
// existing files, the way cgroupfs and procfs want it.
inline void put_file(const std::string& path, std::string_view data) {
  auto r = write_file_atomic(path, data);
  ASSERT_TRUE(r.has_value()) << r.error().what();
}

inline std::string get_file(const std::string& path) {
  auto r = read_file(path);
  if (!r) {
    ADD_FAILURE() << r.error().what();
    return {};
  }
  return *r;
}

// Passes when R failed with errno ERR and its message contains TEXT.
template <typename T>
::testing::AssertionResult FailsWith(const Result<T>& r, int err, std::string_view text) {
  if (r.has_value())
    return ::testing::AssertionFailure() << "succeeded; expected an error with \"" << text << "\"";
  const Error& e = r.error();
  if (e.err() != err)
    return ::testing::AssertionFailure() << "errno " << e.err() << " (wanted " << err << "): " << e.what();
  if (e.message().find(text) == std::string::npos)
    return ::testing::AssertionFailure() << "message \"" << e.message() << "\" lacks \"" << text << "\"";
  return ::testing::AssertionSuccess();
}

}  // namespace husk::testing
