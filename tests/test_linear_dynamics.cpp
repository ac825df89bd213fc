// Exact dynamics of shallow linear networks (equations/linear_dynamics, docs/theory/dynamics.md §1): every
// closed form against an independent route (direct integration of the raw gradient flow, the
// note's own formulas, quadrature, numerical Bregman projection) and against docs/theory/dynamics.md's tables.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ceres/ceres.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "equations/linear_dynamics/linear_dynamics.hpp"
#include "rmtsolve/core/error.hpp"

using namespace rmtsolve;
using namespace rmtsolve::linear_dynamics;

namespace {

// ---------------------------------------------------------------------------------------------
// §1.1 width model: the raw gradient flow u̇ = −η_u κ v (F − c), v̇ = −η_w κ u (F − c), plus
// τ̇ = κ (c − F), integrated by odeint.
struct WidthOde {
  Eigen::MatrixXd u, v;  // neurons × times
  std::vector<double> F, Theta, tau;
};

WidthOde integrate_width(const ScalarWidthModel& m, const std::vector<double>& t) {
  const auto d = m.u0.size();
  OdeState x0(static_cast<std::size_t>(2 * d + 1), 0.0);
  Eigen::Map<Eigen::VectorXd>(x0.data(), d) = m.u0;
  Eigen::Map<Eigen::VectorXd>(x0.data() + d, d) = m.w0;
  auto rhs = [&](const OdeState& x, OdeState& dx, double) {
    const Eigen::Map<const Eigen::VectorXd> u(x.data(), d), v(x.data() + d, d);
    const double r = m.kappa * u.dot(v) - m.c;
    Eigen::Map<Eigen::VectorXd>(dx.data(), d) = -m.eta_u * m.kappa * r * v;
    Eigen::Map<Eigen::VectorXd>(dx.data() + d, d) = -m.eta_w * m.kappa * r * u;
    dx[static_cast<std::size_t>(2 * d)] = -m.kappa * r;
  };
  const OdeSolution sol = integrate_at(rhs, x0, t, {1e-13, 1e-15});
  EXPECT_TRUE(sol.summary.converged) << sol.summary.brief();
  WidthOde out;
  out.u.resize(d, static_cast<Eigen::Index>(t.size()));
  out.v.resizeLike(out.u);
  for (std::size_t j = 0; j < sol.states.size(); ++j) {
    const Eigen::Map<const Eigen::VectorXd> u(sol.states[j].data(), d), v(sol.states[j].data() + d, d);
    out.u.col(static_cast<Eigen::Index>(j)) = u;
    out.v.col(static_cast<Eigen::Index>(j)) = v;
    out.F.push_back(m.kappa * u.dot(v));
    out.Theta.push_back(m.kappa * m.kappa * (m.eta_w * u.squaredNorm() + m.eta_u * v.squaredNorm()));
    out.tau.push_back(sol.states[j][static_cast<std::size_t>(2 * d)]);
  }
  return out;
}

ScalarWidthModel drawn(int d, double kappa, double eta_u, double eta_w, double c, double sigma_u, double sigma_w,
                       std::uint64_t seed) {
  const Init init = gaussian_init(d, sigma_u, sigma_w, seed);
  return {init.u0, init.w0, kappa, eta_u, eta_w, c};
}

// Checks closed form against the integrated flow at t = factors × (a time scale of the run).
void expect_matches_flow(const ScalarWidthModel& m, const std::string& label) {
  const Collective k = collective_of(m);
  const Phase ph = phase_of(k);
  const double scale_t = std::isfinite(ph.t_learn) && ph.t_learn > 0.0 ? ph.t_learn : 1.0 / std::max(k.Theta0, 1e-3);
  std::vector<double> t;
  for (double f : {0.0, 0.3, 1.0, 2.0, 5.0}) t.push_back(f * scale_t);
  const Trajectory tr = trajectory(m, t);
  ASSERT_TRUE(tr.summary.converged) << label;
  const WidthOde ode = integrate_width(m, t);
  const double F_scale = std::max({std::fabs(m.c), std::fabs(k.F0), 1e-300});
  const double Theta_scale = std::max(k.Theta0, ph.theta_inf);
  const double neuron_scale = std::max({tr.u.cwiseAbs().maxCoeff(), tr.w.cwiseAbs().maxCoeff(), 1e-300});
  for (std::size_t j = 0; j < t.size(); ++j) {
    const auto col = static_cast<Eigen::Index>(j);
    EXPECT_NEAR(tr.F[j], ode.F[j], 1e-9 * F_scale) << label << " t=" << t[j];
    EXPECT_NEAR(tr.Theta[j], ode.Theta[j], 1e-9 * Theta_scale) << label << " t=" << t[j];
    EXPECT_NEAR(k.omega * tr.tau[j], k.omega * ode.tau[j], 1e-9 * (1.0 + std::fabs(k.omega * ode.tau[j]))) << label;
    EXPECT_NEAR(tr.loss[j], 0.5 * std::pow(ode.F[j] - m.c, 2), 1e-9 * F_scale * F_scale) << label;
    EXPECT_LE((tr.u.col(col) - ode.u.col(col)).cwiseAbs().maxCoeff(), 1e-9 * neuron_scale) << label << " t=" << t[j];
    EXPECT_LE((tr.w.col(col) - ode.v.col(col)).cwiseAbs().maxCoeff(), 1e-9 * neuron_scale) << label << " t=" << t[j];
    // δ_i = η_w u_i² − η_u v_i² is conserved by the flow itself and by the closed form.
    const Eigen::VectorXd delta_ode = m.eta_w * ode.u.col(col).array().square() - m.eta_u * ode.v.col(col).array().square();
    const Eigen::VectorXd delta_cf = m.eta_w * tr.u2.col(col) - m.eta_u * tr.w2.col(col);
    const double ds = (m.eta_w + m.eta_u) * neuron_scale * neuron_scale;
    EXPECT_LE((delta_ode - tr.delta).cwiseAbs().maxCoeff(), 1e-9 * ds) << label;
    EXPECT_LE((delta_cf - tr.delta).cwiseAbs().maxCoeff(), 1e-12 * ds) << label;
  }
}

}  // namespace

TEST(LinearDynamicsWidth, ClosedFormMatchesGradientFlowOverRandomSettings) {
  std::mt19937_64 rng(20240107);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  const int widths[] = {1, 3, 10, 100};
  for (int trial = 0; trial < 16; ++trial) {
    const int d = widths[trial % 4];
    const double kappa = std::pow(10.0, -2.0 * U(rng)), eta_u = std::pow(10.0, U(rng) - 0.5),
                 eta_w = std::pow(10.0, U(rng) - 0.5);
    const double c = (U(rng) < 0.5 ? -1.0 : 1.0) * (0.2 + 3.0 * U(rng));
    const double su = std::pow(10.0, 1.7 * U(rng) - 1.5), sw = std::pow(10.0, 1.7 * U(rng) - 1.5);
    expect_matches_flow(drawn(d, kappa, eta_u, eta_w, c, su, sw, 100 + trial), "trial " + std::to_string(trial));
  }
}

