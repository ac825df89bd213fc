#pragma once
#include <memory>
#include <string>

#include "equations/kernels/kernels.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve::krr {

/// Kernel ridge regression / kernel gradient flow with the infinite-width NTK or NNGP of a
/// fully-connected network, in the proportional limit n/d = α (README.md beside this file).
///   x ~ N(0, I_d),  y = σ*(⟨θ, x⟩/√d) + √Δ ε,  ‖θ‖² = d,  f(x) = k(x, X) φ(K) y.
struct Spec {
  kernels::DualActivation activation = kernels::make_dual("relu");
  Activation target = make_activation("linear");
  std::string kernel = "ntk";  // "ntk" (all layers trained) or "nngp" (readout only)
  bool flow = false;           // false: converged (kernel ridge regression); true: gradient flow to tau
  int depth = 1;
  double w_std = 1.0, b_std = 0.0;
  double alpha = 1.0;   // n/d
  double lambda = 1e-2; // ridge on the kernel: f = k(x,X)(K + λI)⁻¹y
  double noise = 0.0;   // Δ, label-noise variance
  double tau = 1.0;     // τ = η t/n, flow time
};

struct Result {
  double test_error = 0.0;
  double train_error = 0.0;
  double bias = 0.0;
  double variance = 0.0;
  kernels::ProportionalConstants constants;  // κ0, κ1, κ* of the chosen kernel
  double effective_ridge = 0.0;              // (κ* + λ)/κ1
  Summary summary;
};

/// The network whose kernel is used (NTK parametrisation).
kernels::Architecture architecture_of(const Spec& spec);

/// Solves one point.  Throws InvalidInput for parameters outside the model's domain.
Result solve(const Spec& spec);

}  // namespace rmtsolve::krr

namespace rmtsolve {
class Model;
namespace krr {
/// The model as the CLI, sweeps and validation see it (name "krr").
std::unique_ptr<Model> make_model();
}  // namespace krr
}  // namespace rmtsolve
