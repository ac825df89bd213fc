#include "rmtsolve/montecarlo/one_step.hpp"

#include <cmath>

#include "rmtsolve/error.hpp"
#include "rmtsolve/montecarlo/sampling.hpp"

namespace rmtsolve::mc {
namespace {

FeatureMap scaled_features(const Activation& sigma, const Eigen::MatrixXd& W, double shift_scale,
                           const Eigen::VectorXd* spike) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(W.rows()));
  return [&sigma, &W, shift_scale, spike, scale](const Eigen::MatrixXd& X) {
    Eigen::MatrixXd F = X * W.transpose();
    if (spike) F.colwise() += shift_scale * (X * *spike) / std::sqrt(static_cast<double>(X.cols()));
    apply_activation(sigma, F);
    return Eigen::MatrixXd(F * scale);
  };
}

}  // namespace

ReadoutData sample_one_step_network(const OneStepSample& s, std::mt19937_64& rng) {
  if (!s.sigma.df) throw InvalidInput("activation", "the gradient step needs a differentiable activation");
  Eigen::MatrixXd W = unit_rows(s.p, s.d, rng);
  Teacher teacher{&s.link, random_direction(s.d, rng), s.noise};
  teacher.noise_inside = s.noise_inside;
  if (s.n0 > 0 && s.eta != 0.0) {
    const Eigen::MatrixXd X0 = gaussian_matrix(s.n0, s.d, rng);
    const Eigen::VectorXd y0 = teacher.labels(X0, rng);
    Eigen::MatrixXd pre = X0 * W.transpose();  // n0 × p
    Eigen::MatrixXd act = pre, slope = pre;
    apply_activation(s.sigma, act);
    double* g = slope.data();
    for (Eigen::Index i = 0; i < slope.size(); ++i) g[i] = s.sigma.df(g[i]);
    const Eigen::VectorXd residual = y0 - act.rowwise().mean();  // f0 = (1/p) Σ_i σ(w_i·x)
    slope.array().colwise() *= residual.array();
    W.noalias() += (s.eta / s.n0) * slope.transpose() * X0;
  }
  return draw_readout_data(scaled_features(s.sigma, W, 0.0, nullptr), teacher, s.d, s.n, s.n_test, rng);
}

ReadoutErrors simulate_one_step_network(const OneStepSample& s, std::mt19937_64& rng) {
  return evaluate_readout(sample_one_step_network(s, rng), {Loss::kSquare, s.lambda});
}

ReadoutData sample_spiked_features(const SpikedSample& s, std::mt19937_64& rng) {
  const Eigen::MatrixXd W = std::sqrt(s.c) * unit_rows(s.p, s.d, rng);
  const Eigen::VectorXd v = random_direction(s.d, rng);
  Eigen::VectorXd zeta = random_direction(s.d, rng);
  zeta -= v * (v.dot(zeta) / s.d);
  zeta *= std::sqrt(static_cast<double>(s.d)) / zeta.norm();
  const double rho = std::sqrt(std::max(0.0, 1.0 - s.gamma * s.gamma));
  Teacher teacher{&s.link, s.gamma * v + rho * zeta, s.noise};
  teacher.noise_inside = s.noise_inside;
  return draw_readout_data(scaled_features(s.sigma, W, s.r, &v), teacher, s.d, s.n, s.n_test, rng);
}

ReadoutErrors simulate_spiked_features(const SpikedSample& s, std::mt19937_64& rng) {
  return evaluate_readout(sample_spiked_features(s, rng), {Loss::kSquare, s.lambda});
}

}  // namespace rmtsolve::mc
