#include "predict.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "rmtsolve/core/error.hpp"
#include "rmtsolve/numerics/spectral.hpp"

namespace rmtsolve::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

void require_shape(const Eigen::MatrixXd& M, Eigen::Index rows, Eigen::Index cols, const char* name) {
  if (M.rows() != rows || M.cols() != cols)
    throw InvalidInput(name, "must be " + std::to_string(rows) + " x " + std::to_string(cols) + ", got " +
                                 std::to_string(M.rows()) + " x " + std::to_string(M.cols()));
}

void check(const PredictionOptions& o, const std::vector<double>& times) {
  if (!(o.learning_rate > 0.0) || !std::isfinite(o.learning_rate)) throw InvalidInput("learning_rate", "must be positive and finite");
  if (!(o.ridge >= 0.0) || !std::isfinite(o.ridge)) throw InvalidInput("ridge", "must be non-negative and finite");
  if (!(o.eigen_cutoff >= 0.0) || !(o.eigen_cutoff < 1.0)) throw InvalidInput("eigen_cutoff", "must be in [0, 1)");
  for (double t : times)
    if (!(t >= 0.0)) throw InvalidInput("times", "must be non-negative (inf allowed)");
}

// (1 − e^{−η λ t/N})/λ: the spectral filter of gradient flow; 1/λ at t = ∞.  Directions at or
// below the cutoff are null directions of the kernel (K_td annihilates them in exact arithmetic)
// and are dropped at every t, so that t → ∞ tends to the pseudo-inverse.
Eigen::VectorXd flow_filter(const Eigen::VectorXd& lambda, double floor, double rate, double t) {
  Eigen::VectorXd h(lambda.size());
  for (Eigen::Index i = 0; i < lambda.size(); ++i) {
    const double l = lambda[i];
    h[i] = l <= floor ? 0.0 : (std::isinf(t) ? 1.0 / l : -std::expm1(-rate * l * t) / l);
  }
  return h;
}

Prediction failed(Prediction p, Termination reason, const std::string& message) {
  p.summary.converged = false;
  p.summary.reason = reason;
  p.summary.message = message;
  return p;
}

}  // namespace

KernelBlocks kernel_blocks(const Architecture& arch, const Eigen::MatrixXd& X_train, const Eigen::MatrixXd& X_test) {
  const KernelPair dd = nngp_ntk(arch, X_train), td = nngp_ntk(arch, X_test, X_train);
  KernelBlocks k{dd.nngp, td.nngp, Eigen::MatrixXd(), dd.ntk, td.ntk};
  k.nngp_tt = nngp_ntk(arch, X_test).nngp;
  return k;
}

double max_learning_rate(const Eigen::MatrixXd& ntk_dd, Eigen::Index n_outputs_total, double momentum) {
  if (ntk_dd.rows() != ntk_dd.cols() || ntk_dd.rows() == 0) throw InvalidInput("ntk_dd", "must be a non-empty square matrix");
  if (n_outputs_total < 1) throw InvalidInput("n_outputs_total", "must be positive");
  if (!(momentum >= 0.0 && momentum < 1.0)) throw InvalidInput("momentum", "must be in [0, 1)");
  const double top = symmetric_eigen(ntk_dd, false).values.maxCoeff();
  return top > 0.0 ? 2.0 * (1.0 + momentum) * static_cast<double>(n_outputs_total) / top : kInf;
}

Prediction predict_gd_mse(KernelMode mode, const KernelBlocks& k, const Eigen::MatrixXd& Y, const std::vector<double>& times,
                          const PredictionOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  check(o, times);
  const bool ntk = mode == KernelMode::kNtk;
  const Eigen::MatrixXd& K_dd = ntk ? k.ntk_dd : k.nngp_dd;
  const Eigen::MatrixXd& K_td = ntk ? k.ntk_td : k.nngp_td;
  const Eigen::Index n = Y.rows(), n_test = K_td.rows();
  if (n < 1 || Y.cols() < 1) throw InvalidInput("Y", "needs at least one training point and one output");
  require_shape(K_dd, n, n, ntk ? "ntk_dd" : "nngp_dd");
  require_shape(K_td, n_test, n, ntk ? "ntk_td" : "nngp_td");
  if (o.covariance) {
    require_shape(k.nngp_dd, n, n, "nngp_dd");
    require_shape(k.nngp_td, n_test, n, "nngp_td");
    require_shape(k.nngp_tt, n_test, n_test, "nngp_tt");
  }

  Prediction p;
  p.times = times;
  p.summary.method = "eigen-decomposition of the train kernel (dsyevd)";
  p.regulariser = o.ridge * (o.ridge_relative ? K_dd.trace() / static_cast<double>(n) : 1.0);
  const Eigen::MatrixXd A = K_dd + p.regulariser * Eigen::MatrixXd::Identity(n, n);
  if (!A.allFinite() || !K_td.allFinite() || !Y.allFinite() ||
      (o.covariance && !(k.nngp_dd.allFinite() && k.nngp_td.allFinite() && k.nngp_tt.allFinite())))
    return failed(std::move(p), Termination::kNonFinite, "kernel or labels not finite");

  const SymmetricEigen eig = symmetric_eigen(A);
  const double top = eig.values.maxCoeff(), bottom = eig.values.minCoeff();
  // Round-off of a PSD kernel leaves eigenvalues of order n·ε·λ_max below zero, not more.
  if (bottom < -1e-8 * std::max(top, 0.0) * static_cast<double>(n) || !(top > 0.0))
    return failed(std::move(p), Termination::kNonFinite,
                  "train kernel is not positive semi-definite (eigenvalues " + std::to_string(bottom) + " .. " +
                      std::to_string(top) + ")");
  const double floor = o.eigen_cutoff * top;
  p.clipped_eigenvalues = static_cast<int>((eig.values.array() <= floor).count());
  p.condition_number = bottom > floor ? top / bottom : kInf;
  const double n_out = static_cast<double>(Y.size());
  p.eta_max = 2.0 * n_out / top;

  const double rate = o.learning_rate / n_out;
  const Eigen::MatrixXd UtY = eig.vectors.transpose() * Y;
  const Eigen::MatrixXd KU = K_td * eig.vectors;  // n_test × n
  for (double t : times) {
    const Eigen::VectorXd h = flow_filter(eig.values, floor, rate, t);
    p.mean.push_back(KU * h.asDiagonal() * UtY);
    if (!o.covariance) continue;
    Eigen::MatrixXd cov;
    if (ntk) {
      const Eigen::MatrixXd G = KU * h.asDiagonal() * eig.vectors.transpose();  // n_test × n
      const Eigen::MatrixXd cross = G * k.nngp_td.transpose();
      cov = k.nngp_tt + G * k.nngp_dd * G.transpose() - cross - cross.transpose();
    } else {
      const Eigen::VectorXd h2 = flow_filter(eig.values, floor, rate, 2.0 * t);
      cov = k.nngp_tt - KU * h2.asDiagonal() * KU.transpose();
    }
    p.covariance.push_back(0.5 * (cov + cov.transpose()));
  }
  p.summary.converged = true;
  p.summary.reason = Termination::kConverged;
  p.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return p;
}

Prediction predict_gp(KernelMode mode, const KernelBlocks& k, const Eigen::MatrixXd& Y, const PredictionOptions& o) {
  return predict_gd_mse(mode, k, Y, {kInf}, o);
}

}  // namespace rmtsolve::kernels
