#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "equations/gcm_ridge/gcm_ridge.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/gaussian.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/numerics/spectral.hpp"

using namespace rmtsolve;
using gcm_ridge::Method;
using gcm_ridge::Problem;
using gcm_ridge::Setting;

namespace {

// Isotropic ridge: Ω = Φ = Ψ = I_p, i.e. plain ridge on x with ‖β‖² = 1 (docs/theory/deep.md §3.2).
Problem isotropic(int p) {
  gcm_ridge::Spectrum s;
  s.omega = Eigen::VectorXd::Ones(p);
  s.t = Eigen::VectorXd::Ones(p) / p;  // ‖Φu_j‖²/k with Φ = I, k = p
  s.rho = 1.0;
  return Problem::from_spectrum(s);
}

// A structured problem: power-law student spectrum, partially aligned teacher.
gcm_ridge::Covariances structured(int k, int p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Eigen::MatrixXd A = mc::gaussian_matrix(p, k, rng, 1.0 / std::sqrt(double(k)));
  gcm_ridge::Covariances c;
  c.Psi = Eigen::MatrixXd::Identity(k, k);
  c.Phi = 0.8 * A.transpose();  // E[u vᵀ] for v = 0.8 A u + 0.6 g
  c.Omega = 0.64 * A * A.transpose() + 0.36 * Eigen::MatrixXd::Identity(p, p);
  return c;
}

}  // namespace

TEST(GcmRidge, IsotropicRidgelessClosedForms) {
  // E = F²(1−α) + τ²α/(1−α) + τ² below the threshold, τ²α/(α−1) above (F² = 1, τ² = 0.25).
  const Problem pr = isotropic(400);
  const double expected[][2] = {{0.5, 1.0}, {0.8, 1.45}, {1.5, 0.75}, {3.0, 0.375}};
  for (const auto& [alpha, e] : expected) {
    const auto r = gcm_ridge::solve(pr, Setting{alpha, 0.0, 0.25}, Method::kRoot, {});
    ASSERT_TRUE(r.summary.converged) << r.summary.brief();
    EXPECT_NEAR(r.test_error, e, 1e-9) << "alpha=" << alpha;
  }
  const auto under = gcm_ridge::solve(pr, Setting{2.0, 0.0, 0.25}, Method::kRoot, {});
  EXPECT_NEAR(under.train_error, 0.25 * (1.0 - 1.0 / 2.0), 1e-12);  // τ²(1 − 1/α)
}

TEST(GcmRidge, IsotropicSmallLambdaContinuity) {
  // docs/theory/deep.md §3.2: λ → 0 continuity values at α = 0.5 and 2.
  const Problem pr = isotropic(500);
  const double table[][3] = {{1e-2, 0.9819971, 0.4906177}, {1e-4, 0.9998002, 0.4999001}, {1e-8, 0.99999998, 0.49999999}};
  for (const auto& [lambda, at_half, at_two] : table) {
    EXPECT_NEAR(gcm_ridge::solve(pr, Setting{0.5, lambda, 0.25}, Method::kRoot, {}).test_error, at_half, 5e-7)
        << lambda;
    EXPECT_NEAR(gcm_ridge::solve(pr, Setting{2.0, lambda, 0.25}, Method::kRoot, {}).test_error, at_two, 5e-7)
        << lambda;
  }
}

TEST(GcmRidge, InterpolationThresholdIsReportedNotANumber) {
  const auto r = gcm_ridge::solve(isotropic(100), Setting{1.0, 0.0, 0.25}, Method::kRoot, {});
  EXPECT_FALSE(r.summary.converged);
  EXPECT_EQ(r.summary.reason, Termination::kDivergent);
}

TEST(GcmRidge, LargeRidgeGivesLabelVariance) {
  const Problem pr = Problem::from_covariances(structured(150, 200, 1));
  const auto r = gcm_ridge::solve(pr, Setting{1.5, 1e9, 0.3}, Method::kRoot, {});
  ASSERT_TRUE(r.summary.converged);
  EXPECT_NEAR(r.test_error, 1.0 + 0.3, 1e-6);
  EXPECT_NEAR(r.train_error, 1.0 + 0.3, 1e-6);
}

TEST(GcmRidge, StateEvolutionIterationAgreesWithScalarRoot) {
  const Problem pr = Problem::from_covariances(structured(150, 200, 2));
  SolverOptions o;
  o.tolerance = 1e-13;
  o.max_iterations = 5000;
  Eigen::VectorXd state;
  for (double alpha : {0.3, 0.9, 1.0, 2.5}) {
    for (double lambda : {1e-3, 1e-1, 3.0}) {
      const auto root = gcm_ridge::solve(pr, Setting{alpha, lambda, 0.1}, Method::kRoot, o);
      const auto iter = gcm_ridge::solve(pr, Setting{alpha, lambda, 0.1}, Method::kIteration, o, &state);
      ASSERT_TRUE(root.summary.converged && iter.summary.converged) << iter.summary.brief();
      EXPECT_NEAR(iter.test_error, root.test_error, 1e-8 * root.test_error) << alpha << " " << lambda;
      EXPECT_NEAR(iter.train_error, root.train_error, 1e-8 * root.test_error);
      EXPECT_NEAR(iter.m, root.m, 1e-8);
      EXPECT_NEAR(iter.q, root.q, 1e-8);
    }
  }
}

