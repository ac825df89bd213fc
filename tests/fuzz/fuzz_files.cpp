// libFuzzer target: everything rmtsolve reads from user files: .npy and CSV matrices, validation
// suites (JSON) and activation specs.  Any outcome but a result or InvalidInput is a bug.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/io/matrix_io.hpp"
#include "rmtsolve/engine/suite.hpp"

namespace {

std::string scratch(const char* extension) {
  return "/tmp/rmtsolve_fuzz_" + std::to_string(::getpid()) + extension;
}

template <class F>
void expect_result_or_invalid_input(F&& f) {
  try {
    f();
  } catch (const rmtsolve::InvalidInput&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (const char* extension : {".npy", ".csv", ".json"}) {
    const std::string path = scratch(extension);
    std::ofstream(path, std::ios::binary) << bytes;
    if (std::string(extension) == ".json") expect_result_or_invalid_input([&] { rmtsolve::load_suite(path); });
    else expect_result_or_invalid_input([&] { rmtsolve::read_matrix(path, "omega"); });
    ::unlink(path.c_str());
  }
  expect_result_or_invalid_input([&] { rmtsolve::make_activation(bytes); });
  return 0;
}
