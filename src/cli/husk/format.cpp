// docker's --format, for the fields people use: "{{.A.B}}" prints a value
// (strings bare, everything else as JSON), "{{json .A}}" prints JSON.
#include <nlohmann/json.hpp>

#include "base/strings.hpp"
#include "cli/husk/commands.hpp"

namespace husk::cli {

std::string format_json(const std::string& tmpl, const std::string& json_text) {
  using json = nlohmann::ordered_json;
  json doc = json::parse(json_text, nullptr, false);
  if (tmpl == "json") return doc.dump();
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = tmpl.find("}}", open);
    if (close == std::string::npos) break;
    out += tmpl.substr(pos, open - pos);
    std::string expr = trim(tmpl.substr(open + 2, close - open - 2));
    bool as_json = false;
    if (expr.starts_with("json ")) {
      as_json = true;
      expr = trim(expr.substr(5));
    }
    const json* v = &doc;
    if (expr != ".") {
      for (auto& part : split(expr.starts_with(".") ? expr.substr(1) : expr, '.')) {
        if (!v->is_object() || !v->contains(part)) {
          v = nullptr;
          break;
        }
        v = &(*v)[part];
      }
    }
    if (!v)
      out += "<no value>";
    else if (v->is_string() && !as_json)
      out += v->get<std::string>();
    else
      out += v->dump();
    pos = close + 2;
  }
  out += tmpl.substr(std::min(pos, tmpl.size()));
  return out;
}

}  // namespace husk::cli
