// Typed reads of JSON document fields. Every error names the field it is
// about ("linux.resources.memory.limit: must be an integer"), so a bad
// document is one clear message. Shared by the spec's parsers (config.json)
// and the image model's (image/oci.cpp: manifests, indexes, image configs).
#pragma once

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace husk::spec::json_fields {

using json = nlohmann::json;

// nlohmann's parser does not recurse, but dump() and copies of what it
// returns do: a document nested deeper than any config needs is refused
// before it can overflow the stack (runc's decoder stops at 10000 levels).
inline constexpr size_t kMaxJsonDepth = 1000;

// True when TEXT opens more than kMaxJsonDepth arrays/objects at once.
// Brackets inside strings do not count; TEXT need not be valid JSON.
inline bool nested_too_deep(std::string_view text) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

inline Error field_error(const std::string& field, const std::string& problem) {
  return Error(EINVAL, field + ": " + problem);
}

inline Result<std::string> get_string(const json& j, const char* key, const std::string& where,
                                      bool required = false) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return fail(field_error(where + key, "is required"));
    return std::string();
  }
  if (!it->is_string()) return fail(field_error(where + key, "must be a string"));
  return it->get<std::string>();
}

inline Result<bool> get_bool(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (!it->is_boolean()) return fail(field_error(where + key, "must be a boolean"));
  return it->get<bool>();
}

template <typename T>
Result<std::optional<T>> get_int(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<T>();
  if (!it->is_number_integer()) return fail(field_error(where + key, "must be an integer"));
  if constexpr (std::is_unsigned_v<T>) {
    if (it->is_number_unsigned()) {
      auto v = it->get<uint64_t>();
      if (v > std::numeric_limits<T>::max()) return fail(field_error(where + key, "is out of range"));
      return std::optional<T>(static_cast<T>(v));
    }
    auto v = it->get<int64_t>();
    if (v < 0) return fail(field_error(where + key, "must not be negative"));
    if (static_cast<uint64_t>(v) > std::numeric_limits<T>::max())
      return fail(field_error(where + key, "is out of range"));
    return std::optional<T>(static_cast<T>(v));
  } else {
    auto v = it->get<int64_t>();
    if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      return fail(field_error(where + key, "is out of range"));
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
      return fail(field_error(where + key, "is out of range"));
    return std::optional<T>(static_cast<T>(v));
  }
}

inline Result<std::vector<std::string>> get_strings(const json& j, const char* key,
                                                    const std::string& where) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return fail(field_error(where + key, "must be an array of strings"));
  for (auto& v : *it) {
    if (!v.is_string()) return fail(field_error(where + key, "must be an array of strings"));
    out.push_back(v.get<std::string>());
  }
  return out;
}

inline Result<std::map<std::string, std::string>> get_string_map(const json& j, const char* key,
                                                                 const std::string& where) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object()) return fail(field_error(where + key, "must be an object of strings"));
  for (auto& [k, v] : it->items()) {
    if (!v.is_string()) return fail(field_error(where + key + "." + k, "must be a string"));
    out[k] = v.get<std::string>();
  }
  return out;
}

// KEY of J, whatever its type, or null when absent or JSON null (docker
// writes null for the lists and maps it leaves unset).
inline const json* get_object(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

inline Result<std::optional<bool>> get_opt_bool(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return fail(field_error(where + key, "must be a boolean"));
  return std::optional<bool>(it->get<bool>());
}

}  // namespace husk::spec::json_fields
