#!/usr/bin/env python3
"""Fails when a file includes a header of a higher layer (docs/layers.md): the layers of src/ and
include/rmtsolve/, lowest first, are

    core < numerics < montecarlo < theory < io < model < equations/ < engine < report < cli, python

A file may include its own layer and lower ones.  Also fails on a file left in the flat src/ or
include/rmtsolve/ (every file has a layer) and on an include of an rmtsolve/ header with no layer.

usage: check_layers.py SOURCE_DIR
"""
import os
import re
import sys

ORDER = ["core", "numerics", "montecarlo", "theory", "io", "model", "equations", "engine", "report", "cli", "python"]
RANK = {layer: i for i, layer in enumerate(ORDER)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of_file(rel):
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) > 2 and parts[1] in RANK:
        return parts[1]
    if parts[:2] == ["include", "rmtsolve"] and len(parts) > 3 and parts[2] in RANK:
        return parts[2]
    if parts[0] == "equations":
        return "equations"
    if parts[0] == "python":
        return "python"
    return None


def layer_of_include(path):
    """The layer an include names, "" for a relative include (same folder), None if unlayered."""
    parts = path.split("/")
    if parts[0] == "rmtsolve":
        return parts[1] if len(parts) > 2 and parts[1] in RANK and parts[1] not in ("equations", "cli", "python") else None
    if parts[0] == "equations":
        return "equations"
    return ""


def main(root):
    problems = []
    for flat in ("src", os.path.join("include", "rmtsolve")):
        for name in sorted(os.listdir(os.path.join(root, flat))):
            if name.endswith((".cpp", ".hpp")):
                problems.append(f"{flat}/{name}: in no layer; move it into one of {', '.join(ORDER[:6] + ORDER[7:9])}")
    checked = 0
    for top in ("src", "include", "equations", "python"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in names:
                if not name.endswith((".cpp", ".hpp", ".h")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                layer = layer_of_file(rel)
                if layer is None:
                    continue
                checked += 1
                text = open(os.path.join(dirpath, name), encoding="utf-8").read()
                for inc in INCLUDE.findall(text):
                    target = layer_of_include(inc)
                    if target == "":
                        continue
                    if target is None:
                        problems.append(f'{rel}: #include "{inc}" names no layer (rmtsolve/<layer>/...)')
                    elif RANK[target] > RANK[layer]:
                        problems.append(f'{rel} ({layer}) includes "{inc}" of the higher layer {target}')
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"check_layers: {len(problems)} problem(s); lower layers never include higher ones (docs/layers.md)",
              file=sys.stderr)
        return 1
    print(f"check_layers: {checked} files, every include goes to the same or a lower layer")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