TEST(LinearDynamicsWidth, ClosedFormMatchesGradientFlowInEveryBranch) {
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(4), mixed = (Eigen::VectorXd(4) << 1.0, -0.5, 0.3, 2.0).finished();
  // coth branch: F_0 beyond the target, same sign.
  ScalarWidthModel beyond{ones, ones, 1.0, 1.0, 0.5, 1.0};
  ASSERT_GT(collective_of(beyond).F0, beyond.c);
  expect_matches_flow(beyond, "coth branch");
  // F_0 far on the wrong side, target negative, unequal rates.
  expect_matches_flow({mixed, -3.0 * mixed, 0.7, 2.0, 0.3, -1.5}, "F0 << 0 < c mirrored");
  // Δ = 0: balanced (√η_w u = √η_u v) neurons with p_i > 0 → logistic; and all p_i < 0 → stuck at 0.
  const Eigen::VectorXd small = 0.01 * (Eigen::VectorXd(3) << 1.0, 2.0, 0.5).finished();
  expect_matches_flow({small, 2.0 * small, 1.0, 1.0, 4.0, 2.0}, "Delta = 0 logistic");
  expect_matches_flow({small, -2.0 * small, 1.0, 1.0, 4.0, 2.0}, "Delta = 0 wrong sign");
  // ω = 0 (frozen first layer) is exactly lazy; c = 0 from a mixed start.
  expect_matches_flow({mixed, ones, 0.5, 1.0, 0.0, 1.0}, "omega = 0");
  expect_matches_flow({mixed, ones, 0.5, 1.0, 1.0, 0.0}, "c = 0");
  // Rich: tiny initialisation, long plateau.
  expect_matches_flow(drawn(10, 1.0, 1.0, 1.0, 1.0, 1e-3, 1e-3, 5), "rich small init");
}

TEST(LinearDynamicsWidth, OutputFollowsFormula13AndNeuronsFollowFormula11) {
  // (1.3) literally: tanh branch for |x_0| < 1, coth branch for x_0 > 1.
  for (double F0 : {-2.0, -0.3, 0.1, 0.9, 1.7, 5.0}) {
    const double kappa = 0.8, eta_u = 1.3, eta_w = 0.6, c = 1.2, Theta0 = 10.0;
    const Collective k = collective_of(F0, Theta0, kappa, eta_u, eta_w, c);
    const double w = k.omega, D = k.Delta, psi0 = std::asinh(w * kappa * F0 / D), A = w * kappa * c,
                 R = std::sqrt(A * A + D * D), x0 = (D * std::exp(psi0) - A) / R;
    for (double t : {0.05, 0.3, 1.0, 3.0}) {
      const double T = std::fabs(x0) < 1.0 ? std::tanh(R * t / 2 + std::atanh(x0)) : 1.0 / std::tanh(R * t / 2 + std::atanh(1.0 / x0));
      const double psi = std::log((A + R * T) / D);
      const OutputState o = output_at(k, t);
      EXPECT_NEAR(o.F, D / (w * kappa) * std::sinh(psi), 1e-11 * (1 + std::fabs(F0))) << "F0=" << F0 << " t=" << t;
      EXPECT_NEAR(o.Theta, D * std::cosh(psi), 1e-11 * Theta0) << "F0=" << F0 << " t=" << t;
      EXPECT_NEAR(o.tau, (psi - psi0) / w, 1e-11) << "F0=" << F0 << " t=" << t;
      EXPECT_NEAR(o.Theta * o.Theta, D * D + std::pow(w * kappa * o.F, 2), 1e-10 * Theta0 * Theta0);  // (1.2)
    }
  }
  // Δ = 0 logistic, as printed in §1.1.
  const Collective k = collective_of(0.02, 2.0 * 0.5 * 0.02, 0.5, 1.0, 1.0, 1.5);
  ASSERT_NEAR(k.Delta, 0.0, 1e-15);  // the two terms of Δ cancel up to rounding
  for (double t : {0.5, 3.0, 10.0})
    EXPECT_NEAR(output_at(k, t).F, 1.5 / (1.0 + (1.5 / 0.02 - 1.0) * std::exp(-2.0 * 0.5 * 1.5 * t)), 1e-13);
  // (1.1): p_i(τ) = p_i(0) cosh ωτ + (K_i(0)/ω) sinh ωτ.
  const ScalarWidthModel m = drawn(6, 0.4, 0.7, 1.9, -1.0, 0.8, 0.5, 3);
  const Trajectory tr = trajectory(m, {0.2, 1.0, 4.0});
  for (int j = 0; j < 3; ++j) {
    const double wt = tr.collective.omega * tr.tau[static_cast<std::size_t>(j)];
    for (int i = 0; i < 6; ++i) {
      const double p0 = m.u0[i] * m.w0[i], K0 = m.eta_w * m.u0[i] * m.u0[i] + m.eta_u * m.w0[i] * m.w0[i];
      EXPECT_NEAR(tr.p(i, j), p0 * std::cosh(wt) + K0 / tr.collective.omega * std::sinh(wt), 1e-12 * (1 + std::fabs(tr.p(i, j))));
    }
    EXPECT_NEAR(tr.F[static_cast<std::size_t>(j)], m.kappa * tr.p.col(j).sum(), 1e-12);
  }
}

