#include "rmtsolve/montecarlo/sampling.hpp"

#include <boost/random/normal_distribution.hpp>

namespace rmtsolve::mc {

Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng, double scale) {
  // Boost's ziggurat sampler: several times faster than libstdc++'s polar method, and the same
  // numbers on every platform for a given stream.
  boost::random::normal_distribution<double> normal(0.0, scale);
  Eigen::MatrixXd A(rows, cols);
  // Fill in storage order so that the stream maps to entries the same way on every platform.
  double* a = A.data();
  for (Eigen::Index i = 0; i < A.size(); ++i) a[i] = normal(rng);
  return A;
}

Eigen::MatrixXd unit_rows(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng) {
  Eigen::MatrixXd W = gaussian_matrix(rows, cols, rng);
  W.rowwise().normalize();
  return W;
}

void apply_activation(const Activation& sigma, Eigen::MatrixXd& A) {
  if (sigma.apply_inplace) return sigma.apply_inplace(A.data(), static_cast<long>(A.size()));
  double* a = A.data();
  for (Eigen::Index i = 0; i < A.size(); ++i) a[i] = sigma.f(a[i]);
}

void apply_activation(const Activation& sigma, Eigen::MatrixXf& A) {
  if (sigma.apply_inplace_float) return sigma.apply_inplace_float(A.data(), static_cast<long>(A.size()));
  float* a = A.data();
  for (Eigen::Index i = 0; i < A.size(); ++i) a[i] = static_cast<float>(sigma.f(a[i]));
}

Eigen::MatrixXd activated_product(const Eigen::MatrixXd& X, const Eigen::MatrixXd& W, const Eigen::MatrixXf& W_single,
                                  const Activation& sigma, double scale, bool single_precision) {
  if (!single_precision) {
    Eigen::MatrixXd F = X * W.transpose();
    apply_activation(sigma, F);
    F *= scale;
    return F;
  }
  Eigen::MatrixXf F = X.cast<float>() * W_single.transpose();
  apply_activation(sigma, F);
  return F.cast<double>() * scale;
}

}  // namespace rmtsolve::mc
