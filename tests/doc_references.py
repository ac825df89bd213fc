#!/usr/bin/env python3
"""Fails if any file of the repository refers to a document that is not in the repository.

Checked in every tracked text file (or, outside a git checkout, every file under the source tree
except build directories):
  * no reference to the team's notes outside the repository (a path through "../shared");
  * every relative Markdown link [text](target) resolves (file or directory);
  * every path-like token ending in ".md" resolves, relative to the referring file or to the
    repository root (so "docs/theory/srf.md", "../../docs/theory/srf.md" and "README.md beside
    this file" all count);
  * a section cited after a theory document ("docs/theory/srf.md §1.3", "... deep.md 2.3.3") is a
    numbered heading of that document.
Usage: doc_references.py [SOURCE_DIR]
"""
import os
import re
import subprocess
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
SKIP_DIRS = {".git", "__pycache__"}
OUTSIDE = "../" + "shared"  # spelt in two pieces so that this file does not match itself


def repository_files():
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], check=True, capture_output=True).stdout
        files = [f for f in out.decode().split("\0") if f]
        if files:
            return [f for f in files if os.path.isfile(os.path.join(root, f))]
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build")]
        files += [os.path.relpath(os.path.join(dirpath, f), root) for f in filenames]
    return files


def read_text(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def headings(md_path):
    """Section numbers of a document's numbered headings: '## 2.3 ...' -> '2.3', '## 4. ...' -> '4'."""
    numbers = set()
    text = read_text(md_path) or ""
    for line in text.splitlines():
        m = re.match(r"#+\s+(\d+(?:\.\d+)*)\.?\s", line)
        if m:
            numbers.add(m.group(1))
    return numbers


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
MD_TOKEN = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)(?![\w/])")
SECTION = re.compile(r"(docs/theory/\w+\.md)\)?\s*(?:§\s*)?(\d+(?:\.\d+)*)")

problems = []
section_cache = {}
SELF = os.path.abspath(__file__)
for rel in repository_files():
    path = os.path.join(root, rel)
    if os.path.abspath(path) == SELF:
        continue  # its docstring quotes examples of what it looks for
    text = read_text(path)
    if text is None:
        continue
    here = os.path.dirname(path)
    for lineno, line in enumerate(text.splitlines(), 1):
        where = "%s:%d" % (rel, lineno)
        if OUTSIDE in line or ("shared/" + "theory") in line:
            problems.append("%s: refers to notes outside the repository: %s" % (where, line.strip()))
        if rel.endswith(".md"):
            for target in LINK.findall(line):
                if re.match(r"[a-z]+:", target) or target.startswith("#"):
                    continue
                t = target.split("#")[0]
                if t and not os.path.exists(os.path.normpath(os.path.join(here, t))):
                    problems.append("%s: broken link %s" % (where, target))
        for token in MD_TOKEN.findall(line):
            if re.match(r"[a-z]+://", token):
                continue
            if not (os.path.exists(os.path.normpath(os.path.join(here, token)))
                    or os.path.exists(os.path.normpath(os.path.join(root, token)))):
                problems.append("%s: no such document in the repository: %s" % (where, token))
        for doc, section in SECTION.findall(line):
            doc_path = os.path.join(root, doc)
            if not os.path.exists(doc_path):
                continue  # reported above
            if doc not in section_cache:
                section_cache[doc] = headings(doc_path)
            if section not in section_cache[doc]:
                problems.append("%s: %s has no section %s" % (where, doc, section))

for p in problems:
    print(p)
if problems:
    print("%d broken documentation reference(s)" % len(problems))
    sys.exit(1)
print("documentation references: all resolve inside the repository")
