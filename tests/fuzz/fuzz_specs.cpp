// libFuzzer target: the text specs of activations ("hermite:0,1,0.5"), of the kernel engine's duals
// ("erf:1,2,0", "arccos:3", ...) and of drawn initialisations ("gaussian:SEED").  Any outcome but a
// usable object or InvalidInput is a bug.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "equations/kernels/dual_activation.hpp"
#include "equations/linear_dynamics/width_model.hpp"
#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const rmtsolve::Activation a = rmtsolve::make_activation(text, "activation");
    (void)a.f(0.3);
  } catch (const rmtsolve::InvalidInput&) {
  }
  try {
    const rmtsolve::kernels::DualActivation dual = rmtsolve::kernels::make_dual(text, "activation");
    const double v = dual.V(1.0, 1.0, 0.5);
    (void)v;  // NaN is a legitimate answer outside an activation's domain; a crash is not
  } catch (const rmtsolve::InvalidInput&) {
  }
  try {
    const auto init = rmtsolve::linear_dynamics::parse_init(text, 3, 1.0, 1.0);
    if (init.u0.size() != 3 || init.w0.size() != 3) __builtin_trap();
  } catch (const rmtsolve::InvalidInput&) {
  }
  return 0;
}
