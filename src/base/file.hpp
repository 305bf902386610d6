// Whole-file reads and writes, with errno and the path in every error.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"

namespace husk {

Result<std::string> read_file(const std::string& path);
Result<std::string> read_file_at(int dirfd, const std::string& path);
// Writes DATA with a single write(2) to an existing file (cgroup/proc files).
Result<void> write_file(const std::string& path, std::string_view data);
Result<void> write_file_at(int dirfd, const std::string& path, std::string_view data);
// Writes DATA to PATH atomically: a temp file beside it, fsync-free rename.
Result<void> write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644);
// mkdir -p; existing directories are fine.
Result<void> mkdir_all(const std::string& path, unsigned mode = 0755);
// rm -rf that stays on one filesystem and never follows symlinks.
Result<void> remove_all(const std::string& path);
bool path_exists(const std::string& path);
// The names in the directory PATH, sorted, but hidden ones (".lock",
// ".tmp-..."); none when it cannot be read.
std::vector<std::string> list_dir(const std::string& path);
// Every name in the opened directory DIR ("." and ".." left out, hidden
// ones in), sorted; WHAT names it in the error.
Result<std::vector<std::string>> dir_entries(int dir, const std::string& what);
// Whether PATH is a directory without any entry (hidden ones count).
bool dir_is_empty(const std::string& path);
// PATH as given when absolute, else joined onto the current directory
// (lexically: the file need not exist yet, e.g. a pid file).
Result<std::string> absolute_from_cwd(const std::string& path);
// Where the symlink PATH points (e.g. /proc/self/exe: this program's file).
Result<std::string> read_link(const std::string& path);

// This program's file as installed, for the programs beside it: its
// /proc/self/exe, or, in a process re-executed from a protected view of it
// (linux/self_exe.hpp), whose /proc/self/exe names no installed path, the
// one it was re-executed from (kInstalledExeEnv).
inline constexpr const char* kInstalledExeEnv = "_HUSK_INSTALLED_EXE";
Result<std::string> installed_exe();
// DIR/NAME for NAME beside this program's file; empty when it is not there.
std::string program_beside_us(std::string_view name);

}  // namespace husk
