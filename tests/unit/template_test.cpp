// engine/template (Go's text/template with docker's functions) and
// engine/listing (docker's --format for lists, "table" aligned as docker's
// tabwriter): docker's documented examples and Go's semantics.
#include <gtest/gtest.h>

#include "engine/listing.hpp"
#include "engine/template.hpp"
#include "test_helpers.hpp"

namespace husk::engine {
namespace {

using husk::testing::FailsWith;
using json = nlohmann::ordered_json;

// Shaped like docker's inspect of a container.
const json kContainer = json::parse(R"({
  "Id": "abc", "Name": "/Web_App", "Image": "busybox:latest", "Args": ["-c", "sleep 1"],
  "State": {"Status": "running", "Running": true, "Pid": 42, "ExitCode": 0, "Health": null},
  "Config": {"Cmd": ["sh", "-c", "x y"], "Labels": {"b": "2", "a": "1"}, "Entrypoint": null, "Env": []},
  "Mounts": [{"Type": "volume", "Source": "/s", "Destination": "/d"}],
  "NetworkSettings": {
    "Networks": {"bridge": {"IPAddress": "172.17.0.2"}, "alpha": {"IPAddress": "10.0.0.5"}},
    "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": null}
  },
  "Nums": [0, 1, 2, 3, 4], "Float": 1.5, "Million": 1e6, "Big": 9007199254740993, "Neg": -7,
  "Html": "<a&b>"
})");

std::string run(const std::string& t, const json& doc = kContainer) {
  auto r = render_template(t, doc);
  return r ? *r : "ERROR: " + r.error().what();
}

TEST(Template, DockerFunctionExamples) {
  // docs.docker.com "Format command and log output", over an inspect document.
  EXPECT_EQ(run(R"({{join .Args " , "}})"), "-c , sleep 1");
  EXPECT_EQ(run("{{json .Mounts}}"), R"([{"Type":"volume","Source":"/s","Destination":"/d"}])");
  EXPECT_EQ(run("{{lower .Name}}"), "/web_app");
  EXPECT_EQ(run(R"({{split .Image ":"}})"), "[busybox latest]");
  EXPECT_EQ(run("{{title .Name}}"), "/Web_App");
  EXPECT_EQ(run(R"({{title "hello wide-world"}})"), "Hello Wide-World");
  EXPECT_EQ(run("{{upper .Name}}"), "/WEB_APP");
  EXPECT_EQ(run("{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}"),
            "10.0.0.5\n172.17.0.2\n");
  EXPECT_EQ(run("{{truncate .Id 2}}|{{truncate .Id 10}}"), "ab|abc");
  EXPECT_EQ(run(R"([{{pad .Id 1 2}}][{{pad "" 1 2}}])"), "[ abc  ][]");
  // docker's json leaves <, > and & alone (Go's encoder would write \u003c).
  EXPECT_EQ(run("{{json .Html}}"), R"("<a&b>")");
  EXPECT_EQ(run("{{json .}}").substr(0, 15), R"({"Id":"abc","Na)");
  EXPECT_EQ(run("{{json .Million}} {{json .Float}} {{json .Nope}}"), "1000000 1.5 null");
}

TEST(Template, DockerInspectExamples) {
  EXPECT_EQ(run("{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"), "10.0.0.5 172.17.0.2 ");
  EXPECT_EQ(
      run(R"({{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{if $conf}}{{(index $conf 0).HostPort}}{{end}};{{end}})"),
      "443/tcp -> ;80/tcp -> 8080;");
  EXPECT_EQ(run(R"({{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}})"), "8080");
  EXPECT_EQ(run(R"({{index .Config.Labels "a"}})"), "1");
  EXPECT_EQ(run(R"({{index .Config.Labels "missing"}})"), "");  // a string map's zero
  EXPECT_EQ(run(R"({{index .NetworkSettings.Networks "none"}})"), "<nil>");
  EXPECT_EQ(run("{{.Config.Labels.a}} {{.Config.Labels.zz}}"), "1 <no value>");
  EXPECT_EQ(run("{{if eq .State.ExitCode 0}}{{.Name}} ok{{end}}"), "/Web_App ok");
}

