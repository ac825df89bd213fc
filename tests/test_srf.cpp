#include <gtest/gtest.h>

#include <cmath>

#include "equations/rf_ridge/rf_ridge.hpp"
#include "equations/srf/srf.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/theory/ridge_equivalent.hpp"
#include "rmtsolve/numerics/spectral.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

using namespace rmtsolve;

namespace {

srf::Spec spec(const std::string& act, const std::string& target, double alpha0, double eta, double alpha, double beta,
               double lambda, double noise = 0.0) {
  srf::Spec s;
  s.activation = make_activation(act);
  s.target = make_activation(target);
  s.alpha0 = alpha0;
  s.eta = eta;
  s.alpha = alpha;
  s.beta = beta;
  s.lambda = lambda;
  s.noise = noise;
  return s;
}

}  // namespace

TEST(Srf, NoStepIsMeiMontanari) {
  // docs/theory/srf.md §4.1: η̃ = 0 reduces to random-features ridge; the MM table to 1e-9.
  const double table[][4] = {{2.0, 1.0, 1e-2, 0.967402164798},
                             {0.5, 3.0, 1e-1, 0.932299074316},
                             {3.0, 3.0, 1e-3, 0.758740226700},
                             {1.5, 0.7, 1.0, 1.008816175047}};
  for (const auto& [psi1, psi2, lmm, expected] : table) {
    const auto r = srf::solve(spec("tanh", "linear", 2.0, 0.0, psi2, psi1, psi2 * lmm, 0.25), {});
    ASSERT_TRUE(r.summary.converged) << r.summary.brief();
    EXPECT_NEAR(r.test_error, expected, 1e-9);
  }
}

TEST(Srf, NoStepEqualsRfRidgeForOtherActivationsAndTargets) {
  // Including a non-odd student (its mean acts as a free bias) and a target with a mean.
  for (const char* act : {"relu", "erf", "gelu"}) {
    for (const char* target : {"tanh", "hermite:0.3,1,0.4"}) {
      const auto s = spec(act, target, 3.0, 0.0, 1.7, 1.3, 0.05, 0.1);
      const auto r = srf::solve(s, {});
      rf_ridge::Spec rf{make_activation(act), make_activation(target), s.alpha, s.beta, s.lambda, s.noise};
      const auto ref = rf_ridge::solve(rf);
      ASSERT_TRUE(r.summary.converged && ref.summary.converged);
      EXPECT_NEAR(r.test_error, ref.test_error, 1e-9) << act << " " << target;
      EXPECT_NEAR(r.train_error, ref.train_error, 1e-9) << act << " " << target;
    }
  }
}

TEST(Srf, MappingMatchesClosedFormForErfStudent) {
  // erf: μ1 = 2/√(3π), E σ'(z)² = (4/π)/√5;  linear target: μ1* = 1, μ2* = 1.
  const double alpha0 = 1.5, eta = 1.3, noise = 0.2;
  const auto m = srf::map_network(spec("erf", "linear", alpha0, eta, 1.0, 1.0, 0.1, noise));
  const double mu1 = 2.0 / std::sqrt(3.0 * M_PI), var = 4.0 / M_PI / std::sqrt(5.0) - mu1 * mu1;
  const double norm = std::sqrt(1.0 + (1.0 + noise) / alpha0);
  EXPECT_NEAR(m.r, eta * mu1 * norm, 1e-12);
  EXPECT_NEAR(m.gamma, 1.0 / norm, 1e-12);
  EXPECT_NEAR(m.c, 1.0 + eta * eta * (1.0 + noise) * var / alpha0, 1e-12);
}

TEST(Srf, LargeFirstBatchAlignsTheSpike) {
  // docs/theory/srf.md §4.3: α0 → ∞ gives γ → 1, r → η̃ μ1 |μ1*|, c → 1.
  const auto m = srf::map_network(spec("tanh", "tanh", 1e12, 1.5, 1.0, 1.0, 0.1));
  const Activation tanh_act = make_activation("tanh");
  const double mu1 = linearise(tanh_act, 1.0).kappa1;
  EXPECT_NEAR(m.gamma, 1.0, 1e-9);
  EXPECT_NEAR(m.r, 1.5 * mu1 * mu1, 1e-9);  // target is tanh too: μ1* = μ1
  EXPECT_NEAR(m.c, 1.0, 1e-9);
  // At γ = 1 exactly (ρ = 0: h1 ≡ 0) the equations still solve, with ψ = 0.
  const srf::Mapping aligned{m.r, 1.0, 1.0};
  const auto r = srf::solve(spec("tanh", "tanh", 2.0, 1.5, 1.0, 1.0, 0.1), {}, &aligned);
  ASSERT_TRUE(r.summary.converged);
  EXPECT_NEAR(r.psi, 0.0, 1e-12);
}

