// libFuzzer target: the CLI's grid syntax.  Any outcome but a value list or InvalidInput is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/grid.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto values = rmtsolve::parse_grid(text, "alpha");
    if (values.empty()) __builtin_trap();
  } catch (const rmtsolve::InvalidInput&) {
  }
  return 0;
}
