#include "engine/template.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "base/strings.hpp"

namespace husk::engine {

namespace {

using json = nlohmann::ordered_json;

struct Token {
  enum Kind { field, literal, word } kind;
  std::string text;  // field: ".A.B"; literal: the string's value; word: a function name or number
};

Result<std::vector<Token>> tokenize(std::string_view expr) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < expr.size()) {
    char c = expr[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '"' || c == '`') {
      std::string value;
      size_t j = i + 1;
      for (; j < expr.size() && expr[j] != c; ++j) {
        if (c == '"' && expr[j] == '\\' && j + 1 < expr.size()) ++j;
        value += expr[j];
      }
      if (j == expr.size()) return fail_code(EINVAL, "template parsing error: unterminated quoted string");
      out.push_back({Token::literal, value});
      i = j + 1;
    } else {
      size_t j = i;
      while (j < expr.size() && !std::isspace(static_cast<unsigned char>(expr[j]))) ++j;
      std::string text(expr.substr(i, j - i));
      out.push_back({text[0] == '.' ? Token::field : Token::word, text});
      i = j;
    }
  }
  return out;
}

// ".A.B" in DOC; nullopt when a step is missing.
std::optional<json> lookup(const json& doc, const std::string& path) {
  const json* v = &doc;
  if (path != ".")
    for (auto& part : split(path.substr(1), '.')) {
      if (!v->is_object() || !v->contains(part)) return std::nullopt;
      v = &(*v)[part];
    }
  return *v;
}

Result<std::optional<json>> argument(const Token& t, const json& doc) {
  if (t.kind == Token::field) return lookup(doc, t.text);
  if (t.kind == Token::literal) return std::optional<json>(json(t.text));
  if (auto n = parse_i64(t.text)) return std::optional<json>(json(*n));
  return fail_code(EINVAL, "template parsing error: function \"" + t.text + "\" not defined");
}

// {{index X K...}}: a map key or a list position at each step.
Result<std::optional<json>> index_of(std::optional<json> v, const std::vector<std::optional<json>>& keys) {
  for (auto& k : keys) {
    if (!v || !k) return std::optional<json>();
    if (v->is_object() && k->is_string()) {
      // A missing key gives the map's zero value, "" for docker's string maps.
      v = v->contains(k->get<std::string>()) ? (*v)[k->get<std::string>()] : json("");
    } else if (v->is_array() && k->is_number_integer()) {
      auto at = k->get<long long>();
      if (at < 0 || static_cast<size_t>(at) >= v->size())
        return fail_code(EINVAL, "error calling index: index out of range: " + std::to_string(at));
      v = (*v)[static_cast<size_t>(at)];
    } else {
      return fail_code(EINVAL, "error calling index: cannot index " + std::string(v->type_name()) + " with " +
                                   k->type_name());
    }
  }
  return v;
}

Result<std::string> call(const std::string& fn, const std::vector<std::optional<json>>& args) {
  auto want = [&](size_t n) -> Result<void> {
    if (args.size() != n)
      return fail_code(EINVAL, "template: wrong number of args for " + fn + ": want " + std::to_string(n) +
                                   " got " + std::to_string(args.size()));
    return {};
  };
  if (fn == "json") {
    HUSK_TRY(want(1));
    return args[0] ? args[0]->dump() : "null";
  }
  if (fn == "index") {
    if (args.empty()) return fail_code(EINVAL, "template: wrong number of args for index: want at least 1");
    auto v = HUSK_TRY(index_of(args[0], {args.begin() + 1, args.end()}));
    return v ? go_text(*v) : "<no value>";
  }
  if (fn == "join") {
    HUSK_TRY(want(2));
    std::vector<std::string> parts;
    if (args[0] && args[0]->is_array())
      for (auto& e : *args[0]) parts.push_back(go_text(e));
    return join(parts, args[1] ? go_text(*args[1]) : "");
  }
  if (fn == "len") {
    HUSK_TRY(want(1));
    if (!args[0] || !(args[0]->is_array() || args[0]->is_object() || args[0]->is_string()))
      return fail_code(EINVAL, "error calling len: len of a value that has no length");
    return std::to_string(args[0]->is_string() ? args[0]->get<std::string>().size() : args[0]->size());
  }
  if (fn == "upper" || fn == "lower") {
    HUSK_TRY(want(1));
    std::string s = args[0] ? go_text(*args[0]) : "";
    for (auto& c : s) c = static_cast<char>(fn == "upper" ? std::toupper(c) : std::tolower(c));
    return s;
  }
  return fail_code(EINVAL, "template parsing error: function \"" + fn + "\" not defined");
}

Result<std::string> evaluate(std::string_view expr, const json& doc) {
  auto tokens = HUSK_TRY(tokenize(expr));
  if (tokens.empty()) return fail_code(EINVAL, "template parsing error: missing value for command");
  if (tokens[0].kind == Token::word && !parse_i64(tokens[0].text)) {
    std::vector<std::optional<json>> args;
    for (size_t i = 1; i < tokens.size(); ++i) args.push_back(HUSK_TRY(argument(tokens[i], doc)));
    return call(tokens[0].text, args);
  }
  if (tokens.size() != 1)
    return fail_code(EINVAL, "template parsing error: can't give argument to non-function " + tokens[0].text);
  auto v = HUSK_TRY(argument(tokens[0], doc));
  return v ? go_text(*v) : "<no value>";
}

}  // namespace

std::string go_text(const json& v) {
  if (v.is_null()) return "<nil>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::vector<std::string> parts;
    for (auto& e : v) parts.push_back(go_text(e));
    return "[" + join(parts, " ") + "]";
  }
  if (v.is_object()) {
    // Go prints a map's keys sorted.
    std::vector<std::string> keys;
    for (auto& [k, _] : v.items()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    std::vector<std::string> parts;
    for (auto& k : keys) parts.push_back(k + ":" + go_text(v[k]));
    return "map[" + join(parts, " ") + "]";
  }
  return v.dump();
}

Result<std::string> render_template(const std::string& tmpl, const json& doc) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = tmpl.find("}}", open);
    if (close == std::string::npos) return fail_code(EINVAL, "template parsing error: unclosed action");
    out += tmpl.substr(pos, open - pos);
    std::string_view expr(tmpl.data() + open + 2, close - open - 2);
    // {{- and -}} trim the text beside them, as Go's.
    if (expr.starts_with('-')) {
      expr.remove_prefix(1);
      while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    }
    bool trim_after = expr.ends_with('-');
    if (trim_after) expr.remove_suffix(1);
    out += HUSK_TRY(evaluate(expr, doc));
    pos = close + 2;
    if (trim_after)
      while (pos < tmpl.size() && std::isspace(static_cast<unsigned char>(tmpl[pos]))) ++pos;
  }
  out += tmpl.substr(std::min(pos, tmpl.size()));
  return out;
}

}  // namespace husk::engine
