#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "equations/rf_ridge/rf_ridge.hpp"
#include "rmtsolve/model/model.hpp"
#include "rmtsolve/montecarlo/random_features.hpp"
#include "rmtsolve/montecarlo/one_step.hpp"
#include "rmtsolve/montecarlo/ridge.hpp"
#include "rmtsolve/montecarlo/ridge_sweep_cache.hpp"
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
  // A λ grid is solved from one draw per seed — by a Cholesky per λ (short grid, λ = 0 by the
  // minimum-norm solve) or one eigen-decomposition (long grid); the numbers must equal the direct
  // simulation of each point (same seeds, same data) to rounding.  The two grids use different base
  // seeds: the model keeps its solved grid points.
  const Model& rf = find_model("rf");
  const std::vector<double> lambdas{1e-3, 0.1, 10.0, 0.0};
  std::vector<double> long_grid = lambdas;
  for (int k = 0; k < 20; ++k) long_grid.push_back(std::pow(10.0, -4.0 + 0.3 * k));
  for (const auto& grid : {lambdas, long_grid}) {
    SimulationOptions o;
    o.d = 120;
    o.seeds.seeds = 3;
    o.seeds.base_seed = grid.size() + 1000;
    o.lambda_grid = grid;
    Point pt = rf_point("tanh", 1.5, 2.0, 0.0, 0.2);
    std::vector<std::vector<mc::Estimate>> swept;
    for (double l : lambdas) {
      pt.number["lambda"] = l;
      swept.push_back(rf.simulate(pt, o));
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
      EXPECT_NEAR(swept[i][0].mean, direct[0].mean, 1e-8 * direct[0].mean) << "lambda " << lambdas[i] << " grid " << grid.size();
      EXPECT_NEAR(swept[i][1].mean, direct[1].mean, 1e-8 * direct[0].mean + 1e-12) << "lambda " << lambdas[i] << " grid " << grid.size();
    }
  }
}

TEST(MonteCarlo, RidgeSweepCacheDrawsEachSeedOnceForTheWholeGrid) {
  // The cost of a k-value λ grid is one draw per seed (what makes it cost about one point), and a
  // λ outside the grid is solved on its own.
  mc::RidgeSweepCache cache;
  mc::SeedOptions seeds{4, 9, 2};
  std::atomic<int> draws{0};
  auto draw = [&](std::mt19937_64& rng) {
    ++draws;
    mc::RandomFeaturesSample s{make_activation("tanh"), make_activation("linear")};
    s.d = 40;
    s.p = 60;
    s.n = 50;
    s.n_test = 100;
    return mc::sample_random_features(s, rng);
  };
  const std::vector<double> grid{1e-2, 1e-1, 1.0};
  std::vector<double> tests;
  for (double l : grid) tests.push_back(cache.estimates("k", l, grid, seeds, draw)[0].mean);
  EXPECT_EQ(draws.load(), 4);
  EXPECT_LT(tests[0], tests[2]);  // noiseless linear target: less ridge, less test error here
  cache.estimates("k", 5.0, grid, seeds, draw);
  EXPECT_EQ(draws.load(), 8);
  cache.estimates("other", 1e-2, grid, seeds, draw);
  EXPECT_EQ(draws.load(), 12);
}

TEST(MonteCarlo, RidgeReadoutsOfAGridEqualOneSolvePerLambda) {
  std::mt19937_64 rng(5);
  for (const auto& [n, p] : {std::pair<int, int>{70, 40}, std::pair<int, int>{40, 70}}) {
    const Eigen::MatrixXd F = mc::gaussian_matrix(n, p, rng);
    const Eigen::VectorXd y = mc::gaussian_matrix(n, 1, rng);
    const std::vector<double> lambdas{0.5, 0.0, 1e-3, 20.0};
    const Eigen::MatrixXd A = mc::ridge_readouts(F, y, lambdas);
    for (size_t j = 0; j < lambdas.size(); ++j) {
      const Eigen::VectorXd one = mc::ridge_readout(F, y, lambdas[j]);
      // Both are backward-stable solves of systems with condition ≲ 1e4 here: agreement to 1e-10.
      EXPECT_LT((A.col(static_cast<Eigen::Index>(j)) - one).norm(), 1e-10 * one.norm()) << n << "x" << p << " lambda " << lambdas[j];
    }
  }
}

