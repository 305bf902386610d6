// The functions a template can call: Go's builtins (but and/or, which the
// executor short-circuits) and docker's (json, join, split, lower, upper,
// title, truncate, pad), with Go's messages for wrong arguments.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

#include "base/strings.hpp"
#include "engine/template.hpp"
#include "engine/template_tree.hpp"

namespace husk::engine::tmpl {

namespace {

constexpr std::string_view kFunctions[] = {
    "and",  "or",   "not",  "len",   "index", "slice", "print", "printf",   "println",
    "eq",   "ne",   "lt",   "le",    "gt",    "ge",    "html",  "js",       "urlquery",
    "call", "json", "join", "split", "lower", "upper", "title", "truncate", "pad"};

// docker's table headers: these hand back the column's name untouched.
constexpr std::string_view kHeaderIdentity[] = {"json",  "split", "join",    "title",
                                                "lower", "upper", "truncate"};

using Out = std::variant<Value, CallError>;

CallError error(std::string message) { return CallError{std::move(message)}; }

// Go's check of a call's argument count: exactly N, or N at least.
std::optional<CallError> want_args(const std::string& name, const std::vector<Value>& args, size_t n,
                                   bool at_least = false) {
  if (args.size() == n || (at_least && args.size() > n)) return std::nullopt;
  return error("wrong number of args for " + name + ": want " + (at_least ? "at least " : "") +
               std::to_string(n) + " got " + std::to_string(args.size()));
}

// The basic kinds Go compares; a JSON integer is Go's int, whatever its sign.
enum class Kind { invalid, boolean, integer, floating, string, other };

Kind kind_of(const json& v) {
  if (v.is_null()) return Kind::invalid;
  if (v.is_boolean()) return Kind::boolean;
  if (v.is_number_integer()) return Kind::integer;
  if (v.is_number_float()) return Kind::floating;
  if (v.is_string()) return Kind::string;
  return Kind::other;
}

// -1, 0, 1 for two integers of either sign.
int compare_integers(const json& a, const json& b) {
  auto wide = [](const json& v) -> __int128 {
    return v.is_number_unsigned() ? static_cast<__int128>(v.get<uint64_t>())
                                  : static_cast<__int128>(v.get<int64_t>());
  };
  auto x = wide(a), y = wide(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// Go's eq: true when A equals any of the others.
Out equal(const std::vector<Value>& args) {
  if (args.size() < 2) return error("error calling eq: missing argument for comparison");
  const json& a = args[0].get();
  Kind ka = kind_of(a);
  for (size_t i = 1; i < args.size(); ++i) {
    const json& b = args[i].get();
    Kind kb = kind_of(b);
    if (ka != kb) {
      if (ka != Kind::invalid && kb != Kind::invalid)
        return error("error calling eq: incompatible types for comparison");
      continue;
    }
    bool same = false;
    switch (ka) {
      case Kind::invalid:
        same = true;
        break;
      case Kind::integer:
        same = compare_integers(a, b) == 0;
        break;
      case Kind::floating:
        same = a.get<double>() == b.get<double>();
        break;
      case Kind::boolean:
      case Kind::string:
        same = a == b;
        break;
      case Kind::other:
        return error("error calling eq: non-comparable type " + go_type(a));
    }
    if (same) return Value(json(true));
  }
  return Value(json(false));
}

// Go's lt, with le, gt and ge made from it and eq.
std::variant<bool, CallError> less(const std::string& name, const json& a, const json& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  auto bad = [&](Kind k) { return k == Kind::invalid || k == Kind::boolean || k == Kind::other; };
  if (bad(ka) || bad(kb)) return error("error calling " + name + ": invalid type for comparison");
  if (ka != kb) return error("error calling " + name + ": incompatible types for comparison");
  if (ka == Kind::integer) return compare_integers(a, b) < 0;
  if (ka == Kind::floating) return a.get<double>() < b.get<double>();
  return a.get<std::string>() < b.get<std::string>();
}

Out order(const std::string& name, const std::vector<Value>& args) {
  if (auto e = want_args(name, args, 2)) return *e;
  const json &a = args[0].get(), &b = args[1].get();
  bool flip = name == "gt" || name == "ge";
  auto lt = less(name, flip ? b : a, flip ? a : b);
  if (auto* e = std::get_if<CallError>(&lt)) return *e;
  bool result = std::get<bool>(lt);
  if (!result && (name == "le" || name == "ge")) {
    auto eq = equal(args);
    if (auto* e = std::get_if<CallError>(&eq)) return error(name + e->message.substr(e->message.find(':')));
    result = std::get<Value>(eq).get().get<bool>();
  }
  return Value(json(result));
}

// What a missing key of MAP holds (index gives the element type's zero, as
// Go): docker's maps are of strings (labels), lists (ports) or pointers.
json zero_element(const json& map) {
  if (map.empty()) return "";
  const json& first = map.begin().value();
  if (first.is_string()) return "";
  if (first.is_number_float()) return 0.0;
  if (first.is_number()) return 0;
  if (first.is_boolean()) return false;
  if (first.is_array()) return json::array();
  return nullptr;
}

Out index(const std::vector<Value>& args) {
  if (auto e = want_args("index", args, 1, true)) return *e;
  Value item = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    const json& v = item.get();
    const json& key = args[i].get();
    if (v.is_null()) return error("error calling index: index of untyped nil");
    if (v.is_object()) {
      if (!key.is_string())
        return error("error calling index: value has type " + go_type(key) + "; should be string");
      auto it = v.find(key.get<std::string>());
      item = it == v.end() ? Value(zero_element(v)) : item.part(*it);
      continue;
    }
    if (!v.is_array() && !v.is_string())
      return error("error calling index: can't index item of type " + go_type(v));
    if (!key.is_number_integer())
      return error("error calling index: cannot index slice/array with type " + go_type(key));
    auto size = static_cast<long long>(v.is_array() ? v.size() : v.get_ref<const std::string&>().size());
    long long at = key.is_number_unsigned() ? -1 : key.get<long long>();
    if (at < 0 || at >= size) return error("error calling index: index out of range: " + go_text(key));
    item = v.is_array() ? item.part(v[static_cast<size_t>(at)])
                        : Value(json(static_cast<unsigned char>(
                              v.get_ref<const std::string&>()[static_cast<size_t>(at)])));
  }
  return item;
}

Out slice(const std::vector<Value>& args) {
  if (auto e = want_args("slice", args, 1, true)) return *e;
  const json& v = args[0].get();
  if (!v.is_array() && !v.is_string())
    return error("error calling slice: can't slice item of type " + go_type(v));
  if (args.size() > 4)
    return error("error calling slice: too many slice indexes: " + std::to_string(args.size() - 1));
  if (v.is_string() && args.size() == 4) return error("error calling slice: cannot 3-index slice a string");
  long long size = static_cast<long long>(v.is_array() ? v.size() : v.get_ref<const std::string&>().size());
  std::vector<long long> at = {0, size};
  for (size_t i = 1; i < args.size(); ++i) {
    const json& k = args[i].get();
    if (!k.is_number_integer())
      return error("error calling slice: cannot index slice/array with type " + go_type(k));
    long long x = k.get<long long>();
    if (x < 0 || x > size) return error("error calling slice: index out of range: " + std::to_string(x));
    if (i <= 2) at[i - 1] = x;
  }
  if (at[0] > at[1])
    return error("error calling slice: invalid slice index: " + std::to_string(at[0]) + " > " +
                 std::to_string(at[1]));
  if (v.is_string())
    return Value(
        json(v.get<std::string>().substr(static_cast<size_t>(at[0]), static_cast<size_t>(at[1] - at[0]))));
  json out = json::array();
  for (long long i = at[0]; i < at[1]; ++i) out.push_back(v[static_cast<size_t>(i)]);
  return Value(std::move(out));
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\xef\xbf\xbd";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string js_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '\'' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '<' || c == '>' || c == '&' || c == '=' || u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string url_query_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

// strings.Title: the first letter of every word upper case.
std::string title(const std::string& s) {
  std::string out = s;
  bool word_start = true;
  for (auto& c : out) {
    auto u = static_cast<unsigned char>(c);
    bool part_of_word = std::isalnum(u) || c == '_' || u >= 0x80;
    if (part_of_word && word_start) c = static_cast<char>(std::toupper(u));
    word_start = !part_of_word;
  }
  return out;
}

std::vector<std::string> split_all(const std::string& s, const std::string& sep) {
  std::vector<std::string> out;
  if (sep.empty()) {
    // Go splits into UTF-8 sequences.
    for (size_t i = 0; i < s.size();) {
      size_t n = 1;
      while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xc0) == 0x80) ++n;
      out.push_back(s.substr(i, n));
      i += n;
    }
    return out;
  }
  size_t start = 0;
  for (size_t at; (at = s.find(sep, start)) != std::string::npos; start = at + sep.size())
    out.push_back(s.substr(start, at - start));
  out.push_back(s.substr(start));
  return out;
}

// Arguments of docker's functions, which Go checks against their types.
class Args {
 public:
  Args(const std::string& name, const std::vector<Value>& args) : name_(name), args_(args) {}

