#pragma once
#include <Eigen/Dense>
#include <string>

namespace rmtsolve {

/// A covariance read from a file: square and symmetric to 1e-8 relative to its largest entry,
/// else InvalidInput naming `parameter` (every model that takes a covariance checks it the same way).
void require_symmetric(const Eigen::MatrixXd& M, const std::string& parameter);

/// A list of eigenvalues read from a file: one column or one row, else InvalidInput (a matrix must
/// not be flattened into a spectrum silently).
Eigen::VectorXd require_vector(const Eigen::MatrixXd& M, const std::string& parameter);

/// Whether the symmetric M is positive semi-definite up to `shift`: M + shift·I has a Cholesky
/// factor exactly when every eigenvalue of M exceeds −shift (LAPACK dpotrf; its round-off,
/// ~n·ε·‖M‖, must be far below `shift`).  A third of the work of an eigenvalue decomposition, for
/// a check that needs no eigenvalues.
bool positive_semidefinite_by_cholesky(Eigen::MatrixXd M, double shift);

}  // namespace rmtsolve
