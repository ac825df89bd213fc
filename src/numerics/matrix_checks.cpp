#include "rmtsolve/numerics/matrix_checks.hpp"

#include <lapacke.h>

#include <algorithm>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve {

void require_symmetric(const Eigen::MatrixXd& M, const std::string& parameter) {
  if (M.rows() != M.cols())
    throw InvalidInput(parameter, "must be square, got " + std::to_string(M.rows()) + "x" + std::to_string(M.cols()));
  const double scale = std::max(1.0, M.cwiseAbs().maxCoeff());
  if ((M - M.transpose()).cwiseAbs().maxCoeff() > 1e-8 * scale) throw InvalidInput(parameter, "must be symmetric");
}

Eigen::VectorXd require_vector(const Eigen::MatrixXd& M, const std::string& parameter) {
  if (M.cols() != 1 && M.rows() != 1)
    throw InvalidInput(parameter, "must hold one column of eigenvalues, got a " + std::to_string(M.rows()) + "x" +
                                      std::to_string(M.cols()) + " matrix");
  return M.reshaped();
}

bool positive_semidefinite_by_cholesky(Eigen::MatrixXd M, double shift) {
  if (M.rows() != M.cols()) return false;
  const lapack_int n = static_cast<lapack_int>(M.rows());
  if (n == 0) return true;
  M.diagonal().array() += shift;
  return LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, M.data(), n) == 0;
}

bool joint_positive_semidefinite(const Eigen::MatrixXd& Psi, const Eigen::VectorXd& omega,
                                 const Eigen::MatrixXd& projections, double shift) {
  const Eigen::Index k = Psi.rows(), p = omega.size();
  if (Psi.cols() != k || projections.rows() != k || projections.cols() != p) return false;
  if (p > 0 && !(omega.minCoeff() + shift > 0.0)) return false;
  if (k == 0) return true;
  // G D^{-1/2}: the off-diagonal block of the block Cholesky factor.
  const Eigen::MatrixXd L = projections * (omega.array() + shift).rsqrt().matrix().asDiagonal();
  Eigen::MatrixXd S = Psi;
  S.diagonal().array() += shift;
  S.selfadjointView<Eigen::Lower>().rankUpdate(L, -1.0);  // dsyrk into the lower triangle
  return LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', static_cast<lapack_int>(k), S.data(), static_cast<lapack_int>(k)) == 0;
}

}  // namespace rmtsolve