  std::optional<CallError> want(size_t n) const { return want_args(name_, args_, n); }
  std::variant<std::string, CallError> string(size_t i) const {
    const json& v = args_[i].get();
    if (v.is_string()) return v.get<std::string>();
    return type_error("string", v);
  }
  std::variant<long long, CallError> integer(size_t i) const {
    const json& v = args_[i].get();
    if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<long long>();
    return type_error("int", v);
  }
  CallError type_error(const std::string& want, const json& got) const {
    if (got.is_null()) return error("invalid value; expected " + want);
    return error("wrong type for value; expected " + want + "; got " + go_type(got));
  }

 private:
  const std::string& name_;
  const std::vector<Value>& args_;
};

// A function of strings and ints: F gets them checked.
#define HUSK_ARG(var, expr)                                   \
  auto var##_or = (expr);                                     \
  if (auto* e = std::get_if<CallError>(&var##_or)) return *e; \
  auto var = std::get<0>(std::move(var##_or))

Out docker_function(const std::string& name, const std::vector<Value>& args) {
  Args a(name, args);
  if (name == "json") {
    if (auto e = a.want(1)) return *e;
    return Value(json(go_json(args[0].get())));
  }
  if (name == "join") {
    if (auto e = a.want(2)) return *e;
    const json& list = args[0].get();
    if (!list.is_array() && !list.is_null()) return a.type_error("[]string", list);
    HUSK_ARG(sep, a.string(1));
    std::vector<std::string> parts;
    if (list.is_array())
      for (auto& e : list) parts.push_back(go_text(e));
    return Value(json(husk::join(parts, sep)));
  }
  if (name == "split") {
    if (auto e = a.want(2)) return *e;
    HUSK_ARG(s, a.string(0));
    HUSK_ARG(sep, a.string(1));
    return Value(json(split_all(s, sep)));
  }
  if (name == "lower" || name == "upper" || name == "title") {
    if (auto e = a.want(1)) return *e;
    HUSK_ARG(s, a.string(0));
    if (name == "title") return Value(json(title(s)));
    for (auto& c : s)
      c = static_cast<char>(name == "upper" ? std::toupper(static_cast<unsigned char>(c))
                                            : std::tolower(static_cast<unsigned char>(c)));
    return Value(json(s));
  }
  if (name == "truncate") {
    if (auto e = a.want(2)) return *e;
    HUSK_ARG(s, a.string(0));
    HUSK_ARG(n, a.integer(1));
    if (n < 0) return error("error calling truncate: slice bounds out of range [:" + std::to_string(n) + "]");
    return Value(json(static_cast<size_t>(n) < s.size() ? s.substr(0, static_cast<size_t>(n)) : s));
  }
  // pad
  if (auto e = a.want(3)) return *e;
  HUSK_ARG(s, a.string(0));
  HUSK_ARG(left, a.integer(1));
  HUSK_ARG(right, a.integer(2));
  if (s.empty()) return Value(json(s));
  return Value(json(std::string(static_cast<size_t>(std::max(0LL, left)), ' ') + s +
                    std::string(static_cast<size_t>(std::max(0LL, right)), ' ')));
}

// html, js, urlquery: over their arguments printed as print prints them.
std::string printed(const std::vector<Value>& args) {
  if (args.size() == 1 && args[0].get().is_string()) return args[0].get().get<std::string>();
  return sprint(args);
}

}  // namespace

bool is_function(const std::string& name) {
  return std::find(std::begin(kFunctions), std::end(kFunctions), name) != std::end(kFunctions);
}

bool truth(const Value& v) {
  const json& j = v.get();
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_float()) return j.get<double>() != 0;
  if (j.is_number()) return j != 0;
  if (j.is_string())
    return !j.get_ref<const std::string&>().empty();  // json::empty() is false for any string
  if (j.is_array() || j.is_object()) return !j.empty();
  return false;
}

std::string go_type(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "<nil>";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
      return "int";
    case json::value_t::number_unsigned:
      return v.get<uint64_t>() > INT64_MAX ? "uint64" : "int";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "[]interface {}";
    default:
      return "map[string]interface {}";
  }
}

std::variant<Value, CallError> call_function(const std::string& name, const std::vector<Value>& args,
                                             bool header) {
  if (header && !args.empty() &&
      std::find(std::begin(kHeaderIdentity), std::end(kHeaderIdentity), name) != std::end(kHeaderIdentity))
    return args[0];
  auto want = [&](size_t n) { return want_args(name, args, n); };
  if (name == "not") {
    if (auto e = want(1)) return *e;
    return Value(json(!truth(args[0])));
  }
  if (name == "len") {
    if (auto e = want(1)) return *e;
    const json& v = args[0].get();
    if (v.is_null()) return error("error calling len: len of nil pointer");
    if (v.is_string()) return Value(json(v.get_ref<const std::string&>().size()));
    if (v.is_array() || v.is_object()) return Value(json(v.size()));
    return error("error calling len: len of type " + go_type(v));
  }
  if (name == "index") return index(args);
  if (name == "slice") return slice(args);
  if (name == "print") return Value(json(sprint(args)));
  if (name == "println") return Value(json(sprintln(args)));
  if (name == "printf") {
    if (auto e = want_args(name, args, 1, true)) return *e;
    if (!args[0].get().is_string()) return Args(name, args).type_error("string", args[0].get());
    return Value(json(sprintf(args[0].get().get<std::string>(), {args.begin() + 1, args.end()})));
  }
  if (name == "eq") return equal(args);
  if (name == "ne") {
    if (auto e = want(2)) return *e;
    auto eq = equal(args);
    if (auto* e = std::get_if<CallError>(&eq))
      return error("error calling ne" + e->message.substr(e->message.find(':')));
    return Value(json(!std::get<Value>(eq).get().get<bool>()));
  }
  if (name == "lt" || name == "le" || name == "gt" || name == "ge") return order(name, args);
  if (name == "html") return Value(json(html_escape(printed(args))));
  if (name == "js") return Value(json(js_escape(printed(args))));
  if (name == "urlquery") return Value(json(url_query_escape(printed(args))));
  if (name == "call") {
    if (auto e = want_args(name, args, 1, true)) return *e;
    return error("error calling call: non-function of type " + go_type(args[0].get()));
  }
  return docker_function(name, args);
}

}  // namespace husk::engine::tmpl
