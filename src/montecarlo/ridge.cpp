#include "rmtsolve/montecarlo/ridge.hpp"

#include <stdexcept>

namespace rmtsolve::mc {

Eigen::VectorXd ridge_readout(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda) {
  if (lambda == 0.0) return F.completeOrthogonalDecomposition().solve(y);
  const Eigen::Index n = F.rows(), p = F.cols();
  if (p <= n) {
    Eigen::MatrixXd A = Eigen::MatrixXd::Identity(p, p) * lambda;
    A.selfadjointView<Eigen::Lower>().rankUpdate(F.transpose());  // syrk
    Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt(A);
    if (llt.info() != Eigen::Success) throw std::runtime_error("ridge: Cholesky of the Gram matrix failed");
    return llt.solve(F.transpose() * y);
  }
  Eigen::MatrixXd K = Eigen::MatrixXd::Identity(n, n) * lambda;
  K.selfadjointView<Eigen::Lower>().rankUpdate(F);
  Eigen::LLT<Eigen::MatrixXd, Eigen::Lower> llt(K);
  if (llt.info() != Eigen::Success) throw std::runtime_error("ridge: Cholesky of the kernel matrix failed");
  return F.transpose() * llt.solve(y);
}

}  // namespace rmtsolve::mc
