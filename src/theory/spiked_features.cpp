#include "rmtsolve/theory/spiked_features.hpp"

#include <gsl/gsl_integration.h>

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gauss_hermite.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::spiked {

std::string step_culprit(double label_noise, double label_second, double alpha0) {
  if (label_noise > 1.0 && label_noise > 0.5 * label_second) return "noise";
  if (alpha0 < 1e-3) return "alpha0";
  return "eta";
}

void validate_step(double alpha, double beta, double alpha0, double eta, int kappa_points, double kappa_width) {
  auto positive = [](double v) { return std::isfinite(v) && v > 0.0; };
  auto non_negative = [](double v) { return std::isfinite(v) && v >= 0.0; };
  if (!positive(alpha)) throw InvalidInput("alpha", "readout batch n/d must be positive and finite");
  if (!positive(beta)) throw InvalidInput("beta", "width p/d must be positive and finite");
  if (!non_negative(alpha0)) throw InvalidInput("alpha0", "first-step batch n0/d must be non-negative and finite");
  if (!non_negative(eta)) throw InvalidInput("eta", "step size must be non-negative and finite");
  if (kappa_points < 2 || kappa_points > 64) throw InvalidInput("kappa-points", "must be in 2..64");
  if (!(kappa_width >= 0.0) || !(kappa_width <= 8.0)) throw InvalidInput("kappa-width", "must be in [0, 8] (0: automatic)");
}

Mapping map_one_step(const Activation& sigma, const GaussianMoments& labels, double alpha0, double eta,
                     bool shrink_correction, double label_noise) {
  Mapping m;
  if (alpha0 == 0.0 || eta == 0.0) return m;  // no step: plain random features
  if (!sigma.df) throw InvalidInput("activation", "'" + sigma.name + "' has no derivative: the gradient step needs σ'");
  const GaussianMoments st = gaussian_moments(sigma, 0.0, 1.0);
  const double mu1 = st.slope;
  const double var_dsigma = gaussian_expectation([&](double z) { return std::pow(sigma.df(z) - mu1, 2); }, 0.0, 1.0, sigma.kinks);
  // Residual y − f0 at initialisation: mean E y − μ0^σ, second moment A (srf README).
  double shrink = 1.0;
  double A = labels.second;
  if (shrink_correction) {
    const double centre = labels.mean - st.mean;
    A = labels.second - 2.0 * labels.mean * st.mean + st.mean * st.mean;
    const double z_dsigma = gaussian_expectation([&](double z) { return z * sigma.df(z); }, 0.0, 1.0, sigma.kinks);
    shrink = 1.0 + eta * centre * z_dsigma;
  }
  auto strength = [&](double a, double a0) {  // (r, c) for a residual second moment a and batch a0
    return std::pair{eta * mu1 * std::sqrt(labels.slope * labels.slope + a / a0), shrink * shrink + eta * eta * a * var_dsigma / a0};
  };
  const auto [r, c] = strength(A, alpha0);
  const double norm = std::sqrt(labels.slope * labels.slope + A / alpha0);
  m.r = r;
  m.gamma = norm > 0.0 ? labels.slope / norm : 0.0;
  m.c = c;
  // Beyond this σ is saturated at every quadrature node (no linear component left) or the numbers
  // overflow; either way the equations would fail later blaming a quantity the user never gave.
  constexpr double kUsable = 1e100;
  auto usable = [&](std::pair<double, double> rc) {
    return std::isfinite(rc.first) && std::isfinite(rc.second) && std::abs(rc.first) <= kUsable && rc.second <= kUsable &&
           std::isfinite(shrink);
  };
  if (!usable({r, c})) {
    const std::string why = "too large for the first gradient step: the spike strength r or the bulk variance c of the "
                            "trained features exceeds 1e100 (sigma saturated or overflowing)";
    if (label_noise > 0.0 && usable(strength(std::max(0.0, A - label_noise), alpha0))) throw InvalidInput("noise", why);
    if (alpha0 < 1.0 && usable(strength(A, 1.0)))
      throw InvalidInput("alpha0", "too small for the first gradient step: the spike strength r or the bulk variance c "
                                   "exceeds 1e100 (the step's batch noise A/alpha0 dominates)");
    throw InvalidInput("eta", why);
  }
  return m;
}

// The κ rule: composite Gauss–Legendre (spec.kappa_points per panel) over κ ∈ [−8, 8] (the
// Gaussian mass outside is 1e-15), panels of width h = min(0.5, 0.65/r) (at least 0.01) out to |κ| = 4 + 2h and
// unit panels beyond, symmetric about 0.  With a step the channel terms change on the scale on which
// σ(rκ + √c z) saturates, ~1/r in κ, and by orders of magnitude there (V(κ), Q(κ) ∝ μ1(κ)²):
// Gauss–Hermite with 80 nodes (spacing ≈ 0.3 near |κ| = 1.5) left 2e-3 in the hinge's
// classification error at η̃ = 4 and did not converge with 120–240 nodes; the panels converge
// spectrally (equations/srf_glm/README.md, Numerics; test SrfGlm.KappaRuleIsConvergedAtAStrongStep).
KappaRule kappa_rule(double r, int points, double width) {
  // The floor bounds the rule at 900 panels per half line when r is huge (a step that saturates σ,
  // refused later as such); below it, for r > 65, the band of width ~1/r is under-resolved.
  const double h = width > 0.0 ? width : std::max(0.01, std::min(0.5, 0.65 / std::max(std::abs(r), 1e-300)));
  std::vector<double> breaks{0.0};
  const double fine_end = 4.0 + 2.0 * h;
  while (breaks.back() < fine_end - 1e-12) breaks.push_back(breaks.back() + h);
  while (breaks.back() < 8.0 - 1e-12) breaks.push_back(std::min(8.0, breaks.back() + 1.0));
  std::unique_ptr<gsl_integration_glfixed_table, decltype(&gsl_integration_glfixed_table_free)> table(
      gsl_integration_glfixed_table_alloc(points), gsl_integration_glfixed_table_free);
  std::vector<std::pair<double, double>> positive;  // (κ, weight) over κ > 0
  for (size_t j = 0; j + 1 < breaks.size(); ++j)
    for (size_t i = 0; i < table->n; ++i) {
      double z = 0.0, w = 0.0;
      gsl_integration_glfixed_point(breaks[j], breaks[j + 1], i, &z, &w, table.get());
      positive.emplace_back(z, w * boost::math::constants::one_div_root_two_pi<double>() * std::exp(-0.5 * z * z));
    }
  std::sort(positive.begin(), positive.end());
  // Ascending, the κ < 0 half the exact mirror of the κ > 0 half (the odd-σ symmetry and the
  // sign-change search of the classification error rely on both).
  const Eigen::Index half = static_cast<Eigen::Index>(positive.size());
  Eigen::ArrayXd kappa(2 * half), weight(2 * half);
  for (Eigen::Index k = 0; k < half; ++k) {
    kappa[half + k] = positive[k].first;
    kappa[half - 1 - k] = -positive[k].first;
    weight[half + k] = weight[half - 1 - k] = positive[k].second;
  }
  std::vector<double> all(breaks.rbegin(), breaks.rend() - 1);
  for (double& b : all) b = -b;
  all.insert(all.end(), breaks.begin(), breaks.end());
  return {std::move(kappa), std::move(weight), std::move(all)};
}

namespace {

// The built-in activations without closed-form moments whose only singularities lie on the line
// Re x = 0 at |Im x| ≥ π/2 (tanh: ±iπ/2, sigmoid and softplus: ±iπ; gelu is entire).
bool analytic_off_the_imaginary_axis(const Activation& sigma) {
  return !sigma.closed_form && sigma.kinks.empty() && sigma.polynomial_degree < 0 &&
         (sigma.name == "tanh" || sigma.name == "sigmoid" || sigma.name == "softplus" || sigma.name == "gelu");
}

}  // namespace

std::optional<GaussianMoments> panel_moments(const Activation& sigma, double m, double s) {
  if (!analytic_off_the_imaginary_axis(sigma) || !(s > 0.0) || !std::isfinite(s) || !std::isfinite(m)) return std::nullopt;
  // Composite 12-point Gauss–Legendre over z ∈ [−9, 9] (outside, the Gaussian mass is 2e-19):
  // unit panels in z carry the Gaussian factor, and panels of unit width in x = m + sz over
  // |x| ≤ 4, growing geometrically beyond (each panel at most half its distance to Re x = 0 long),
  // keep every panel at least π/2 from σ's singularities relative to its length, so the rule
  // converges like (1 + π + …)^−24 (the test SrfGlm.PanelMomentsMatchTheAdaptiveRule measures
  // ≤ 7e-14 against the adaptive rule).
  thread_local const std::unique_ptr<gsl_integration_glfixed_table, decltype(&gsl_integration_glfixed_table_free)> table(
      gsl_integration_glfixed_table_alloc(12), gsl_integration_glfixed_table_free);
  constexpr double L = 9.0;
  thread_local std::vector<double> breaks;
  breaks.clear();
  for (int k = -static_cast<int>(L); k <= static_cast<int>(L); ++k) breaks.push_back(k);
  auto cut_at_x = [&](double x) {
    const double z = (x - m) / s;
    if (std::abs(z) < L) breaks.push_back(z);
  };
  for (int k = -4; k <= 4; ++k) cut_at_x(k);
  for (double x = 6.0; x < std::abs(m) + L * s; x *= 1.5) {  // panels no longer than their distance to Re x = 0
    cut_at_x(x);
    cut_at_x(-x);
  }
  std::sort(breaks.begin(), breaks.end());
  // Nodes and weights first, then σ and the Gaussian weight over the whole buffer (vectorised
  // where the activation offers it): this is the hot loop of every tabulation in κ.
  thread_local Eigen::ArrayXd z, w, v;
  const Eigen::Index points = static_cast<Eigen::Index>((breaks.size() - 1) * table->n);
  z.resize(points);
  w.resize(points);
  Eigen::Index k = 0;
  for (size_t j = 0; j + 1 < breaks.size(); ++j) {
    const double a = breaks[j], b = breaks[j + 1];
    if (!(b - a > 1e-12)) continue;
    for (size_t i = 0; i < table->n; ++i, ++k) gsl_integration_glfixed_point(a, b, i, &z[k], &w[k], table.get());
  }
  const auto zk = z.head(k);
  const Eigen::ArrayXd wk = w.head(k) * (-0.5 * zk.square()).exp() * boost::math::constants::one_div_root_two_pi<double>();
  v = m + s * zk;
  if (sigma.apply_inplace) {
    sigma.apply_inplace(v.data(), static_cast<long>(k));
  } else {
    for (Eigen::Index i = 0; i < k; ++i) v[i] = sigma(v[i]);
  }
  GaussianMoments mo;
  mo.mean = (wk * v).sum();
  mo.slope = (wk * zk * v).sum() / s;
  mo.second = (wk * v.square()).sum();
  return mo;
}

namespace {
GaussianMoments moments_at(const Activation& sigma, double m, double s) {
  if (auto fixed = panel_moments(sigma, m, s)) return *fixed;
  return gaussian_moments(sigma, m, s);
}
}  // namespace

GaussianMoments student_at(const Activation& sigma, const Mapping& mp, double kappa) {
  GaussianMoments g = moments_at(sigma, mp.r * kappa, std::sqrt(mp.c));
  g.second = std::max(0.0, g.second - g.mean * g.mean - mp.c * g.slope * g.slope);
  return g;
}

StudentNodes student_nodes(const Activation& sigma, const Mapping& mp, int n) {
  const GaussHermiteRule rule = gauss_hermite(n);
  return student_nodes(sigma, mp, rule.node.array(), rule.weight.array());
}

StudentNodes student_nodes(const Activation& sigma, const Mapping& mp, const Eigen::ArrayXd& kappa, const Eigen::ArrayXd& weight) {
  const Eigen::Index n = kappa.size();
  StudentNodes t{weight, kappa, Eigen::ArrayXd(n), Eigen::ArrayXd(n), Eigen::ArrayXd(n)};
  const double s = std::sqrt(mp.c);
  GaussianMoments student{};
  for (Eigen::Index i = 0; i < n; ++i) {
    if (i == 0 || mp.r != 0.0) student = moments_at(sigma, mp.r * t.kappa[i], s);
    t.mu0[i] = student.mean;
    t.mu1[i] = student.slope;
    t.ms2[i] = std::max(0.0, student.second - student.mean * student.mean - mp.c * student.slope * student.slope);
  }
  return t;
}

SampledSpectrum sample_spectrum(int d, int p, double c, std::mt19937_64& rng) {
  if (d < 2 || p < 1) throw InvalidInput("d", "sampled spectrum needs d ≥ 2 and p ≥ 1");
  const Eigen::MatrixXd W = std::sqrt(c) * mc::unit_rows(p, d, rng);
  Eigen::VectorXd v = mc::gaussian_matrix(d, 1, rng);
  v *= std::sqrt(double(d)) / v.norm();
  Eigen::VectorXd zeta = mc::gaussian_matrix(d, 1, rng);
  zeta -= v * (v.dot(zeta) / d);
  zeta *= std::sqrt(double(d)) / zeta.norm();
  const Eigen::MatrixXd WP = W - (W * v) * v.transpose() / d;  // WΠ
  const SymmetricEigen eig = symmetric_eigen(WP * W.transpose());
  SampledSpectrum s;
  s.D = eig.values.cwiseMax(0.0);
  s.F = (double(p) / d) * (eig.vectors.transpose() * (W * v)).array().square().matrix();
  s.H = (double(p) / d) * (eig.vectors.transpose() * (W * zeta)).array().square().matrix();
  return s;
}

SpectralAverages seed_free_averages(const MarchenkoPastur& mp, double Vhat1, double Vhat2, double lambda) {
  const double t = (lambda + Vhat2) / Vhat1;
  SpectralAverages a{};
  if (t <= 1e4 * mp.c * (1.0 + mp.beta)) {
    const double g = mp.stieltjes(-t), dg = mp.stieltjes_derivative(-t, g);
    const double v1 = 1.0 / Vhat1, v2 = v1 * v1;
    a.S1 = g * v1;
    a.DS = (1.0 - t * g) * v1;
    a.S2 = dg * v2;
    a.DS2 = (g - t * dg) * v2;
    a.D2S2 = (1.0 - 2.0 * t * g + t * t * dg) * v2;
  } else {
    // Far from the spectrum (λ → ∞ or V̂ → 0), 1 − t g and 1 − 2tg + t²g′ cancel to O(1/t):
    // integrate the law directly instead.
    auto avg = [&](int k, int j) {
      return mp.average([&](double D) { return std::pow(D, k) / std::pow(lambda + Vhat1 * D + Vhat2, j); });
    };
    a.S1 = avg(0, 1);
    a.DS = avg(1, 1);
    a.S2 = avg(0, 2);
    a.DS2 = avg(1, 2);
    a.D2S2 = avg(2, 2);
  }
  // F_k → βc and H_k → βD_k as d → ∞ (rotation invariance of the drawn W0).
  const double bc = mp.beta * mp.c;
  a.FS = bc * a.S1;
  a.FS2 = bc * a.S2;
  a.DFS2 = bc * a.DS2;
  a.HS = mp.beta * a.DS;
  a.HS2 = mp.beta * a.DS2;
  a.DHS2 = mp.beta * a.D2S2;
  return a;
}

SpectralAverages sampled_averages(const SampledSpectrum& s, double Vhat1, double Vhat2, double lambda) {
  const auto D = s.D.array(), F = s.F.array(), H = s.H.array();
  const auto inv = 1.0 / (lambda + Vhat1 * D + Vhat2);
  const auto inv2 = inv.square();
  const double p = static_cast<double>(s.D.size());
  return {inv.sum() / p,          (D * inv).sum() / p,     (F * inv).sum() / p,
          (H * inv).sum() / p,    inv2.sum() / p,          (D * inv2).sum() / p,
          (D * D * inv2).sum() / p, (F * inv2).sum() / p,  (D * F * inv2).sum() / p,
          (H * inv2).sum() / p,   (D * H * inv2).sum() / p};
}

PriorOverlaps l2_prior(const SpectralAverages& a, double qhat1, double qhat2, double tau_hat, double psi_hat) {
  const double t2 = tau_hat * tau_hat, p2 = psi_hat * psi_hat;
  return {a.DS,
          a.S1,
          qhat1 * a.D2S2 + qhat2 * a.DS2 + t2 * a.DFS2 + p2 * a.DHS2,
          qhat1 * a.DS2 + qhat2 * a.S2 + t2 * a.FS2 + p2 * a.HS2,
          tau_hat * a.FS,
          psi_hat * a.HS};
}

std::map<std::string, std::string> output_help() {
  return {{"r", "r: spike strength of the first-layer weights after the step, W1 = W0 + r u v^T"},
        {"c", "c: bulk variance of the rows of W1 (1 for odd sigma, shrunk and inflated otherwise)"},
        {"gamma", "gamma: alignment of the spike direction with the target direction theta*"},
        {"V1", "V1: readout variance overlap on the linear part of the features"},
        {"V2", "V2: readout variance overlap on the non-linear part of the features"},
        {"q1", "q1: readout norm overlap on the linear part of the features"},
        {"q2", "q2: readout norm overlap on the non-linear part of the features"},
        {"tau", "tau: overlap of the readout with the spike direction"},
        {"psi", "psi: overlap of the readout with the target direction outside the spike"},
        {"m", "m: overlap of the readout with the features' mean mu0 (the bias direction)"}};
}

bool is_real_network(const std::string& network) {
  if (network != "real" && network != "spiked") throw InvalidInput("network", "must be real or spiked, got '" + network + "'");
  return network == "real";
}

bool is_shrink_correction(const std::string& correction) {
  if (correction != "shrink" && correction != "none")
    throw InvalidInput("correction", "must be shrink or none, got '" + correction + "'");
  return correction == "shrink";
}

}  // namespace rmtsolve::spiked
