#pragma once
#include <Eigen/Dense>

#include "rmtsolve/core/summary.hpp"

namespace rmtsolve {

/// A ridge problem after its one eigen-decomposition (docs/theory/deep.md §2.4, convention A): eigenvalues ω_j
/// of the feature covariance Ω_f, the squared target projections ψ̃_j² = (u_jᵀψ_f)², and the label
/// second moment σ_y² = E y².
struct RidgeSpectrum {
  Eigen::VectorXd omega;
  Eigen::VectorXd psi2;
  double sigma_y2 = 0.0;

  /// Number of eigenvalues above round-off relative to the largest.
  Eigen::Index rank() const;
  /// σ_ε² = σ_y² − Σ_{ω_j>0} ψ̃_j²/ω_j, the error of the best linear predictor on the features.
  double irreducible_error() const;
  /// Throws InvalidInput (naming `parameter`) if the numbers cannot be second moments of one joint
  /// distribution: negative eigenvalues, target weight on the kernel of Ω, or σ_ε² < 0.
  void validate(const char* parameter) const;
};

struct RidgeEquivalentResult {
  double test_error = 0.0;
  double train_error = 0.0;
  double kappa = 0.0;  // effective ridge κ: 1 − λ/(nκ) = df1/n
  double df1 = 0.0;    // df1/n
  double df2 = 0.0;    // df2/n
  Summary summary;
};

/// Deterministic equivalent of ridge with n samples and ridge λ ≥ 0: the scalar root h(κ) = 0 in
/// log κ by TOMS748 on the exact bracket [λ/n, λ/n + tr Ω_f/n]; λ = 0 on its own branch (§2.6).
RidgeEquivalentResult solve_ridge_equivalent(const RidgeSpectrum& spectrum, double n, double lambda,
                                             const SolverOptions& options);

/// The ℓ2-penalty ("prior") half of the Gaussian-covariate-model state evolution in the units of
/// RidgeSpectrum (GCMProject / Loureiro et al. 2021 with Ω → Ω/p, θ averaged): from the conjugate
/// overlaps (V̂, q̂, m̂) to the overlaps (V, q, m), with S_j = λ + V̂ ω_j:
///   V = Σ ω/S,   q = Σ ω (m̂² ψ̃² + q̂ ω)/S²,   m = m̂ Σ ψ̃²/S.
/// Allocation-free (lazy Eigen sums): it runs inside fixed-point iterations.
struct Overlaps {
  double V = 0.0, q = 0.0, m = 0.0;
};
Overlaps l2_prior(const RidgeSpectrum& spectrum, double lambda, double Vhat, double qhat, double mhat);

/// Errors at a given κ (used by the root solve and by iterative solvers that produce κ).
RidgeEquivalentResult ridge_errors_at(const RidgeSpectrum& spectrum, double n, double lambda,
                                      double kappa);

}  // namespace rmtsolve
