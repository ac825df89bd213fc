#include "rmtsolve/montecarlo/estimators.hpp"

#include <ceres/ceres.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/core/interrupt.hpp"
#include "rmtsolve/montecarlo/ridge.hpp"

namespace rmtsolve::mc {
namespace {

// Ends L-BFGS at the next iteration once a stop was requested; the fit then throws Interrupted.
class StopOnInterrupt final : public ceres::IterationCallback {
 public:
  ceres::CallbackReturnType operator()(const ceres::IterationSummary&) override {
    return interrupted() ? ceres::SOLVER_ABORT : ceres::SOLVER_CONTINUE;
  }
};

class LogisticObjective final : public ceres::FirstOrderFunction {
 public:
  LogisticObjective(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda) : F_(F), y_(y), lambda_(lambda) {}
  bool Evaluate(const double* parameters, double* cost, double* gradient) const override {
    const Eigen::Map<const Eigen::VectorXd> w(parameters, F_.cols());
    const Eigen::VectorXd margin = y_.cwiseProduct(F_ * w);
    double total = 0.5 * lambda_ * w.squaredNorm();
    Eigen::VectorXd slope(margin.size());  // dℓ/dz = −y σ(−y z)
    for (Eigen::Index i = 0; i < margin.size(); ++i) {
      const double t = -margin[i];
      total += t > 0 ? t + std::log1p(std::exp(-t)) : std::log1p(std::exp(t));
      const double s = t >= 0 ? 1.0 / (1.0 + std::exp(-t)) : std::exp(t) / (1.0 + std::exp(t));
      slope[i] = -y_[i] * s;
    }
    *cost = total;
    if (gradient) Eigen::Map<Eigen::VectorXd>(gradient, F_.cols()) = F_.transpose() * slope + lambda_ * w;
    return true;
  }
  int NumParameters() const override { return static_cast<int>(F_.cols()); }

