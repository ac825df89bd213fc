#include "rmtsolve/montecarlo/weights.hpp"

#include <cmath>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"
#include "rmtsolve/numerics/spectral.hpp"

namespace rmtsolve::mc {

std::string WeightModel::describe() const {
  switch (kind) {
    case Kind::kGaussian: return "gaussian";
    case Kind::kOrthogonal: return "orthogonal";
    case Kind::kRowCovariance: return "row-covariance";
  }
  return "";
}

namespace {
Eigen::MatrixXd square_root(const Eigen::MatrixXd& C) {
  const SymmetricEigen eig = symmetric_eigen(C);
  if (eig.values.minCoeff() < -1e-10 * std::max(1.0, eig.values.maxCoeff()))
    throw InvalidInput("weights", "row covariance is not positive semi-definite");
  return eig.vectors * eig.values.cwiseMax(0.0).cwiseSqrt().asDiagonal() * eig.vectors.transpose();
}
}  // namespace

void WeightModel::prepare() {
  if (kind == Kind::kRowCovariance && !root) root = std::make_shared<const Eigen::MatrixXd>(square_root(C));
}

Eigen::MatrixXd sample_weights(const WeightModel& model, Eigen::Index k_out, Eigen::Index k_in, std::mt19937_64& rng) {
  switch (model.kind) {
    case WeightModel::Kind::kGaussian:
      return gaussian_matrix(k_out, k_in, rng, 1.0 / std::sqrt(static_cast<double>(k_in)));
    case WeightModel::Kind::kOrthogonal: {
      // Q factor of a Gaussian matrix (sign-corrected) is Haar distributed.
      const Eigen::Index big = std::max(k_out, k_in), small = std::min(k_out, k_in);
      const Eigen::MatrixXd G = gaussian_matrix(big, small, rng);
      Eigen::HouseholderQR<Eigen::MatrixXd> qr(G);
      Eigen::MatrixXd Q = qr.householderQ() * Eigen::MatrixXd::Identity(big, small);
      const Eigen::VectorXd R = qr.matrixQR().diagonal();
      for (Eigen::Index j = 0; j < small; ++j)
        if (R[j] < 0) Q.col(j) = -Q.col(j);
      // k_out ≤ k_in: orthonormal rows (norm 1).  k_out > k_in: orthonormal columns, rows of
      // squared norm k_in/k_out on average, rescaled to 1.
      if (k_out <= k_in) return Q.transpose();
      return Q * std::sqrt(static_cast<double>(k_out) / static_cast<double>(k_in));
    }
    case WeightModel::Kind::kRowCovariance: {
      if (model.C.rows() != k_in || model.C.cols() != k_in)
        throw InvalidInput("weights", "row covariance must be " + std::to_string(k_in) + "x" + std::to_string(k_in) +
                                          ", got " + std::to_string(model.C.rows()) + "x" + std::to_string(model.C.cols()));
      if (model.root) return gaussian_matrix(k_out, k_in, rng) * *model.root;
      return gaussian_matrix(k_out, k_in, rng) * square_root(model.C);
    }
  }
  return {};
}

}  // namespace rmtsolve::mc