TEST(Srf, LargeRidgeKeepsOnlyTheUnpenalisedMeanDirection) {
  // As λ → ∞ (after n, p → ∞) every direction is shrunk to zero except the all-ones one, whose
  // eigenvalue is O(n): the readout keeps the bias m μ0(κ) with m = E[μ0 h0]/E[μ0²], so
  // E_test → E y² − E[μ0 h0]²/E[μ0²].  (docs/theory/srf.md §4.4: E y² only when μ0 ≡ 0.)
  // Odd σ and an even target: E[μ0 h0] = 0 and the limit is E y² = 0.04 + 0.5 + 0.3.
  const auto even = srf::solve(spec("tanh", "hermite:0.2,0,0.5", 2.0, 2.0, 1.0, 1.5, 1e10, 0.3), {});
  ASSERT_TRUE(even.summary.converged);
  EXPECT_NEAR(even.test_error, 0.04 + 0.5 + 0.3, 1e-6);
  // Linear target y = z = γκ + ρξ: h0 = γκ, so E[μ0 h0] = γ E[κ μ0(κ)]; computed here by nested
  // adaptive quadrature, independently of the solver's Gauss–Hermite tables.
  const auto s = spec("erf", "linear", 2.0, 2.0, 1.0, 1.5, 1e10, 0.3);
  const auto m = srf::map_network(s);
  const Activation erf_act = make_activation("erf");
  auto mu0 = [&](double k) { return gaussian_moments(erf_act, m.r * k, std::sqrt(m.c)).mean; };
  const double cross = m.gamma * gaussian_expectation([&](double k) { return k * mu0(k); }, 0.0, 1.0);
  const double power = gaussian_expectation([&](double k) { return mu0(k) * mu0(k); }, 0.0, 1.0);
  const auto lin = srf::solve(s, {});
  ASSERT_TRUE(lin.summary.converged);
  EXPECT_NEAR(lin.test_error, 1.0 + 0.3 - cross * cross / power, 1e-6);
}

TEST(Srf, NonOddShrinkCorrectionReproducesReferenceTable) {
  // docs/theory/srf.md §1.3 table (ReLU student, tanh target, α0 = 2, η̃ = 2, λ = 0.05, p = d).
  const double alphas[] = {0.5, 1.0, 2.0};
  const double with_shrink[] = {0.372, 0.361, 0.307}, naive[] = {0.430, 0.425, 0.334};
  for (int i = 0; i < 3; ++i) {
    auto s = spec("relu", "tanh", 2.0, 2.0, alphas[i], 1.0, 0.05);
    EXPECT_NEAR(srf::solve(s, {}).test_error, with_shrink[i], 1e-3);
    s.shrink_correction = false;
    EXPECT_NEAR(srf::solve(s, {}).test_error, naive[i], 1e-3);
  }
}

TEST(Srf, ConvergesWhereTheDampedSevenVariableIterationDiverges) {
  // docs/theory/srf.md §6.1: p = 2d, λ = 0.01, n/p ≈ 0.9–1.1 sends the published iteration to NaN.
  for (double np : {0.9, 1.0, 1.1}) {
    const auto r = srf::solve(spec("tanh", "tanh", 2.0, 1.0, 2.0 * np, 2.0, 0.01), {});
    ASSERT_TRUE(r.summary.converged) << r.summary.brief();
    EXPECT_TRUE(std::isfinite(r.test_error) && r.test_error > 0.0);
  }
  // Very small ridge at the interpolation threshold still converges or says why.
  const auto hard = srf::solve(spec("tanh", "sigmoid", 2.0, 1.0, 2.0, 2.0, 1e-8), {});
  if (hard.summary.converged) EXPECT_TRUE(std::isfinite(hard.test_error));
  else EXPECT_FALSE(hard.summary.message.empty());
}

