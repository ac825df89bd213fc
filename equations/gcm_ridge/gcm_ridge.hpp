#pragma once
#include <Eigen/Dense>
#include <memory>

#include "rmtsolve/theory/ridge_equivalent.hpp"
#include "rmtsolve/core/summary.hpp"

namespace rmtsolve::gcm_ridge {

/// Gaussian covariate model with ridge loss (Loureiro et al. 2021, arXiv:2102.08127), symbols as in
/// README.md beside this file.  Teacher y = θᵀu/√k + √Δ ε, student ŷ = wᵀv/√p, (u, v) jointly
/// Gaussian with E uuᵀ = Ψ (k×k), E uvᵀ = Φ (k×p), E vvᵀ = Ω (p×p); ridge Σ(y − ŷ)² + λ‖w‖².
/// The teacher is averaged over θ ~ N(0, I_k), which removes the O(k^{-1/2}) scatter of one draw.
struct Covariances {
  Eigen::MatrixXd Psi, Phi, Omega;
};

/// The same problem given by its spectrum: eigenvalues ω_j of Ω, t_j = ‖Φ u_j‖²/k for the
/// eigenvectors u_j, and ρ = tr Ψ/k.
struct Spectrum {
  Eigen::VectorXd omega, t;
  double rho = 1.0;
};

/// A prepared problem: one eigen-decomposition, then any number of (α, λ, Δ) points.
class Problem {
 public:
  /// With `require_joint_psd`, also refuses (InvalidInput naming "phi") a joint covariance
  /// [[Ψ, Φ], [Φᵀ, Ω]] with an eigenvalue below −1e-8 of an upper bound of its largest, checked in
  /// Ω's eigenbasis (joint_positive_semidefinite) at a fraction of a Cholesky factorisation's cost.
  static Problem from_covariances(const Covariances& c, bool require_joint_psd = false);
  static Problem from_spectrum(const Spectrum& s);
  Eigen::Index p() const { return base_.omega.size(); }
  /// Convention-A spectrum (Ω_f = Ω/p, ψ̃_j² = t_j/p, σ_y² = ρ) without label noise.
  const RidgeSpectrum& spectrum() const { return base_; }

 private:
  RidgeSpectrum base_;
};

enum class Method {
  kRoot,       // scalar monotone root in log κ (default; robust down to λ = 0)
  kIteration,  // the (V, q, m) state evolution of GCMProject, on the shared fixed-point engine
};

struct Setting {
  double alpha = 1.0;  // n/p, as GCMProject's sample_complexity
  double lambda = 1e-2;
  double noise = 0.0;  // Δ
};

struct Result {
  double test_error = 0.0, train_error = 0.0;
  double kappa = 0.0, df1 = 0.0, df2 = 0.0;
  double V = 0.0, q = 0.0, m = 0.0;  // GCM overlaps (teacher-averaged)
  Summary summary;
};

/// Solves one point.  `state` (V, q, m) warm-starts the iteration method and is updated.
Result solve(const Problem& problem, const Setting& setting, Method method, const SolverOptions& options,
             Eigen::VectorXd* state = nullptr);

}  // namespace rmtsolve::gcm_ridge
