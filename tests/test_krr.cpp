#include <gtest/gtest.h>

#include <cmath>

#include "equations/krr/krr.hpp"
#include "equations/rf_ridge/rf_ridge.hpp"
#include "rmtsolve/core/error.hpp"
#include "rmtsolve/model/model.hpp"

using namespace rmtsolve;

namespace {

krr::Spec spec(const std::string& act, const std::string& target, double alpha, double lambda, double noise = 0.0) {
  krr::Spec s;
  s.activation = kernels::make_dual(act);
  s.target = make_activation(target);
  s.alpha = alpha;
  s.lambda = lambda;
  s.noise = noise;
  return s;
}

}  // namespace

TEST(Krr, NngpKernelRegressionIsRandomFeaturesWithInfinitelyManyFeatures) {
  // Mei–Montanari: RF ridge with p → ∞ features σ(Wx)/√p (unit rows) is kernel ridge regression with
  // the depth-1 NNGP at W_std = 1, b_std = 0 and the same λ.  An independent route: the rf engine.
  for (const char* act : {"relu", "erf"})
    for (const char* target : {"linear", "hermite:0.3,1,0.5", "tanh"})
      for (double alpha : {0.5, 1.0, 3.0})
        for (double lambda : {1e-3, 0.1}) {
          krr::Spec k = spec(act, target, alpha, lambda, 0.1);
          k.kernel = "nngp";
          rf_ridge::Spec r;
          r.activation = make_activation(act);
          r.target = make_activation(target);
          r.alpha = alpha;
          r.beta = 1e7;
          r.lambda = lambda;
          r.noise = 0.1;
          const krr::Result a = krr::solve(k);
          const rf_ridge::Result b = rf_ridge::solve(r, {});
          ASSERT_TRUE(a.summary.converged && b.summary.converged);
          EXPECT_NEAR(a.test_error, b.test_error, 1e-5 * b.test_error) << act << " " << target << " " << alpha;
          EXPECT_NEAR(a.train_error, b.train_error, 1e-5 * b.test_error) << act << " " << target << " " << alpha;
        }
}

TEST(Krr, LongGradientFlowWithRidgeIsKernelRidgeRegression) {
  // Two routes: Stieltjes closed form (converged) and quadrature of the time-t filter over the MP law.
  for (double alpha : {0.4, 1.0, 2.5}) {
    krr::Spec s = spec("gelu", "hermite:0.2,1,0.3", alpha, 0.05, 0.2);
    s.depth = 2;
    s.b_std = 0.3;
    const krr::Result ridge = krr::solve(s);
    s.flow = true;
    s.tau = 2000.0;
    const krr::Result flow = krr::solve(s);
    ASSERT_TRUE(ridge.summary.converged && flow.summary.converged);
    EXPECT_NEAR(flow.test_error, ridge.test_error, 1e-9);
    EXPECT_NEAR(flow.train_error, ridge.train_error, 1e-9);
    EXPECT_NEAR(flow.bias, ridge.bias, 1e-9);
  }
}

TEST(Krr, EarlyFlowHasLearnedOnlyTheMean) {
  // τ → 0: the bulk has not moved; with κ0 > 0 the O(n) all-ones eigenvalue has already fitted
  // the mean, so the test error is everything but the mean: c1² + non-linear part + noise.
  krr::Spec s = spec("relu", "hermite:0.5,0.8,0.4", 2.0, 0.0, 0.1);
  s.flow = true;
  s.tau = 1e-9;
  const krr::Result r = krr::solve(s);
  ASSERT_GT(r.constants.kappa0, 0.0);
  EXPECT_NEAR(r.test_error, 0.8 * 0.8 + 2.0 * 0.4 * 0.4 + 0.1, 1e-7);
  EXPECT_NEAR(r.train_error, r.test_error, 1e-7);
  // An odd kernel (erf, no bias) has κ0 = 0 and never learns the mean.
  s.activation = kernels::make_dual("erf");
  const krr::Result odd = krr::solve(s);
  EXPECT_NEAR(odd.constants.kappa0, 0.0, 1e-14);
  EXPECT_NEAR(odd.test_error, 0.25 + 0.64 + 0.32 + 0.1, 1e-7);
}

