#include "rmtsolve/montecarlo/readout.hpp"

#include <algorithm>
#include <cmath>

#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/estimators.hpp"
#include "rmtsolve/montecarlo/ridge.hpp"
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

ReadoutData draw_readout_data(const FeatureMap& features, const Teacher& teacher, int d, int n, int n_test,
                              std::mt19937_64& rng, const Eigen::VectorXd& input_sd) {
  auto inputs = [&](Eigen::Index rows) {
    Eigen::MatrixXd X = gaussian_matrix(rows, d, rng);
    if (input_sd.size()) X = X * input_sd.asDiagonal();
    return X;
  };
  ReadoutData data;
  Eigen::MatrixXd X = inputs(n);
  data.y = teacher.labels(X, rng);
  throw_if_interrupted();
  data.F = features(X);
  // The test inputs are drawn in blocks of kTestBlock rows, each followed by its labels: the order
  // in which the stream has always been read.  Their features come from one product: one large
  // gemm instead of a product, a temporary and a copy per block (the features are row by row, so
  // the numbers are the same).
  recycle(X);
  data.y_test.resize(n_test);
  Eigen::MatrixXd Xt = reusable_matrix(n_test, d);
  for (Eigen::Index done = 0; done < n_test; done += kTestBlock) {
    throw_if_interrupted();
    const Eigen::Index rows = std::min<Eigen::Index>(kTestBlock, n_test - done);
    Eigen::MatrixXd block = inputs(rows);
    data.y_test.segment(done, rows) = teacher.labels(block, rng);
    Xt.middleRows(done, rows) = block;
    recycle(block);
  }
  throw_if_interrupted();
  if (n_test > 0) data.F_test = features(Xt);
  recycle(Xt);
  return data;
}

namespace {

ReadoutErrors errors_of(const ReadoutData& data, Loss loss, const Eigen::VectorXd& fitted,
                        const Eigen::VectorXd& predicted) {
  const auto n = static_cast<double>(data.y.size()), n_test = static_cast<double>(data.y_test.size());
  ReadoutErrors e;
  e.train = (data.y - fitted).squaredNorm() / n;
  for (Eigen::Index i = 0; i < fitted.size(); ++i) e.train_loss += loss_value(loss, data.y[i], fitted[i]) / n;
  e.test = (data.y_test - predicted).squaredNorm() / n_test;
  double wrong = 0.0;
  for (Eigen::Index i = 0; i < predicted.size(); ++i) wrong += (predicted[i] > 0.0) != (data.y_test[i] > 0.0);
  e.classification = wrong / n_test;
  return e;
}

}  // namespace

ReadoutErrors evaluate_readout(const ReadoutData& data, const Estimator& estimator) {
  const Eigen::VectorXd a = fit_readout(estimator.loss, data.F, data.y, estimator.lambda);
  throw_if_interrupted();
  return errors_of(data, estimator.loss, data.F * a, data.F_test * a);
}

std::vector<ReadoutErrors> evaluate_ridge_grid(const ReadoutData& data, const std::vector<double>& lambdas) {
  const Eigen::MatrixXd A = ridge_readouts(data.F, data.y, lambdas);
  throw_if_interrupted();
  const Eigen::MatrixXd fitted = data.F * A, predicted = data.F_test * A;
  std::vector<ReadoutErrors> out;
  for (Eigen::Index j = 0; j < A.cols(); ++j) out.push_back(errors_of(data, Loss::kSquare, fitted.col(j), predicted.col(j)));
  return out;
}

}  // namespace rmtsolve::mc