TEST(LinearDynamicsWidth, ReferenceTableRowsThroughTheirDefiningFormulas) {
  // docs/theory/dynamics.md §1.1 table.  F_0 and Θ_0 come from numpy draws; given them, Θ_∞, the relative NTK
  // change, ρ and t_conv (first t with L < 1e-6 L(0)) follow from (1.3)/(1.4).  The tolerance is
  // the spread of each quantity over the rounding box of the printed F_0, Θ_0, plus the rounding of
  // the printed column (below).
  struct Row {
    int d;
    int param;  // 0 NTK (κ=d^-½, η=1), 1 μP (κ=1/d, η=d), both σ as printed
    double F0, Theta0, Theta_inf, change, rho, t_conv;
    double ulp_F0, ulp_Theta0, ulp_inf, ulp_change, ulp_rho, ulp_t;
  };
  const Row rows[] = {
      {10, 0, -1.20525, 1.51509, 1.45411, -4.03e-2, 0.417, 4.894, 1e-5, 1e-5, 1e-5, 1e-4, 1e-3, 1e-3},
      {100, 0, 0.46889, 1.84820, 1.85662, 4.56e-3, 0.108, 3.724, 1e-5, 1e-5, 1e-5, 1e-5, 1e-3, 1e-3},
      {1000, 0, 1.86981, 2.00236, 1.99987, -1.25e-3, 0.032, 3.454, 1e-5, 1e-5, 1e-5, 1e-5, 1e-3, 1e-3},
      {10000, 0, -1.43455, 1.98423, 1.98412, -5.37e-5, 0.010, 3.482, 1e-5, 1e-5, 1e-5, 1e-7, 1e-3, 1e-3},
      {10, 1, -0.38113, 1.51509, 2.39049, 0.578, 1.320, 3.349, 1e-5, 1e-5, 1e-5, 1e-3, 1e-3, 1e-3},
      {100, 1, 0.04689, 1.84820, 2.72159, 0.473, 1.082, 2.737, 1e-5, 1e-5, 1e-5, 1e-3, 1e-3, 1e-3},
      {1000, 1, 0.05913, 2.00236, 2.82763, 0.412, 0.999, 2.613, 1e-5, 1e-5, 1e-5, 1e-3, 1e-3, 1e-3},
      {10000, 1, -0.01435, 1.98423, 2.81715, 0.420, 1.008, 2.636, 1e-5, 1e-5, 1e-5, 1e-3, 1e-3, 1e-3},
      {10, 0, -0.01205, 0.01515, 0.63259, 40.7, 41.7, 18.97, 1e-5, 1e-5, 1e-5, 0.1, 0.1, 1e-2},
      {100, 0, 0.00469, 0.01848, 0.20085, 9.87, 10.8, 49.06, 1e-5, 1e-5, 1e-5, 1e-2, 0.1, 1e-2},
      {1000, 0, 0.01870, 0.02002, 0.06633, 2.31, 3.16, 128.0, 1e-5, 1e-5, 1e-5, 1e-2, 1e-2, 0.1},
      {10000, 0, -0.01435, 0.01984, 0.02817, 0.420, 1.008, 263.6, 1e-5, 1e-5, 1e-5, 1e-3, 1e-3, 0.1},
  };
  for (const Row& r : rows) {
    const double kappa = r.param == 0 ? 1.0 / std::sqrt(r.d) : 1.0 / r.d, eta = r.param == 0 ? 1.0 : r.d;
    auto quantities = [&](double F0, double Theta0) {
      const Phase p = phase_of(collective_of(F0, Theta0, kappa, eta, eta, 1.0));
      return std::vector<double>{p.theta_inf, p.theta_ratio - 1.0, p.rho, time_to_residual(collective_of(F0, Theta0, kappa, eta, eta, 1.0), 1e-3)};
    };
    const std::vector<double> centre = quantities(r.F0, r.Theta0);
    std::vector<double> spread(4, 0.0);
    for (double sF : {-0.5, 0.5})
      for (double sT : {-0.5, 0.5}) {
        const auto q = quantities(r.F0 + sF * r.ulp_F0, r.Theta0 + sT * r.ulp_Theta0);
        for (int i = 0; i < 4; ++i) spread[i] = std::max(spread[i], std::fabs(q[i] - centre[i]));
      }
    const double printed[] = {r.Theta_inf, r.change, r.rho, r.t_conv};
    const double ulp[] = {r.ulp_inf, r.ulp_change, r.ulp_rho, r.ulp_t};
    const char* names[] = {"Theta_inf", "Theta_inf/Theta_0 - 1", "rho", "t_conv"};
    // Θ_∞ and ρ: the printed value rounded to its digits.  Θ_∞/Θ_0 − 1: one unit, because the d = 10
    // NTK row prints −4.03e-2 where its own Θ_∞ and Θ_0 columns give 1.45411/1.51509 − 1 = −4.025e-2.
    // t_conv: the note took the first point of a time grid past the crossing, so its values sit at
    // or up to one printed unit above the exact crossing time.
    const double below[] = {0.5, 1.0, 0.5, 0.5}, above[] = {0.5, 1.0, 0.5, 1.0};
    for (int i = 0; i < 4; ++i) {
      EXPECT_GE(printed[i] - centre[i], -(spread[i] + below[i] * ulp[i])) << names[i] << " d=" << r.d << " param=" << r.param;
      EXPECT_LE(printed[i] - centre[i], spread[i] + above[i] * ulp[i]) << names[i] << " d=" << r.d << " param=" << r.param;
    }
  }
}

TEST(LinearDynamicsWidth, DrawnInitialisationMatchesTypicalValuesWithinStandardErrors) {
  // (1.5): Θ_0 has mean κ²d(η_wσ_u² + η_uσ_w²) and variance 2κ⁴d(η_w²σ_u⁴ + η_u²σ_w⁴); F_0 has mean 0
  // and variance κ²dσ_u²σ_w².  400 independent draws; 4 standard errors.
  const int d = 500, seeds = 400;
  const GaussianScaling s{static_cast<double>(d), 0.3, 0.7, 1.6, 0.9, 0.4, 1.0};
  const TypicalPhase typical = typical_phase(s);
  double sum_T = 0, sum_z = 0, sum_z2 = 0;
  for (int seed = 0; seed < seeds; ++seed) {
    const Collective k = collective_of(drawn(d, s.kappa, s.eta_u, s.eta_w, s.c, s.sigma_u, s.sigma_w, static_cast<std::uint64_t>(seed)));
    sum_T += k.Theta0;
    const double z = k.F0 / typical.F0_sd;
    sum_z += z;
    sum_z2 += z * z;
  }
  const double k4 = std::pow(s.kappa, 4);
  const double sd_T = std::sqrt(2.0 * k4 * d * (std::pow(s.eta_w * s.sigma_u * s.sigma_u, 2) + std::pow(s.eta_u * s.sigma_w * s.sigma_w, 2)));
  EXPECT_NEAR(sum_T / seeds, typical.Theta0, 4.0 * sd_T / std::sqrt(seeds));
  EXPECT_NEAR(sum_z / seeds, 0.0, 4.0 / std::sqrt(seeds));
  // Var z² of a sum of d products u v: 2 + 6/d (kurtosis of u v is 9).
  EXPECT_NEAR(sum_z2 / seeds, 1.0, 4.0 * std::sqrt((2.0 + 6.0 / d) / seeds));
  // Same seed → same draws; another seed → different ones.
  EXPECT_EQ(gaussian_init(7, 1, 1, 3).u0, gaussian_init(7, 1, 1, 3).u0);
  EXPECT_NE(gaussian_init(7, 1, 1, 3).w0, gaussian_init(7, 1, 1, 4).w0);
  EXPECT_EQ(parse_init("gaussian:3", 7, 1, 1).w0, gaussian_init(7, 1, 1, 3).w0);
}

TEST(LinearDynamicsWidth, RichPlateauAndLateRate) {
  // ρ ≫ 1: the exact half-time approaches (1.4)'s plateau length (1/A) ln(A/max(Δ, ωκ|F_0|)).
  for (double eps : {1e-3, 1e-5, 1e-8, 1e-12}) {
    const Collective k = collective_of(0.3 * eps, eps, 1.0, 1.0, 1.0, 1.0);
    const Phase p = phase_of(k);
    ASSERT_TRUE(std::isfinite(p.t_plateau));
    EXPECT_NEAR(p.t_learn * 2.0 - std::log(2.0 / std::max(k.Delta, 2.0 * 0.3 * eps)), 0.0, 1.5) << eps;
    if (eps <= 1e-8) EXPECT_NEAR(p.t_learn / p.t_plateau, 1.0, 0.1) << eps;
  }
  // Late times: F − c ∝ e^{−Θ_∞ t}, read off the closed form's residual at 1e-100-level accuracy.
  const Collective k = collective_of(drawn(20, 0.5, 1.0, 2.0, -1.3, 0.4, 0.7, 11));
  const double Tinf = phase_of(k).theta_inf, t1 = 40.0 / Tinf, t2 = 60.0 / Tinf;
  const double rate = -std::log(output_at(k, t2).residual / output_at(k, t1).residual) / (t2 - t1);
  EXPECT_NEAR(rate, Tinf, 1e-9 * Tinf);
  EXPECT_NEAR(output_at(k, 1e3 / Tinf).Theta, Tinf, 1e-12 * Tinf);
  // Θ_∞/Θ_0 from (1.4)'s closed expression.
  const Phase p = phase_of(k);
  EXPECT_NEAR(p.theta_ratio, std::sqrt(1.0 + p.rho * p.rho * (1.0 - k.F0 * k.F0 / (k.c * k.c))), 1e-12);
}