TEST(Template, ValuesPrintAsGoPrintsThem) {
  EXPECT_EQ(run("{{.State.Pid}} {{.State.Running}} {{.Neg}}"), "42 true -7");
  EXPECT_EQ(run("{{.Config.Cmd}} {{.Config.Env}}"), "[sh -c x y] []");
  EXPECT_EQ(run("{{.Config.Labels}}"), "map[a:1 b:2]");
  EXPECT_EQ(run("{{.Config.Entrypoint}} {{.Nope}} {{.State.Nope.Deeper}}"), "<nil> <no value> <no value>");
  EXPECT_EQ(run("{{.Float}} {{.Million}} {{.Big}}"), "1.5 1e+06 9007199254740993");
  EXPECT_EQ(run("{{1.0}} {{100000.0}} {{0.0001}} {{0.00001}} {{123456789.0}}"),
            "1 100000 0.0001 1e-05 1.23456789e+08");
  EXPECT_EQ(run(R"({{"a\tb\u00e9"}}|{{`raw\t`}}|{{0x10}}|{{'a'}}|{{true}}|{{-3}})"),
            "a\tb\xc3\xa9|raw\\t|16|97|true|-3");
  EXPECT_EQ(run("plain text, no actions"), "plain text, no actions");
}

TEST(Template, TrimMarkersAndComments) {
  EXPECT_EQ(run("{{23 -}} < {{- 45}}"), "23<45");  // Go's own example
  EXPECT_EQ(run("a  {{- .Id -}}  \n b"), "aabcb");
  EXPECT_EQ(run("a{{/* a comment */}}b"), "ab");
  EXPECT_EQ(run("a \n{{- /* gone */ -}}\n b"), "ab");
  EXPECT_EQ(run("{{-3}}"), "-3");  // no space: a negative number, not a trim
  EXPECT_EQ(run("{{range .Nums -}}\n  {{.}}\n{{- end}}"), "01234");
}

TEST(Template, ControlStructures) {
  EXPECT_EQ(run("{{if eq .State.Pid 1}}one{{else if eq .State.Pid 42}}forty-two{{else}}other{{end}}"),
            "forty-two");
  EXPECT_EQ(run("{{if .Nope}}a{{else if .Config.Env}}b{{else if .Id}}c{{end}}"), "c");
  EXPECT_EQ(run("{{with .State}}{{.Status}}/{{$.Id}}{{end}}"), "running/abc");
  EXPECT_EQ(run("{{with .Nope}}yes{{else}}no{{end}}"), "no");
  EXPECT_EQ(run("{{with .Nope}}a{{else with .State.Pid}}{{.}}{{end}}"), "42");
  EXPECT_EQ(run("{{range $i, $e := .Config.Cmd}}{{$i}}={{$e}};{{end}}"), "0=sh;1=-c;2=x y;");
  EXPECT_EQ(run("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}} {{end}}"), "a=1 b=2 ");  // sorted keys
  EXPECT_EQ(run("{{range $v := .Config.Labels}}{{$v}}{{end}}"), "12");
  EXPECT_EQ(run("{{range .Config.Env}}x{{else}}none{{end}}|{{range .Nope}}x{{else}}none{{end}}"),
            "none|none");
  EXPECT_EQ(run("{{range .Nums}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}"),
            "02");
  EXPECT_EQ(run("{{range $i := 3}}{{$i}}{{end}}"), "012");
  EXPECT_EQ(run(R"({{define "T"}}[{{.}}]{{end}}{{template "T" .Id}}{{template "T" .State.Pid}})"),
            "[abc][42]");
  EXPECT_EQ(run(R"({{block "B" .State.Pid}}<{{.}}>{{end}})"), "<42>");
}

