#include "rmtsolve/montecarlo/readout.hpp"

#include <algorithm>
#include <cmath>

#include "rmtsolve/montecarlo/estimators.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::mc {

constexpr Eigen::Index kTestBlock = 2048;

Eigen::VectorXd Teacher::labels(const Eigen::MatrixXd& X, std::mt19937_64& rng) const {
  Eigen::VectorXd y;
  if (hidden.size() == 0) {
    y = (X * theta) / std::sqrt(norm > 0.0 ? norm : static_cast<double>(X.cols()));
    if (noise_inside && noise > 0.0) y += std::sqrt(noise) * gaussian_matrix(X.rows(), 1, rng);
    for (Eigen::Index i = 0; i < y.size(); ++i) y[i] = link->f(y[i]);
  } else {
    Eigen::MatrixXd H = X * hidden.transpose();
    apply_activation(*link, H);
    y = H * theta / std::sqrt(static_cast<double>(hidden.rows()));
  }
  if (noise > 0.0 && !noise_inside) y += std::sqrt(noise) * gaussian_matrix(X.rows(), 1, rng);
  return y;
}

Eigen::VectorXd random_direction(int d, std::mt19937_64& rng) {
  Eigen::VectorXd v = gaussian_matrix(d, 1, rng);
  return v * (std::sqrt(static_cast<double>(d)) / v.norm());
}

ReadoutErrors readout_errors(const FeatureMap& features, const Teacher& teacher, int d, int n, int n_test,
                             const Estimator& estimator, std::mt19937_64& rng, const Eigen::VectorXd& input_sd) {
  auto inputs = [&](Eigen::Index rows) {
    Eigen::MatrixXd X = gaussian_matrix(rows, d, rng);
    if (input_sd.size()) X = X * input_sd.asDiagonal();
    return X;
  };
  const Eigen::MatrixXd X = inputs(n);
  const Eigen::VectorXd y = teacher.labels(X, rng);
  const Eigen::MatrixXd F = features(X);
  const Eigen::VectorXd a = fit_readout(estimator.loss, F, y, estimator.lambda);
  ReadoutErrors e;
  const Eigen::VectorXd fitted = F * a;
  e.train = (y - fitted).squaredNorm() / n;
  for (Eigen::Index i = 0; i < n; ++i) e.train_loss += loss_value(estimator.loss, y[i], fitted[i]) / n;
  double sum = 0.0, wrong = 0.0;
  for (Eigen::Index done = 0; done < n_test; done += kTestBlock) {
    const Eigen::MatrixXd Xt = inputs(std::min<Eigen::Index>(kTestBlock, n_test - done));
    const Eigen::VectorXd yt = teacher.labels(Xt, rng);
    const Eigen::VectorXd predicted = features(Xt) * a;
    sum += (yt - predicted).squaredNorm();
    for (Eigen::Index i = 0; i < yt.size(); ++i) wrong += (predicted[i] > 0.0) != (yt[i] > 0.0);
  }
  e.test = sum / n_test;
  e.classification = wrong / n_test;
  return e;
}

}  // namespace rmtsolve::mc
