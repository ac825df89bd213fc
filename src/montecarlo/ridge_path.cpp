#include "rmtsolve/montecarlo/ridge_path.hpp"

#include <algorithm>
#include <limits>

#include "rmtsolve/numerics/spectral.hpp"

namespace rmtsolve::mc {

RidgePath::RidgePath(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, const Eigen::MatrixXd& F_test,
                     const Eigen::VectorXd& y_test)
    : y_(y), y_test_(y_test) {
  const Eigen::Index n = F.rows(), p = F.cols();
  if (p <= n) {
    // FᵀF = V S Vᵀ:  â(λ) = V (S + λ)⁻¹ Vᵀ Fᵀ y.
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(p, p);
    gram.selfadjointView<Eigen::Lower>().rankUpdate(F.transpose());
    gram.triangularView<Eigen::StrictlyUpper>() = gram.transpose();
    const SymmetricEigen eig = symmetric_eigen(gram);
    s_ = eig.values;
    c_ = eig.vectors.transpose() * (F.transpose() * y);
    train_ = F * eig.vectors;
    test_ = F_test * eig.vectors;
  } else {
    // F Fᵀ = U S Uᵀ:  â(λ) = Fᵀ U (S + λ)⁻¹ Uᵀ y, so train predictions are U S (S + λ)⁻¹ Uᵀ y.
    Eigen::MatrixXd kernel = Eigen::MatrixXd::Zero(n, n);
    kernel.selfadjointView<Eigen::Lower>().rankUpdate(F);
    kernel.triangularView<Eigen::StrictlyUpper>() = kernel.transpose();
    const SymmetricEigen eig = symmetric_eigen(kernel);
    s_ = eig.values;
    c_ = eig.vectors.transpose() * y;
    train_ = eig.vectors * s_.cwiseMax(0.0).asDiagonal();
    test_ = F_test * (F.transpose() * eig.vectors);
  }
  s_ = s_.cwiseMax(0.0);
}

ReadoutErrors RidgePath::errors(double lambda) const {
  // Pseudo-inverse at λ = 0: directions with no spread in the data get no weight.
  const double cut = 64.0 * std::numeric_limits<double>::epsilon() * std::max(1.0, s_.maxCoeff()) * s_.size();
  Eigen::VectorXd weights(s_.size());
  for (Eigen::Index j = 0; j < s_.size(); ++j) weights[j] = (s_[j] + lambda > cut) ? c_[j] / (s_[j] + lambda) : 0.0;
  const Eigen::VectorXd fitted = train_ * weights, predicted = test_ * weights;
  ReadoutErrors e;
  e.train = (y_ - fitted).squaredNorm() / static_cast<double>(y_.size());
  e.train_loss = 0.5 * e.train;
  e.test = (y_test_ - predicted).squaredNorm() / static_cast<double>(y_test_.size());
  double wrong = 0.0;
  for (Eigen::Index i = 0; i < predicted.size(); ++i) wrong += (predicted[i] > 0.0) != (y_test_[i] > 0.0);
  e.classification = wrong / static_cast<double>(y_test_.size());
  return e;
}

double RidgePath::bytes_needed(Eigen::Index n, Eigen::Index p, Eigen::Index n_test) {
  const double k = static_cast<double>(std::min(n, p));
  return 8.0 * k * static_cast<double>(n + n_test + 2);
}

}  // namespace rmtsolve::mc