TEST(GcmRidge, AgreesWithRandomFeaturesTheoryAtLargeP) {
  // Ω = κ1² WWᵀ + κ*² I, Φ = κ1 Wᵀ, Ψ = I: the Gaussian equivalent of tanh random features.
  const int d = 700, p = 1050;
  std::mt19937_64 rng(7);
  const Eigen::MatrixXd W = mc::unit_rows(p, d, rng);
  const Linearisation lin = linearise(make_activation("tanh"), 1.0);
  gcm_ridge::Covariances c;
  c.Psi = Eigen::MatrixXd::Identity(d, d);
  c.Phi = lin.kappa1 * W.transpose();
  c.Omega = lin.kappa1 * lin.kappa1 * W * W.transpose() +
            lin.kappa_star * lin.kappa_star * Eigen::MatrixXd::Identity(p, p);
  const Problem pr = Problem::from_covariances(c);
  for (double alpha : {0.5, 1.0, 3.0}) {
    rf_ridge::Spec s;
    s.activation = make_activation("tanh");
    s.alpha = alpha;
    s.beta = double(p) / d;
    s.lambda = 0.05;
    s.noise = 0.25;
    const auto rf = rf_ridge::solve(s);
    const auto g = gcm_ridge::solve(pr, Setting{alpha / s.beta, s.lambda, s.noise}, Method::kRoot, {});
    // One draw of W at d = 700: its fluctuation is O(1/d) on these self-averaging traces.
    EXPECT_NEAR(g.test_error, rf.test_error, 5e-3 * rf.test_error) << "alpha=" << alpha;
    EXPECT_NEAR(g.train_error, rf.train_error, 5e-3 * rf.test_error);
  }
}

TEST(GcmRidge, RejectsInconsistentCovariances) {
  auto c = structured(20, 30, 3);
  auto bad = c;
  bad.Omega(0, 1) += 0.5;
  EXPECT_THROW(Problem::from_covariances(bad), InvalidInput);  // not symmetric
  bad = c;
  bad.Phi = Eigen::MatrixXd::Ones(20, 31);
  EXPECT_THROW(Problem::from_covariances(bad), InvalidInput);  // wrong shape
  bad = c;
  bad.Omega(2, 2) = std::nan("");
  EXPECT_THROW(Problem::from_covariances(bad), InvalidInput);
  bad = c;
  bad.Phi *= 3.0;  // features would explain more than E y²
  EXPECT_THROW(Problem::from_covariances(bad), InvalidInput);
  gcm_ridge::Spectrum s{Eigen::Vector2d(1.0, 0.0), Eigen::Vector2d(0.1, 0.1), 1.0};
  EXPECT_THROW(Problem::from_spectrum(s), InvalidInput);  // teacher weight on the kernel of Ω
  const Problem ok = Problem::from_covariances(c);
  EXPECT_THROW(gcm_ridge::solve(ok, Setting{-1.0, 0.1, 0.0}, Method::kRoot, {}), InvalidInput);
  EXPECT_THROW(gcm_ridge::solve(ok, Setting{1.0, 0.0, 0.0}, Method::kIteration, {}), InvalidInput);
}

// The eigenvalues and projections ‖B u_j‖² without eigenvectors agree with a full decomposition
// (dsyevd, eigenvectors formed) to round-off: 1e-10 relative to the largest value, ~10⁵ ulp of slack
// for the different order of the floating-point operations; a wrong projection would be O(1) off.
// Includes a highly degenerate spectrum (a rank-k part plus the identity), where eigenvectors
// within the cluster are arbitrary but the sum of the weights over the cluster is not.
TEST(GcmRidge, ProjectedSpectrumMatchesAFullDecomposition) {
  std::mt19937_64 rng(11);
  for (const int k : {1, 7, 40}) {
    const int p = 60;
    const Eigen::MatrixXd W = mc::gaussian_matrix(p, k, rng, 1.0 / std::sqrt(double(k)));
    const Eigen::MatrixXd A = W * W.transpose() + 0.3 * Eigen::MatrixXd::Identity(p, p);
    const Eigen::MatrixXd B = mc::gaussian_matrix(k + 3, p, rng);
    const ProjectedSpectrum fast = projected_spectrum(A, B);
    const SymmetricEigen full = symmetric_eigen(A);
    const Eigen::VectorXd weights = (B * full.vectors).colwise().squaredNorm().transpose();
    const double top = full.values.cwiseAbs().maxCoeff(), wtop = weights.maxCoeff();
    EXPECT_LE((fast.values - full.values).cwiseAbs().maxCoeff(), 1e-10 * top) << "k = " << k;
    // Weights summed over the degenerate cluster at 0.3 and individually outside it.
    double cluster_fast = 0.0, cluster_full = 0.0;
    for (int j = 0; j < p; ++j) {
      if (std::abs(full.values[j] - 0.3) < 1e-8) {
        cluster_fast += fast.weights[j];
        cluster_full += weights[j];
      } else {
        EXPECT_NEAR(fast.weights[j], weights[j], 1e-10 * wtop) << "k = " << k << ", j = " << j;
      }
    }
    EXPECT_NEAR(cluster_fast, cluster_full, 1e-10 * wtop * p) << "k = " << k;
    EXPECT_NEAR(fast.weights.sum(), B.squaredNorm(), 1e-10 * B.squaredNorm());  // Σ_j ‖B u_j‖² = ‖B‖_F²
  }
}
