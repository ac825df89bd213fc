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

}  // namespace rmtsolve
