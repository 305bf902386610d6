// engine/template.hpp's insides, shared by its .cpp files: the tokens, the
// parsed tree, the values a template computes with, and the functions.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace husk::engine::tmpl {

using json = nlohmann::ordered_json;

// ---- tokens (template_lex.cpp) ----

struct Token {
  enum Kind {
    text,         // outside the delimiters
    left_delim,   // "{{" (a "{{- " trim is already applied to the text)
    right_delim,  // "}}"
    space,
    dot,       // "."
    field,     // ".Name": val is "Name"
    variable,  // "$" or "$x"
    identifier,
    keyword,  // if else end range with define template block break continue
    string,   // val is the decoded value
    number,   // val is the source text
    boolean,
    nil,
    pipe,     // "|"
    declare,  // ":="
    assign,   // "="
    comma,
    left_paren,
    right_paren,
    eof,
  } kind;
  std::string val;
  size_t pos = 0;  // byte offset in the template
};

// The template's tokens, comments dropped and trim markers applied. A lexical
// error (an unclosed action or string) comes with its offset.
struct LexError {
  std::string message;
  size_t pos;
};
std::variant<std::vector<Token>, LexError> lex(const std::string& text);

// Code point CP appended to OUT as UTF-8.
void append_utf8(std::string& out, uint32_t cp);

// ---- the tree (template_parse.cpp) ----

struct Pipe;

// One argument of a command, or the command itself when it is first.
struct Operand {
  enum Kind { dot, field, variable, function, string, number, boolean, nil, pipe } kind;
  size_t pos = 0;
  std::string name;                 // variable: "$x"; function: its name; number: its text
  std::vector<std::string> fields;  // the chain after it: .A.B (for field: the whole chain)
  json literal;                     // string, number or boolean
  std::shared_ptr<const Pipe> sub;  // pipe: the parenthesized pipeline
};

struct Command {
  size_t pos = 0;
  std::string text;  // as written, for error messages: "index .Names 3"
  std::vector<Operand> args;
};

struct Pipe {
  size_t pos = 0;
  bool is_assign = false;         // "$x = ..." rather than "$x := ..."
  std::vector<std::string> decl;  // the variables it declares or sets
  std::vector<Command> cmds;
};

struct Node {
  enum Kind { text, action, if_, range, with, call_template, break_, continue_ } kind;
  size_t pos = 0;
  std::string str;  // text: the text; call_template: the template's name
  std::shared_ptr<const Pipe> pipe;
  std::vector<Node> list, else_list;
};

struct Tree {
  std::string source;
  std::vector<Node> root;
  std::map<std::string, std::vector<Node>> defines;  // {{define "name"}} and {{block}}
};

// Is NAME one of the functions a template may call? (Checked at parse time, as Go does.)
bool is_function(const std::string& name);

// "template: :LINE: MESSAGE" for the byte offset POS of SOURCE.
Error parse_error(const std::string& source, size_t pos, const std::string& message);

// ---- values (template_exec.cpp, template_funcs.cpp) ----

// What a template computes with: a JSON value, or none at all (a field that
// is not there: Go's invalid value, printed "<no value>"). A value inside a
// document shares the document instead of copying it.
class Value {
 public:
  Value() = default;
  explicit Value(json v) : ptr_(std::make_shared<const json>(std::move(v))) {}
  // A value that lives as long as V's owner (a document the caller keeps).
  static Value borrow(const json& v) {
    return Value(std::shared_ptr<const json>(std::shared_ptr<const json>(), &v));
  }
  // A part of this value, kept alive with it.
  Value part(const json& inside) const { return Value(std::shared_ptr<const json>(ptr_, &inside)); }

  bool missing() const { return !ptr_; }
  // The JSON value; null when missing (Go hands functions a nil for it).
  const json& get() const { return ptr_ ? *ptr_ : null_json(); }

 private:
  explicit Value(std::shared_ptr<const json> p) : ptr_(std::move(p)) {}
  static const json& null_json();
  std::shared_ptr<const json> ptr_;
};

// Go's notion of true: false, 0, "", empty lists and maps, nil and no value are false.
bool truth(const Value& v);

// Go's type name for V, for error messages ("int", "string", "map[string]interface {}").
std::string go_type(const json& v);

// A failed function call's message, without the template's location.
struct CallError {
  std::string message;
};

// Calls the builtin NAME (not and/or, which the executor short-circuits).
std::variant<Value, CallError> call_function(const std::string& name, const std::vector<Value>& args,
                                             bool header);

// Go's fmt: Sprint, Sprintln and Sprintf over JSON values (template_fmt.cpp).
std::string sprint(const std::vector<Value>& args);
std::string sprintln(const std::vector<Value>& args);
std::string sprintf(const std::string& format, const std::vector<Value>& args);
// A float as Go's %v prints it: the shortest digits that read back the same,
// in exponent form from 1e+06 up and below 1e-04 (100000, 1e+06, 0.0001, 1e-05).
std::string go_float(double v);

}  // namespace husk::engine::tmpl
