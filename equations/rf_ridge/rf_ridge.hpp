#pragma once
#include <memory>
#include <string>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve::rf_ridge {

/// Random-features ridge regression in the proportional limit (Mei & Montanari 2019), symbols as
/// in README.md beside this file.
///   x ~ N(0, I_d),  y = σ*(⟨θ, x⟩/√d) + √Δ ε,  ‖θ‖² = d,
///   features φ(x) = σ(W x)/√p with unit-norm rows of W ∈ ℝ^{p×d},
///   â = argmin Σ_μ (y_μ − âᵀφ(x_μ))² + λ‖â‖²   (un-normalised sum: convention A, docs/theory/deep.md §1.3).
struct Spec {
  Activation activation = make_activation("tanh");
  Activation target = make_activation("linear");  // the link σ*; Hermite sums give any linear + non-linear mix
  double alpha = 1.0;   // n/d
  double beta = 1.0;    // p/d
  double lambda = 1e-2;
  double noise = 0.0;   // Δ, label-noise variance
};

struct Result {
  double test_error = 0.0;
  double train_error = 0.0;
  Linearisation student;          // κ0, κ1, κ* of σ at r = 1
  double target_linear = 0.0;     // F1 = E[z σ*(z)]
  double target_nonlinear = 0.0;  // F* = √(Var σ* − F1²)
  double target_mean = 0.0;       // μ0* = E σ*(z)
  double df1 = 0.0, df2 = 0.0;    // degrees of freedom / n
  double nu_in = 0.0, nu_out = 0.0;  // renormalised ridges of the chain (ν_0, ν_1)
  Summary summary;
};

/// Solves one point.  Throws InvalidInput for parameters outside the model's domain.
Result solve(const Spec& spec, const SolverOptions& options = {});

}  // namespace rmtsolve::rf_ridge

namespace rmtsolve {
class Model;
namespace rf_ridge {
/// The model as the CLI, sweeps and validation see it (name "rf").
std::unique_ptr<Model> make_model();
}  // namespace rf_ridge
}  // namespace rmtsolve
