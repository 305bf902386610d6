// The members of a config.json object that the model does not know (fields
// of a newer runtime-spec, vendor extensions), kept as they came: a config
// that is parsed and written back loses nothing. Each modelled object that
// the spec lets grow carries one.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace husk::spec {

class Extra {
 public:
  // The members of OBJECT (a JSON object) whose names are not in KNOWN.
  static Extra unknown_members(const nlohmann::json& object, std::initializer_list<std::string_view> known);

  bool empty() const { return members_.empty(); }
  // Adds the kept members to OUT (an object), after the ones it has.
  void put_into(nlohmann::ordered_json& out) const;

  bool operator==(const Extra&) const = default;

 private:
  // As JSON text ("\"key\":value,..."), not a tree: a json copy recurses
  // once per level of nesting, dump() and the parser do not (a document
  // may be kMaxJsonDepth deep). Empty: none, as in most configs.
  std::string members_;
};

}  // namespace husk::spec
