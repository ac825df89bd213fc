#include "rmtsolve/montecarlo/feature_learning.hpp"

#include <algorithm>
#include <cmath>

#include <boost/math/constants/constants.hpp>

#include "rmtsolve/core/error.hpp"

namespace rmtsolve::mc {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio_or_nan(double numerator, double denominator) {
  return denominator > 0.0 && std::isfinite(denominator) ? numerator / denominator : kNaN;
}

void check_layer(const Mlp& net, int layer) {
  if (layer < 1 || layer > net.depth())
    throw InvalidInput("layer", "must be between 1 and the depth " + std::to_string(net.depth()) + ", got " +
                                    std::to_string(layer));
}

void check_power(double power) {
  if (!(power > 0.0) || !std::isfinite(power)) throw InvalidInput("power", "the AGOP power must be positive");
}

// Forward pass, and the backward pass with unit weights: deltas(ℓ) are then the Jacobians J_ℓ.
MlpPass jacobian_pass(const Mlp& net, const Eigen::MatrixXd& X) {
  MlpPass pass;
  pass.forward(net, X);
  pass.backward(net, Eigen::VectorXd::Ones(X.rows()));
  return pass;
}

Eigen::MatrixXd ntk_from_pass(const Mlp& net, const MlpPass& pass, const std::vector<double>& rates) {
  const int depth = net.depth();
  if (rates.size() != static_cast<size_t>(depth) + 1)
    throw InvalidInput("lr", "the NTK needs " + std::to_string(depth + 1) + " learning rates (layers and readout)");
  const Eigen::MatrixXd& last = pass.activations(depth);
  Eigen::MatrixXd theta = (rates.back() * net.kappa * net.kappa) * (last * last.transpose());
  for (int l = 1; l <= depth; ++l) {
    const double rate = rates[static_cast<size_t>(l - 1)];
    if (rate == 0.0) continue;
    const Eigen::MatrixXd& J = pass.deltas(l);
    const Eigen::MatrixXd& Z = pass.activations(l - 1);
    theta.array() += rate * (J * J.transpose()).array() * (Z * Z.transpose()).array();
  }
  return theta;
}

// Every NFA-type number is ρ(NFM, AGOP^s); only the matrices differ.
Correlation nfm_agop_correlation(const Eigen::MatrixXd& nfm, const Eigen::MatrixXd& agop, double power) {
  return correlation(nfm, psd_power(agop, power));
}

}  // namespace

Correlation correlation(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
  if (A.rows() != B.rows() || A.cols() != B.cols() || A.size() == 0)
    throw InvalidInput("matrices", "correlation needs two non-empty matrices of the same shape");
  const Eigen::ArrayXXd a = A.array() - A.mean(), b = B.array() - B.mean();
  Correlation c;
  c.pearson = ratio_or_nan((a * b).sum(), std::sqrt(a.square().sum() * b.square().sum()));
  c.cosine = ratio_or_nan(A.cwiseProduct(B).sum(), A.norm() * B.norm());
  return c;
}

Eigen::MatrixXd psd_power(const Eigen::MatrixXd& A, double s) {
  check_power(s);
  if (s == 1.0) return A;
  if (!A.allFinite()) return Eigen::MatrixXd::Constant(A.rows(), A.cols(), kNaN);  // a diverged run stays NaN
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(A);
  if (eig.info() != Eigen::Success) throw std::runtime_error("psd_power: eigen-decomposition failed");
  // Scalar pow: Eigen's vectorised pow trips GCC 12's -Wuninitialized inside its AVX-512 headers.
  const Eigen::VectorXd lambda = eig.eigenvalues().unaryExpr([s](double l) { return std::pow(std::max(l, 0.0), s); });
  return eig.eigenvectors() * lambda.asDiagonal() * eig.eigenvectors().transpose();
}

