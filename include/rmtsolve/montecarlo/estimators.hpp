#pragma once
#include <Eigen/Dense>

#include <cstddef>

#include "rmtsolve/numerics/loss.hpp"

namespace rmtsolve::mc {

/// w = argmin Σ_μ ℓ(y_μ, (F w)_μ) + (λ/2)‖w‖², λ > 0 for logistic and hinge:
///  * square: ridge_readout (a Cholesky in the smaller of n and p);
///  * logistic: Ceres' L-BFGS (GradientProblemSolver), gradient tolerance 1e-10;
///  * hinge: hinge_dual_cd below with its default options — the problem is not differentiable, so
///    quasi-Newton methods do not apply.
/// Throws TrainingNotConverged if the optimiser stops short of its tolerance.
Eigen::VectorXd fit_readout(Loss loss, const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda);

struct HingeOptions {
  /// Stop when primal − dual ≤ relative_gap·|primal|.  The gap bounds both the excess primal
  /// objective and (λ/2)‖w − w*‖² (strong convexity), and equals the sum over samples of their
  /// complementary-slackness violations, so it is the natural relative accuracy of the readout.
  /// 1e-9: the srf-class Monte Carlo's errors then agree with a 1e-13 solve of the same draws to
  /// ~1e-10 relative (test error) and exactly (classification error), far below any Monte Carlo
  /// SE (bench/notes/srf_class_hinge.md); 1e-12 is about the floor set by rounding.
  double relative_gap = 1e-9;
  /// The spread of projected gradients (margins' distance from 1 on free variables) that triggers
  /// the gap check; divided by 10 each time the gap is not yet small enough.
  double initial_pg_tolerance = 1e-3;
  /// Budget in coordinate steps, counted in units of n (a pass over all samples).
  int max_passes = 100000;
};

struct HingeFit {
  Eigen::VectorXd w, alpha;  ///< primal solution and dual variables, w = Σ α_i y_i f_i / λ
  double primal = 0.0, dual = 0.0;
  int passes = 0;               ///< passes over the (shrunk) active set, re-checks included
  std::size_t most_shrunk = 0;  ///< largest number of variables set aside by shrinking at once
};

/// argmin_w Σ_i max(0, 1 − y_i (F w)_i) + (λ/2)‖w‖² by dual coordinate descent with random
/// order and shrinking (Hsieh et al. 2008), stopped by the relative duality gap.  Throws
/// TrainingNotConverged when the budget runs out, Interrupted (between passes) on a stop request.
HingeFit hinge_dual_cd(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda, const HingeOptions& options);

}  // namespace rmtsolve::mc
