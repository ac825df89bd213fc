"""Builds the `_rmtsolve` extension with CMake for the interpreter running this script.

Only the `_rmtsolve` target is built (tests, benchmarks and the CLI are not).  The CMake build
directory persists between runs (default: build/pip/cmake-<python> under the source tree), so a second
`pip install .` only recompiles what changed.  Environment:
  RMTSOLVE_PIP_BUILD_DIR  setuptools' build directory (the CMake trees are its cmake-* subdirectories)
  RMTSOLVE_CMAKE_ARGS     extra CMake arguments, e.g. "-DRMTSOLVE_NATIVE=ON"
  CMAKE_BUILD_PARALLEL_LEVEL  parallel compile jobs (default: number of CPUs)
"""
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

SOURCE = Path(__file__).resolve().parent
# Everything setuptools writes goes here, not into the source tree.
BUILD_BASE = os.environ.get("RMTSOLVE_PIP_BUILD_DIR", str(SOURCE / "build" / "pip"))
os.makedirs(BUILD_BASE, exist_ok=True)


def project_version():
    text = (SOURCE / "CMakeLists.txt").read_text()
    return re.search(r"project\(rmtsolve VERSION ([0-9.]+)", text).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        # One CMake tree per base interpreter: venvs of the same Python share it (same headers and
        # extension suffix), a different Python gets its own (pybind11 caches what it found).
        base = hashlib.sha1(os.path.realpath(sys.base_prefix).encode()).hexdigest()[:8]
        build_dir = Path(self.build_temp).resolve().parent / ("cmake-%s-%s" % (sys.implementation.cache_tag, base))
        configure = ["cmake", "-S", str(SOURCE), "-B", str(build_dir),
                     "-DCMAKE_BUILD_TYPE=Release",
                     "-DRMTSOLVE_BUILD_TESTS=OFF", "-DRMTSOLVE_BUILD_BENCH=OFF", "-DRMTSOLVE_BUILD_PYTHON=ON",
                     # the interpreter running pip: its headers, its extension suffix
                     "-DPYTHON_EXECUTABLE=" + sys.executable]
        if not (build_dir / "CMakeCache.txt").exists() and shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        try:  # pybind11 from the build environment (build isolation) wins over the system's
            import pybind11
            configure.append("-Dpybind11_DIR=" + pybind11.get_cmake_dir())
        except ImportError:
            pass
        configure += shlex.split(os.environ.get("RMTSOLVE_CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_rmtsolve", "-j", jobs], check=True)
        built = sorted((build_dir / "python" / "rmtsolve").glob("_rmtsolve*.so"), key=lambda p: p.stat().st_mtime)
        if not built:
            raise RuntimeError("CMake did not produce _rmtsolve*.so in " + str(build_dir / "python" / "rmtsolve"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[-1], target)


setup(
    version=project_version(),
    packages=["rmtsolve"],
    package_dir={"": "python"},
    ext_modules=[Extension("rmtsolve._rmtsolve", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": BUILD_BASE}, "egg_info": {"egg_base": BUILD_BASE}},
    zip_safe=False,
)