TEST(LinearDynamicsWidth, VectorInputKernelBlocksMatchTheFullFlow) {
  const int d = 6, D = 4;
  std::mt19937_64 rng(9);
  std::normal_distribution<double> N(0.0, 1.0);
  VectorInputModel m;
  m.u0 = Eigen::VectorXd::NullaryExpr(d, [&] { return 0.5 * N(rng); });
  m.W0 = Eigen::MatrixXd::NullaryExpr(d, D, [&] { return 0.5 * N(rng); });
  m.e = Eigen::VectorXd::NullaryExpr(D, [&] { return N(rng); });
  m.kappa = 0.7;
  m.eta_u = 1.5;
  m.eta_w = 0.8;
  m.c = 2.0;
  const Eigen::VectorXd e = m.e.normalized();
  // Gradient flow of ½(κ Σ u_i w_i·e − c)² in (u, W) ∈ ℝ^d × ℝ^{d×D}.
  OdeState x0(static_cast<std::size_t>(d + d * D));
  Eigen::Map<Eigen::VectorXd>(x0.data(), d) = m.u0;
  Eigen::Map<Eigen::MatrixXd>(x0.data() + d, d, D) = m.W0;
  auto rhs = [&](const OdeState& x, OdeState& dx, double) {
    const Eigen::Map<const Eigen::VectorXd> u(x.data(), d);
    const Eigen::Map<const Eigen::MatrixXd> W(x.data() + d, d, D);
    const double r = m.kappa * u.dot(W * e) - m.c;
    Eigen::Map<Eigen::VectorXd>(dx.data(), d) = -m.eta_u * m.kappa * r * (W * e);
    Eigen::Map<Eigen::MatrixXd>(dx.data() + d, d, D) = -m.eta_w * m.kappa * r * u * e.transpose();
  };
  const std::vector<double> t{0.0, 0.2, 1.0, 5.0};
  const OdeSolution sol = integrate_at(rhs, x0, t, {1e-13, 1e-15});
  ASSERT_TRUE(sol.summary.converged);
  const auto blocks = kernel_blocks(m, t);
  const Eigen::MatrixXd P = Eigen::MatrixXd::Identity(D, D) - e * e.transpose();
  for (std::size_t j = 0; j < t.size(); ++j) {
    const Eigen::Map<const Eigen::VectorXd> u(sol.states[j].data(), d);
    const Eigen::Map<const Eigen::MatrixXd> W(sol.states[j].data() + d, d, D);
    const Eigen::MatrixXd M = m.kappa * m.kappa * (m.eta_u * W.transpose() * W + m.eta_w * u.squaredNorm() * Eigen::MatrixXd::Identity(D, D));
    EXPECT_LE((ntk_matrix(m, t[j]) - M).cwiseAbs().maxCoeff(), 1e-10 * M.norm());
    EXPECT_NEAR(blocks[j].ee, e.dot(M * e), 1e-10 * M.norm());
    EXPECT_LE((blocks[j].e_perp - P * M * e).norm(), 1e-10 * M.norm());
    EXPECT_NEAR(blocks[j].e_perp_norm, (P * M * e).norm(), 1e-10 * M.norm());
    // ⊥–⊥ block: frozen part plus the isotropic term; and the flow indeed leaves W P frozen.
    const Eigen::MatrixXd frozen = m.kappa * m.kappa * m.eta_u * P * m.W0.transpose() * m.W0 * P;
    EXPECT_LE((P * M * P - frozen - blocks[j].perp_isotropic * P).cwiseAbs().maxCoeff(), 1e-10 * M.norm());
    EXPECT_LE((W * P - m.W0 * P).cwiseAbs().maxCoeff(), 1e-11);
  }
}

TEST(LinearDynamicsWidth, InvalidInputIsRejected) {
  const Eigen::VectorXd two = Eigen::VectorXd::Ones(2), three = Eigen::VectorXd::Ones(3);
  EXPECT_THROW(collective_of(ScalarWidthModel{two, three}), InvalidInput);
  EXPECT_THROW(collective_of(ScalarWidthModel{two, two, 0.0}), InvalidInput);
  EXPECT_THROW(collective_of(ScalarWidthModel{two, two, 1.0, -1.0}), InvalidInput);
  EXPECT_THROW(collective_of(ScalarWidthModel{two, two, 1.0, 1.0, 1.0, std::nan("")}), InvalidInput);
  EXPECT_THROW(collective_of(1.0, 0.5, 1.0, 1.0, 1.0, 1.0), InvalidInput);  // Θ_0 < ωκ|F_0|
  EXPECT_THROW(trajectory(ScalarWidthModel{two, two}, {-1.0}), InvalidInput);
  EXPECT_THROW(time_to_residual(collective_of(ScalarWidthModel{two, two}), 0.0), InvalidInput);
  for (const char* bad : {"gauss:1", "gaussian:", "gaussian:-1", "gaussian:1x", "1"}) {
    try {
      parse_init(bad, 3, 1, 1);
      ADD_FAILURE() << bad;
    } catch (const InvalidInput& e) {
      EXPECT_EQ(e.parameter(), "init");
    }
  }
  VectorInputModel v{two, Eigen::MatrixXd::Ones(2, 3), Eigen::VectorXd::Ones(2)};
  EXPECT_THROW(kernel_blocks(v, {1.0}), InvalidInput);
}

