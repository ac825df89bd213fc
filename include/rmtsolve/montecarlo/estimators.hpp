#pragma once
#include <Eigen/Dense>

#include "rmtsolve/numerics/loss.hpp"

namespace rmtsolve::mc {

/// w = argmin Σ_μ ℓ(y_μ, (F w)_μ) + (λ/2)‖w‖², λ > 0 for logistic and hinge:
///  * square: ridge_readout (a Cholesky in the smaller of n and p);
///  * logistic: Ceres' L-BFGS (GradientProblemSolver), gradient tolerance 1e-10;
///  * hinge: dual coordinate descent (Hsieh et al. 2008) until the largest projected dual gradient
///    is below 1e-9 — the problem is not differentiable, so quasi-Newton methods do not apply.
/// Throws std::runtime_error if the optimiser stops short of its tolerance.
Eigen::VectorXd fit_readout(Loss loss, const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda);

}  // namespace rmtsolve::mc
