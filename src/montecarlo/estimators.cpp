#include "rmtsolve/montecarlo/estimators.hpp"

#include <ceres/ceres.h>

#include <cmath>
#include <numeric>
#include <stdexcept>

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

Eigen::VectorXd fit_hinge(const Eigen::MatrixXd& F, const Eigen::VectorXd& y, double lambda) {
  const Eigen::Index n = F.rows();
  Eigen::VectorXd alpha = Eigen::VectorXd::Zero(n), w = Eigen::VectorXd::Zero(F.cols());
  const Eigen::VectorXd Q = F.rowwise().squaredNorm() / lambda;
  constexpr double kTolerance = 1e-9;
  for (int pass = 0; pass < 100000; ++pass) {
    throw_if_interrupted();
    double worst = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double G = y[i] * F.row(i).dot(w) - 1.0;  // ∂(dual objective)/∂α_i, sign-flipped
      const double projected = alpha[i] == 0.0 ? std::min(G, 0.0) : (alpha[i] == 1.0 ? std::max(G, 0.0) : G);
      worst = std::max(worst, std::abs(projected));
      if (projected == 0.0 || Q[i] == 0.0) continue;
      const double updated = std::clamp(alpha[i] - G / Q[i], 0.0, 1.0);
      w += ((updated - alpha[i]) * y[i] / lambda) * F.row(i).transpose();
      alpha[i] = updated;
    }
    if (worst < kTolerance) return w;
  }
  throw TrainingNotConverged("hinge readout: dual coordinate descent did not reach its tolerance in 100000 passes");
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
