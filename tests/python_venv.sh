#!/usr/bin/env bash
# `pip install --no-build-isolation .` into a fresh venv, then the Python tests from that venv.
# The venv sees the system site-packages for numpy and pytest only (Debian's python3-numpy and
# python3-pytest); --no-index keeps pip off the network, and rmtsolve itself must come from the
# venv, not from the build tree or /usr/local.  setup.py's CMake tree lives under WORK and is reused
# between runs, so only the first run compiles the library.
set -euo pipefail
python="$1"; source_dir="$2"; work="$3"; cli="$4"
mkdir -p "$work"
venv="$work/venv"
rm -rf "$venv"
"$python" -m venv --system-site-packages "$venv"
export RMTSOLVE_PIP_BUILD_DIR="$work/build"
# The test shares the machine with the rest of the suite: two compile jobs unless told otherwise.
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}"
if [[ -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]] && command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
fi
unset PYTHONPATH
"$venv/bin/python" -m pip install --quiet --no-build-isolation --no-index "$source_dir"
cd "$work"  # away from the source tree, whose python/rmtsolve has no compiled module
"$venv/bin/python" - <<'PY'
import os, sys
import rmtsolve
where = os.path.realpath(rmtsolve.__file__)
assert where.startswith(os.path.realpath(sys.prefix) + os.sep), f"rmtsolve imported from {where}, not the venv {sys.prefix}"
c = rmtsolve.curve("rf", activation="tanh", alpha=1.0, beta=2.0, lambda_=1e-2, noise=0.25)
# docs/theory/srf.md §4.1, Mei–Montanari closed form; the solver tolerance allows 1e-9.
assert abs(c["test_error"][0] - 0.967402164798) < 1e-9, c["test_error"]
print("rmtsolve", rmtsolve.__version__, "from", where)
PY
RMTSOLVE_CLI="$cli" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$source_dir/python/tests"
