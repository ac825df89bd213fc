#include "srf.hpp"

#include <cmath>

#include "rmtsolve/numerics/activation.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/fixed_point.hpp"
#include "rmtsolve/numerics/gauss_hermite.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/numerics/spectral.hpp"
#include "rmtsolve/io/table.hpp"

namespace rmtsolve::srf {
namespace {

void validate(const Spec& s) {
  spiked::validate_step(s.alpha, s.beta, s.alpha0, s.eta, s.kappa_points, s.kappa_width);
  auto non_negative = [](double v) { return std::isfinite(v) && v >= 0.0; };
  if (!non_negative(s.lambda)) throw InvalidInput("lambda", "ridge must be non-negative and finite");
  if (!non_negative(s.noise)) throw InvalidInput("noise", "noise variance must be non-negative and finite");
}

// Conditional Gaussian-equivalence coefficients (shared with srf_glm) and the target's conditional
// moments at the κ nodes (docs/theory/srf.md §2.1).
struct Nodes : spiked::StudentNodes {
  Eigen::ArrayXd h0, h1, h2;
};

Nodes tabulate(const Activation& sigma, const Activation& link, const Mapping& mp, double noise, int points, double width) {
  const spiked::KappaRule rule = spiked::kappa_rule(mp.r, points, width);
  const Eigen::Index n = rule.kappa.size();
  Nodes t{spiked::student_nodes(sigma, mp, rule.kappa, rule.weight), Eigen::ArrayXd(n), Eigen::ArrayXd(n), Eigen::ArrayXd(n)};
  const double rho = std::sqrt(std::max(0.0, 1.0 - mp.gamma * mp.gamma));
  for (Eigen::Index i = 0; i < n; ++i) {
    const double centre = mp.gamma * t.kappa[i];
    if (rho > 0.0) {
      const GaussianMoments y = gaussian_moments(link, centre, rho);
      t.h0[i] = y.mean;
      t.h1[i] = rho * y.slope;  // E[z σ*(γκ + ρz)] by Stein
      t.h2[i] = y.second + noise;
    } else {  // γ = 1: the target is a function of κ alone
      const double y = link(centre);
      t.h0[i] = y;
      t.h1[i] = 0.0;
      t.h2[i] = y * y + noise;
    }
  }
  return t;
}

// Along a sweep over α, β or λ the mapping (r, c, γ) does not change: tabulate once per thread.
const Nodes& cached_nodes(const Spec& spec, const Mapping& mp) {
  struct Entry {
    ActivationKey activation, target;
    double r = 0, c = 0, gamma = 0, noise = 0;
    int points = 0;
    double width = 0;
    Nodes table;
    bool valid = false;
  };
  thread_local Entry last;
  const ActivationKey activation = activation_key(spec.activation), target = activation_key(spec.target);
  if (!(last.valid && last.activation == activation && last.target == target && last.r == mp.r &&
        last.c == mp.c && last.gamma == mp.gamma && last.noise == spec.noise && last.points == spec.kappa_points &&
        last.width == spec.kappa_width)) {
    last.valid = false;  // stays invalid if tabulate throws
    last.table = tabulate(spec.activation, spec.target, mp, spec.noise, spec.kappa_points, spec.kappa_width);
    last = Entry{activation, target, mp.r, mp.c, mp.gamma, spec.noise, spec.kappa_points, spec.kappa_width, std::move(last.table), true};
  }
  return last.table;
}

using Averages = spiked::SpectralAverages;
using spiked::sampled_averages;
using spiked::seed_free_averages;

// Test and train error from the order parameters (docs/theory/srf.md §2.4), conditionally on κ then averaged.
void set_errors(const Nodes& n, const Eigen::ArrayXd& w, Result& out) {
  const Eigen::ArrayXd yhat0 = n.mu0 * out.m + n.mu1 * n.kappa * out.tau;
  const Eigen::ArrayXd eps = n.h2 - 2.0 * yhat0 * n.h0 + yhat0.square() - 2.0 * n.mu1 * out.psi * n.h1 +
                             n.mu1.square() * out.q1 + n.ms2 * out.q2;
  out.test_error = (n.weight * eps).sum();
  out.train_error = (n.weight * eps * w.square()).sum();
  if (!std::isfinite(out.test_error) || !std::isfinite(out.train_error) || out.test_error < 0.0) {
    out.summary.converged = false;
    out.summary.reason = Termination::kNonFinite;
    out.summary.message = "errors are not finite (or negative) at the fixed point";
  }
}

void check_mapping(const Mapping& mp) {
  if (!(mp.c > 0.0) || !std::isfinite(mp.r) || !(std::abs(mp.gamma) <= 1.0))
    throw InvalidInput("mapping", "needs c > 0, finite r and |γ| ≤ 1");
}

}  // namespace

Mapping map_network(const Spec& spec) {
  validate(spec);
  const Activation& sigma = spec.activation;
  const Activation& link = spec.target;
  if (spec.alpha0 == 0.0 || spec.eta == 0.0) return {};  // no step: plain random features
  GaussianMoments y = gaussian_moments(link, 0.0, 1.0);
  y.second += spec.noise;
  const Mapping m = spiked::map_one_step(sigma, y, spec.alpha0, spec.eta, spec.shrink_correction, spec.noise);
  // An overflow here would surface later as a bare "variance" error: name the flag that caused it.
  if (!std::isfinite(m.r) || !std::isfinite(m.c))
    throw InvalidInput("eta", "too large: the spike strength r or the bulk variance c of the trained features overflows");
  return m;
}

Result solve(const Spec& spec, const SolverOptions& options, const Mapping* given, const SampledSpectrum* sampled,
             Eigen::VectorXd* warm) {
  validate(spec);
  Result out;
  out.mapping = given ? *given : map_network(spec);
  const Mapping& mp = out.mapping;
  check_mapping(mp);
  const Nodes& n = cached_nodes(spec, mp);
  if ((n.weight * n.mu1.square()).sum() <= 1e-14) {
    if (mp.r != 0.0 || mp.c != 1.0)  // the step saturated σ: blame what made the step so strong
      throw InvalidInput(spiked::step_culprit(spec.noise, spec.noise + 1.0, spec.alpha0),
                         "too large for the first gradient step: the trained features (r = " + format_exact(mp.r) +
                             ", c = " + format_exact(mp.c) + ") leave sigma no linear component");
    throw InvalidInput("activation", "σ has no linear component at this (r, c): the equations degenerate");
  }
  const double ap = spec.alpha / spec.beta;  // α_p = n/p
  const MarchenkoPastur law{mp.c, spec.beta};
  auto averages = [&](double Vhat1, double Vhat2) {
    return sampled ? sampled_averages(*sampled, Vhat1, Vhat2, spec.lambda) : seed_free_averages(law, Vhat1, Vhat2, spec.lambda);
  };

  // 1. The closed 2-D system (V1, V2) = T(V1, V2).
  Eigen::ArrayXd w(n.weight.size());
  auto set_w = [&](double V1, double V2) { w = 1.0 / (1.0 + n.mu1.square() * V1 + n.ms2 * V2); };
  const FixedPointMap T = [&](const Eigen::VectorXd& x, Eigen::VectorXd& next) {
    set_w(x[0], x[1]);
    const double Vhat1 = ap * (n.weight * n.mu1.square() * w).sum();
    const double Vhat2 = ap * (n.weight * n.ms2 * w).sum();
    const Averages a = averages(Vhat1, Vhat2);
    next[0] = a.DS;
    next[1] = a.S1;
  };
  Eigen::VectorXd V = Eigen::Vector2d(1.0, 1.0);
  if (warm && warm->size() == 2 && warm->allFinite()) V = *warm;
  out.summary = solve_fixed_point(T, V, options, [](const Eigen::VectorXd& x) { return x[0] >= 0.0 && x[1] >= 0.0; });
  out.summary.method = "sRF reduced: " + out.summary.method;
  if (!out.summary.converged) return out;
  if (warm) *warm = V;
  out.V1 = V[0];
  out.V2 = V[1];
  set_w(V[0], V[1]);
  const double Vhat1 = ap * (n.weight * n.mu1.square() * w).sum();
  const double Vhat2 = ap * (n.weight * n.ms2 * w).sum();
  const Averages a = averages(Vhat1, Vhat2);

  // 2. (τ, m): linear once w is fixed.
  auto E = [&](const Eigen::ArrayXd& f) { return (n.weight * f).sum(); };
  const double a1 = E(w * n.kappa * n.mu1 * n.h0), a2 = E(w * n.kappa * n.mu1 * n.mu0);
  const double a3 = E(w * n.kappa.square() * n.mu1.square());
  const double b1 = E(w * n.mu0 * n.h0), b2 = E(w * n.mu0.square());
  const double AF = a.FS;
  if (b2 <= 1e-14 * E(n.mu1.square())) {  // μ0 ≡ 0 (odd σ, r = 0): m drops out
    out.m = 0.0;
    out.tau = AF * ap * a1 / (1.0 + AF * ap * a3);
  } else {
    Eigen::Matrix2d L;
    L << 1.0 + AF * ap * a3, AF * ap * a2, a2, b2;
    const Eigen::Vector2d sol = L.partialPivLu().solve(Eigen::Vector2d(AF * ap * a1, b1));
    out.tau = sol[0];
    out.m = sol[1];
  }
  const double tau_hat = ap * (a1 - a2 * out.m - a3 * out.tau);
  // 3. ψ, the overlap with the target's orthogonal part.
  const double psi_hat = ap * E(w * n.mu1 * n.h1);
  out.psi = psi_hat * a.HS;
  // 4. (q1, q2): linear system (I − α_p K M) q = α_p K e + k0.
  const Eigen::ArrayXd yhat0 = n.mu0 * out.m + n.mu1 * n.kappa * out.tau;
  const Eigen::ArrayXd e0 = n.h2 - 2.0 * yhat0 * n.h0 + yhat0.square() - 2.0 * n.mu1 * out.psi * n.h1;
  const Eigen::ArrayXd w2 = w.square(), m1 = n.mu1.square();
  const Eigen::Vector2d e(E(w2 * m1 * e0), E(w2 * n.ms2 * e0));
  Eigen::Matrix2d M, K;
  M << E(w2 * m1 * m1), E(w2 * m1 * n.ms2), E(w2 * m1 * n.ms2), E(w2 * n.ms2 * n.ms2);
  K << a.D2S2, a.DS2, a.DS2, a.S2;
  const Eigen::Vector2d k0 = tau_hat * tau_hat * Eigen::Vector2d(a.DFS2, a.FS2) + psi_hat * psi_hat * Eigen::Vector2d(a.DHS2, a.HS2);
  const Eigen::Vector2d q = (Eigen::Matrix2d::Identity() - ap * K * M).partialPivLu().solve(ap * K * e + k0);
  out.q1 = q[0];
  out.q2 = q[1];
  set_errors(n, w, out);
  return out;
}

Result solve_full_iteration(const Spec& spec, const SolverOptions& options, const Mapping* given) {
  validate(spec);
  Result out;
  out.mapping = given ? *given : map_network(spec);
  check_mapping(out.mapping);
  const Nodes& n = cached_nodes(spec, out.mapping);
  const double ap = spec.alpha / spec.beta;
  const MarchenkoPastur law{out.mapping.c, spec.beta};
  auto E = [&](const Eigen::ArrayXd& f) { return (n.weight * f).sum(); };
  const Eigen::ArrayXd m1 = n.mu1.square();
  const double mu0_scale = E(n.mu0.square());
  Eigen::ArrayXd w(n.weight.size()), yhat0(n.weight.size()), eps(n.weight.size());
  // x = (q1, q2, V1, V2, τ, ψ, m): channel side, then prior side (docs/theory/srf.md §2.3), one sweep per map.
  const FixedPointMap G = [&](const Eigen::VectorXd& x, Eigen::VectorXd& next) {
    w = 1.0 / (1.0 + m1 * x[2] + n.ms2 * x[3]);
    yhat0 = n.mu0 * x[6] + n.mu1 * n.kappa * x[4];
    eps = n.h2 - 2.0 * yhat0 * n.h0 + yhat0.square() - 2.0 * n.mu1 * x[5] * n.h1 + m1 * x[0] + n.ms2 * x[1];
    const double qhat1 = ap * E(m1 * eps * w.square()), qhat2 = ap * E(n.ms2 * eps * w.square());
    const double Vhat1 = ap * E(m1 * w), Vhat2 = ap * E(n.ms2 * w);
    const double tau_hat = ap * E(n.kappa * n.mu1 * (n.h0 - yhat0) * w), psi_hat = ap * E(n.mu1 * n.h1 * w);
    const double b2 = E(n.mu0.square() * w);
    const Averages a = seed_free_averages(law, Vhat1, Vhat2, spec.lambda);
    next[0] = qhat1 * a.D2S2 + qhat2 * a.DS2 + tau_hat * tau_hat * a.DFS2 + psi_hat * psi_hat * a.DHS2;
    next[1] = qhat1 * a.DS2 + qhat2 * a.S2 + tau_hat * tau_hat * a.FS2 + psi_hat * psi_hat * a.HS2;
    next[2] = a.DS;
    next[3] = a.S1;
    next[4] = tau_hat * a.FS;
    next[5] = psi_hat * a.HS;
    next[6] = b2 > 1e-14 * std::max(mu0_scale, 1e-300) && mu0_scale > 0.0
                  ? E(n.mu0 * (n.h0 - n.mu1 * n.kappa * x[4]) * w) / b2
                  : 0.0;  // μ0 ≡ 0: m drops out (the notebook divides by zero here)
  };
  Eigen::VectorXd x(7);
  x << 0.1, 0.2, 3.0, 3.0, 0.5, 0.5, 1.5;  // the notebook's initial values (docs/theory/srf.md §6.1)
  out.summary = solve_fixed_point(G, x, options, [](const Eigen::VectorXd& v) { return v[2] >= 0.0 && v[3] >= 0.0; });
  out.summary.method = "sRF full 7-variable: " + out.summary.method;
  if (!out.summary.converged) return out;
  out.q1 = x[0];
  out.q2 = x[1];
  out.V1 = x[2];
  out.V2 = x[3];
  out.tau = x[4];
  out.psi = x[5];
  out.m = x[6];
  w = 1.0 / (1.0 + m1 * out.V1 + n.ms2 * out.V2);
  set_errors(n, w, out);
  return out;
}

SpectrumChoice parse_spectrum(const std::string& text) {
  SpectrumChoice choice;
  if (text == "seed-free") return choice;
  if (parse_size_and_seed(text, "sampled", choice.d, choice.seed)) {
    choice.sampled = true;
    return choice;
  }
  throw InvalidInput("spectrum", "must be seed-free or sampled:D:SEED, got '" + text + "'");
}

}  // namespace rmtsolve::srf