TEST(LinearDynamicsPhase, ParametrisationsGiveTheLimitsOfTheNote) {
  for (double d : {10.0, 1e3, 1e6}) {
    // NTK: ρ = |c|/√d → 0;  mean-field / μP: ρ = |c| for every d (docs/theory/dynamics.md §1.1 table of knobs).
    const TypicalPhase ntk = typical_phase({d, 1.0 / std::sqrt(d), 1.0, 1.0, 1.0, 1.0, 2.0});
    const TypicalPhase mup = typical_phase({d, 1.0 / d, d, d, 1.0, 1.0, 2.0});
    EXPECT_NEAR(ntk.rho, 2.0 / std::sqrt(d), 1e-12 * ntk.rho);
    EXPECT_NEAR(mup.rho, 2.0, 1e-12);
    EXPECT_NEAR(mup.theta_ratio, std::sqrt(5.0), 1e-12);
  }
  const GaussianScaling ones{1000.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
  EXPECT_NEAR(rho_exponent({-0.5, 0, 0, 0, 0}, ones), -0.5, 1e-15);
  EXPECT_NEAR(rho_exponent({-1.0, 1, 1, 0, 0}, ones), 0.0, 1e-15);
  EXPECT_NEAR(rho_exponent({-0.5, 0, 0, -0.5, -0.5}, ones), 0.5, 1e-15);  // NTK with σ ∝ d^{-1/2}: rich
  EXPECT_EQ(limit_regime_code(rho_exponent({-0.5, 0, 0, 0, 0}, ones)), 0);
  EXPECT_EQ(limit_regime_code(rho_exponent({-1.0, 1, 1, 0, 0}, ones)), 1);
  EXPECT_EQ(limit_regime_code(rho_exponent({-0.5, 0, 0, -0.5, -0.5}, ones)), 2);
  // The exponent is the slope of ln ρ in ln d.
  const Exponents a{-0.3, 0.4, 0.9, -0.2, 0.1};
  auto rho_at = [&](double d) {
    return typical_phase({d, 1.3 * std::pow(d, a.kappa), 0.7 * std::pow(d, a.eta_u), 2.0 * std::pow(d, a.eta_w),
                          0.5 * std::pow(d, a.sigma_u), 1.1 * std::pow(d, a.sigma_w), 1.0}).rho;
  };
  // (the sub-leading term of the max is d^{-0.1} smaller, hence the huge d)
  EXPECT_NEAR(std::log(rho_at(1e62) / rho_at(1e60)) / std::log(100.0), rho_exponent(a, {1, 1.3, 0.7, 2.0, 0.5, 1.1, 1.0}), 1e-5);
  // ρ ∝ 1/σ², ∝ 1/κ; at fixed η_uη_w it peaks at η_w/η_u = σ_w²/σ_u².
  const TypicalPhase base = typical_phase({100, 0.2, 1.0, 1.0, 0.5, 0.5, 1.0});
  EXPECT_NEAR(typical_phase({100, 0.2, 1.0, 1.0, 0.25, 0.25, 1.0}).rho, 4.0 * base.rho, 1e-12 * base.rho);
  EXPECT_NEAR(typical_phase({100, 0.1, 1.0, 1.0, 0.5, 0.5, 1.0}).rho, 2.0 * base.rho, 1e-12 * base.rho);
  const double su = 0.5, sw = 1.5, best = sw * sw / (su * su);
  auto rho_ratio = [&](double lam) { return typical_phase({100, 1.0, 1.0 / std::sqrt(lam), std::sqrt(lam), su, sw, 1.0}).rho; };
  EXPECT_GT(rho_ratio(best), rho_ratio(best * 1.05));
  EXPECT_GT(rho_ratio(best), rho_ratio(best / 1.05));
  // Regime codes and the typical value against a large drawn network.
  EXPECT_EQ(regime_code(0.05), 0);
  EXPECT_EQ(regime_code(1.0), 1);
  EXPECT_EQ(regime_code(50.0), 2);
  const double d = 20000;
  const Phase drawn_phase = phase_of(collective_of(drawn(20000, 1.0 / d, d, d, 1.0, 1.0, 1.0, 1)));
  EXPECT_NEAR(drawn_phase.rho, typical_phase({d, 1.0 / d, d, d, 1.0, 1.0, 1.0}).rho, 0.05);
}

// ---------------------------------------------------------------------------------------------
// §1.2 Kunin's single neuron.
namespace {

Eigen::Vector2d v2(double x, double y) { return {x, y}; }

SingleNeuron fig2(double delta) { return neuron_from_delta(delta, v2(-1, 0), Eigen::Matrix2d::Identity(), v2(0, 1)); }

// (1.7) exactly as written in docs/theory/dynamics.md (unit rates, Σ = I, tanh branch).
void formula_17(const SingleNeuron& n, double t, double& a, Eigen::VectorXd& beta) {
  const Eigen::VectorXd& bs = n.b;
  const double s = bs.norm(), delta = n.a0 * n.a0 - n.w0.squaredNorm();
  const Eigen::VectorXd r0 = n.w0 / n.a0;
  const double nu0 = r0.dot(bs), D = std::sqrt(delta * delta + 4 * s * s), Q0 = std::atanh((delta + 2 * nu0) / D);
  const double E = std::exp(delta * t / 2) * std::cosh(D * t / 2 + Q0) / std::cosh(Q0);
  const double I1 = (std::exp(Q0) * (std::exp((delta + D) * t / 2) - 1) / ((delta + D) / 2) +
                     std::exp(-Q0) * (std::exp((delta - D) * t / 2) - 1) / ((delta - D) / 2)) / (2 * std::cosh(Q0));
  const double first = delta == 0.0 ? t : (std::exp(delta * t) - 1) / delta;
  const double I2 = (first + 0.5 * (std::exp(2 * Q0) * (std::exp((delta + D) * t) - 1) / (delta + D) +
                                    std::exp(-2 * Q0) * (std::exp((delta - D) * t) - 1) / (delta - D))) /
                    (2 * std::cosh(Q0) * std::cosh(Q0));
  const Eigen::VectorXd r = (r0 + bs * I1) / E;
  const double inv_a2 = (1 / (n.a0 * n.a0) + 2 * I2) / (E * E);
  a = std::copysign(1.0 / std::sqrt(inv_a2), n.a0);
  beta = r / inv_a2;
}

}  // namespace

TEST(LinearDynamicsNeuron, ClosedFormMatchesOdeOverRandomSettings) {
  std::mt19937_64 rng(33);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  std::normal_distribution<double> N(0.0, 1.0);
  const int dims[] = {1, 2, 3, 5};
  int crossings = 0;
  for (int trial = 0; trial < 16; ++trial) {
    const int D = dims[trial % 4];
    SingleNeuron n;
    n.w0 = Eigen::VectorXd::NullaryExpr(D, [&] { return N(rng); });
    n.b = Eigen::VectorXd::NullaryExpr(D, [&] { return N(rng); });
    n.a0 = N(rng);
    if (trial % 3 == 0) {  // small a_0 of the wrong sign: a passes through 0
      n.a0 = -0.05;
      n.b = n.w0 + 0.3 * n.b;
    }
    n.Sigma = std::pow(10.0, U(rng) - 0.5) * Eigen::MatrixXd::Identity(D, D);
    n.eta_a = std::pow(10.0, U(rng) - 0.5);
    n.eta_w = std::pow(10.0, U(rng) - 0.5);
    const std::vector<double> t{0.0, 0.3, 1.0, 3.0, 10.0};
    const NeuronTrajectory cf = single_neuron_trajectory(n, t, NeuronMethod::kClosedForm);
    const NeuronTrajectory ode = single_neuron_trajectory(n, t, NeuronMethod::kOde);
    ASSERT_TRUE(cf.summary.converged && ode.summary.converged);
    if (cf.states.back().a * n.a0 < 0) ++crossings;
    const double scale = std::max({std::fabs(n.a0), n.w0.norm(), cf.states.back().w.norm(), std::fabs(cf.states.back().a)});
    for (std::size_t j = 0; j < t.size(); ++j) {
      EXPECT_NEAR(cf.states[j].a, ode.states[j].a, 1e-9 * scale) << trial << " t=" << t[j];
      EXPECT_LE((cf.states[j].w - ode.states[j].w).norm(), 1e-9 * scale) << trial << " t=" << t[j];
      EXPECT_LE((cf.states[j].beta - ode.states[j].beta).norm(), 1e-9 * scale * scale) << trial;
      // δ is conserved on both routes.
      const double dj = n.eta_w * std::pow(ode.states[j].a, 2) - n.eta_a * ode.states[j].w.squaredNorm();
      EXPECT_NEAR(dj, cf.delta, 1e-9 * (n.eta_a + n.eta_w) * scale * scale);
    }
  }
  EXPECT_GE(crossings, 3);  // the zero crossings of a, where (1.7) does not apply, were exercised
}

TEST(LinearDynamicsNeuron, ClosedFormEqualsFormula17) {
  for (double delta : {-4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0})
    for (double t : {0.5, 1.0, 2.0, 5.0}) {
      const SingleNeuron n = fig2(delta);
      double a = 0;
      Eigen::VectorXd beta;
      formula_17(n, t, a, beta);
      const NeuronState s = single_neuron_trajectory(n, {t}).states[0];
      EXPECT_NEAR(s.a, a, 1e-11) << delta << " " << t;
      EXPECT_LE((s.beta - beta).norm(), 1e-11) << delta << " " << t;
    }
}

TEST(LinearDynamicsNeuron, Figure2ReferenceTable) {
  struct Row {
    double delta, t, beta1, beta2, a, S;
  };
  const Row rows[] = {{-4, 1, -0.075750, 0.005005, 0.037951, 0.0055}, {-4, 10, -0.407757, 0.228115, 0.232058, 0.2233},
                      {-2, 1, -0.240042, 0.050049, 0.172116, 0.0432}, {-2, 5, -0.454384, 0.527904, 0.467617, 0.4414},
                      {-1, 2, -0.398963, 0.375221, 0.491522, 0.2763}, {0, 1, -0.404644, 0.475538, 0.790189, 0.1160},
                      {0, 10, -0.000091, 1.000000, 1.000000, 0.2000}, {1, 1, -0.235045, 0.766069, 1.201880, 0.0386},
                      {2, 1, -0.101182, 0.908559, 1.534564, 0.0109}, {4, 1, -0.015239, 0.986567, 2.056732, 0.0014},
                      {4, 200, 0.0, 1.0, 2.058171, 0.0015}};  // the t = ∞ row
  for (const Row& r : rows) {
    const NeuronTrajectory tr = single_neuron_trajectory(fig2(r.delta), {r.t});
    ASSERT_TRUE(tr.summary.converged);
    const NeuronState& s = tr.states[0];
    EXPECT_NEAR(s.beta[0], r.beta1, 5e-7 + 1e-12) << r.delta << " " << r.t;
    EXPECT_NEAR(s.beta[1], r.beta2, 5e-7 + 1e-12) << r.delta << " " << r.t;
    EXPECT_NEAR(s.a, r.a, 5e-7 + 1e-12) << r.delta << " " << r.t;
    EXPECT_NEAR(s.kernel_distance, r.S, 5e-5) << r.delta << " " << r.t;
  }
}

TEST(LinearDynamicsNeuron, KernelDistanceIsNotTheNotebookFormula) {
  // §1.2: δ = −1, t = 1: S = 0.117 (correct) vs 0.304 with the notebook's a_0² in ‖M_t‖_F²;
  // δ = −2: 0.043 vs 0.182.
  struct Row {
    double delta, correct, notebook;
  };
  for (const Row& r : {Row{-1, 0.117, 0.304}, Row{-2, 0.043, 0.182}}) {
    const SingleNeuron n = fig2(r.delta);
    const NeuronState s = single_neuron_trajectory(n, {1.0}).states[0];
    EXPECT_NEAR(s.kernel_distance, r.correct, 5e-4);
    const double D = 2, a0 = n.a0, a = s.a, n0 = n.w0.squaredNorm(), nt = s.w.squaredNorm();
    const double inner = a0 * a0 * a * a * D + a0 * a0 * nt + a * a * n0 + std::pow(n.w0.dot(s.w), 2);
    const double buggy = 1 - inner / (std::sqrt(std::pow(a0, 4) * D + 2 * a0 * a0 * n0 + n0 * n0) *
                                      std::sqrt(std::pow(a, 4) * D + 2 * a0 * a0 * nt + nt * nt));
    EXPECT_NEAR(buggy, r.notebook, 5e-4);
  }
}

TEST(LinearDynamicsNeuron, Figure4bImplicitBiasTableAndLongFlow) {
  const Eigen::Vector2d x(0.5, 1.0);
  const Eigen::Matrix2d Sigma = x * x.transpose();
  const Eigen::Vector2d b = 1.1 * x, beta0(0.4, 0.05);
  struct Row {
    double delta, b1, b2;
  };
  const Row rows[] = {{-4, 1.551077, 0.324462}, {-2, 1.364444, 0.417778}, {-1, 1.188175, 0.505913}, {0, 0.943004, 0.628498},
                      {1, 0.803396, 0.698302},  {2, 0.765689, 0.717156},  {4, 0.747883, 0.726059}};
  for (const Row& r : rows) {
    const ImplicitBias lim = implicit_bias_limit(Sigma, b, beta0, r.delta);
    ASSERT_TRUE(lim.summary.converged);
    EXPECT_NEAR(lim.beta_inf[0], r.b1, 5e-7) << r.delta;
    EXPECT_NEAR(lim.beta_inf[1], r.b2, 5e-7) << r.delta;
    const NeuronTrajectory flow = single_neuron_trajectory(neuron_from_delta(r.delta, beta0, Sigma, b), {400.0});
    ASSERT_TRUE(flow.summary.converged) << flow.summary.brief();
    EXPECT_LE((flow.states[0].beta - lim.beta_inf).norm(), 1e-9) << r.delta;
  }
}

TEST(LinearDynamicsNeuron, RankOneClosedFormOfTheNoteAndLimits) {
  // docs/theory/dynamics.md's 2-D rank-one formula: β_∞ = β_OLS + k √(κ + √(κ² + c²)) n̂, k = g(|β_0|)(β̂_0·n̂).
  std::mt19937_64 rng(5);
  std::normal_distribution<double> N(0.0, 1.0);
  for (int trial = 0; trial < 20; ++trial) {
    const Eigen::Vector2d x(N(rng), N(rng)), beta0(N(rng), N(rng));
    const double delta = 3.0 * N(rng), eta_a = std::exp(0.5 * N(rng)), eta_w = std::exp(0.5 * N(rng));
    const Eigen::Matrix2d Sigma = x * x.transpose();
    const Eigen::Vector2d b = N(rng) * x;
    const Eigen::Vector2d n_hat = Eigen::Vector2d(-x[1], x[0]).normalized();
    // unit-rate reduction
    const double kk = std::sqrt(eta_a * eta_w), dd = delta / (kk * kk);
    const Eigen::Vector2d ols = (b.dot(x) / std::pow(x.squaredNorm(), 2)) * x / kk, b0 = beta0 / kk;
    const double m = b0.norm(), g = std::sqrt(std::sqrt(m * m + dd * dd / 4) - dd / 2);
    const double k = g * b0.normalized().dot(n_hat), kap = (k * k + dd) / 2, c = ols.norm();
    const Eigen::Vector2d expected = kk * (ols + k * std::sqrt(kap + std::sqrt(kap * kap + c * c)) * n_hat);
    const ImplicitBias lim = implicit_bias_limit(Sigma, b, beta0, delta, eta_a, eta_w);
    EXPECT_LE((lim.beta_inf - expected).norm(), 1e-10 * (1 + expected.norm())) << trial;
    EXPECT_LE((Sigma * lim.beta_inf - b).norm(), 1e-10 * (1 + b.norm()));
  }
  // δ → +∞: minimum-ℓ2-change interpolant β_OLS + (I − P_range)β_0; δ → −∞: rescaling of β_0.
  const Eigen::Vector2d x(0.5, 1.0), b = 1.1 * x, beta0(0.4, 0.05);
  const Eigen::Matrix2d Sigma = x * x.transpose();
  const Eigen::Vector2d ols = 1.1 * x / x.squaredNorm();  // Σ⁺b
  const Eigen::Matrix2d P = x * x.transpose() / x.squaredNorm();
  const Eigen::Vector2d lazy = ols + (Eigen::Matrix2d::Identity() - P) * beta0;
  const Eigen::Vector2d rescaled = ols.squaredNorm() / ols.dot(beta0) * beta0;
  EXPECT_LE((implicit_bias_limit(Sigma, b, beta0, 1e8).beta_inf - lazy).norm(), 1e-6);
  EXPECT_LE((implicit_bias_limit(Sigma, b, beta0, -1e8).beta_inf - rescaled).norm(), 1e-6);
  EXPECT_NEAR(lazy[0], 0.74, 0.005);  // the note's (0.74, 0.73) and (1.76, 0.22)
  EXPECT_NEAR(lazy[1], 0.73, 0.005);
  EXPECT_NEAR(rescaled[0], 1.76, 0.005);
  EXPECT_NEAR(rescaled[1], 0.22, 0.005);
}

namespace {
// Φ_δ(β) − ∇Φ_δ(β_0)·β on the interpolants β = β_OLS + N y: its minimiser is the Bregman projection.
struct Bregman final : ceres::FirstOrderFunction {
  Eigen::VectorXd ols, grad0;
  Eigen::MatrixXd N;
  double delta;
  int NumParameters() const override { return static_cast<int>(N.cols()); }
  bool Evaluate(const double* y, double* cost, double* gradient) const override {
    const Eigen::VectorXd beta = ols + N * Eigen::Map<const Eigen::VectorXd>(y, N.cols());
    const double m = beta.norm();
    *cost = mirror_potential(m, delta) - grad0.dot(beta);
    if (gradient) Eigen::Map<Eigen::VectorXd>(gradient, N.cols()) = N.transpose() * (mirror_gradient_scale(m, delta) * beta / m - grad0);
    return true;
  }
};
}  // namespace

TEST(LinearDynamicsNeuron, ImplicitBiasIsTheNumericalBregmanProjection) {
  // 3-D input, rank-one Σ (2-D null space): closed form vs Ceres L-BFGS on the Bregman divergence,
  // and vs the flow itself run to convergence.
  const Eigen::Vector3d x(0.6, -0.3, 1.0), beta0(0.3, 0.5, -0.2);
  const Eigen::Matrix3d Sigma = x * x.transpose();
  const Eigen::Vector3d b = 0.8 * x;
  Eigen::Matrix<double, 3, 2> N;
  N.col(0) = Eigen::Vector3d(1.0, 2.0, 0.0).normalized();
  N.col(1) = x.cross(N.col(0)).normalized();
  for (double delta : {-1.0, -0.5, 0.0, 0.7, 2.5}) {
    const ImplicitBias lim = implicit_bias_limit(Sigma, b, beta0, delta);
    auto* f = new Bregman;
    f->ols = lim.beta_ols;
    f->N = N;
    f->delta = delta;
    f->grad0 = mirror_gradient_scale(beta0.norm(), delta) * beta0.normalized();
    double y[2] = {0.0, 0.0};
    ceres::GradientProblem problem(f);
    ceres::GradientProblemSolver::Options options;
    options.gradient_tolerance = 1e-12;
    options.function_tolerance = 1e-15;
    options.parameter_tolerance = 1e-13;
    options.logging_type = ceres::SILENT;
    options.max_num_iterations = 1000;
    ceres::GradientProblemSolver::Summary summary;
    ceres::Solve(options, problem, y, &summary);
    const Eigen::Vector3d numeric = lim.beta_ols + N * Eigen::Vector2d(y[0], y[1]);
    EXPECT_LE((numeric - lim.beta_inf).norm(), 1e-7) << delta << " " << summary.BriefReport();
    // The mirror-flow limit assumes β(t) never passes through 0, i.e. a(t) keeps its sign.
    std::vector<double> t;
    for (int j = 0; j <= 300; ++j) t.push_back(j * 0.1);
    t.push_back(300.0);
    const NeuronTrajectory flow = single_neuron_trajectory(neuron_from_delta(delta, beta0, Sigma, b), t);
    ASSERT_TRUE(flow.summary.converged);
    for (const auto& st : flow.states) ASSERT_GT(st.a, 0.0) << delta;
    EXPECT_LE((flow.states.back().beta - lim.beta_inf).norm(), 1e-8) << delta;
  }
  // The primitive: G' = g.
  for (double delta : {-2.0, 0.0, 1.5})
    for (double m : {0.1, 1.0, 3.0}) {
      const double h = 1e-5;
      EXPECT_NEAR((mirror_potential(m + h, delta) - mirror_potential(m - h, delta)) / (2 * h), mirror_gradient_scale(m, delta), 1e-8);
    }
}

TEST(LinearDynamicsNeuron, AnisotropicFlowMatchesReducedOde16) {
  // (1.6) integrated in β alone, against the (a, w) flow of the library, for δ > 0 (β stays away from 0).
  Eigen::Matrix3d Sigma;
  Sigma << 2.0, 0.3, 0.1, 0.3, 1.0, -0.2, 0.1, -0.2, 0.5;
  const Eigen::Vector3d b(0.5, -1.0, 0.7), beta0(0.2, 0.1, 0.3);
  const double delta = 0.8;
  const SingleNeuron n = neuron_from_delta(delta, beta0, Sigma, b);
  const std::vector<double> t{0.5, 2.0, 8.0, 60.0};
  const NeuronTrajectory tr = single_neuron_trajectory(n, t);
  ASSERT_TRUE(tr.summary.converged);
  EXPECT_NE(tr.summary.method.find("odeint"), std::string::npos);
  auto rhs = [&](const OdeState& x, OdeState& dx, double) {
    const Eigen::Map<const Eigen::Vector3d> beta(x.data());
    const double m = beta.norm(), q = std::sqrt(delta * delta + 4 * m * m);
    const Eigen::Vector3d g = Sigma * beta - b, hat = beta / m;
    Eigen::Map<Eigen::Vector3d>(dx.data()) = -(0.5 * (q + delta) * g + 0.5 * (q - delta) * hat * hat.dot(g));
  };
  const OdeSolution reduced = integrate_at(rhs, {beta0[0], beta0[1], beta0[2]}, t, {1e-13, 1e-15});
  for (std::size_t j = 0; j < t.size(); ++j) {
    EXPECT_LE((tr.states[j].beta - Eigen::Map<const Eigen::Vector3d>(reduced.states[j].data())).norm(), 1e-9) << t[j];
    EXPECT_NEAR(n.eta_w * tr.states[j].a * tr.states[j].a - n.eta_a * tr.states[j].w.squaredNorm(), delta, 1e-10);
  }
  EXPECT_LE((tr.states.back().beta - Sigma.ldlt().solve(b)).norm(), 1e-8);  // full rank: OLS
  EXPECT_LT(tr.states.back().loss, 1e-16);
}

TEST(LinearDynamicsNeuron, InvalidInputIsRejected) {
  const Eigen::Matrix2d I = Eigen::Matrix2d::Identity();
  EXPECT_THROW(neuron_from_delta(-1.0, Eigen::Vector2d::Zero(), I, v2(0, 1)), InvalidInput);  // β_0 = 0, δ < 0
  EXPECT_THROW(neuron_from_delta(0.0, Eigen::Vector3d::Ones(), I, v2(0, 1)), InvalidInput);
  EXPECT_THROW(neuron_from_delta(0.0, v2(1, 0), I, v2(0, 1), 0.0), InvalidInput);
  SingleNeuron n = fig2(0.0);
  n.Sigma(0, 1) = 0.5;  // not symmetric
  EXPECT_THROW(single_neuron_trajectory(n, {1.0}), InvalidInput);
  n.Sigma << 1, 2, 2, 1;  // indefinite
  EXPECT_THROW(single_neuron_trajectory(n, {1.0}), InvalidInput);
  n.Sigma << 1, 0, 0, 0;  // b = (0, 1) is not in the range
  EXPECT_THROW(single_neuron_trajectory(n, {1.0}), InvalidInput);
  n.Sigma << 2, 0, 0, 1;
  EXPECT_THROW(single_neuron_trajectory(n, {1.0}, NeuronMethod::kClosedForm), InvalidInput);
  EXPECT_THROW(single_neuron_trajectory(fig2(0.0), {-1.0}), InvalidInput);
  EXPECT_THROW(implicit_bias_limit(I, v2(0, 1), Eigen::Vector2d::Zero(), -1.0), InvalidInput);
}

// ---------------------------------------------------------------------------------------------
// §1.3 Saxe et al.
TEST(LinearDynamicsSaxe, ReferenceNumbers) {
  const double u0s[] = {1e-1, 1e-3, 1e-6}, times[] = {1.0986, 3.4534, 6.9078}, u3[] = {0.978178, 0.287664, 0.000403};
  for (int i = 0; i < 3; ++i) {
    const SaxeMode mode{1.0, u0s[i], 1.0, 3};
    EXPECT_NEAR(saxe_learning_time(mode, 0.5).t, times[i], 5e-5);
    EXPECT_NEAR(saxe_trajectory(mode, {3.0}).u[0], u3[i], 5e-7);
  }
  const double deep[] = {3.4534, 9.1447, 15.5292, 20.9532};
  for (int depth = 3; depth <= 6; ++depth) {
    const SaxeTime lt = saxe_learning_time({1.0, 1e-3, 1.0, depth}, 0.5);
    ASSERT_TRUE(lt.summary.converged);
    EXPECT_NEAR(lt.t, deep[depth - 3], 5e-5) << depth;
  }
}

TEST(LinearDynamicsSaxe, ClosedFormAndQuadratureMatchTheOde) {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  for (int trial = 0; trial < 10; ++trial) {
    const SaxeMode mode{0.3 + 3 * U(rng), std::pow(10.0, -4 * U(rng)), 0.5 + U(rng), 3};
    const std::vector<double> t{0.1, 1.0, 5.0, 20.0};
    const SaxeTrajectory cf = saxe_trajectory(mode, t), ode = saxe_trajectory(mode, t, true);
    ASSERT_TRUE(ode.summary.converged);
    for (std::size_t j = 0; j < t.size(); ++j) EXPECT_NEAR(cf.u[j], ode.u[j], 1e-9 * mode.s) << trial;
  }
  // Deep modes: the quadrature time to u_f is where the ODE reaches u_f; also from above (u_0 > s).
  for (int depth : {2, 4, 5, 8}) {
    for (const auto& [u0, uf] : {std::pair{1e-3, 0.5}, std::pair{0.2, 0.9}, std::pair{3.0, 1.5}}) {
      const SaxeMode mode{1.2, u0, 0.7, depth};
      const SaxeTime lt = saxe_learning_time(mode, uf);
      ASSERT_TRUE(lt.summary.converged) << lt.summary.brief();
      EXPECT_NEAR(saxe_trajectory(mode, {lt.t}).u[0], uf, 1e-9) << depth << " " << u0;
    }
  }
  // N_l = 2 is linear regression: u = s + (u_0 − s) e^{−t/τ}.
  EXPECT_NEAR(saxe_trajectory({2.0, 0.1, 0.5, 2}, {1.3}).u[0], 2.0 + (0.1 - 2.0) * std::exp(-1.3 / 0.5), 1e-10);
  EXPECT_TRUE(std::isinf(saxe_learning_time({1.0, 0.1, 1.0, 3}, 1.5).t));  // beyond s: never
  EXPECT_THROW(saxe_trajectory({1.0, 0.1, 1.0, 1}, {1.0}), InvalidInput);
  EXPECT_THROW(saxe_trajectory({1.0, 0.0, 1.0, 3}, {1.0}), InvalidInput);
  EXPECT_THROW(saxe_trajectory({-1.0, 0.1, 1.0, 3}, {1.0}), InvalidInput);
}

// ---------------------------------------------------------------------------------------------
// The four models through the CLI.
namespace {
struct CliResult {
  int code;
  std::string out, err;
};
CliResult cli(const std::string& args) {
  const auto dir = std::filesystem::temp_directory_path();
  static int calls = 0;
  const std::string tag = std::to_string(::getpid()) + "_ld_" + std::to_string(calls++);
  const std::string out = (dir / ("out_" + tag)).string(), err = (dir / ("err_" + tag)).string();
  const int status = std::system((std::string(RMTSOLVE_CLI) + " " + args + " >" + out + " 2>" + err + " </dev/null").c_str());
  auto slurp = [](const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  CliResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}
// Value of `column` in data row `row` of a CSV table.
double cell(const std::string& csv, const std::string& column, int row) {
  std::istringstream in(csv);
  std::vector<std::string> header;
  int data = -1;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    if (header.empty()) {
      header = f;
      continue;
    }
    if (++data == row)
      for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == column) return f[i].empty() ? std::nan("") : std::stod(f[i]);
  }
  return std::nan("");
}
}  // namespace

