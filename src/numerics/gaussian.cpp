#include "rmtsolve/numerics/gaussian.hpp"

#include <gsl/gsl_integration.h>

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/quadrature/exp_sinh.hpp>
#include <boost/math/quadrature/tanh_sinh.hpp>
#include <boost/math/special_functions/factorials.hpp>
#include <cmath>
#include <limits>
#include <memory>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {
namespace {

using boost::math::constants::one_div_root_two_pi;

// Termination tolerance of the double-exponential rules: each level doubles the number of correct
// digits, so stopping when two levels agree to 1e-13 leaves an error near machine precision.
constexpr double kQuadratureTolerance = 1e-13;

double integrate_segments(const std::function<double(double)>& g, std::vector<double> cuts) {
  thread_local boost::math::quadrature::exp_sinh<double> half_line;
  thread_local boost::math::quadrature::tanh_sinh<double> segment;
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  const double inf = std::numeric_limits<double>::infinity();
  double total = half_line.integrate([&](double z) { return g(-z); }, -cuts.front(), inf,
                                     kQuadratureTolerance);
  for (size_t k = 0; k + 1 < cuts.size(); ++k)
    total += segment.integrate(g, cuts[k], cuts[k + 1], kQuadratureTolerance);
  total += half_line.integrate(g, cuts.back(), inf, kQuadratureTolerance);
  return total;
}

// ∫₀^∞ g, split at the given cuts (all ≥ 0, the first 0): the right half of integrate_segments.
double integrate_positive(const std::function<double(double)>& g, const std::vector<double>& cuts) {
  thread_local boost::math::quadrature::exp_sinh<double> half_line;
  thread_local boost::math::quadrature::tanh_sinh<double> segment;
  double total = 0.0;
  for (size_t k = 0; k + 1 < cuts.size(); ++k) total += segment.integrate(g, cuts[k], cuts[k + 1], kQuadratureTolerance);
  return total + half_line.integrate(g, cuts.back(), std::numeric_limits<double>::infinity(), kQuadratureTolerance);
}

// φ(z)·h(z).  exp_sinh samples abscissae far out in the tail (|z| ~ 1e100 and beyond) where φ
// underflows to 0 while a polynomial factor (He_k, σ² of a polynomial) overflows to ±inf; 0·inf would
// be NaN and abort the quadrature, but the true integrand there is 0.
template <class H>
double density_times(double z, H&& h) {
  const double w = one_div_root_two_pi<double>() * std::exp(-0.5 * z * z);
  return w == 0.0 ? 0.0 : w * h(z);
}

void require_positive_scale(double s) {
  if (!(s > 0.0) || !std::isfinite(s))
    throw InvalidInput("variance", "Gaussian scale must be positive and finite");
}

// Kinks of σ(m + s z) in the z variable; z = 0 is always a cut so that both half-lines start at the
// bulk of the Gaussian mass.
std::vector<double> z_cuts(const Activation& sigma, double m, double s) {
  std::vector<double> cuts{0.0};
  for (double x : sigma.kinks) cuts.push_back((x - m) / s);
  return cuts;
}

// Gauss–Hermite rule with n nodes from GSL, mapped to N(0,1): exact for polynomials of degree
// ≤ 2n − 1.
GaussianMoments polynomial_moments(const Activation& sigma, double m, double s) {
  const size_t n = static_cast<size_t>(sigma.polynomial_degree) + 2;
  std::unique_ptr<gsl_integration_fixed_workspace, decltype(&gsl_integration_fixed_free)> w(
      gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, n, 0.0, 1.0, 0.0, 0.0),
      gsl_integration_fixed_free);
  const double* x = gsl_integration_fixed_nodes(w.get());
  const double* wt = gsl_integration_fixed_weights(w.get());
  const double norm = 1.0 / std::sqrt(boost::math::constants::pi<double>());
  GaussianMoments mo;
  double z_sigma = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double z = std::sqrt(2.0) * x[i];
    const double v = sigma(m + s * z);
    mo.mean += norm * wt[i] * v;
    z_sigma += norm * wt[i] * z * v;
    mo.second += norm * wt[i] * v * v;
  }
  mo.slope = z_sigma / s;
  return mo;
}

}  // namespace

