#include "rmtsolve/montecarlo/ridge.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <stdexcept>

namespace rmtsolve::mc {
namespace {

// (G + λI)⁻¹ b for the Gram matrix G = AᵀA (transpose = true) or AAᵀ, by BLAS syrk and LAPACK
// Cholesky: the two calls that dominate a Monte Carlo seed, at the library's full speed.
Eigen::VectorXd gram_solve(const Eigen::MatrixXd& A, bool transpose, double lambda, Eigen::VectorXd b) {
  const int rows = static_cast<int>(A.rows()), cols = static_cast<int>(A.cols());
  const int k = transpose ? cols : rows;
  Eigen::MatrixXd G = Eigen::MatrixXd::Identity(k, k) * lambda;
  cblas_dsyrk(CblasColMajor, CblasLower, transpose ? CblasTrans : CblasNoTrans, k, transpose ? rows : cols, 1.0,
              A.data(), rows, 1.0, G.data(), k);
  if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', k, G.data(), k) != 0)
    throw std::runtime_error("ridge: Cholesky of the Gram matrix failed");
  LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', k, 1, G.data(), k, b.data(), k);
  return b;
}

}  // namespace

Eigen::VectorXd ridge_readout(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda) {
  if (lambda == 0.0) return F.completeOrthogonalDecomposition().solve(y);
  if (F.cols() <= F.rows()) return gram_solve(F, true, lambda, F.transpose() * y);
  return F.transpose() * gram_solve(F, false, lambda, y);
}

}  // namespace rmtsolve::mc