TEST(Srf, FullSevenVariableIterationReachesTheReducedSolversFixedPoint) {
  // docs/theory/srf.md §2.5: the reduced solver equals the full iteration on (q1, q2, V1, V2, τ, ψ, m).  Cases
  // with a spike (r ≠ 0), a non-odd σ (m ≠ 0), noise, and the no-step MM row.
  const std::vector<srf::Spec> cases{spec("tanh", "sin", 20.0, 3.0, 1.0, 1.0, 0.1),
                                     spec("tanh", "tanh", 0.5, 1.0, 2.0, 1.0, 0.01, 0.1),
                                     spec("relu", "tanh", 2.0, 1.0, 1.5, 0.5, 0.05),
                                     spec("tanh", "linear", 2.0, 0.0, 1.0, 2.0, 1e-2, 0.25)};
  for (const auto& c : cases) {
    const auto reduced = srf::solve(c, {});
    const auto full = srf::solve_full_iteration(c, {});
    ASSERT_TRUE(reduced.summary.converged && full.summary.converged) << full.summary.brief();
    EXPECT_NEAR(full.test_error, reduced.test_error, 1e-9 * reduced.test_error) << c.activation.name << "/" << c.target.name;
    EXPECT_NEAR(full.train_error, reduced.train_error, 1e-9 * reduced.test_error);
    EXPECT_NEAR(full.m, reduced.m, 1e-8 * (1.0 + std::abs(reduced.m)));
    EXPECT_NEAR(full.q1, reduced.q1, 1e-8 * (1.0 + reduced.q1));
  }
}

TEST(Srf, PlainDampedSevenVariableIterationFailsLoudlyWhereTheSourceDiverges) {
  // docs/theory/srf.md §4.1 row 3 / §6.1: the authors' damped iteration diverges at damping 0.5 and converges
  // at 0.9 (in ~1100 iterations).  Run as the plain scheme, it must say so instead of returning a
  // number; at 0.9 it must land on the MM value.
  const srf::Spec row3 = spec("tanh", "linear", 2.0, 0.0, 3.0, 3.0, 3e-3, 0.25);
  SolverOptions plain;
  plain.anderson_memory = 0;
  plain.multiroot_fallback = false;
  plain.max_iterations = 5000;
  plain.damping = 0.5;
  EXPECT_FALSE(srf::solve_full_iteration(row3, plain).summary.converged);
  plain.damping = 0.9;
  plain.tolerance = 1e-11;
  const auto slow = srf::solve_full_iteration(row3, plain);
  ASSERT_TRUE(slow.summary.converged) << slow.summary.brief();
  EXPECT_GT(slow.summary.iterations, 300);
  EXPECT_NEAR(slow.test_error, 0.758740226700, 1e-8);
}

TEST(Srf, MarchenkoPasturStieltjesMatchesSampledEigenvalues) {
  std::mt19937_64 rng(5);
  for (double beta : {0.5, 1.0, 2.0}) {
    const int d = 1200, p = static_cast<int>(beta * d);
    const double c = 1.3;
    const Eigen::MatrixXd W = std::sqrt(c) * mc::unit_rows(p, d, rng);
    const Eigen::VectorXd D = symmetric_eigen(W * W.transpose(), false).values.cwiseMax(0.0);
    const MarchenkoPastur mp{c, beta};
    for (double t : {0.05, 0.5, 3.0}) {
      const double g = mp.stieltjes(-t);
      const double sampled = (1.0 / (D.array() + t)).mean();
      EXPECT_NEAR(g, sampled, 5e-3 * sampled) << beta << " " << t;
      const double h = 1e-5;
      const double numeric = (mp.stieltjes(-t + h) - mp.stieltjes(-t - h)) / (2 * h);
      EXPECT_NEAR(mp.stieltjes_derivative(-t, g), numeric, 1e-6 * std::abs(numeric));
    }
  }
}

TEST(Srf, SampledSpectrumAveragesToSeedFree) {
  // docs/theory/srf.md §4.7: the sampled (D, F, H) theory averaged over draws matches the seed-free value.
  const auto s = spec("tanh", "tanh", 2.0, 1.5, 1.0, 1.0, 0.05);
  const auto free = srf::solve(s, {});
  const auto mapping = srf::map_network(s);
  double sum = 0.0;
  const int draws = 4;
  for (int k = 0; k < draws; ++k) {
    std::mt19937_64 rng(100 + k);
    const auto spectrum = srf::sample_spectrum(1000, 1000, mapping.c, rng);
    const auto r = srf::solve(s, {}, &mapping, &spectrum);
    ASSERT_TRUE(r.summary.converged);
    sum += r.test_error;
  }
  // Seed-to-seed spread is 3–4 % at d = 1000 (docs/theory/srf.md §2.2); the mean of 4 draws is within ~2 %.
  EXPECT_NEAR(sum / draws, free.test_error, 0.03 * free.test_error);
}

