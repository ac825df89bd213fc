#pragma once
#include <Eigen/Dense>

namespace rmtsolve {

/// Eigen-decomposition of a symmetric matrix by LAPACK's divide-and-conquer dsyevd (OpenBLAS):
/// several times faster than Eigen's own solver at the p ~ 10³ sizes of covariance inputs.
/// Eigenvalues ascending; eigenvectors as columns.
struct SymmetricEigen {
  Eigen::VectorXd values;
  Eigen::MatrixXd vectors;
};
SymmetricEigen symmetric_eigen(const Eigen::MatrixXd& A, bool with_vectors = true);

}  // namespace rmtsolve