TEST(Krr, LinearKernelRidgelessIsTheMinimumNormInterpolator) {
  // σ = identity: K = XXᵀ/d exactly, κ* = 0; at λ = 0 the classical ridgeless risks.
  const double noise = 0.3;
  for (double alpha : {0.5, 2.0}) {
    krr::Spec s = spec("linear", "linear", alpha, 0.0, noise);
    s.kernel = "nngp";
    const krr::Result r = krr::solve(s);
    ASSERT_TRUE(r.summary.converged);
    const double expected = alpha < 1.0 ? (1.0 - alpha) + noise * alpha / (1.0 - alpha) + noise : noise / (alpha - 1.0) + noise;
    EXPECT_NEAR(r.test_error, expected, 1e-12) << alpha;
    // Small ridge approaches it continuously (the closed form with t0 > 0).
    s.lambda = 1e-9;
    EXPECT_NEAR(krr::solve(s).test_error, expected, 1e-6) << alpha;
  }
  krr::Spec peak = spec("linear", "linear", 1.0, 0.0, noise);
  peak.kernel = "nngp";
  const krr::Result r = krr::solve(peak);
  EXPECT_FALSE(r.summary.converged);
  EXPECT_EQ(r.summary.reason, Termination::kDivergent);
}

TEST(Krr, ErrorsAreConsistentAndMonotoneInRidgeAtLargeRidge) {
  double previous = 0.0;
  for (double lambda : {1.0, 3.0, 10.0, 100.0}) {
    const krr::Result r = krr::solve(spec("relu", "tanh", 1.5, lambda, 0.1));
    ASSERT_TRUE(r.summary.converged);
    EXPECT_GE(r.bias, 0.0);
    EXPECT_GE(r.variance, 0.0);
    EXPECT_LE(r.train_error, r.test_error + 1e-12);
    EXPECT_GT(r.test_error, previous);  // past the optimum, more ridge only hurts
    previous = r.test_error;
  }
}

TEST(Krr, MonteCarloOfExactKernelRegressionAgrees) {
  // Exact kernels (not linearised) on d = 300, n = αd samples; 3 SE + the stated 3 % allowance.
  const Model& model = find_model("krr");
  SimulationOptions o;
  o.d = 300;
  o.seeds.seeds = 8;
  o.n_test = 1000;
  struct Case {
    std::map<std::string, double> numbers;
    std::map<std::string, std::string> texts;
  };
  const std::vector<Case> cases{
      {{{"alpha", 1.5}, {"lambda", 1e-2}, {"noise", 0.1}, {"time", 1.0}, {"depth", 1.0}, {"w_std", 1.0}, {"b_std", 0.0}},
       {{"activation", "relu"}, {"target", "tanh"}, {"kernel", "ntk"}, {"training", "converged"}}},
      {{{"alpha", 2.0}, {"lambda", 0.0}, {"noise", 0.1}, {"time", 0.5}, {"depth", 2.0}, {"w_std", 1.0}, {"b_std", 0.5}},
       {{"activation", "erf"}, {"target", "hermite:0.3,1,0.5"}, {"kernel", "ntk"}, {"training", "flow"}}},
      {{{"alpha", 0.7}, {"lambda", 1e-3}, {"noise", 0.0}, {"time", 1.0}, {"depth", 3.0}, {"w_std", 1.2}, {"b_std", 0.0}},
       {{"activation", "relu"}, {"target", "linear"}, {"kernel", "nngp"}, {"training", "converged"}}}};
  for (const Case& c : cases) {
    Point pt{c.numbers, c.texts};
    std::vector<double> warm;
    const PointResult theory = model.solve(pt, {}, warm);
    ASSERT_TRUE(theory.summary.converged);
    const auto mc = model.simulate(pt, o);
    for (size_t k = 0; k < 2; ++k) {
      const double allowed = 3.0 * mc[k].standard_error + 0.03 * theory.values[k] + 1e-9;
      EXPECT_NEAR(mc[k].mean, theory.values[k], allowed) << c.texts.at("activation") << " output " << k;
    }
  }
}

TEST(Krr, RejectsBadInput) {
  krr::Spec s = spec("relu", "linear", 1.0, 0.1);
  s.kernel = "rbf";
  EXPECT_THROW(krr::solve(s), InvalidInput);
  EXPECT_THROW(spec("swish", "linear", 1.0, 0.1), InvalidInput);  // refused where the text is parsed
  s = spec("relu", "linear", -1.0, 0.1);
  EXPECT_THROW(krr::solve(s), InvalidInput);
  s = spec("relu", "linear", 1.0, 0.1);
  s.flow = true;
  s.tau = 0.0;
  EXPECT_THROW(krr::solve(s), InvalidInput);
}
