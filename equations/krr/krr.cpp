#include "krr.hpp"

#include <chrono>
#include <cmath>

#include "rmtsolve/theory/chain.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/numerics/spectral.hpp"

namespace rmtsolve::krr {
namespace {

void validate(const Spec& s) {
  auto finite_non_negative = [](double v) { return std::isfinite(v) && v >= 0.0; };
  if (!(std::isfinite(s.alpha) && s.alpha > 0.0)) throw InvalidInput("alpha", "n/d must be positive and finite");
  if (!finite_non_negative(s.lambda)) throw InvalidInput("lambda", "ridge must be non-negative and finite");
  if (!finite_non_negative(s.noise)) throw InvalidInput("noise", "noise variance must be non-negative and finite");
  if (s.flow && !(std::isfinite(s.tau) && s.tau > 0.0)) throw InvalidInput("time", "flow time must be positive and finite");
  if (s.depth < 1) throw InvalidInput("depth", "needs at least one hidden layer");
  if (s.kernel != "ntk" && s.kernel != "nngp") throw InvalidInput("kernel", "must be ntk or nngp, got '" + s.kernel + "'");
}

// What the target offers a kernel in the proportional regime: its mean c0, its linear part c1 and
// everything else, which no kernel can learn from n ∝ d samples (it acts as noise).
struct Target {
  double c0 = 0.0, c1 = 0.0, nonlinear2 = 0.0;
};
Target target_of(const Spec& s) {
  const GaussianMoments m = gaussian_moments(s.target, 0.0, 1.0);
  return {m.mean, m.slope, std::max(0.0, m.second - m.mean * m.mean - m.slope * m.slope)};
}

// Error integrals over the Marchenko–Pastur law μ of the train Gram XXᵀ/d (ratio α), for a
// spectral filter φ of the train kernel's bulk eigenvalue s = κ1 g + κ*.
struct Integrals {
  double bias, variance, train;
};

// Ridge, φ(s) = 1/(s + λ): closed forms through the Stieltjes transform at −t0, t0 = (κ* + λ)/κ1.
Integrals ridge_integrals(const MarchenkoPastur& law, double alpha, double kappa1, double lambda, double t0,
                          double c1, double sigma2) {
  const double g = law.stieltjes(-t0), dg = law.stieltjes_derivative(-t0, g);
  Integrals r;
  r.bias = c1 * c1 * (alpha * t0 * t0 * dg + 1.0 - alpha);
  r.variance = sigma2 * alpha * (g - t0 * dg);
  const double l = lambda / kappa1;
  r.train = l * l * (c1 * c1 * (g - t0 * dg) + sigma2 * dg);
  return r;
}

// Gradient flow (with optional ridge): the same integrals by quadrature.
Integrals flow_integrals(const MarchenkoPastur& law, double alpha, const kernels::ProportionalConstants& k,
                         double lambda, double tau, double c1, double sigma2) {
  auto phi = [&](double s) {
    const double S = s + lambda;
    return S > 0.0 ? -std::expm1(-S * tau) / S : tau;
  };
  Integrals r;
  r.bias = c1 * c1 * (alpha * law.average([&](double g) { return std::pow(1.0 - k.kappa1 * g * phi(k.kappa1 * g + k.kappa_star), 2); }) +
                      1.0 - alpha);
  r.variance = sigma2 * alpha * law.average([&](double g) { return k.kappa1 * k.kappa1 * g * std::pow(phi(k.kappa1 * g + k.kappa_star), 2); });
  r.train = law.average([&](double g) {
    const double s = k.kappa1 * g + k.kappa_star;
    return std::pow(1.0 - s * phi(s), 2) * (c1 * c1 * g + sigma2);
  });
  return r;
}

// Ridgeless regression on a linear kernel (κ* = λ = 0): the minimum-norm interpolator.
Integrals min_norm_integrals(double alpha, double c1, double sigma2) {
  if (alpha < 1.0) return {c1 * c1 * (1.0 - alpha), sigma2 * alpha / (1.0 - alpha), 0.0};
  return {0.0, sigma2 / (alpha - 1.0), sigma2 * (1.0 - 1.0 / alpha)};
}

}  // namespace

kernels::Architecture architecture_of(const Spec& s) {
  return kernels::Architecture::fully_connected(s.activation, s.depth, s.w_std, s.b_std,
                                                kernels::Parametrisation::kNtk);
}

Result solve(const Spec& s) {
  const auto start = std::chrono::steady_clock::now();
  validate(s);
  Result out;
  const kernels::DotProductKernel kernel(architecture_of(s));
  out.constants = s.kernel == "ntk" ? kernel.ntk_constants() : kernel.nngp_constants();
  const auto& k = out.constants;
  if (!std::isfinite(k.kappa0) || !std::isfinite(k.kappa1) || !std::isfinite(k.kappa_star)) {
    // Weight or bias scales far outside the activation's range overflow the kernel: name them.
    if (s.w_std > 1e10) throw InvalidInput("w_std", "too large: the kernel's constants overflow (kappa1 = " + std::to_string(k.kappa1) + ")");
    if (s.b_std > 1e10) throw InvalidInput("b_std", "too large: the kernel's constants overflow (kappa1 = " + std::to_string(k.kappa1) + ")");
  }
  if (!std::isfinite(k.kappa0) || !std::isfinite(k.kappa1) || !std::isfinite(k.kappa_star) || k.kappa1 < 0.0 || k.kappa_star < -1e-12)
    throw InvalidInput("activation", "the kernel has no finite linearisation at rho = 0 (kappa1 = " + std::to_string(k.kappa1) + ")");
  const Target y = target_of(s);
  // The all-ones direction has an O(n) eigenvalue when κ0 > 0 and learns the mean exactly.
  const double sigma2 = effective_noise(s.noise, y.nonlinear2, y.c0 * y.c0, k.kappa0 > 1e-14);
  const MarchenkoPastur law{1.0, s.alpha};
  Integrals r{};
  out.summary.method = "closed form (Marchenko-Pastur Stieltjes transform)";
  if (k.kappa1 <= 1e-14) {  // no linear part: nothing is learned beyond the mean
    r = {y.c1 * y.c1, 0.0, y.c1 * y.c1 + sigma2};
    out.effective_ridge = INFINITY;
  } else {
    const double t0 = (std::max(0.0, k.kappa_star) + s.lambda) / k.kappa1;
    out.effective_ridge = t0;
    if (s.flow) {
      r = flow_integrals(law, s.alpha, k, s.lambda, s.tau, y.c1, sigma2);
      out.summary.method = "Gauss-Kronrod over the Marchenko-Pastur law";
    } else if (t0 > 1e-12) {
      r = ridge_integrals(law, s.alpha, k.kappa1, s.lambda, t0, y.c1, sigma2);
    } else if (s.alpha == 1.0) {
      out.summary.reason = Termination::kDivergent;
      out.summary.message = "ridgeless regression on a linear kernel at n = d: the test error is infinite";
      return out;
    } else {
      r = min_norm_integrals(s.alpha, y.c1, sigma2);
    }
  }
  out.bias = r.bias;
  out.variance = r.variance;
  out.test_error = r.bias + r.variance + sigma2;
  out.train_error = r.train;
  out.summary.converged = std::isfinite(out.test_error) && std::isfinite(out.train_error) && out.test_error >= 0.0;
  out.summary.reason = out.summary.converged ? Termination::kConverged : Termination::kNonFinite;
  if (!out.summary.converged) out.summary.message = "errors are not finite";
  out.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace rmtsolve::krr