 private:
  const Eigen::MatrixXd& F_;
  const Eigen::VectorXd& y_;
  double lambda_;
};

Eigen::VectorXd fit_logistic(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda) {
  Eigen::VectorXd w = Eigen::VectorXd::Zero(F.cols());
  ceres::GradientProblem problem(new LogisticObjective(F, y, lambda));
  ceres::GradientProblemSolver::Options options;
  options.line_search_direction_type = ceres::LBFGS;
  options.max_num_iterations = 20000;
  options.gradient_tolerance = 1e-10;
  options.function_tolerance = 1e-16;
  options.parameter_tolerance = 1e-14;
  options.logging_type = ceres::SILENT;
  StopOnInterrupt stop;
  options.callbacks.push_back(&stop);
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(options, problem, w.data(), &summary);
  throw_if_interrupted();
  if (!summary.IsSolutionUsable() || summary.termination_type == ceres::NO_CONVERGENCE)
    throw TrainingNotConverged("logistic readout: L-BFGS did not converge: " + summary.message);
  return w;
}

}  // namespace

// Dual coordinate descent for the ℓ2-regularised hinge loss (the method of Hsieh, Chang, Lin,
// Keerthi & Sundararajan, ICML 2008), in our notation: the primal
//   P(w) = Σ_i max(0, 1 − y_i f_i·w) + (λ/2)‖w‖²
// has the dual  max_{0 ≤ α ≤ 1} D(α) = Σ_i α_i − (λ/2)‖w(α)‖²,  w(α) = Σ_i α_i y_i f_i / λ,
// and one coordinate of D is maximised in closed form (a clipped Newton step, Q_ii = ‖f_i‖²/λ)
// while w is kept up to date, so a pass costs two length-p vector operations per sample.
HingeFit hinge_dual_cd(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda, const HingeOptions& options) {
  const Eigen::Index n = F.rows(), p = F.cols();
  // F is column-major: F.row(i) would touch p cache lines for p doubles.  Rows are what every
  // coordinate step reads and writes, so they are made contiguous once (n·p doubles, as F).
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> R = F;
  HingeFit fit;
  fit.w = Eigen::VectorXd::Zero(p);
  fit.alpha = Eigen::VectorXd::Zero(n);
  if (n == 0) return fit;
  Eigen::VectorXd& w = fit.w;
  Eigen::VectorXd& alpha = fit.alpha;
  const Eigen::VectorXd Q = R.rowwise().squaredNorm() / lambda;
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  // A fresh random order every pass (Hsieh et al.'s choice: a fixed order can make slow progress
  // when consecutive rows are correlated).  The seed is fixed, mixed with the shape, so that a run
  // is reproducible bit for bit; the solution depends on the order only within the tolerance.
  std::mt19937_64 rng(0x9e3779b97f4a7c15ULL ^ (static_cast<std::uint64_t>(n) << 32) ^ static_cast<std::uint64_t>(p));
  auto row = [&](Eigen::Index i) { return R.row(i); };

  // Shrinking: a variable at a bound whose gradient points out of the box by more than the
  // largest violation of the previous pass is set aside; once the active set has converged,
  // everything is put back and checked again, so shrinking never changes the answer.
  std::size_t active = order.size();
  double violation_max_old = std::numeric_limits<double>::infinity();
  double violation_min_old = -violation_max_old;
  double pg_tolerance = options.initial_pg_tolerance;
  // The budget counts coordinate visits, not passes: a pass over a shrunk active set is cheap.
  const double budget = static_cast<double>(options.max_passes) * static_cast<double>(n);
  for (double visits = 0.0; visits < budget; visits += static_cast<double>(active)) {
    throw_if_interrupted();
    ++fit.passes;
    std::shuffle(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(active), rng);
    double violation_max = -std::numeric_limits<double>::infinity();
    double violation_min = std::numeric_limits<double>::infinity();
    for (std::size_t s = 0; s < active; ++s) {
      const Eigen::Index i = order[s];
      const double G = y[i] * row(i).dot(w) - 1.0;  // −∂D/∂α_i
      double projected = G;
      if (alpha[i] <= 0.0) {
        if (G > violation_max_old) {
          std::swap(order[s], order[--active]);
          --s;
          continue;
        }
        projected = std::min(G, 0.0);
      } else if (alpha[i] >= 1.0) {
        if (G < violation_min_old) {
          std::swap(order[s], order[--active]);
          --s;
          continue;
        }
        projected = std::max(G, 0.0);
      }
      violation_max = std::max(violation_max, projected);
      violation_min = std::min(violation_min, projected);
      if (projected == 0.0) continue;
      // A zero feature row has a linear dual term: its optimum is at the bound G points to.
      const double updated = Q[i] > 0.0 ? std::clamp(alpha[i] - G / Q[i], 0.0, 1.0) : (G < 0.0 ? 1.0 : 0.0);
      const double step = (updated - alpha[i]) * y[i] / lambda;
      if (step == 0.0) continue;
      w.noalias() += step * row(i).transpose();
      alpha[i] = updated;
    }
    fit.most_shrunk = std::max(fit.most_shrunk, order.size() - active);
    if (active == 0) violation_max = violation_min = 0.0;
    if (violation_max - violation_min <= pg_tolerance) {
      if (active < order.size()) {  // converged on the active set: re-check every variable
        active = order.size();
        violation_max_old = std::numeric_limits<double>::infinity();
        violation_min_old = -violation_max_old;
        continue;
      }
      // Every variable satisfies the projected-gradient rule: measure the duality gap exactly
      // (one product F·w, the cost of a pass).  P − D ≥ P − P* ≥ (λ/2)‖w − w*‖², so the gap
      // bounds the distance to the exact solution.
      const Eigen::VectorXd margin = y.cwiseProduct(F * w);
      double hinge = 0.0;
      for (Eigen::Index i = 0; i < n; ++i) hinge += std::max(0.0, 1.0 - margin[i]);
      const double half_norm = 0.5 * lambda * w.squaredNorm();
      fit.primal = hinge + half_norm;
      fit.dual = alpha.sum() - half_norm;
      if (fit.primal - fit.dual <= options.relative_gap * std::abs(fit.primal)) return fit;
      // The gap is the criterion that matters; the projected gradient only decides when to look.
      pg_tolerance *= 0.1;
    }
    violation_max_old = violation_max <= 0.0 ? std::numeric_limits<double>::infinity() : violation_max;
    violation_min_old = violation_min >= 0.0 ? -std::numeric_limits<double>::infinity() : violation_min;
  }
  throw TrainingNotConverged("hinge readout: dual coordinate descent did not reach its tolerance in " +
                             std::to_string(options.max_passes) + " passes' worth of coordinate steps");
}

namespace {

Eigen::VectorXd fit_hinge(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda) {
  return hinge_dual_cd(F, y, lambda, HingeOptions{}).w;
}

}  // namespace

Eigen::VectorXd fit_readout(Loss loss, const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda) {
  switch (loss) {
    case Loss::kSquare: return ridge_readout(F, y, lambda);
    case Loss::kLogistic: return fit_logistic(F, y, lambda);
    case Loss::kHinge: return fit_hinge(F, y, lambda);
  }
  return {};
}

}  // namespace rmtsolve::mc
