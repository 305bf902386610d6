// docker's --format templates over one JSON document: the Go text/template
// subset people type at inspect, ps and images ("{{.State.Pid}}",
// "{{json .Mounts}}", "{{index .Config.Labels \"k\"}}", "{{join .Args \" \"}}"),
// with values printed as Go prints them: strings bare, lists as [a b],
// maps as map[k:v].
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"

namespace husk::engine {

// TMPL applied to DOC. A field that is not there prints "<no value>" (as a
// template over a map does); an unknown function or an unclosed action is an
// EINVAL "template parsing error".
Result<std::string> render_template(const std::string& tmpl, const nlohmann::ordered_json& doc);

// V as Go's fmt prints it ({{.X}} without json).
std::string go_text(const nlohmann::ordered_json& v);

}  // namespace husk::engine