TEST(MonteCarlo, GaussianBlocksDoNotDependOnTheThreadCount) {
  // Large matrices are sampled in blocks with their own streams: the numbers are a function of the
  // caller's stream only.  Sampled numbers are compared exactly: no arithmetic happens after the
  // draw, so any difference would be a different mapping of streams to entries.
  const Eigen::Index rows = 2000, cols = 1700;  // 3.2 blocks
  ASSERT_GT(rows * cols, 3 * mc::kSampleBlock);
  std::vector<Eigen::MatrixXd> drawn;
  std::vector<std::uint64_t> after;
  for (int threads : {1, 2, 3, 8}) {
    const int before = mc::set_sampling_threads(threads);
    std::mt19937_64 rng(77);
    drawn.push_back(mc::gaussian_matrix(rows, cols, rng, 2.0));
    after.push_back(rng());
    mc::set_sampling_threads(before);
  }
  for (size_t k = 1; k < drawn.size(); ++k) {
    EXPECT_TRUE((drawn[k].array() == drawn[0].array()).all()) << "thread setting " << k;
    EXPECT_EQ(after[k], after[0]);
  }
  // The statistics of N(0, 4): mean and variance within 5 standard errors, and neighbouring blocks
  // uncorrelated (their streams are distinct, not shifted copies of one another).
  const Eigen::Map<const Eigen::VectorXd> v(drawn[0].data(), drawn[0].size());
  const double N = static_cast<double>(v.size());
  EXPECT_LT(std::abs(v.mean()), 5.0 * 2.0 / std::sqrt(N));
  EXPECT_LT(std::abs(v.squaredNorm() / N - 4.0), 5.0 * 4.0 * std::sqrt(2.0 / N));
  const Eigen::Index B = mc::kSampleBlock;
  const double cross = v.segment(0, B).dot(v.segment(B, B)) / (4.0 * static_cast<double>(B));
  EXPECT_LT(std::abs(cross), 5.0 / std::sqrt(static_cast<double>(B)));
}

TEST(MonteCarlo, SimulationDoesNotDependOnTheThreadCount) {
  // Seeds on one thread (sampling on all cores) or on two (sampling on one each): the same draws,
  // the same numbers.  A tolerance instead of bitwise: BLAS may split its products differently
  // with its own thread count (rounding only, ≪ 1e-12 of the errors).
  mc::RandomFeaturesSample s{make_activation("tanh"), make_activation("linear")};
  s.d = 600;
  s.p = 300;
  s.n = 300;
  s.n_test = 2100;  // test inputs in 2048 × 600 batches: more than one sampling block
  ASSERT_GT(Eigen::Index{2048} * s.d, mc::kSampleBlock);
  s.noise = 0.1;
  auto trial = [&](std::mt19937_64& rng) {
    const auto e = mc::simulate_random_features(s, rng);
    return std::vector<double>{e.test, e.train};
  };
  const auto one = mc::run_seeds({3, 11, 1}, trial), two = mc::run_seeds({3, 11, 2}, trial);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_NEAR(one[k].mean, two[k].mean, 1e-12 * std::abs(one[k].mean));
    EXPECT_NEAR(one[k].standard_error, two[k].standard_error, 1e-9 * one[k].standard_error);
  }
}

