#!/usr/bin/env python3
"""The layers of module/ hold (make test runs this).

    lib  <-  core  <-  stages  <-  observe  <-  module

A file may include headers of its own layer and of the layers left of it,
never of one to its right; the pure library (module/lib) includes no
nginx header and uses no nginx symbol (its files are govern_*, with no
ngx_ prefix); and no set of files includes itself round (no cycle).
Exits 1 naming every violation."""

import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..",
                                    "module"))
LAYERS = ["lib", "core", "stages", "observe", "module"]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')


def layer_of(path):
    rel = os.path.relpath(path, ROOT).split(os.sep)
    return rel[0] if len(rel) > 1 and rel[0] in LAYERS else "module"


def files():
    for base, dirs, names in os.walk(ROOT):
        for name in names:
            if name.endswith((".c", ".h")):
                yield os.path.join(base, name)


def main():
    all_files = sorted(files())
    headers = {}
    for path in all_files:
        if path.endswith(".h"):
            headers.setdefault(os.path.basename(path), []).append(path)

    problems = []
    edges = {}
    for path in all_files:
        text = open(path, encoding="utf-8").read()
        rel = os.path.relpath(path, os.path.dirname(ROOT))
        mine = layer_of(path)
        edges[path] = []
        for kind, name in INCLUDE.findall(text):
            if kind == "<":
                if mine == "lib" and name.startswith("ngx_"):
                    problems.append("%s: the library includes <%s>"
                                    % (rel, name))
                continue
            found = headers.get(os.path.basename(name), [])
            if not found:
                problems.append("%s: includes unknown \"%s\"" % (rel, name))
                continue
            target = found[0]
            edges[path].append(target)
            if LAYERS.index(layer_of(target)) > LAYERS.index(mine):
                problems.append("%s (%s) includes %s of the higher layer %s"
                                % (rel, mine, name, layer_of(target)))
        if mine == "lib":
            code = STRING.sub('""', COMMENT.sub(" ", text))
            if re.search(r"\bngx_\w+|\bNGX_\w+", code):
                problems.append("%s: the library uses an nginx symbol (%s)"
                                % (rel, re.search(r"\bngx_\w+|\bNGX_\w+",
                                                  code).group(0)))
            if not os.path.basename(path).startswith("govern_"):
                problems.append("%s: library files are named govern_*"
                                % rel)

    # a header's includes stand for the file that includes it: cycles are
    # looked for among headers and the .c files they are named after
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("include cycle: " + " -> ".join(
                    os.path.relpath(p, os.path.dirname(ROOT))
                    for p in cycle))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for path in all_files:
        if path not in state:
            visit(path, [])

    for p in problems:
        print("layers: " + p, file=sys.stderr)
    if not problems:
        print("layers: %d files, lib <- core <- stages <- observe <- module"
              " holds" % len(all_files))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
