#!/usr/bin/env python3
"""Checks that src/'s modules include one way only (cli -> engine ->
image/runtime -> linux/cgroups -> spec -> base; see CMakeLists.txt).

Reads every `#include "MODULE/..."` line under SRC and fails, naming each
file and line, when a module includes one it may not. With --graph, prints
the include graph between modules (how many lines include each).

usage: check_includes.py SRC [--graph]
"""
import collections
import pathlib
import re
import sys

# What each module may include besides itself. cli/husk (the engine's
# commands) reaches containers through the engine only, never the runtime;
# husk-monitor is base plus inline helpers of linux/, so it stays small.
ALLOWED = {
    "base": set(),
    "spec": {"base"},
    "linux": {"spec", "base"},
    "cgroups": {"linux", "spec", "base"},
    "runtime": {"cgroups", "linux", "spec", "base"},
    "image": {"linux", "spec", "base"},
    "monitor": {"linux", "base"},
    "net": {"linux", "base"},
    "engine": {"image", "runtime", "monitor", "net", "cgroups", "linux", "spec", "base"},
    "cli/husk": {"engine", "image", "linux", "spec", "base"},
    "cli/husk-runtime": {"runtime", "cgroups", "linux", "spec", "base"},
    "cli/husk-net": {"net", "base"},
    "init": set(),
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/([^"]*)"')


def module_of(rel):
    parts = rel.parts
    return "/".join(parts[:2]) if parts[0] == "cli" else parts[0]


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    src = pathlib.Path(argv[1])
    graph = collections.Counter()
    bad = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".hpp", ".cpp", ".h", ".c", ".in"} or not path.is_file():
            continue
        mod = module_of(path.relative_to(src))
        if mod not in ALLOWED:
            bad.append(f"{path}: module {mod} is not in check_includes.py's table")
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            if target == "cli":  # cli/husk/... or cli/husk-runtime/...
                target = "cli/" + m.group(2).split("/")[0]
            if target == mod:
                continue
            graph[(mod, target)] += 1
            if target not in ALLOWED[mod]:
                bad.append(f"{path}:{n}: {mod} includes {target} (\"{m.group(1)}/{m.group(2)}\")")
    if "--graph" in argv:
        for (a, b), count in sorted(graph.items()):
            print(f"{a:17} -> {b:10} {count}")
    for b in bad:
        print(b, file=sys.stderr)
    if bad:
        print(f"{len(bad)} include(s) point the wrong way", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
