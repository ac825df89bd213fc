#include "gcm_ridge.hpp"

#include <algorithm>
#include <cmath>

#include "rmtsolve/numerics/matrix_checks.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/fixed_point.hpp"
#include "rmtsolve/numerics/spectral.hpp"

namespace rmtsolve::gcm_ridge {
namespace {

void require_finite(const Eigen::MatrixXd& M, const char* name) {
  if (!M.allFinite()) throw InvalidInput(name, "matrix has non-finite entries");
}

// Overlaps (V, q, m) implied by an effective ridge κ; λ > 0 (1 + V = nκ/λ).
void overlaps_from_kappa(const RidgeSpectrum& s, double n, double lambda, Result& r) {
  const Eigen::ArrayXd w = s.omega.array(), shifted = w + r.kappa;
  r.V = n * r.kappa / lambda - 1.0;
  r.m = (s.psi2.array() / shifted).sum();
  r.q = (w * s.psi2.array() / shifted.square()).sum() + r.test_error * r.df2;
}

// GCM state evolution (V, q, m) ↦ (V', q', m') in convention-A units; see README.md.
FixedPointMap state_evolution(const RidgeSpectrum& s, double n, double lambda) {
  return [&s, n, lambda](const Eigen::VectorXd& x, Eigen::VectorXd& out) {
    const double V = x[0], q = x[1], m = x[2];
    // Square-loss channel in closed form: V̂ = m̂ = n/(1+V), q̂ = n E(y − ŷ)²/(1+V)².
    const double Vhat = n / (1.0 + V);
    const double qhat = n * (s.sigma_y2 + q - 2.0 * m) / ((1.0 + V) * (1.0 + V));
    const Overlaps o = l2_prior(s, lambda, Vhat, qhat, Vhat);
    out << o.V, o.q, o.m;
  };
}

}  // namespace

Problem Problem::from_covariances(const Covariances& c, bool require_joint_psd) {
  require_finite(c.Omega, "omega");
  require_finite(c.Phi, "phi");
  require_finite(c.Psi, "psi");
  require_symmetric(c.Omega, "omega");
  require_symmetric(c.Psi, "psi");
  if (c.Phi.cols() != c.Omega.rows() || c.Phi.rows() != c.Psi.rows())
    throw InvalidInput("phi", "must be k x p = " + std::to_string(c.Psi.rows()) + "x" +
                                  std::to_string(c.Omega.rows()) + " (teacher x student), got " +
                                  std::to_string(c.Phi.rows()) + "x" + std::to_string(c.Phi.cols()));
  // Only the eigenvalues of Ω and the projections ‖Φ u_j‖² are needed, not the eigenvectors.
  const ProjectedSpectrum eig = projected_spectrum(c.Omega, c.Phi, require_joint_psd);
  Spectrum s;
  s.omega = eig.values;
  s.t = eig.weights / static_cast<double>(c.Psi.rows());
  s.rho = c.Psi.trace() / static_cast<double>(c.Psi.rows());
  // The spectrum was derived here from the user's matrices: a problem with it is blamed on them,
  // not on --spectrum, which the user did not give.
  Problem problem;
  try {
    problem = from_spectrum(s);
  } catch (const InvalidInput& e) {
    const std::string what = e.what(), reason = e.parameter().empty() ? what : what.substr(e.parameter().size() + 2);
    throw InvalidInput(e.parameter() == "rho" ? "psi" : "omega", "(with --phi, --psi) " + reason);
  }
  if (require_joint_psd) {
    // λ_max(Ω) + ‖Ψ‖_∞ ≥ λ_max(Ω) + λ_max(Ψ) ≥ λ_max(joint) for a PSD joint: the tolerance is never
    // stricter than 1e-8 of the joint's largest eigenvalue.
    const double top = eig.values.maxCoeff() + c.Psi.cwiseAbs().rowwise().sum().maxCoeff();
    if (!joint_positive_semidefinite(c.Psi, eig.values, eig.projections, 1e-8 * std::max(1.0, top)))
      throw InvalidInput("phi", "the joint covariance [[Psi, Phi], [Phi^T, Omega]] is not positive semi-definite");
  }
  return problem;
}

Problem Problem::from_spectrum(const Spectrum& s) {
  if (s.omega.size() == 0 || s.omega.size() != s.t.size())
    throw InvalidInput("spectrum", "needs two columns (omega, t) with at least one row");
  if (!(s.rho >= 0.0) || !std::isfinite(s.rho)) throw InvalidInput("rho", "must be non-negative and finite");
  Problem problem;
  const double p = static_cast<double>(s.omega.size());
  RidgeSpectrum& b = problem.base_;
  b.omega = s.omega / p;
  b.psi2 = s.t / p;
  b.sigma_y2 = s.rho;
  b.validate("spectrum");
  b.omega = b.omega.cwiseMax(0.0);  // round-off negatives (validated to be tiny)
  return problem;
}

Result solve(const Problem& problem, const Setting& point, Method method, const SolverOptions& options,
             Eigen::VectorXd* state) {
  if (!(point.alpha > 0.0) || !std::isfinite(point.alpha)) throw InvalidInput("alpha", "n/p must be positive and finite");
  if (!(point.noise >= 0.0) || !std::isfinite(point.noise)) throw InvalidInput("noise", "must be non-negative and finite");
  RidgeSpectrum s = problem.spectrum();
  s.sigma_y2 += point.noise;
  const double n = point.alpha * static_cast<double>(problem.p());
  Result r;
  if (method == Method::kRoot) {
    const RidgeEquivalentResult de = solve_ridge_equivalent(s, n, point.lambda, options);
    r.test_error = de.test_error;
    r.train_error = de.train_error;
    r.kappa = de.kappa;
    r.df1 = de.df1;
    r.df2 = de.df2;
    r.summary = de.summary;
    if (point.lambda > 0.0) overlaps_from_kappa(s, n, point.lambda, r);
    else r.V = r.q = r.m = std::nan("");  // V = nκ/λ − 1 is infinite: no overlaps to report
    return r;
  }
  if (!(point.lambda > 0.0)) throw InvalidInput("lambda", "the iteration method needs lambda > 0 (use --method root)");
  Eigen::VectorXd x = Eigen::Vector3d(1.0, 0.0, 0.0);
  if (state && state->size() == 3) x = *state;
  // The map needs 1 + V > 0 (V̂ > 0); every fixed point there has V > 0.  Accelerated steps that
  // cross V = −1 find a spurious fixed point beyond it, so the iteration is kept on this side.
  const Admissible physical = [](const Eigen::VectorXd& v) { return v[0] > -1.0 + 1e-12; };
  if (!physical(x)) x = Eigen::Vector3d(1.0, 0.0, 0.0);
  r.summary = solve_fixed_point(state_evolution(s, n, point.lambda), x, options, physical);
  r.V = x[0];
  r.q = x[1];
  r.m = x[2];
  r.kappa = point.lambda * (1.0 + r.V) / n;
  const RidgeEquivalentResult at = ridge_errors_at(s, n, point.lambda, r.kappa);
  r.df1 = at.df1;
  r.df2 = at.df2;
  r.test_error = s.sigma_y2 + r.q - 2.0 * r.m;
  r.train_error = r.test_error / ((1.0 + r.V) * (1.0 + r.V));
  if (state) *state = x;
  return r;
}

}  // namespace rmtsolve::gcm_ridge
