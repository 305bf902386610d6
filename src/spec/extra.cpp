#include "spec/extra.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace husk::spec {

Extra::Extra() noexcept = default;
Extra::Extra(const Extra& other)
    : members_(other.members_ ? std::make_unique<nlohmann::json>(*other.members_) : nullptr) {}
Extra::Extra(Extra&& other) noexcept = default;
Extra& Extra::operator=(const Extra& other) {
  if (this != &other) members_ = other.members_ ? std::make_unique<nlohmann::json>(*other.members_) : nullptr;
  return *this;
}
Extra& Extra::operator=(Extra&& other) noexcept = default;
Extra::~Extra() = default;

Extra Extra::unknown_members(const nlohmann::json& object, std::initializer_list<std::string_view> known) {
  Extra out;
  if (!object.is_object()) return out;
  for (auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    if (!out.members_) out.members_ = std::make_unique<nlohmann::json>(nlohmann::json::object());
    (*out.members_)[key] = value;
  }
  return out;
}

void Extra::put_into(nlohmann::ordered_json& out) const {
  if (!members_) return;
  for (auto& [key, value] : members_->items()) out[key] = nlohmann::ordered_json(value);
}

bool operator==(const Extra& a, const Extra& b) {
  if (!a.members_ || !b.members_) return !a.members_ && !b.members_;
  return *a.members_ == *b.members_;
}

}  // namespace husk::spec