TEST(Template, Variables) {
  EXPECT_EQ(run("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2");
  EXPECT_EQ(run("{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}"), "21");
  EXPECT_EQ(run("{{$n := .Name}}{{range .Nums}}{{if eq . 0}}{{$n}}{{end}}{{end}}"), "/Web_App");
  EXPECT_EQ(run("{{range .Config.Cmd}}{{$.Id}}{{end}}"), "abcabcabc");
  EXPECT_EQ(run("{{$m := .Config.Labels}}{{$m.b}}"), "2");
  EXPECT_TRUE(FailsWith(render_template("{{if true}}{{$x := 1}}{{end}}{{$x}}", kContainer), EINVAL,
                        "template: :1: undefined variable \"$x\""));
}

TEST(Template, PipelinesAndParentheses) {
  EXPECT_EQ(run("{{.Id | upper}}"), "ABC");
  EXPECT_EQ(run("{{.Config.Cmd | len}}"), "3");
  EXPECT_EQ(run(R"({{"x" | printf "%s-%s" "a"}})"), "a-x");
  EXPECT_EQ(run("{{(index .Config.Cmd 2) | upper}}"), "X Y");
  EXPECT_EQ(run("{{(index .Mounts 0).Source}}"), "/s");
  EXPECT_EQ(run(R"({{split .Image ":" | len}})"), "2");
  EXPECT_EQ(run("{{len (slice .Config.Cmd 1)}}"), "2");
}

TEST(Template, GoBuiltins) {
  EXPECT_EQ(run("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"z\"}} {{or 0 \"\"}}|"), "0 2 z |");
  // Short-circuit: the failing index is never called.
  EXPECT_EQ(run("{{or .Id (index .Config.Cmd 99)}} {{and .Nope (index .Config.Cmd 99)}}"), "abc <no value>");
  EXPECT_EQ(run("{{not .State.Running}} {{not 0}}"), "false true");
  EXPECT_EQ(run("{{len .Config.Labels}} {{len \"h\u00e9\"}}"), "2 3");
  EXPECT_EQ(run("{{index .Config.Cmd 0}} {{index .NetworkSettings.Networks \"bridge\" | len}}"), "sh 1");
  EXPECT_EQ(run(R"({{slice "abcdef" 1 3}} {{slice .Config.Cmd 1}} {{index "ab" 1}})"), "bc [-c x y] 98");
  EXPECT_EQ(run(R"({{print 1 2 "a" 3}}|{{println "a" 1}}|{{print .Nope}})"), "1 2a3|a 1\n|<nil>");
  EXPECT_EQ(run(R"({{eq .State.Pid 42}} {{eq "a" "b" "a"}} {{ne 1 2}} {{eq .Nope "x"}})"),
            "true true true false");
  EXPECT_EQ(run(R"({{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}} {{lt 1.5 2.5}})"),
            "true true true false true");
  EXPECT_EQ(run(R"({{html "<a href='x'>&</a>"}})"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(run(R"({{js "a'b\"<"}})"), R"(a\'b\"\u003C)");
  EXPECT_EQ(run(R"({{urlquery "a b&c=d"}})"), "a+b%26c%3Dd");
}

TEST(Template, Printf) {
  EXPECT_EQ(run(R"({{printf "%s-%d" "a" 5}})"), "a-5");
  EXPECT_EQ(run(R"({{printf "%5s|%-5s|%.2s" "ab" "cd" "xyz"}})"), "   ab|cd   |xy");
  EXPECT_EQ(run(R"({{printf "%-10s|" .State.Status}})"), "running   |");
  EXPECT_EQ(run(R"({{printf "%q" "a\"b"}} {{printf "%q" .Config.Cmd}})"), R"("a\"b" ["sh" "-c" "x y"])");
  EXPECT_EQ(run(R"({{printf "%x %X %#x %o %b" 255 255 255 8 5}})"), "ff FF 0xff 10 101");
  EXPECT_EQ(run(R"({{printf "%x" "hi"}} {{printf "%c%c" 104 105}} {{printf "%U" 65}})"), "6869 hi U+0041");
  EXPECT_EQ(run(R"({{printf "%.2f|%6.2f|%e|%g|%v" 3.14159 3.14159 1234.5 0.1 2.5}})"),
            "3.14|  3.14|1.234500e+03|0.1|2.5");
  EXPECT_EQ(run(R"({{printf "%05d|%+d|%5d|%-5d|" 42 42 -42 42}})"), "00042|+42|  -42|42   |");
  EXPECT_EQ(run(R"({{printf "%t %v %v %T %T" true .Config.Cmd .Config.Labels 1 "s"}})"),
            "true [sh -c x y] map[a:1 b:2] int string");
  EXPECT_EQ(
      run(R"({{printf "%d" "x"}}|{{printf "%d"}}|{{printf "%d" 1 2}}|{{printf "%s" .Config.Entrypoint}}|100%%)"),
      "%!d(string=x)|%!d(MISSING)|1%!(EXTRA int=2)|%!s(<nil>)|100%%");
  EXPECT_EQ(run(R"({{printf "%f" 1}})"), "%!f(int=1)");
}

TEST(Template, ParseErrorsAreDockersOneLine) {
  auto parse_fails = [](const std::string& t, const std::string& what) {
    auto r = Template::parse(t);
    if (r) return ::testing::AssertionFailure() << t << " parsed";
    if (r.error().kind() != ErrorKind::invalid_argument)
      return ::testing::AssertionFailure() << t << ": not invalid_argument";
    return FailsWith(r, EINVAL, what);
  };
  EXPECT_TRUE(
      parse_fails("{{bogus .Id}}", "template parsing error: template: :1: function \"bogus\" not defined"));
  EXPECT_TRUE(parse_fails("{{.Id", "template: :1: unclosed action"));
  EXPECT_TRUE(parse_fails("line one\nline two {{.Id", "template: :2: unclosed action"));
  EXPECT_TRUE(parse_fails("{{if .Id}}x", "template: :1: unexpected EOF"));
  EXPECT_TRUE(parse_fails("a\n{{end}}", "template: :2: unexpected {{end}}"));
  EXPECT_TRUE(parse_fails("{{else}}", "unexpected {{else}}"));
  EXPECT_TRUE(parse_fails("\n\n{{$x}}", "template: :3: undefined variable \"$x\""));
  EXPECT_TRUE(parse_fails("{{}}", "missing value for command"));
  EXPECT_TRUE(parse_fails("{{if}}{{end}}", "missing value for if"));
  EXPECT_TRUE(parse_fails("{{break}}", "{{break}} outside {{range}}"));
  EXPECT_TRUE(parse_fails(R"({{.Id | "x"}})", "non executable command in pipeline stage 2"));
  EXPECT_TRUE(parse_fails("{{range $a, $b, $c := .X}}{{end}}", "too many declarations in range"));
  EXPECT_TRUE(parse_fails(R"({{"abc}})", "unterminated quoted string"));
  EXPECT_TRUE(parse_fails("{{(.Id}}", "unclosed left paren"));
  EXPECT_TRUE(parse_fails("{{.Id)}}", "unexpected right paren"));
  EXPECT_TRUE(parse_fails("{{/* open", "unclosed comment"));
  EXPECT_TRUE(parse_fails("{{3x}}", "bad number syntax"));
  EXPECT_TRUE(parse_fails(R"({{index .Id "x" "y})", "unterminated quoted string"));
}

TEST(Template, ExecutionErrorsSayWhere) {
  EXPECT_TRUE(FailsWith(render_template("{{index .Config.Cmd 9}}", kContainer), EINVAL,
                        "template parsing error: template: :1:2: executing \"\" at <index .Config.Cmd 9>: "
                        "error calling index: index out of range: 9"));
  EXPECT_TRUE(FailsWith(render_template("x\n  {{len 3}}", kContainer), EINVAL,
                        ":2:4: executing \"\" at <len 3>: error calling len: len of type int"));
  EXPECT_TRUE(FailsWith(render_template(R"({{upper "a" "b"}})", kContainer), EINVAL,
                        "wrong number of args for upper: want 1 got 2"));
  EXPECT_TRUE(FailsWith(render_template("{{upper 1}}", kContainer), EINVAL,
                        "wrong type for value; expected string; got int"));
  EXPECT_TRUE(FailsWith(render_template("{{.State.Health.Status}}", kContainer), EINVAL,
                        "at <.State.Health.Status>: nil pointer evaluating interface {}.Status"));
  EXPECT_TRUE(
      FailsWith(render_template("{{.Id.X}}", kContainer), EINVAL, "can't evaluate field X in type string"));
  EXPECT_TRUE(
      FailsWith(render_template("{{.Id .Id}}", kContainer), EINVAL, "Id is not a method but has arguments"));
  EXPECT_TRUE(
      FailsWith(render_template("{{3 .Id}}", kContainer), EINVAL, "can't give argument to non-function 3"));
  EXPECT_TRUE(FailsWith(render_template("{{nil}}", kContainer), EINVAL, "nil is not a command"));
  EXPECT_TRUE(FailsWith(render_template(R"({{eq .Id 1}})", kContainer), EINVAL,
                        "error calling eq: incompatible types for comparison"));
  EXPECT_TRUE(
      FailsWith(render_template(R"({{lt true false}})", kContainer), EINVAL, "invalid type for comparison"));
  EXPECT_TRUE(
      FailsWith(render_template("{{range .Id}}{{end}}", kContainer), EINVAL, "range can't iterate over abc"));
  EXPECT_TRUE(
      FailsWith(render_template(R"({{template "none"}})", kContainer), EINVAL, "no template \"none\""));
  EXPECT_TRUE(
      FailsWith(render_template(R"({{define "r"}}{{template "r"}}{{end}}{{template "r"}})", kContainer),
                EINVAL, "exceeded maximum template depth"));
  EXPECT_TRUE(FailsWith(render_template(R"({{call .Id}})", kContainer), EINVAL, "non-function"));
}

TEST(Template, ParsedOnceExecutedPerDocument) {
  auto t = Template::parse("{{.Name}}:{{len .Tags}}");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->execute(json::parse(R"({"Name": "a", "Tags": [1]})")), "a:1");
  EXPECT_EQ(*t->execute(json::parse(R"({"Name": "b", "Tags": []})")), "b:0");
  // Header mode: docker's functions hand back the column's title.
  auto h = Template::parse(R"({{upper .Name}} {{json .Labels}} {{truncate .Name 2}} {{pad .Name 1 1}}|)");
  ASSERT_TRUE(h);
  EXPECT_EQ(*h->execute(json{{"Name", "NAME"}, {"Labels", "LABELS"}}, {.header = true}),
            "NAME LABELS NAME  NAME |");
}

const json kPsHeader = {{"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Names", "NAMES"}};
const std::vector<json> kPsRows = {{{"ID", "abc"}, {"Image", "busybox"}, {"Names", "web"}},
                                   {{"ID", "0123456789ab"}, {"Image", "alpine:3.19"}, {"Names", "db"}}};

std::string listing(const std::string& format, const std::vector<json>& rows = kPsRows) {
  auto r = render_listing(format, "table {{.ID}}\t{{.Names}}", kPsHeader, rows);
  return r ? *r : "ERROR: " + r.error().what();
}

TEST(Listing, TableAlignsAsDockersTabwriter) {
  // Columns: the widest cell plus 3, at least 10; the last column unpadded.
  EXPECT_EQ(listing("table {{.ID}}\t{{.Image}}\t{{.Names}}"),
            "CONTAINER ID   IMAGE         NAMES\n"
            "abc            busybox       web\n"
            "0123456789ab   alpine:3.19   db\n");
  // Typed in a shell, \t arrives as a backslash and a t: docker turns it into a tab.
  EXPECT_EQ(listing(R"(table {{.ID}}\t{{.Image}})"), listing("table {{.ID}}\t{{.Image}}"));
  EXPECT_EQ(listing("table {{.Names}}\t{{.ID}}", {}), "NAMES     CONTAINER ID\n");
  EXPECT_EQ(listing("table"), listing(""));
  EXPECT_EQ(listing(""), "CONTAINER ID   NAMES\nabc            web\n0123456789ab   db\n");
  // docker's functions leave a column's title as it is.
  EXPECT_EQ(listing("table {{.Names}}\t{{upper .Image}}"),
            "NAMES     IMAGE\nweb       BUSYBOX\ndb        ALPINE:3.19\n");
}

TEST(Listing, TemplatesAndJson) {
  EXPECT_EQ(listing("{{.ID}}: {{.Image}}"), "abc: busybox\n0123456789ab: alpine:3.19\n");
  EXPECT_EQ(listing("  {{.Names}}  "), "web\ndb\n");
  EXPECT_EQ(listing("json"), R"({"ID":"abc","Image":"busybox","Names":"web"})"
                             "\n"
                             R"({"ID":"0123456789ab","Image":"alpine:3.19","Names":"db"})"
                             "\n");
  EXPECT_EQ(listing("{{json .}}", {kPsRows[0]}), R"({"ID":"abc","Image":"busybox","Names":"web"})"
                                                 "\n");
}

TEST(Listing, ErrorsComeBeforeAnyOutput) {
  auto bad = Listing::parse("table {{.ID", "", kPsHeader);
  EXPECT_TRUE(FailsWith(bad, EINVAL, "template parsing error: template: :1: unclosed action"));
  EXPECT_TRUE(FailsWith(render_listing("{{index .Names 3}}", "", kPsHeader, kPsRows), EINVAL,
                        "executing \"\" at <index .Names 3>: error calling index: index out of range: 3"));
}

TEST(Listing, AlignColumnsIsGosTabwriter) {
  // A line without tabs ends the columns above it; cells align per block.
  EXPECT_EQ(align_columns("a\tb\nccc\td\nno tabs\nx\ty\n"),
            "a         b\nccc       d\nno tabs\nx         y\n");
  EXPECT_EQ(align_columns("aaaaaaaaaaaa\tb\tc\nd\te\tf"),
            "aaaaaaaaaaaa   b         c\nd              e         f");
  EXPECT_EQ(align_columns("\xc3\xa9\tx\n"), "\xc3\xa9         x\n");  // width in characters
}

}  // namespace
}  // namespace husk::engine