TEST(LinearDynamicsCli, ModelsRunAndRejectBadInput) {
  CliResult r = cli("curve linear-dynamics --t 0:100:3 --width 50 --kappa 0.1 --sigma_u 0.5 --c 2 --init gaussian:4");
  ASSERT_EQ(r.code, 0) << r.err;
  const Collective k = collective_of(drawn(50, 0.1, 1, 1, 2, 0.5, 1, 4));
  EXPECT_NEAR(cell(r.out, "F0", 0), k.F0, 1e-10 * (1 + std::fabs(k.F0)));
  EXPECT_NEAR(cell(r.out, "F", 2), 2.0, 1e-6);
  EXPECT_EQ(cell(r.out, "converged", 1), 1.0);
  r = cli("curve linear-dynamics --init gauss:1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--init"), std::string::npos) << r.err;
  r = cli("curve linear-phase --width 100,10000 --a_kappa -1 --a_eta_u 1 --a_eta_w 1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(cell(r.out, "rho", 1), 1.0, 1e-12);
  EXPECT_EQ(cell(r.out, "regime_limit", 1), 1.0);
  r = cli("curve single-neuron --t 1 --delta 0 --b 0,1 --beta0=-1,0");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(cell(r.out, "a", 0), 0.790189, 5e-7);
  EXPECT_NEAR(cell(r.out, "kernel_distance", 0), 0.1160, 5e-5);
  r = cli("curve single-neuron --b 0,1 --beta0 1,2,3");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("beta0"), std::string::npos) << r.err;
  r = cli("curve single-neuron --b 0:1:2");
  EXPECT_EQ(r.code, 2);
  r = cli("curve saxe --t 3 --u0 1e-3 --depth 4");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(cell(r.out, "t_learn", 0), 9.1447, 5e-5);
  EXPECT_EQ(cli("curve saxe --depth 1").code, 2);
}
