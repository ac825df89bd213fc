#pragma once
#include <Eigen/Dense>
#include <vector>

namespace rmtsolve::mc {

/// â = argmin ‖y − F a‖² + λ‖a‖² for F ∈ ℝ^{n×p}, solved in the smaller of n and p: a p×p
/// (primal) or n×n (dual) Cholesky of a BLAS-3 Gram matrix.  λ = 0 gives the minimum-norm
/// least-squares solution (complete orthogonal decomposition).
Eigen::VectorXd ridge_readout(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda);

/// The readouts for several λ at once (column j for lambdas[j]) from one Gram matrix: each λ > 0
/// costs one Cholesky and no extra memory (the Gram is kept in the lower triangle, each λ's factor
/// is built in the upper one); λ = 0 is solved as in ridge_readout.
Eigen::MatrixXd ridge_readouts(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, const std::vector<double>& lambdas);

}  // namespace rmtsolve::mc
