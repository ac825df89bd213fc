#!/usr/bin/env bash
# Installs rmtsolve from the build tree into a scratch prefix, checks that the installed package
# config names no absolute path of a dependency (they are found on the consumer's machine with
# find_dependency), then configures, builds and runs examples/consumer against it with
# find_package(rmtsolve) and the compiler's default flags (no -march): Eigen objects cross the
# library boundary in both directions there.
set -euo pipefail
build_dir="$1"; source_dir="$2"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
config_dir="$(dirname "$(find "$scratch/prefix" -name rmtsolveConfig.cmake | head -n 1)")"
if grep -nE '(^|[";( ])/(usr|opt|lib|home|root|tmp)/' "$config_dir"/*.cmake; then
  echo "package_consumer: the installed CMake config hard-codes the absolute paths above" >&2
  exit 1
fi
cmake -S "$source_dir/examples/consumer" -B "$scratch/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/consumer" >/dev/null
"$scratch/consumer/consumer"
# The other direction of the same boundary: a consumer tuned for this CPU (AVX/AVX-512 where it has
# them) against the library as built.
cmake -S "$source_dir/examples/consumer" -B "$scratch/consumer-native" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS=-march=native -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/consumer-native" >/dev/null
"$scratch/consumer-native/consumer" >/dev/null
