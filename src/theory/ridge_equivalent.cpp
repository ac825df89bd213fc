#include "rmtsolve/theory/ridge_equivalent.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/root.hpp"

namespace rmtsolve {
namespace {

double zero_threshold(const Eigen::VectorXd& omega) {
  const double top = omega.size() ? omega.maxCoeff() : 0.0;
  return 64.0 * std::numeric_limits<double>::epsilon() * static_cast<double>(omega.size()) * top;
}

double df1_sum(const Eigen::VectorXd& omega, double kappa) {
  return (omega.array() / (omega.array() + kappa)).sum();
}

}  // namespace

Eigen::Index RidgeSpectrum::rank() const { return (omega.array() > zero_threshold(omega)).count(); }

double RidgeSpectrum::irreducible_error() const {
  const double cut = zero_threshold(omega);
  double explained = 0.0;
  for (Eigen::Index j = 0; j < omega.size(); ++j)
    if (omega[j] > cut) explained += psi2[j] / omega[j];
  return sigma_y2 - explained;
}

void RidgeSpectrum::validate(const char* parameter) const {
  if (omega.size() == 0 || omega.size() != psi2.size())
    throw InvalidInput(parameter, "eigenvalues and target projections must have equal, non-zero length");
  if (!omega.allFinite() || !psi2.allFinite() || !std::isfinite(sigma_y2))
    throw InvalidInput(parameter, "non-finite entry in the covariances");
  const double scale = std::max(omega.cwiseAbs().maxCoeff(), std::numeric_limits<double>::min());
  if (omega.minCoeff() < -1e-8 * scale)
    throw InvalidInput(parameter, "feature covariance is not positive semi-definite (eigenvalue " +
                                      std::to_string(omega.minCoeff()) + ")");
  if (psi2.minCoeff() < 0.0) throw InvalidInput(parameter, "negative squared target projection");
  const double cut = zero_threshold(omega);
  double on_kernel = 0.0;
  for (Eigen::Index j = 0; j < omega.size(); ++j)
    if (omega[j] <= cut) on_kernel += psi2[j];
  if (on_kernel > 1e-10 * std::max(1.0, sigma_y2))
    throw InvalidInput(parameter, "the teacher-student cross-covariance has a component on the kernel "
                                  "of the student covariance; the covariances are inconsistent");
  if (irreducible_error() < -1e-8 * std::max(1.0, sigma_y2))
    throw InvalidInput(parameter, "joint covariance is not positive semi-definite: the features "
                                  "explain more than E y²");
}

Overlaps l2_prior(const RidgeSpectrum& s, double lambda, double Vhat, double qhat, double mhat) {
  const auto w = s.omega.array();
  const auto S = lambda + Vhat * w;
  return {(w / S).sum(), (w * (mhat * mhat * s.psi2.array() + qhat * w) / S.square()).sum(),
          mhat * (s.psi2.array() / S).sum()};
}

RidgeEquivalentResult ridge_errors_at(const RidgeSpectrum& s, double n, double lambda, double kappa) {
  RidgeEquivalentResult r;
  r.kappa = kappa;
  const Eigen::ArrayXd w = s.omega.array(), shifted = w + kappa;
  r.df1 = (w / shifted).sum() / n;
  r.df2 = (w.square() / shifted.square()).sum() / n;
  const double captured = (s.psi2.array() * (w + 2.0 * kappa) / shifted.square()).sum();
  r.test_error = (s.sigma_y2 - captured) / (1.0 - r.df2);
  r.train_error = (lambda > 0.0 ? std::pow(lambda / (n * kappa), 2) : std::pow(1.0 - r.df1, 2)) * r.test_error;
  return r;
}

RidgeEquivalentResult solve_ridge_equivalent(const RidgeSpectrum& s, double n, double lambda,
                                             const SolverOptions& options) {
  if (!(n > 0.0) || !std::isfinite(n)) throw InvalidInput("alpha", "number of samples must be positive");
  if (!(lambda >= 0.0) || !std::isfinite(lambda)) throw InvalidInput("lambda", "ridge must be non-negative and finite");
  const auto start = std::chrono::steady_clock::now();
  const double trace = s.omega.sum();
  const auto rank = static_cast<double>(s.rank());
  RidgeEquivalentResult r;
  if (lambda == 0.0 && rank <= n) {
    // Under-parameterised ridgeless branch: κ → 0 and the errors are σ_ε²-driven (§2.6).
    const double eps = s.irreducible_error();
    r.test_error = eps / (1.0 - rank / n);
    r.train_error = eps * (1.0 - rank / n);
    r.df1 = r.df2 = rank / n;
    r.summary.converged = true;
    r.summary.reason = Termination::kConverged;
    r.summary.method = "ridgeless (rank <= n)";
    if (rank == n) {
      r.summary.converged = false;
      r.summary.reason = Termination::kDivergent;
      r.summary.message = "interpolation threshold n = rank: the ridgeless test error diverges";
      r.test_error = std::numeric_limits<double>::infinity();
    }
  } else {
    auto h = [&](double t) {
      const double kappa = std::exp(t);
      return 1.0 - lambda / (n * kappa) - df1_sum(s.omega, kappa) / n;
    };
    const double lo = lambda > 0.0 ? lambda / n : std::numeric_limits<double>::min();
    const double hi = lambda / n + trace / n;
    // In the ridgeless case h(0+) = 1 − rank/n < 0; start the log bracket far below the spectrum.
    const double t_lo = lambda > 0.0 ? std::log(lo) : std::log(hi) - 80.0;
    const RootResult root = solve_increasing_root(h, t_lo, std::log(hi), options, 1.0);
    r = ridge_errors_at(s, n, lambda, std::exp(root.x));
    r.summary = root.summary;
    r.summary.method = "toms748(log kappa)";
    if (r.summary.converged && !(std::isfinite(r.test_error) && r.test_error >= 0.0)) {
      r.summary.converged = false;
      r.summary.reason = Termination::kNonFinite;
      r.summary.message = "errors not finite at the root";
    }
  }
  r.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace rmtsolve