TEST(Srf, MonteCarloOfTheSpikedModelAgreesTightly) {
  const Model& m = find_model("srf");
  Point pt;
  pt.number = {{"alpha", 1.0}, {"eta", 2.0}, {"alpha0", 2.0}, {"beta", 1.0}, {"lambda", 0.05}, {"noise", 0.0}};
  pt.text = {{"activation", "tanh"}, {"target", "tanh"}, {"correction", "shrink"}, {"spectrum", "seed-free"}, {"network", "spiked"}};
  std::vector<double> warm;
  const auto th = m.solve(pt, {}, warm);
  SimulationOptions o;
  o.d = 400;
  o.seeds.seeds = 8;
  const auto mc = m.simulate(pt, o);
  // 3 SE + 3 % (the idealised model's documented finite-size allowance).
  EXPECT_LE(std::abs(mc[0].mean - th.values[0]), 3 * mc[0].standard_error + 0.03 * th.values[0]);
  EXPECT_LE(std::abs(mc[1].mean - th.values[1]), 3 * mc[1].standard_error + 0.03 * th.values[1]);
  // The real one-step network: at most 10 % above, 3 % below (docs/theory/srf.md §8.5), plus 3 SE.
  pt.text["network"] = "real";
  const auto net = m.simulate(pt, o);
  EXPECT_LE(net[0].mean - th.values[0], 3 * net[0].standard_error + 0.10 * th.values[0]);
  EXPECT_GE(net[0].mean - th.values[0], -3 * net[0].standard_error - 0.03 * th.values[0]);
}

TEST(Srf, RejectsBadInput) {
  EXPECT_THROW(srf::solve(spec("sign", "tanh", 2.0, 1.0, 1.0, 1.0, 0.1), {}), InvalidInput);  // no σ'
  EXPECT_THROW(srf::solve(spec("tanh", "tanh", -1.0, 1.0, 1.0, 1.0, 0.1), {}), InvalidInput);
  EXPECT_THROW(srf::solve(spec("tanh", "tanh", 2.0, -1.0, 1.0, 1.0, 0.1), {}), InvalidInput);
  EXPECT_THROW(srf::solve(spec("tanh", "tanh", 2.0, 1.0, 0.0, 1.0, 0.1), {}), InvalidInput);
  EXPECT_THROW(srf::solve(spec("tanh", "nope", 2.0, 1.0, 1.0, 1.0, 0.1), {}), InvalidInput);
}

TEST(Srf, LinearStudentIsRidgeOnTheSpikedFeatureMatrix) {
  // docs/theory/srf.md §4.5: with σ(x) = x the sRF features are F x/√p, F = W + r 1 v̂ᵀ: plain ridge on
  // Gaussian covariates.  Its deterministic equivalent for one draw (Ω = FFᵀ/p, ψ = F θ/√p with the
  // teacher θ = γ v̂ + ρ ζ̂) must match the sRF equations on the sampled spectrum of the same draw.
  const int d = 800, p = 800;
  const srf::Mapping mp{0.9, 1.3, 0.8};
  auto s = spec("linear", "linear", 2.0, 1.0, 1.5, double(p) / d, 0.05, 0.2);
  std::mt19937_64 rng(21), replay(21);
  const auto sampled = srf::sample_spectrum(d, p, mp.c, rng);
  // The same draw, replayed in sample_spectrum's order.
  const Eigen::MatrixXd W = std::sqrt(mp.c) * mc::unit_rows(p, d, replay);
  Eigen::VectorXd v = mc::gaussian_matrix(d, 1, replay);
  v /= v.norm();
  Eigen::VectorXd zeta = mc::gaussian_matrix(d, 1, replay);
  zeta -= v * v.dot(zeta);
  zeta /= zeta.norm();
  const Eigen::MatrixXd F = W + mp.r * Eigen::VectorXd::Ones(p) * v.transpose();
  const double rho = std::sqrt(1 - mp.gamma * mp.gamma);
  const SymmetricEigen eig = symmetric_eigen(F * F.transpose() / p);
  RidgeSpectrum exact;
  exact.omega = eig.values.cwiseMax(0.0);
  exact.psi2 = (eig.vectors.transpose() * (F * (mp.gamma * v + rho * zeta)) / std::sqrt(double(p))).array().square().matrix();
  exact.sigma_y2 = 1.0 + s.noise;
  const auto de = solve_ridge_equivalent(exact, s.alpha * d, s.lambda, {});
  const auto theory = srf::solve(s, {}, &mp, &sampled);
  ASSERT_TRUE(de.summary.converged && theory.summary.converged);
  EXPECT_NEAR(theory.test_error, de.test_error, 0.01 * de.test_error);
  EXPECT_NEAR(theory.train_error, de.train_error, 0.01 * de.test_error);
}
