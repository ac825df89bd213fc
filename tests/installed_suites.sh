#!/usr/bin/env bash
# The documentation and the validation suites are installed under <prefix>/share/rmtsolve, and
# `rmtsolve validate NAME` finds a suite by name: the installed binary finds the installed suite
# from any working directory, the build-tree binary finds the source tree's suite, and an unknown
# name is one line naming it with exit code 2.  The suite runs at a tiny size (d = 60, 2 seeds):
# this test is about finding it, so a failed verdict (exit 1) is accepted, a missing suite is not.
set -euo pipefail
build_dir="$1"; build_cli="$2"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
share="$scratch/prefix/share/rmtsolve"
for f in README.md docs/theory/README.md docs/theory/srf.md docs/theory/deep.md docs/theory/dynamics.md \
         equations/srf/README.md validation/README.md validation/srf_notebook_s2.json; do
  [[ -f "$share/$f" ]] || { echo "installed_suites: $share/$f is not installed" >&2; exit 1; }
done

run_by_name() {  # binary, expected directory of the suite
  local cli="$1" expected="$2" code=0
  (cd "$scratch" && "$cli" validate srf_notebook_s2 --reduced --d 60 --seeds 2 --output "$scratch/out.csv") \
      >/dev/null 2>"$scratch/err" || code=$?
  if [[ $code -ne 0 && $code -ne 1 ]]; then
    echo "installed_suites: '$cli validate srf_notebook_s2' exited with $code:" >&2; cat "$scratch/err" >&2; exit 1
  fi
  local recorded
  recorded="$(grep -m1 '^# suite:' "$scratch/out.csv" | sed 's/^# suite: *//')"
  if [[ "$(realpath "$(dirname "$recorded")")" != "$(realpath "$expected")" ]]; then
    echo "installed_suites: $cli ran '$recorded', expected the suite in $expected" >&2; exit 1
  fi
}
run_by_name "$scratch/prefix/bin/rmtsolve" "$share/validation"
run_by_name "$build_cli" "$(dirname "$0")/../validation"

code=0
(cd "$scratch" && "$scratch/prefix/bin/rmtsolve" validate no_such_suite.json) 2>"$scratch/err" >/dev/null || code=$?
if [[ $code -ne 2 || $(wc -l <"$scratch/err") -ne 1 ]] || ! grep -q "no_such_suite" "$scratch/err"; then
  echo "installed_suites: an unknown suite should give one line naming it and exit 2 (got $code):" >&2
  cat "$scratch/err" >&2; exit 1
fi
echo "installed_suites: ok"
