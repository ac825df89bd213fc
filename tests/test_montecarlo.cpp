#include <gtest/gtest.h>

#include <cmath>

#include "equations/rf_ridge/rf_ridge.hpp"
#include "rmtsolve/model.hpp"
#include "rmtsolve/montecarlo/random_features.hpp"
#include "rmtsolve/montecarlo/ridge.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/montecarlo/seeds.hpp"

using namespace rmtsolve;

namespace {

// Statistical tolerance of every MC-vs-theory check here: 3 standard errors over the seeds plus a
// 2 % finite-size allowance (the O(1/d) corrections at d = 300 measured below 1 %).
constexpr double kSigmas = 3.0, kFiniteSize = 0.02;

void expect_agreement(const Point& pt, int d, int seeds) {
  const Model& rf = find_model("rf");
  std::vector<double> warm;
  const PointResult th = rf.solve(pt, {}, warm);
  ASSERT_TRUE(th.summary.converged);
  SimulationOptions o;
  o.d = d;
  o.seeds.seeds = seeds;
  const auto mc = rf.simulate(pt, o);
  for (int k = 0; k < 2; ++k) {
    const double theory = th.values[static_cast<size_t>(k)];
    EXPECT_LE(std::abs(mc[k].mean - theory), kSigmas * mc[k].standard_error + kFiniteSize * theory)
        << (k ? "train" : "test") << " theory " << theory << " MC " << mc[k].mean << " ± " << mc[k].standard_error
        << " at alpha=" << pt["alpha"] << " beta=" << pt["beta"] << " " << pt.str("activation");
  }
}

Point rf_point(const std::string& act, double alpha, double beta, double lambda, double noise,
               const std::string& target = "linear") {
  Point p;
  p.number = {{"alpha", alpha}, {"beta", beta}, {"lambda", lambda}, {"noise", noise}};
  p.text = {{"activation", act}, {"target", target}};
  return p;
}

}  // namespace

TEST(MonteCarlo, RandomFeaturesAgreeWithTheoryTanh) {
  expect_agreement(rf_point("tanh", 0.5, 2.0, 1e-2, 0.25), 300, 8);
  expect_agreement(rf_point("tanh", 2.5, 2.0, 1e-2, 0.25), 300, 8);
}

TEST(MonteCarlo, RandomFeaturesAgreeWithTheoryReluAndNonlinearTarget) {
  // ReLU has κ0 ≠ 0 and the target has a mean and a non-linear part: all three enter the theory.
  expect_agreement(rf_point("relu", 1.5, 1.0, 0.1, 0.1, "hermite:0.3,1,0.4"), 300, 8);
  expect_agreement(rf_point("erf", 1.0, 0.5, 1e-3, 0.0, "tanh"), 300, 8);
}

TEST(MonteCarlo, SeedsAreReproducibleAndThreadIndependent) {
  auto trial = [](std::mt19937_64& rng) {
    const Eigen::MatrixXd A = mc::gaussian_matrix(30, 20, rng);
    return std::vector<double>{A.sum(), A.squaredNorm()};
  };
  mc::SeedOptions one{6, 42, 1}, two{6, 42, 2}, other{6, 43, 2};
  const auto a = mc::run_seeds(one, trial), b = mc::run_seeds(two, trial), c = mc::run_seeds(other, trial);
  // Bitwise: per-seed streams and a pooling order fixed by seed index, whatever the thread count.
  EXPECT_EQ(a[0].mean, b[0].mean);
  EXPECT_EQ(a[1].standard_error, b[1].standard_error);
  EXPECT_NE(a[0].mean, c[0].mean);
  EXPECT_EQ(a[0].seeds, 6);
}

TEST(MonteCarlo, SeedShardsPoolToTheFullEstimate) {
  // What an MPI run with the seeds split over ranks does: each shard runs its own seeds, the
  // moments are pooled.  Three shards of seven seeds (3 + 2 + 2), one shard with no seed at all.
  auto trial = [](std::mt19937_64& rng) {
    const Eigen::MatrixXd A = mc::gaussian_matrix(10, 10, rng);
    return std::vector<double>{A.sum(), A.squaredNorm()};
  };
  mc::SeedOptions all{7, 5, 2};
  const auto full = mc::run_seeds(all, trial);
  for (int shards : {3, 9}) {
    std::vector<mc::SeedMoments> pooled(2);
    int ran = 0;
    for (int s = 0; s < shards; ++s) {
      mc::SeedOptions part = all;
      part.shard = s;
      part.shard_count = shards;
      const auto est = mc::run_seeds(part, trial);
      if (!est.empty()) ran += est[0].seeds;
      for (size_t k = 0; k < est.size(); ++k) pooled[k] += mc::moments_of(est[k]);
    }
    EXPECT_EQ(ran, 7);
    for (size_t k = 0; k < 2; ++k) {
      const mc::Estimate e = mc::estimate_of(pooled[k]);
      EXPECT_NEAR(e.mean, full[k].mean, 1e-12 * std::abs(full[k].mean));
      EXPECT_NEAR(e.standard_error, full[k].standard_error, 1e-10 * full[k].standard_error);
      EXPECT_EQ(e.seeds, 7);
    }
  }
}

