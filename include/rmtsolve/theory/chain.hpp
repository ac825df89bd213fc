#pragma once
#include <vector>

#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {

/// One layer of a deep random-features map with i.i.d. Gaussian weights, after linearisation
/// (docs/theory/deep.md §2.7): width ratio γ_l = k_l/k_{l−1}, a_l = Δ_l κ1_l², b_l = κ*_l².
struct ChainLayer {
  double gamma = 1.0;
  double a = 1.0;
  double b = 0.0;
};

/// Spectrum of the input covariance Σ as a discrete measure: eigenvalue s_g with mass w_g
/// (fraction of the d directions, Σ w_g = 1) and target alignment B_g = Σ_{j∈g} (v_jᵀβ)².
/// Σ = I with ‖β‖² = F² is the single atom {1, 1, F²}.
struct InputSpectrum {
  std::vector<double> eigenvalue{1.0};
  std::vector<double> mass{1.0};
  std::vector<double> alignment{1.0};
};

/// The seed-free ridge problem on a deep random-features map (convention A of docs/theory/deep.md §1.3):
/// α = n/k_L, ridge λ ≥ 0, and irreducible noise τ² (label noise plus every part of the target the
/// linearised features cannot see).
struct ChainProblem {
  InputSpectrum input;
  std::vector<ChainLayer> layers;  // may be empty: plain ridge on x
  double alpha = 1.0;
  double lambda = 0.0;
  double noise = 0.0;
};

struct ChainSolution {
  double test_error = 0.0;
  double train_error = 0.0;
  double df1 = 0.0;   // df1/n
  double df2 = 0.0;   // df2/n
  double nu_in = 0.0;   // ν_0, the renormalised ridge seen by the input
  double nu_out = 0.0;  // ν_L = p κ, the effective ridge of the readout
  double signal = 0.0;  // σ_y² = Σ B_g s_g + τ²
  Summary summary;
};

/// Label noise seen by linearised features (docs/theory/deep.md §1.1, rf_ridge README): the label noise, the
/// target's non-linear part, and its mean unless the features have a mean direction (κ0 ≠ 0 puts
/// an O(1) eigenvalue on the all-ones direction, which then learns the constant).
inline double effective_noise(double label_noise, double target_nonlinear2, double target_mean2, bool features_have_mean) {
  return label_noise + target_nonlinear2 + (features_have_mean ? 0.0 : target_mean2);
}

/// Solves the chain of docs/theory/deep.md §2.7: bracket the physical branch (all ν_l > 0) by bisection in
/// t = log ν_0, then a TOMS748 root of the increasing residual; λ = 0 is its own branch (§2.6).
/// Throws InvalidInput for parameters outside the model's domain.
ChainSolution solve_chain(const ChainProblem& problem, const SolverOptions& options);

}  // namespace rmtsolve
