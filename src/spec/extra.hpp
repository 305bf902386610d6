// The members of a config.json object that the model does not know (fields
// of a newer runtime-spec, vendor extensions), kept as they came: a config
// that is parsed and written back loses nothing. Each modelled object that
// the spec lets grow carries one.
#pragma once

#include <initializer_list>
#include <memory>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace husk::spec {

class Extra {
 public:
  Extra() noexcept;
  Extra(const Extra& other);
  Extra(Extra&& other) noexcept;
  Extra& operator=(const Extra& other);
  Extra& operator=(Extra&& other) noexcept;
  ~Extra();

  // The members of OBJECT (a JSON object) whose names are not in KNOWN.
  static Extra unknown_members(const nlohmann::json& object, std::initializer_list<std::string_view> known);

  bool empty() const { return !members_; }
  // An object of the kept members; null when there are none.
  const nlohmann::json* members() const { return members_.get(); }
  // Adds the kept members to OUT (an object), after the ones it has.
  void put_into(nlohmann::ordered_json& out) const;

  friend bool operator==(const Extra& a, const Extra& b);

 private:
  std::unique_ptr<nlohmann::json> members_;  // null: none (most configs)
};

}  // namespace husk::spec
