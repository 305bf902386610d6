#include "spec/extra.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace husk::spec {

Extra Extra::unknown_members(const nlohmann::json& object, std::initializer_list<std::string_view> known) {
  Extra out;
  if (!object.is_object()) return out;
  for (auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    if (!out.members_.empty()) out.members_ += ',';
    out.members_ += nlohmann::json(key).dump() + ":" + value.dump();
  }
  return out;
}

void Extra::put_into(nlohmann::ordered_json& out) const {
  if (members_.empty()) return;
  auto kept = nlohmann::ordered_json::parse("{" + members_ + "}");
  for (auto& [key, value] : kept.items()) out[key] = std::move(value);
}

}  // namespace husk::spec
