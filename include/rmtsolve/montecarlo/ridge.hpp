#pragma once
#include <Eigen/Dense>

namespace rmtsolve::mc {

/// â = argmin ‖y − F a‖² + λ‖a‖² for F ∈ ℝ^{n×p}, solved in the smaller of n and p: a p×p
/// (primal) or n×n (dual) Cholesky of a BLAS-3 Gram matrix.  λ = 0 gives the minimum-norm
/// least-squares solution (complete orthogonal decomposition).
Eigen::VectorXd ridge_readout(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda);

}  // namespace rmtsolve::mc
