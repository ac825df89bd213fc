#include "rmtsolve/montecarlo/ridge.hpp"

#include <cblas.h>
#include <lapacke.h>

#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

#include <stdexcept>
#include <vector>

namespace rmtsolve::mc {
namespace {

// (G + λI)⁻¹ b for the Gram matrix G = AᵀA (transpose = true) or AAᵀ, by BLAS syrk and LAPACK
// Cholesky: the two calls that dominate a Monte Carlo seed, at the library's full speed.
Eigen::VectorXd gram_solve(const Eigen::MatrixXd& A, bool transpose, double lambda, Eigen::VectorXd b) {
  const int rows = static_cast<int>(A.rows()), cols = static_cast<int>(A.cols());
  const int k = transpose ? cols : rows;
  // Uninitialised, and λ added after the product: no serial pass writing λI through k² entries.
  Eigen::MatrixXd G = reusable_matrix(k, k);
  cblas_dsyrk(CblasColMajor, CblasLower, transpose ? CblasTrans : CblasNoTrans, k, transpose ? rows : cols, 1.0,
              A.data(), rows, 0.0, G.data(), k);
  G.diagonal().array() += lambda;
  throw_if_interrupted();
  // The _work variants: LAPACKE's NaN scan of the k × k input is a serial pass of its own (0.4 % of a
  // d = 1000 seed); a NaN in G makes the Cholesky fail or propagates into the errors anyway.
  if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', k, G.data(), k) != 0)
    throw std::runtime_error("ridge: Cholesky of the Gram matrix failed");
  LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', k, 1, G.data(), k, b.data(), k);
  recycle(G);
  return b;
}

}  // namespace

Eigen::VectorXd ridge_readout(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda) {
  throw_if_interrupted();
  if (lambda == 0.0) return F.completeOrthogonalDecomposition().solve(y);
  if (F.cols() <= F.rows()) return gram_solve(F, true, lambda, F.transpose() * y);
  return F.transpose() * gram_solve(F, false, lambda, y);
}

Eigen::MatrixXd ridge_readouts(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, const std::vector<double>& lambdas) {
  const Eigen::Index n = F.rows(), p = F.cols(), count = static_cast<Eigen::Index>(lambdas.size());
  const bool primal = p <= n;
  const int k = static_cast<int>(primal ? p : n);
  Eigen::MatrixXd G(k, k);
  cblas_dsyrk(CblasColMajor, CblasLower, primal ? CblasTrans : CblasNoTrans, k, static_cast<int>(primal ? n : p), 1.0,
              F.data(), static_cast<int>(n), 0.0, G.data(), k);
  const Eigen::VectorXd diagonal = G.diagonal();
  const Eigen::VectorXd rhs = primal ? Eigen::VectorXd(F.transpose() * y) : y;
  Eigen::MatrixXd A(p, count), C = Eigen::MatrixXd::Zero(k, count);
  for (Eigen::Index j = 0; j < count; ++j) {
    const double lambda = lambdas[static_cast<size_t>(j)];
    if (lambda == 0.0) continue;  // below, by the complete orthogonal decomposition
    throw_if_interrupted();
    G.triangularView<Eigen::StrictlyUpper>() = G.transpose();
    G.diagonal() = diagonal.array() + lambda;
    if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', k, G.data(), k) != 0)
      throw std::runtime_error("ridge: Cholesky of the Gram matrix failed");
    C.col(j) = rhs;
    LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'U', k, 1, G.data(), k, C.col(j).data(), k);
  }
  if (primal) A = C;
  else A.noalias() = F.transpose() * C;
  for (Eigen::Index j = 0; j < count; ++j)
    if (lambdas[static_cast<size_t>(j)] == 0.0) A.col(j) = F.completeOrthogonalDecomposition().solve(y);
  return A;
}

}  // namespace rmtsolve::mc
