#include "rmtsolve/montecarlo/random_features.hpp"

#include <algorithm>
#include <cmath>

#include "rmtsolve/montecarlo/ridge.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::mc {
namespace {

constexpr Eigen::Index kTestBlock = 2048;  // bounds the memory of the test-set features

// Fresh Gaussian inputs, their labels and their features σ(XWᵀ)/√p.
struct Batch {
  Eigen::MatrixXd features;
  Eigen::VectorXd labels;
};

Batch draw_batch(const RandomFeaturesSample& s, const Eigen::MatrixXd& W, const Eigen::VectorXd& theta,
                 Eigen::Index n, std::mt19937_64& rng) {
  const Eigen::MatrixXd X = gaussian_matrix(n, s.d, rng);
  Batch b;
  b.labels = (X * theta) / std::sqrt(static_cast<double>(s.d));
  for (Eigen::Index i = 0; i < n; ++i) b.labels[i] = s.link.f(b.labels[i]);
  if (s.noise > 0.0) b.labels += std::sqrt(s.noise) * gaussian_matrix(n, 1, rng);
  b.features.noalias() = X * W.transpose();
  apply_activation(s.sigma, b.features);
  b.features /= std::sqrt(static_cast<double>(s.p));
  return b;
}

}  // namespace

RidgeErrors simulate_random_features(const RandomFeaturesSample& s, std::mt19937_64& rng) {
  const Eigen::MatrixXd W = unit_rows(s.p, s.d, rng);
  Eigen::VectorXd theta = gaussian_matrix(s.d, 1, rng);
  theta *= std::sqrt(static_cast<double>(s.d)) / theta.norm();

  const Batch train = draw_batch(s, W, theta, s.n, rng);
  const Eigen::VectorXd a = ridge_readout(train.features, train.labels, s.lambda);
  RidgeErrors e;
  e.train = (train.labels - train.features * a).squaredNorm() / s.n;
  double sum = 0.0;
  for (Eigen::Index done = 0; done < s.n_test; done += kTestBlock) {
    const Batch test = draw_batch(s, W, theta, std::min<Eigen::Index>(kTestBlock, s.n_test - done), rng);
    sum += (test.labels - test.features * a).squaredNorm();
  }
  e.test = sum / s.n_test;
  return e;
}

}  // namespace rmtsolve::mc
