#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the shape docs/ARCHITECTURE.md promises, on a build's objects.

1. Calls between the folders of src/ go one way only: the graph of "a file
   in folder A calls a function defined in folder B" has no cycle, so no
   file calls another in a loop across folders. The layers found are
   printed, lowest first.
2. Only the adapters touch the network libraries: libcurl (curl_*) and
   libmicrohttpd (MHD_*) are called from src/transport/ and src/tls/ only,
   and in src/transport/ not from transport.c, observe.c or deliver.c.
3. The tools' global symbols carry their tool's prefix (bench_, node_,
   cli_) and none is also defined by the library.

Usage: scripts/check-layers.py BUILD_DIR   (after the build)
"""
import pathlib
import subprocess
import sys

NETWORK_PREFIXES = ("curl_", "MHD_")
NOT_ADAPTERS = {"transport/transport.c", "transport/deliver.c",
                "transport/observe.c"}
TOOL_PREFIXES = {
    "rafthttp-bench.dir": "bench_",
    "rafthttp-node.dir": "node_",
    "rh_cli.dir": "cli_",
    "rafthttp-dump.dir": None,  # main only
}


def symbols(obj):
    """(defined globals, undefined) of one object file."""
    out = subprocess.run(["nm", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRVWC":
            defined.add(parts[2])
    return defined, undefined


def library_objects(build):
    root = build / "CMakeFiles" / "rafthttp_obj.dir" / "src"
    objs = {}
    for obj in sorted(root.rglob("*.c.o")):
        rel = obj.relative_to(root).as_posix()[:-2]  # folder/file.c
        objs[rel] = symbols(obj)
    return objs


def folder_graph(objs):
    owner = {}
    for rel, (defined, _) in objs.items():
        for sym in defined:
            owner[sym] = rel.split("/")[0]
    edges = {rel.split("/")[0]: set() for rel in objs}
    calls = {}
    for rel, (_, undefined) in objs.items():
        here = rel.split("/")[0]
        for sym in undefined:
            there = owner.get(sym)
            if there is not None and there != here:
                edges[here].add(there)
                calls.setdefault((here, there), []).append((rel, sym))
    return edges, calls


def find_cycle(edges):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges[n]):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                cycle = visit(m)
                if cycle:
                    return cycle
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            cycle = visit(n)
            if cycle:
                return cycle
    return None


def layers(edges):
    """Folders by layer: 0 calls no other folder."""
    level = {}

    def depth(n):
        if n not in level:
            level[n] = 1 + max((depth(m) for m in edges[n]), default=-1)
        return level[n]

    for n in edges:
        depth(n)
    by = {}
    for n, d in level.items():
        by.setdefault(d, []).append(n)
    return [sorted(by[d]) for d in sorted(by)]


def check_network(objs):
    bad = []
    for rel, (_, undefined) in objs.items():
        net = sorted(s for s in undefined if s.startswith(NETWORK_PREFIXES))
        adapter = rel.split("/")[0] in ("transport", "tls") and \
            rel not in NOT_ADAPTERS
        if net and not adapter:
            bad.append(f"{rel} calls {', '.join(net[:4])}")
    return bad


def check_tools(build, objs):
    library = set()
    for defined, _ in objs.values():
        library |= defined
    bad = []
    root = build / "tools" / "CMakeFiles"
    for target, prefix in TOOL_PREFIXES.items():
        for obj in sorted((root / target).rglob("*.c.o")):
            defined, _ = symbols(obj)
            for sym in sorted(defined - {"main"}):
                name = obj.relative_to(root).as_posix()
                if sym in library:
                    bad.append(f"{name}: {sym} is also the library's")
                elif prefix is None or not sym.startswith(prefix):
                    bad.append(f"{name}: {sym} lacks the prefix {prefix}")
    return bad


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build = pathlib.Path(sys.argv[1])
    objs = library_objects(build)
    if not objs:
        sys.exit(f"check-layers: no library objects under {build}")
    edges, calls = folder_graph(objs)
    status = 0
    cycle = find_cycle(edges)
    if cycle:
        status = 1
        print("check-layers: folders call each other in a loop: " +
              " -> ".join(cycle))
        for a, b in zip(cycle, cycle[1:]):
            for rel, sym in sorted(calls[(a, b)])[:5]:
                print(f"  {rel} calls {sym} ({b})")
    else:
        for i, folders in enumerate(layers(edges)):
            print(f"layer {i}: {' '.join(folders)}")
    for line in check_network(objs) + check_tools(build, objs):
        status = 1
        print("check-layers: " + line)
    if status == 0:
        print("check-layers: ok")
    sys.exit(status)


if __name__ == "__main__":
    main()