TEST(MonteCarlo, RidgePrimalAndDualAgree) {
  std::mt19937_64 rng(3);
  const Eigen::MatrixXd F = mc::gaussian_matrix(50, 80, rng);
  const Eigen::VectorXd y = mc::gaussian_matrix(50, 1, rng);
  const Eigen::VectorXd dual = mc::ridge_readout(F, y, 0.3);
  const Eigen::VectorXd direct =
      (F.transpose() * F + 0.3 * Eigen::MatrixXd::Identity(80, 80)).ldlt().solve(F.transpose() * y);
  EXPECT_LT((dual - direct).norm(), 1e-10 * direct.norm());
  const Eigen::MatrixXd G = F.transpose();  // 80 × 50: primal branch
  const Eigen::VectorXd z = mc::gaussian_matrix(80, 1, rng);
  const Eigen::VectorXd primal = mc::ridge_readout(G, z, 0.3);
  const Eigen::VectorXd check = G.transpose() * (G * G.transpose() + 0.3 * Eigen::MatrixXd::Identity(80, 80)).ldlt().solve(z);
  EXPECT_LT((primal - check).norm(), 1e-10 * check.norm());
  // λ = 0, under-determined: the minimum-norm interpolator.
  const Eigen::VectorXd minnorm = mc::ridge_readout(F, y, 0.0);
  EXPECT_LT((F * minnorm - y).norm(), 1e-9);
  EXPECT_LT((minnorm - F.transpose() * (F * F.transpose()).ldlt().solve(y)).norm(), 1e-8);
}

TEST(MonteCarlo, RidgeSweepOverLambdaReusesTheSameDraws) {
  // Consecutive λ points reuse one eigen-decomposition per seed; the numbers must equal the direct
  // simulation of each point (same seeds, same data) to rounding, including λ = 0.
  const Model& rf = find_model("rf");
  SimulationOptions o;
  o.d = 120;
  o.seeds.seeds = 3;
  Point pt = rf_point("tanh", 1.5, 2.0, 0.0, 0.2);
  const std::vector<double> lambdas{1e-3, 0.1, 10.0, 0.0};
  std::vector<std::vector<mc::Estimate>> swept;
  for (double l : lambdas) {
    pt.number["lambda"] = l;
    swept.push_back(rf.simulate(pt, o));  // first point direct, then paths
  }
  for (size_t i = 0; i < lambdas.size(); ++i) {
    mc::RandomFeaturesSample s{make_activation("tanh"), make_activation("linear")};
    s.d = 120;
    s.p = 240;
    s.n = 180;
    s.n_test = 4000;
    s.lambda = lambdas[i];
    s.noise = 0.2;
    const auto direct = mc::run_seeds(o.seeds, [&](std::mt19937_64& rng) {
      const auto e = mc::simulate_random_features(s, rng);
      return std::vector<double>{e.test, e.train};
    });
    EXPECT_NEAR(swept[i][0].mean, direct[0].mean, 1e-8 * direct[0].mean) << "lambda " << lambdas[i];
    EXPECT_NEAR(swept[i][1].mean, direct[1].mean, 1e-8 * direct[0].mean + 1e-12) << "lambda " << lambdas[i];
  }
}

TEST(MonteCarlo, Float32FeaturesChangeErrorsFarLessThanTheirStatisticalError) {
  // The float32 path draws the same problem and only rounds the feature computation: per seed, the
  // error it changes must be tiny next to the seed-to-seed spread that the standard error reports —
  // including λ near 0 at the interpolation threshold (n = p), where the readout is worst conditioned.
  struct Case {
    const char* sigma;
    double alpha, beta, lambda;
  };
  for (const Case& c : {Case{"tanh", 1.5, 1.0, 1e-2}, Case{"relu", 1.0, 1.0, 1e-4}, Case{"sigmoid", 0.7, 2.0, 1e-3}}) {
    mc::RandomFeaturesSample s{make_activation(c.sigma), make_activation("linear")};
    s.d = 150;
    s.p = static_cast<int>(c.beta * s.d);
    s.n = static_cast<int>(c.alpha * s.d);
    s.n_test = 2000;
    s.lambda = c.lambda;
    s.noise = 0.1;
    std::vector<double> shift, test;
    for (int seed = 0; seed < 6; ++seed) {
      auto rng = mc::seed_stream(7, static_cast<std::uint64_t>(seed));
      auto rng_single = rng;
      const double plain = mc::simulate_random_features(s, rng).test;
      s.single_precision = true;
      const double single = mc::simulate_random_features(s, rng_single).test;
      s.single_precision = false;
      shift.push_back(std::abs(single - plain));
      test.push_back(plain);
    }
    double mean = 0.0, spread = 0.0, worst = 0.0;
    for (double v : test) mean += v / 6.0;
    for (double v : test) spread += (v - mean) * (v - mean) / 5.0;
    for (double v : shift) worst = std::max(worst, v);
    const double se = std::sqrt(spread / 6.0);
    EXPECT_GT(worst, 0.0) << c.sigma << ": float32 path not taken";
    EXPECT_LT(worst, 0.01 * se) << c.sigma << " shift " << worst << " vs SE " << se;
  }
}