TEST(MonteCarlo, ReusedStorageGivesTheSameSeed) {
  // A thread's next seed draws into the storage its previous seed recycled (uninitialised): every
  // entry must be written again.  Seed A fresh, then seed B, then seed A into B's leftovers; a
  // stale entry anywhere (inputs, features, Gram) would move the errors by far more than rounding.
  mc::RandomFeaturesSample s{make_activation("tanh"), make_activation("linear")};
  s.d = 300;
  s.p = 900;  // matrices above the 2^18-entry threshold of the reuse
  s.n = 900;
  s.n_test = 2100;
  s.noise = 0.1;
  auto seed = [&](std::uint64_t k) {
    std::mt19937_64 rng = mc::seed_stream(7, k);
    return mc::simulate_random_features(s, rng);
  };
  mc::release_recycled();
  const auto fresh = seed(1);
  const auto other = seed(2);
  const auto reused = seed(1);
  mc::release_recycled();
  EXPECT_GT(std::abs(other.test - fresh.test), 1e-6);  // the two seeds do differ
  // Same draws, same calls: only BLAS's thread split could round differently (≪ 1e-12).
  EXPECT_NEAR(reused.test, fresh.test, 1e-12 * fresh.test);
  EXPECT_NEAR(reused.train, fresh.train, 1e-12 * fresh.train);
}

TEST(MonteCarlo, ActivationWithSlopeMatchesTheScalarDerivative) {
  std::mt19937_64 rng(4);
  const Eigen::MatrixXd X = 3.0 * mc::gaussian_matrix(50, 40, rng);
  for (const char* name : {"tanh", "relu", "sigmoid", "erf", "softplus"}) {
    const Activation sigma = make_activation(name);
    Eigen::MatrixXd slope = X;
    const Eigen::MatrixXd value = mc::activation_with_slope(sigma, slope);
    for (Eigen::Index i = 0; i < X.size(); ++i) {
      // Vectorised exp-based forms against libm: agreement to a few ulps of O(1) numbers.
      EXPECT_NEAR(value(i), sigma.f(X(i)), 1e-14) << name << " at " << X(i);
      EXPECT_NEAR(slope(i), sigma.df(X(i)), 1e-14) << name << "' at " << X(i);
    }
  }
}

// The float32 checks: over the seeds, the largest shift |single − double| of the test error must
// be non-zero (the path was taken) and below 1 % of the standard error of the seed mean.
static void expect_shift_far_below_se(const std::vector<double>& test, const std::vector<double>& shift, const std::string& label) {
  const double n = static_cast<double>(test.size());
  double mean = 0.0, spread = 0.0, worst = 0.0;
  for (double v : test) mean += v / n;
  for (double v : test) spread += (v - mean) * (v - mean) / (n - 1.0);
  for (double v : shift) worst = std::max(worst, v);
  const double se = std::sqrt(spread / n);
  EXPECT_GT(worst, 0.0) << label << ": float32 path not taken";
  EXPECT_LT(worst, 0.01 * se) << label << " shift " << worst << " vs SE " << se;
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
    expect_shift_far_below_se(test, shift, c.sigma);
  }
}

TEST(MonteCarlo, SrfFloat32FeaturesChangeErrorsFarLessThanTheirStatisticalError) {
  // The float32 readout features of the srf simulations (one-step network and idealised spiked
  // model): the same draws, only the feature computation rounded — as the rf check above.
  const Activation tanh_ = make_activation("tanh");
  for (int network = 0; network < 2; ++network) {
    std::vector<double> shift, test;
    for (int seed = 0; seed < 6; ++seed) {
      auto rng = mc::seed_stream(8, static_cast<std::uint64_t>(seed));
      auto rng_single = rng;
      double plain = 0.0, single = 0.0;
      if (network == 0) {
        mc::OneStepSample s{tanh_, tanh_, 150, 150, 300, 225, 2000, 2.0, 1e-3, 0.1};
        plain = mc::simulate_one_step_network(s, rng).test;
        s.single_precision = true;
        single = mc::simulate_one_step_network(s, rng_single).test;
      } else {
        mc::SpikedSample s{tanh_, tanh_, 150, 150, 225, 2000, 0.8, 1.0, 0.6, 1e-3, 0.1};
        plain = mc::simulate_spiked_features(s, rng).test;
        s.single_precision = true;
        single = mc::simulate_spiked_features(s, rng_single).test;
      }
      shift.push_back(std::abs(single - plain));
      test.push_back(plain);
    }
    expect_shift_far_below_se(test, shift, "network " + std::to_string(network));
  }
}