LayerMatrices layer_matrices(const Mlp& net, const Eigen::MatrixXd& X, int layer, double power) {
  check_layer(net, layer);
  const MlpPass pass = jacobian_pass(net, X);
  const Eigen::MatrixXd& J = pass.deltas(layer);
  const Eigen::MatrixXd& W = net.W[static_cast<size_t>(layer - 1)];
  LayerMatrices m;
  m.nfm = W.transpose() * W;
  m.ptk = J.transpose() * J;
  m.agop = psd_power(W.transpose() * m.ptk * W, power);
  return m;
}

Eigen::MatrixXd empirical_ntk(const Mlp& net, const Eigen::MatrixXd& X, const std::vector<double>& learning_rates) {
  return ntk_from_pass(net, jacobian_pass(net, X), learning_rates);
}

double kernel_distance(const Eigen::MatrixXd& theta0, const Eigen::MatrixXd& theta) {
  if (theta0.rows() != theta.rows() || theta0.cols() != theta.cols())
    throw InvalidInput("kernels", "kernel distance needs two Grams of the same shape");
  // ≥ 0 by Cauchy–Schwarz; clip the rounding of identical kernels (1 − 1.0000000000000002).
  const double s = 1.0 - ratio_or_nan(theta0.cwiseProduct(theta).sum(), theta0.norm() * theta.norm());
  return s < 0.0 ? 0.0 : s;  // NaN stays NaN
}

double kernel_target_alignment(const Eigen::MatrixXd& theta, const Eigen::VectorXd& y) {
  if (theta.rows() != y.size() || theta.cols() != y.size())
    throw InvalidInput("labels", "kernel-target alignment needs one label per row of the Gram");
  return ratio_or_nan(y.dot(theta * y), theta.norm() * y.squaredNorm());
}

FeatureLearningMonitor::FeatureLearningMonitor(const MlpTrainer& trainer, DiagnosticOptions options,
                                               Eigen::MatrixXd X_test, Eigen::VectorXd y_test)
    : options_(options), X_test_(std::move(X_test)), y_test_(std::move(y_test)) {
  check_power(options_.power);
  if (X_test_.size() > 0 && (X_test_.cols() != trainer.inputs().cols() || y_test_.size() != X_test_.rows()))
    throw InvalidInput("test set", "needs rows of the input dimension and one label each");
  ntk0_ = empirical_ntk(trainer.initial(), trainer.inputs(), trainer.learning_rates());
}

Diagnostics FeatureLearningMonitor::measure(const MlpTrainer& trainer) const {
  const Mlp& net = trainer.net();
  const Eigen::MatrixXd& X = trainer.inputs();
  const MlpPass pass = jacobian_pass(net, X);
  Diagnostics d;
  d.step = trainer.step();
  d.train_loss = 0.5 * (pass.output() - trainer.labels()).squaredNorm() / static_cast<double>(X.rows());
  if (X_test_.size() > 0)
    d.test_loss = 0.5 * (net.output(X_test_) - y_test_).squaredNorm() / static_cast<double>(X_test_.rows());
  for (int l = 1; l <= net.depth(); ++l) {
    const Eigen::MatrixXd& W = net.W[static_cast<size_t>(l - 1)];
    const Eigen::MatrixXd delta = W - trainer.initial().W[static_cast<size_t>(l - 1)];
    const Eigen::MatrixXd& J = pass.deltas(l);
    // AGOP = WᵀJᵀJW = (JW)ᵀ(JW): n × k_{ℓ−1} products instead of the k × k PTK sandwich.
    const Eigen::MatrixXd JW = J * W;
    LayerDiagnostics ld;
    ld.nfa = nfm_agop_correlation(W.transpose() * W, JW.transpose() * JW, options_.power);
    if (delta.norm() > 0.0) {
      const Eigen::MatrixXd JD = J * delta;
      ld.cnfa = nfm_agop_correlation(delta.transpose() * delta, JD.transpose() * JD, options_.power);
    }
    ld.weight_change = ratio_or_nan(delta.norm(), W.norm());
    d.layers.push_back(ld);
  }
  const Eigen::MatrixXd theta = ntk_from_pass(net, pass, trainer.learning_rates());
  d.kernel_distance = kernel_distance(ntk0_, theta);
  d.kernel_alignment = kernel_target_alignment(theta, trainer.labels());
  return d;
}