double gaussian_expectation(const std::function<double(double)>& f, double m, double s,
                            const std::vector<double>& kinks) {
  require_positive_scale(s);
  std::vector<double> cuts{0.0};
  for (double x : kinks) cuts.push_back((x - m) / s);
  return integrate_segments(
      [&](double z) { return density_times(z, [&](double t) { return f(m + s * t); }); },
      cuts);
}

GaussianMoments gaussian_moments_by_quadrature(const Activation& sigma, double m, double s) {
  require_positive_scale(s);
  const auto cuts = z_cuts(sigma, m, s);
  // Odd σ, centred: σ(sz) is odd and z σ(sz), σ(sz)² are even, so the mean is 0 and the other two
  // moments are twice their integrals over z > 0 — two half-line quadratures instead of six (every
  // neuron of a drawn tanh network).  For a σ odd in floating point (tanh, erf, sin, sign) the two
  // halves of the general rule are mirror images, so the numbers are the same; a user σ is taken as
  // odd when |σ(x) + σ(−x)| ≤ 1e-13 (complete_user_activation), the quadrature's own tolerance.
  const bool mirrored = std::all_of(cuts.begin(), cuts.end(), [&](double c) {
    return std::find(cuts.begin(), cuts.end(), -c) != cuts.end();
  });
  if (sigma.odd && m == 0.0 && mirrored) {
    std::vector<double> positive;
    for (double c : cuts)
      if (c > 0.0) positive.push_back(c);
    std::sort(positive.begin(), positive.end());
    positive.erase(std::unique(positive.begin(), positive.end()), positive.end());
    positive.insert(positive.begin(), 0.0);
    auto twice_positive = [&](auto&& h) { return 2.0 * integrate_positive([&](double z) { return density_times(z, h); }, positive); };
    GaussianMoments mo;
    mo.mean = 0.0;
    mo.slope = twice_positive([&](double z) { return z * sigma(s * z); }) / s;
    mo.second = twice_positive([&](double z) {
      const double v = sigma(s * z);
      return v * v;
    });
    return mo;
  }
  auto weighted = [&](auto&& h) {
    return integrate_segments(
        [&](double z) { return density_times(z, h); },
        cuts);
  };
  GaussianMoments mo;
  mo.mean = weighted([&](double z) { return sigma(m + s * z); });
  mo.slope = weighted([&](double z) { return z * sigma(m + s * z); }) / s;
  mo.second = weighted([&](double z) {
    const double v = sigma(m + s * z);
    return v * v;
  });
  return mo;
}

GaussianMoments gaussian_moments(const Activation& sigma, double m, double s) {
  require_positive_scale(s);
  if (sigma.closed_form) return (*sigma.closed_form)(m, s);
  if (sigma.polynomial_degree >= 0) return polynomial_moments(sigma, m, s);
  return gaussian_moments_by_quadrature(sigma, m, s);
}

Linearisation linearise(const Activation& sigma, double r) {
  if (!(r > 0.0) || !std::isfinite(r))
    throw InvalidInput("variance", "pre-activation variance must be positive and finite");
  const GaussianMoments mo = gaussian_moments(sigma, 0.0, std::sqrt(r));
  Linearisation lin;
  lin.r = r;
  lin.kappa0 = sigma.odd ? 0.0 : mo.mean;
  lin.kappa1 = mo.slope;
  lin.second = mo.second;
  // Cancellation can leave a tiny negative remainder for (near-)linear σ.
  lin.kappa_star = std::sqrt(std::max(0.0, mo.second - lin.kappa0 * lin.kappa0 - r * mo.slope * mo.slope));
  return lin;
}

std::vector<double> hermite_coefficients(const Activation& sigma, double r, int K) {
  if (K < 0) throw InvalidInput("order", "Hermite order must be non-negative");
  if (!(r > 0.0) || !std::isfinite(r)) throw InvalidInput("variance", "pre-activation variance must be positive and finite");
  const double s = std::sqrt(r);
  std::vector<double> c(static_cast<size_t>(K) + 1);
  for (int k = 0; k <= K; ++k) {
    std::vector<double> kinks;
    for (double x : sigma.kinks) kinks.push_back(x / s);
    c[static_cast<size_t>(k)] =
        gaussian_expectation([&](double z) { return sigma(s * z) * hermite_he(k, z); }, 0.0, 1.0, kinks) /
        boost::math::factorial<double>(static_cast<unsigned>(k));
  }
  return c;
}

}  // namespace rmtsolve
