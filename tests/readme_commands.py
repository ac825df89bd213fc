#!/usr/bin/env python3
"""Runs every command of the documentation's shell examples and fails if one does not exit 0.

Collected from ```sh / ```bash blocks of README.md, equations/*/README.md, docs/**/*.md and
validation/README.md: lines that start with `rmtsolve`, `build/rmtsolve` or `python3 examples/`.
Skipped, with the reason printed: synopsis lines with placeholders (MODEL, [parameters]) and the
full-size suite runs (minutes each; the same suites run at reduced size as the validation.* tests).
Each document's commands run in order in one fresh directory (so that files written by one
command, e.g. the gcm example's covariances, are there for the next), with the built binary for
`rmtsolve`/`build/rmtsolve` and the given interpreter for `python3`.
Usage: readme_commands.py SOURCE_DIR RMTSOLVE_BINARY PYTHON
"""
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

root, binary, python = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
documents = ["README.md"] + sorted(glob.glob(os.path.join(root, "equations", "*", "README.md"))) + \
    sorted(glob.glob(os.path.join(root, "docs", "**", "*.md"), recursive=True)) + [os.path.join(root, "validation", "README.md")]


def commands(path):
    out, fenced = [], False
    with open(os.path.join(root, path), encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.startswith("```"):
                fenced = line.strip() in ("```sh", "```bash") if not fenced else False
                continue
            text = line.strip()
            if fenced and re.match(r"^(build/)?rmtsolve |^python3 examples/", text):
                out.append((number, text))
    return out


failures, ran, skipped = [], 0, 0
for doc in documents:
    rel = os.path.relpath(os.path.join(root, doc), root)
    with tempfile.TemporaryDirectory(prefix="rmtsolve-readme-") as work:
        for number, text in commands(doc):
            where = f"{rel}:{number}"
            if "MODEL" in text or "[parameters]" in text:
                print(f"skip {where}: synopsis with placeholders")
                skipped += 1
                continue
            if re.search(r"validate \S+\.json\s*(#.*)?$", text) and "--reduced" not in text:
                print(f"skip {where}: full-size suite (its reduced size runs as a validation.* test)")
                skipped += 1
                continue
            cmd = re.sub(r"^(build/)?rmtsolve ", binary + " ", text)
            cmd = re.sub(r"^python3 examples/", f"{python} {root}/examples/", cmd)
            cmd = re.sub(r"(\s)validation/", rf"\1{root}/validation/", cmd)
            start = time.time()
            try:
                r = subprocess.run(["bash", "-c", cmd], cwd=work, capture_output=True, text=True, timeout=600,
                                   env={**os.environ, "RMTSOLVE_PROGRESS": "none"})
                code, err = r.returncode, r.stderr.strip().splitlines()[-1:] if r.stderr.strip() else []
            except subprocess.TimeoutExpired:
                code, err = "timeout", []
            ran += 1
            print(f"{'ok  ' if code == 0 else 'FAIL'} {where} ({time.time() - start:.1f} s): {text}")
            if code != 0:
                failures.append(f"{where}: exit {code}: {text}\n    {' '.join(err)}")

print(f"{ran} commands run, {skipped} skipped, {len(failures)} failed")
for f in failures:
    print("FAILED", f)
sys.exit(1 if failures or ran == 0 else 0)