std::vector<Diagnostics> train_with_checkpoints(MlpTrainer& trainer, const FeatureLearningMonitor& monitor,
                                                const std::vector<long>& steps) {
  std::vector<Diagnostics> out;
  for (long s : steps) {
    trainer.train_to(s);  // throws for a step behind the trainer
    out.push_back(monitor.measure(trainer));
  }
  return out;
}

Correlation early_cnfa(const Eigen::MatrixXd& Z, const Eigen::VectorXd& r, const Eigen::MatrixXd& P, double power) {
  if (r.size() != Z.rows() || P.rows() != Z.rows() || P.cols() != Z.rows())
    throw InvalidInput("kernel", "(2.1) needs n residuals and an n x n PTK Gram for n input rows");
  const Eigen::MatrixXd B = r.asDiagonal() * Z;  // R Z
  const Eigen::MatrixXd PB = P * B;
  return nfm_agop_correlation(B.transpose() * PB, PB.transpose() * PB, power);  // Bᵀ P² B for symmetric P
}

Correlation early_cnfa_from_jacobian(const Eigen::MatrixXd& Z, const Eigen::VectorXd& r, const Eigen::MatrixXd& J,
                                     double power) {
  if (r.size() != Z.rows() || J.rows() != Z.rows())
    throw InvalidInput("jacobian", "(2.1) needs n residuals and an n-row Jacobian for n input rows");
  const Eigen::MatrixXd M = J.transpose() * (r.asDiagonal() * Z);  // ∝ the first update ΔW (k × d)
  const Eigen::MatrixXd JM = J * M;
  return nfm_agop_correlation(M.transpose() * M, JM.transpose() * JM, power);
}

Eigen::MatrixXd arccos0_kernel(const Eigen::MatrixXd& X) {
  const Eigen::VectorXd norms = X.rowwise().norm();
  if (!(norms.minCoeff() > 0.0)) throw InvalidInput("inputs", "the arc-cosine kernel needs non-zero inputs");
  const Eigen::VectorXd inverse = norms.cwiseInverse();
  Eigen::MatrixXd P = inverse.asDiagonal() * (X * X.transpose()) * inverse.asDiagonal();
  const double pi = boost::math::constants::pi<double>();
  P = P.unaryExpr([pi](double c) { return (pi - std::acos(std::clamp(c, -1.0, 1.0))) / (2.0 * pi); });
  // acos is ill-conditioned at cos θ = 1 (rounding of x·x/|x|² costs ~1e-8); θ(x, x) = 0 exactly.
  P.diagonal().setConstant(0.5);
  return P;
}

EarlyCnfaPrediction predict_early_cnfa(const Mlp& initial, const Eigen::MatrixXd& X, const Eigen::VectorXd& y, int layer,
                                       double power) {
  check_layer(initial, layer);
  if (y.size() != X.rows()) throw InvalidInput("labels", "need one label per input row");
  const MlpPass pass = jacobian_pass(initial, X);
  const Eigen::VectorXd r = pass.output() - y;
  EarlyCnfaPrediction p;
  p.finite = early_cnfa_from_jacobian(pass.activations(layer - 1), r, pass.deltas(layer), power);
  if (initial.depth() == 1 && layer == 1 && initial.activation.name == "relu") {
    const Eigen::MatrixXd P = arccos0_kernel(X);
    p.infinite = early_cnfa(X, r, P, power);
    p.infinite_no_f0 = early_cnfa(X, -y, P, power);
  }
  return p;
}

}  // namespace rmtsolve::mc
