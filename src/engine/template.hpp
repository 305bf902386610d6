// docker's --format templates: Go's text/template language (actions, field
// chains, variables, pipelines, if/range/with/define/template/block, Go's
// builtin functions) plus docker's own functions (json, join, split, lower,
// upper, title, truncate, pad), executed over JSON documents.
//
// The documents stand for the structs docker formats, so values print as
// Go's fmt prints what docker holds: strings bare, JSON integers as Go ints,
// lists as [a b], objects as map[k:v] with sorted keys (docker's structs
// print as {a b}; JSON cannot tell a struct from a map), a missing field as
// "<no value>", a null as "<nil>".
//
// The pieces: template_lex.cpp (tokens), template_parse.cpp (the tree),
// template_exec.cpp (walking it), template_funcs.cpp and template_fmt.cpp
// (the functions and Go's fmt).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace husk::engine {

namespace tmpl {
struct Tree;
}

// A method: called with the object it is looked up on and its arguments'
// values; its error's message becomes the template's execution error.
struct TemplateMethod {
  std::function<Result<nlohmann::ordered_json>(const nlohmann::ordered_json& receiver,
                                               const std::vector<nlohmann::ordered_json>& args)>
      call;
};

// How a template runs. `header`: docker's table headers, where json, join,
// split, lower, upper, title and truncate hand back their first argument
// untouched, so "{{upper .Name}}" still heads its column "NAME".
struct TemplateOptions {
  bool header = false;
  // Fields given arguments, by name ({{.Label "com.x"}}): docker's structs
  // have methods, JSON objects do not, so the command supplies them.
  const std::map<std::string, TemplateMethod>* methods = nullptr;
};

// A parsed template: parse once (the only place a syntax error shows), then
// execute per document. Copies share the tree.
class Template {
 public:
  // Errors are EINVAL, ErrorKind::invalid_argument, in docker's words:
  // "template parsing error: template: :LINE: MESSAGE".
  static Result<Template> parse(const std::string& text);

  // The text for DOT ($ too). Errors (a function given the wrong
  // arguments, index out of range, ...) are EINVAL in docker's words:
  // "template parsing error: template: :LINE:COL: executing "" at <CMD>: ...".
  Result<std::string> execute(const nlohmann::ordered_json& dot, const TemplateOptions& options = {}) const;

 private:
  explicit Template(std::shared_ptr<const tmpl::Tree> tree) : tree_(std::move(tree)) {}
  std::shared_ptr<const tmpl::Tree> tree_;
};

// Parses TMPL and executes it over DOC: for a template used once.
Result<std::string> render_template(const std::string& tmpl, const nlohmann::ordered_json& doc);

// V as Go's fmt prints it with %v ({{.X}} without json).
std::string go_text(const nlohmann::ordered_json& v);

// V as docker's json function writes it: compact, keys in document order,
// <, > and & left as they are (docker turns Go's HTML escaping off).
std::string go_json(const nlohmann::ordered_json& v);

}  // namespace husk::engine
